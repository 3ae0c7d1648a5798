//! Checkpoints of a long run: the state at a pause of the propagator
//! ([`crate::evolution::propagation::Event::Pause`]), where the propagation stands, the lengths of the
//! output tables at that moment and the experiment's own running values — everything needed to
//! continue the run as if it had never stopped, so that a run killed without warning and
//! started again with the same command writes the same bytes.
//!
//! What is not stored is recomputed identically: the Hartree trajectory (solved for every output
//! time before the propagation starts), the bases and H. A checkpoint carries the description
//! of its run (a fingerprint: the program and its resolved options), and a run of another
//! model refuses it rather than continuing from it.
//!
//! Format: the line `pickl checkpoint 1`, a TOML header of known length, then the state as
//! little-endian (re, im) pairs of f64. It is written to a temporary file, synced and renamed
//! over the previous checkpoint, so a kill at any moment leaves either the old or the new one;
//! the sync and the rename run on a thread of their own while the computation goes on (the
//! next checkpoint and the end of the run wait for them).
//!
//! A run can also be asked to stop ([`request_stop`], which the binaries call on Ctrl-C and
//! SIGTERM): at its next pause it writes a checkpoint whatever the interval, waits for it to be
//! on the disk and returns [`Error::Interrupted`].

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::evolution::propagation::{Progress, PropagationStats, PropagatorChoice};
use crate::{Error, Result, C64};

const MAGIC: &[u8] = b"pickl checkpoint 1\n";

/// The signal of a request to stop (0: none), set by [`request_stop`].
static STOP: AtomicI32 = AtomicI32::new(0);

/// Checkpointers that write checkpoints and have reached their first pause: runs that a
/// request to stop will stop at their next pause.
static ARMED: AtomicUsize = AtomicUsize::new(0);

/// Set when a request to stop was taken: a run will stop at its next pause.
static PENDING: AtomicBool = AtomicBool::new(false);

/// Asks the runs in progress to stop at their next pause with a checkpoint (`signal`: what
/// asked, for the message). Returns whether a run will: false when this is the second request,
/// or when no run is at a point where it can write a checkpoint (before its first pause, or
/// with checkpoints switched off) — then the caller should stop the process itself. Only
/// atomic operations, so a signal handler may call it.
pub fn request_stop(signal: i32) -> bool {
    let first = STOP
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    let taken = first && ARMED.load(Ordering::SeqCst) > 0;
    if taken {
        PENDING.store(true, Ordering::SeqCst);
    }
    taken
}

/// Whether a request to stop was taken ([`request_stop`]) and a run will stop at its next
/// pause.
pub fn stop_pending() -> bool {
    PENDING.load(Ordering::SeqCst)
}

/// Everything of a checkpoint but the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointHeader {
    /// The run it belongs to: the program and its resolved options.
    pub fingerprint: String,
    /// The propagator that ran (a resumed run keeps it whatever `auto` would pick now).
    pub propagator: String,
    /// The time reached.
    pub time: f64,
    /// Output times handed out.
    pub next: usize,
    /// Matvecs so far.
    pub matvecs: usize,
    /// Propagator steps so far.
    pub steps: usize,
    /// Error bound accumulated so far.
    pub error_estimate: f64,
    /// Byte lengths of the output tables at the pause.
    pub tables: Vec<u64>,
    /// The experiment's running values (meaning fixed by the experiment).
    pub running: Vec<f64>,
    /// Length of the state.
    pub dimension: usize,
}

impl CheckpointHeader {
    /// The header of a pause.
    pub fn new(
        fingerprint: &str,
        propagator: PropagatorChoice,
        progress: &Progress,
        tables: Vec<u64>,
        running: Vec<f64>,
        dimension: usize,
    ) -> Self {
        CheckpointHeader {
            fingerprint: fingerprint.to_owned(),
            propagator: propagator.to_string(),
            time: progress.time,
            next: progress.next,
            matvecs: progress.stats.matvecs,
            steps: progress.stats.steps,
            error_estimate: progress.stats.error_estimate,
            tables,
            running,
            dimension,
        }
    }

    /// Where the propagation stood.
    pub fn progress(&self) -> Progress {
        Progress {
            time: self.time,
            next: self.next,
            stats: PropagationStats {
                matvecs: self.matvecs,
                steps: self.steps,
                error_estimate: self.error_estimate,
            },
        }
    }

    /// The propagator that ran.
    pub fn propagator(&self) -> Result<PropagatorChoice> {
        self.propagator.parse()
    }
}

/// A checkpoint read back: its header and the state.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// Where the run stood.
    pub header: CheckpointHeader,
    /// Ψ(header.time).
    pub state: Vec<C64>,
}

/// The checkpoint file of an output table: `name.csv` → `name.checkpoint`.
pub fn checkpoint_path(table: &Path) -> PathBuf {
    table.with_extension("checkpoint")
}

/// Writes a checkpoint atomically (temporary file, sync, rename).
pub fn write(path: &Path, header: &CheckpointHeader, state: &[C64]) -> Result<()> {
    write_unsynced(path, header, state)?.commit()
}

/// A checkpoint written to its temporary file, not yet synced and renamed over the previous one.
struct Written {
    file: File,
    temporary: PathBuf,
    path: PathBuf,
}

impl Written {
    /// Syncs the temporary file to the disk and renames it over the previous checkpoint: until
    /// the rename, a kill leaves the previous checkpoint whole.
    fn commit(self) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|e| Error::io(&self.temporary, e))?;
        drop(self.file);
        std::fs::rename(&self.temporary, &self.path).map_err(|e| Error::io(&self.path, e))
    }
}

/// Writes the checkpoint's bytes to its temporary file (into the system's cache: what takes
/// the disk's time is the sync of [`Written::commit`]).
fn write_unsynced(path: &Path, header: &CheckpointHeader, state: &[C64]) -> Result<Written> {
    assert_eq!(header.dimension, state.len(), "header and state disagree");
    let text = toml::to_string(header)
        .map_err(|e| Error::Numerical(format!("serialising a checkpoint header: {e}")))?;
    let temporary = path.with_extension("checkpoint.partial");
    let file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let io = |e| Error::io(&temporary, e);
    out.write_all(MAGIC).map_err(io)?;
    out.write_all(&(text.len() as u64).to_le_bytes())
        .map_err(io)?;
    out.write_all(text.as_bytes()).map_err(io)?;
    if cfg!(target_endian = "little") {
        // The state's memory is already its little-endian (re, im) pairs.
        // SAFETY: C64 is #[repr(C)] { re: f64, im: f64 }, 16 bytes without padding, so the
        // slice is 16·len initialised bytes at its address.
        let bytes = unsafe {
            std::slice::from_raw_parts(state.as_ptr().cast::<u8>(), std::mem::size_of_val(state))
        };
        out.write_all(bytes).map_err(io)?;
    } else {
        let mut bytes = Vec::with_capacity(16 * 4096);
        for chunk in state.chunks(4096) {
            bytes.clear();
            for z in chunk {
                bytes.extend_from_slice(&z.re.to_le_bytes());
                bytes.extend_from_slice(&z.im.to_le_bytes());
            }
            out.write_all(&bytes).map_err(io)?;
        }
    }
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(Written {
        file,
        temporary,
        path: path.to_path_buf(),
    })
}

/// Reads the checkpoint at `path`, if there is one; `accept` sees the header first and may
/// refuse it before the state (as large as the run's) is read.
pub fn read(
    path: &Path,
    accept: impl FnOnce(&CheckpointHeader) -> Result<()>,
) -> Result<Option<Checkpoint>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let damaged = |what: &str| {
        Error::invalid(
            format!("checkpoint {}", path.display()),
            format!("{what}; delete it to start the run afresh"),
        )
    };
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut magic = vec![0u8; MAGIC.len()];
    input
        .read_exact(&mut magic)
        .map_err(|_| damaged("too short"))?;
    if magic != MAGIC {
        return Err(damaged("not a pickl checkpoint"));
    }
    let mut length = [0u8; 8];
    input
        .read_exact(&mut length)
        .map_err(|_| damaged("too short"))?;
    let length = u64::from_le_bytes(length);
    if length > 1 << 24 {
        return Err(damaged("header too long"));
    }
    let mut text = vec![0u8; length as usize];
    input
        .read_exact(&mut text)
        .map_err(|_| damaged("too short"))?;
    let text = String::from_utf8(text).map_err(|_| damaged("header is not text"))?;
    let header: CheckpointHeader =
        toml::from_str(&text).map_err(|e| damaged(&format!("unreadable header ({e})")))?;
    accept(&header)?;
    let expected = header
        .dimension
        .checked_mul(16)
        .ok_or_else(|| damaged("impossible dimension"))?;
    let mut state = Vec::new();
    state
        .try_reserve_exact(header.dimension)
        .map_err(|_| Error::TooLarge(format!("a checkpoint state of {expected} bytes")))?;
    let mut bytes = vec![0u8; 16 * 4096];
    let mut remaining = header.dimension;
    while remaining > 0 {
        let count = remaining.min(4096);
        input
            .read_exact(&mut bytes[..16 * count])
            .map_err(|_| damaged("the state is cut short"))?;
        for pair in bytes[..16 * count].chunks_exact(16) {
            let re = f64::from_le_bytes(pair[..8].try_into().expect("8 bytes"));
            let im = f64::from_le_bytes(pair[8..].try_into().expect("8 bytes"));
            state.push(C64::new(re, im));
        }
        remaining -= count;
    }
    if input
        .read(&mut bytes[..1])
        .map_err(|e| Error::io(path, e))?
        != 0
    {
        return Err(damaged("longer than its header says"));
    }
    Ok(Some(Checkpoint { header, state }))
}

/// The interval between checkpoints when none is asked for (seconds).
pub const DEFAULT_INTERVAL: f64 = 300.0;

/// The time between checkpoints asked for in seconds (default [`DEFAULT_INTERVAL`]; 0: at every
/// pause; inf, or beyond what a `Duration` holds — about 5·10¹¹ years —: never); a negative
/// number or NaN is refused.
pub fn interval(seconds: Option<f64>) -> Result<Option<Duration>> {
    match seconds.unwrap_or(DEFAULT_INTERVAL) {
        s if s.is_nan() || s < 0.0 => Err(Error::invalid(
            "--checkpoint-every",
            format!("must be a number of seconds >= 0 (or inf), got {s}"),
        )),
        s => Ok(Duration::try_from_secs_f64(s).ok()),
    }
}

/// The description a checkpoint carries of its run: the program, its version and
/// `description` (what the run was asked, as TOML); a checkpoint is continued only by a run
/// with the same one.
pub fn fingerprint(program: &str, description: &impl Serialize) -> Result<String> {
    let text = toml::to_string(description)
        .map_err(|e| Error::Numerical(format!("describing the run for its checkpoint: {e}")))?;
    Ok(format!("{program} {}\n{text}", env!("CARGO_PKG_VERSION")))
}

/// The checkpoint of a run: where it goes, what identifies the run, how often it is written,
/// and the one read back at the start, until the run takes it.
#[derive(Debug)]
pub struct Checkpointer {
    path: PathBuf,
    fingerprint: String,
    every: Option<Duration>,
    last: Cell<Instant>,
    found: Option<Checkpoint>,
    /// The sync and rename of the checkpoint last written, running beside the computation.
    committing: std::sync::Mutex<Option<std::thread::JoinHandle<Result<()>>>>,
    /// Counted in [`ARMED`] (from its first pause on, when it writes checkpoints).
    armed: Cell<bool>,
}

impl Checkpointer {
    /// The checkpoint at `path` of the run described by `fingerprint` (its program and
    /// resolved options), written every `every_seconds` (default [`DEFAULT_INTERVAL`]; 0: at
    /// every pause; inf: never); one found there is read back if it is of this same run and
    /// refused, with the way out, if it is of another.
    pub fn open(
        path: PathBuf,
        fingerprint: String,
        every_seconds: Option<f64>,
        dimension: usize,
    ) -> Result<Self> {
        let every = interval(every_seconds)?;
        let found = read(&path, |header| {
            if header.fingerprint != fingerprint || header.dimension != dimension {
                return Err(Error::invalid(
                    format!("checkpoint {}", path.display()),
                    "belongs to a run of another model or other options; rerun that command to \
                     continue it, or delete the checkpoint (or choose another output) to start this one",
                ));
            }
            Ok(())
        })?;
        Ok(Checkpointer {
            path,
            fingerprint,
            every,
            last: Cell::new(Instant::now()),
            found,
            committing: std::sync::Mutex::new(None),
            armed: Cell::new(false),
        })
    }

    /// Where the checkpoint goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checkpoint read back at the start, until it is taken.
    pub fn found(&self) -> Option<&Checkpoint> {
        self.found.as_ref()
    }

    /// Takes the checkpoint read back at the start (once).
    pub fn take(&mut self) -> Option<Checkpoint> {
        self.found.take()
    }

    /// At a pause of the propagator: writes a checkpoint if the interval has passed since the
    /// last one (the state, the progress, the byte lengths of the output tables, asked of
    /// `tables` only then, and `running`, the experiment's own values to continue with). If a
    /// stop was asked for ([`request_stop`]), writes it whatever the interval, waits for it to
    /// be on the disk and returns [`Error::Interrupted`].
    pub fn pause(
        &self,
        progress: &Progress,
        propagator: PropagatorChoice,
        state: &[C64],
        tables: impl FnOnce() -> Result<Vec<u64>>,
        running: &[f64],
    ) -> Result<()> {
        let Some(every) = self.every else {
            return Ok(());
        };
        if !self.armed.replace(true) {
            ARMED.fetch_add(1, Ordering::SeqCst);
        }
        let signal = STOP.load(Ordering::SeqCst);
        if signal == 0 && self.last.get().elapsed() < every {
            return Ok(());
        }
        let header = CheckpointHeader::new(
            &self.fingerprint,
            propagator,
            progress,
            tables()?,
            running.to_vec(),
            state.len(),
        );
        self.committed()?;
        let written = write_unsynced(&self.path, &header, state)?;
        // The disk's part goes on beside the computation; the next checkpoint, or the end of
        // the run, waits for it.
        *self.committing.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(std::thread::spawn(move || written.commit()));
        self.last.set(Instant::now());
        if signal != 0 {
            self.committed()?;
            return Err(Error::Interrupted {
                signal,
                time: progress.time,
                checkpoint: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Waits for the checkpoint last written to be synced and renamed into place.
    pub fn committed(&self) -> Result<()> {
        let handle = self
            .committing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match handle {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(Error::Numerical(
                    "the thread writing a checkpoint panicked".into(),
                ))
            }),
            None => Ok(()),
        }
    }

    /// Removes the checkpoint of the finished run (once the one being written is in place).
    pub fn remove(&self) -> Result<()> {
        self.committed()?;
        remove(&self.path)
    }
}

impl Drop for Checkpointer {
    /// A run that stops on an error still puts the checkpoint being written in place.
    fn drop(&mut self) {
        let _ = self.committed();
        if self.armed.get() {
            ARMED.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Removes the checkpoint of a finished run (nothing if there is none).
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_bit_for_bit_and_a_damaged_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("pickl-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.checkpoint");
        let state: Vec<C64> = (0..10_000)
            .map(|i| C64::new((i as f64).sin() / 3.0, -1.0 / (i as f64 + 0.7)))
            .collect();
        let progress = Progress {
            time: 0.1 + 0.2,
            next: 3,
            stats: PropagationStats {
                matvecs: 77,
                steps: 5,
                error_estimate: 1.234_567_890_123_456_7e-11,
            },
        };
        let header = CheckpointHeader::new(
            "dynamics\nn1 = 3",
            PropagatorChoice::Chebyshev,
            &progress,
            vec![120, 4567],
            vec![f64::MIN_POSITIVE, -0.0, 1.0 / 3.0],
            state.len(),
        );
        write(&path, &header, &state).unwrap();
        let back = read(&path, |_| Ok(())).unwrap().unwrap();
        assert_eq!(back.header, header);
        assert_eq!(back.header.progress(), progress);
        assert!(back
            .state
            .iter()
            .zip(&state)
            .all(|(a, b)| a.re.to_bits() == b.re.to_bits() && a.im.to_bits() == b.im.to_bits()));
        // Cut short: refused with a message that says what to do.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let error = read(&path, |_| Ok(())).unwrap_err().to_string();
        assert!(
            error.contains("cut short") && error.contains("delete"),
            "{error}"
        );
        remove(&path).unwrap();
        assert!(read(&path, |_| Ok(())).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
