//! Results on disk: CSV tables written row by row (an interrupted run keeps every finished row)
//! and a provenance file beside each table that says how it was made and can be fed back with
//! `--config` to make it again.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::{Error, Result};

/// Shortest decimal text that reads back to the same double (plain notation between 1e-4 and
/// 1e15, scientific outside), `NaN`/`inf` spelled as Rust does.
pub fn format_number(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 || (1e-4..1e15).contains(&magnitude) || !x.is_finite() {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A CSV table written one row at a time, flushed after each row.
pub struct CsvTable {
    writer: csv::Writer<File>,
    columns: usize,
    path: PathBuf,
}

impl CsvTable {
    /// Creates (or truncates) `path`, creating its directory, and writes the header.
    pub fn create(path: &Path, header: &[&str]) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(header)?;
        writer.flush().map_err(|e| Error::io(path, e))?;
        Ok(CsvTable {
            writer,
            columns: header.len(),
            path: path.to_owned(),
        })
    }

    /// Reopens a table that an interrupted run was writing, cut back to its first `length`
    /// bytes (the header and the rows up to a checkpoint), to append the rest.
    pub fn reopen(path: &Path, header: &[&str], length: u64) -> Result<Self> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut start = vec![0u8; length.min(1 << 16) as usize];
        let found = std::io::Read::read(&mut file, &mut start).map_err(|e| Error::io(path, e))?;
        let line = header.join(",");
        let actual = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if actual < length || found < line.len() || !start.starts_with(line.as_bytes()) {
            return Err(Error::invalid(
                format!("table {}", path.display()),
                "does not hold the rows its checkpoint records; delete the checkpoint to start afresh",
            ));
        }
        file.set_len(length).map_err(|e| Error::io(path, e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))
            .map_err(|e| Error::io(path, e))?;
        Ok(CsvTable {
            writer: csv::Writer::from_writer(file),
            columns: header.len(),
            path: path.to_owned(),
        })
    }

    /// Bytes on disk (every row is flushed as it is written).
    pub fn bytes(&self) -> Result<u64> {
        Ok(self
            .writer
            .get_ref()
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len())
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one row of text cells (`None` for an empty cell), and flushes it.
    pub fn write_text_row(&mut self, cells: &[Option<String>]) -> Result<()> {
        assert_eq!(
            cells.len(),
            self.columns,
            "row length differs from the header"
        );
        self.writer
            .write_record(cells.iter().map(|c| c.as_deref().unwrap_or("")))?;
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Appends one row where `None` leaves a cell empty (a figure not computed), and flushes it.
    pub fn write_cells(&mut self, values: &[Option<f64>]) -> Result<()> {
        assert_eq!(
            values.len(),
            self.columns,
            "row length differs from the header"
        );
        self.writer.write_record(
            values
                .iter()
                .map(|v| v.map(format_number).unwrap_or_default()),
        )?;
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Appends one row of numbers (one per header column) and flushes it to disk.
    pub fn write_row(&mut self, values: &[f64]) -> Result<()> {
        assert_eq!(
            values.len(),
            self.columns,
            "row length differs from the header"
        );
        self.writer
            .write_record(values.iter().map(|&v| format_number(v)))?;
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// What every pickl run records about itself in its `.meta.toml` (each experiment adds its own
/// figures beside these, flattening this record into its own).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Provenance {
    /// The program (`dynamics`, `proof`, …).
    pub program: String,
    /// pickl's version.
    pub version: String,
    /// The commit pickl was built from: the hash of HEAD, with `-modified` when tracked files
    /// differed from it, or `unknown` when built outside a git checkout (see `build.rs`).
    pub commit: String,
    /// The command line as given.
    pub command: String,
    /// When it started (UTC).
    pub started: String,
    /// `running`, `complete`, `failed` (stopped by an error or by the caller; see `error`).
    pub status: String,
    /// Why a failed run stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The worker threads.
    pub threads: usize,
    /// When it finished (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// Its wall time in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
}

impl Provenance {
    /// A run of `program` starting now, with this process's command line.
    pub fn start(program: &str) -> Self {
        Provenance {
            program: program.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            commit: env!("PICKL_COMMIT").into(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            started: utc_timestamp(),
            status: "running".into(),
            error: None,
            threads: rayon::current_num_threads(),
            finished: None,
            wall_seconds: None,
        }
    }

    /// Marks it complete after `wall_seconds`.
    pub fn complete(&mut self, wall_seconds: f64) {
        self.status = "complete".into();
        self.finished = Some(utc_timestamp());
        self.wall_seconds = Some(wall_seconds);
    }

    /// Marks it failed (or `interrupted`, when it was asked to stop) after `wall_seconds` with
    /// `error` (the rows written before stay in the table; a checkpoint, if one was written,
    /// lets the same command continue).
    pub fn fail(&mut self, wall_seconds: f64, error: &Error) {
        self.status = match error.interrupted_by() {
            Some(_) => "interrupted".into(),
            None => "failed".into(),
        };
        self.error = Some(error.to_string());
        self.finished = Some(utc_timestamp());
        self.wall_seconds = Some(wall_seconds);
    }
}

/// A run of a table that stopped: records it in the provenance beside `table` (whose run the
/// caller has marked [`Provenance::fail`]ed) and returns `error` pointing at the rows written.
pub fn stopped_run<O: Serialize, P: Serialize>(
    table: &Path,
    options: &O,
    provenance: &P,
    error: Error,
) -> Error {
    // The run's own error is the one to report; the record is a courtesy (a provenance file
    // that cannot be written now, on a full disk say, keeps saying `running`).
    let _ = write_provenance(table, options, provenance);
    Error::Stopped {
        at: String::new(),
        error: Box::new(error),
        table: table.to_path_buf(),
    }
}

/// The look of [`progress_bar`] with `position` as its count (e.g. `{pos}/{len} matvecs`).
pub fn progress_style(position: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{bar:30}}] {position}  {{msg}}  (eta {{eta}})"
    ))
    .expect("a valid progress template")
    .progress_chars("=> ")
}

/// The notice printed when a run has been asked to stop ([`crate::app::interrupt`]).
const STOPPING: &str =
    "stopping at the end of this step, with a checkpoint (Ctrl-C again stops at once)";

/// The progress bar every experiment shows on stderr: elapsed time, the bar, `position`
/// (e.g. `{pos}/{len} times` or `{percent:>3}%`), the message and the time left. It is redrawn
/// every second, so that the elapsed time runs on through a long propagator step (several
/// minutes at N₁ = N₂ = 40) between two updates; and a thread beside it prints, above the bar
/// (or on stderr when the bar is hidden), that the run will stop at the end of its step once
/// a Ctrl-C has asked it to ([`crate::evolution::checkpoint::stop_pending`]).
pub fn progress_bar(length: u64, position: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(length);
    bar.set_style(progress_style(position));
    bar.enable_steady_tick(std::time::Duration::from_secs(1));
    let watched = bar.clone();
    std::thread::spawn(move || {
        while !watched.is_finished() {
            if crate::evolution::checkpoint::stop_pending() {
                if watched.is_hidden() {
                    eprintln!("{STOPPING}");
                } else {
                    watched.println(STOPPING);
                }
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    bar
}

/// The bytes still free to this user on the file system that would hold `path` (its nearest
/// existing ancestor is asked, the working directory for a relative path none of whose
/// directories exists yet), or `None` where the system cannot say.
pub fn free_disk_bytes(path: &Path) -> Option<u64> {
    let existing = path
        .ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .unwrap_or(Path::new("."));
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
        // SAFETY: all-zero bytes are a valid `statvfs` (integers only), filled in by the call.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is a NUL-terminated path and `stat` a valid place for the answer.
        let status = unsafe { libc::statvfs(name.as_ptr(), &mut stat) };
        if status != 0 {
            return None;
        }
        // The field types differ between systems (fsblkcnt_t, c_ulong): widened to u64.
        #[allow(clippy::useless_conversion)]
        let (blocks, block_size) = (
            u64::try_from(stat.f_bavail).ok()?,
            u64::try_from(stat.f_frsize).ok()?,
        );
        Some(blocks.saturating_mul(block_size))
    }
    #[cfg(not(unix))]
    {
        let _ = existing;
        None
    }
}

/// Path of the provenance file of a results table: `name.csv` → `name.meta.toml`.
pub fn provenance_path(table: &Path) -> PathBuf {
    table.with_extension("meta.toml")
}

/// A table written beside `table`: `dir/name.csv` → `dir/name_SUFFIX.csv`.
pub fn sibling_table(table: &Path, suffix: &str) -> PathBuf {
    let stem = table
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("table");
    table.with_file_name(format!("{stem}_{suffix}.csv"))
}

/// Writes `options` (top-level keys, so the file can be passed back with `--config`) and a
/// `[provenance]` table, atomically (temporary file, then rename).
pub fn write_provenance<O: Serialize, P: Serialize>(
    table: &Path,
    options: &O,
    provenance: &P,
) -> Result<()> {
    let path = provenance_path(table);
    let mut text = String::from(
        "# How the table beside this file was made. Rerun with: --config <this file>\n",
    );
    text += &toml::to_string(options)
        .map_err(|e| Error::Numerical(format!("serialising options: {e}")))?;
    #[derive(Serialize)]
    struct Wrapper<'a, P> {
        provenance: &'a P,
    }
    text += "\n";
    text += &toml::to_string(&Wrapper { provenance })
        .map_err(|e| Error::Numerical(format!("serialising provenance: {e}")))?;
    write_atomically(&path, &text)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_timestamp() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    let temporary = path.with_file_name(name);
    let mut file = std::fs::File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(&temporary, e))?;
    file.sync_all().map_err(|e| Error::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for x in [
            0.1,
            1.0 / 3.0,
            1e-20,
            -2.5e17,
            123456.789,
            0.0,
            5e-5,
            f64::MIN_POSITIVE,
        ] {
            let text = format_number(x);
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
        }
    }

    #[test]
    fn timestamp_has_the_iso_shape() {
        let t = utc_timestamp();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
