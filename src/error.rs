//! The library's error type: every invalid input is reported, never a panic or a silent NaN.

use std::path::PathBuf;

/// Errors returned by pickl.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user (flag, TOML key, specification string) is not acceptable.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which input (e.g. `--v1`, `potential`, `orbital`).
        what: String,
        /// Why it is rejected, phrased for the user.
        reason: String,
    },
    /// The requested computation does not fit in memory or in the index types.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A numerical routine could not reach its accuracy.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing CSV failed.
    #[error("CSV output: {0}")]
    Csv(#[from] csv::Error),
    /// A run stopped at a pause because it was asked to (Ctrl-C or SIGTERM), after writing a
    /// checkpoint that the same command continues from.
    #[error(
        "stopped at t = {time} on {}; the run is saved in {}: run the same command again to \
         continue it",
        signal_name(*signal),
        checkpoint.display()
    )]
    Interrupted {
        /// The signal that asked (2 for SIGINT, 15 for SIGTERM).
        signal: i32,
        /// The time the propagation had reached.
        time: f64,
        /// The checkpoint written.
        checkpoint: PathBuf,
    },
    /// A run stopped part-way; what it finished is in `table`.
    #[error("{at}{error} (the rows computed so far are in {})", table.display())]
    Stopped {
        /// Where it stopped, as a prefix of the message (e.g. `N = 8 (4+4): `), or empty.
        at: String,
        /// Why it stopped.
        error: Box<Error>,
        /// The table holding the rows written before.
        table: PathBuf,
    },
}

/// How a signal is named in messages.
fn signal_name(signal: i32) -> String {
    match signal {
        2 => "Ctrl-C (SIGINT)".into(),
        15 => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

/// `Result` with pickl's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// The signal that stopped the run, if it was [`Error::Interrupted`] (also inside
    /// [`Error::Stopped`]).
    pub fn interrupted_by(&self) -> Option<i32> {
        match self {
            Error::Interrupted { signal, .. } => Some(*signal),
            Error::Stopped { error, .. } => error.interrupted_by(),
            _ => None,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
