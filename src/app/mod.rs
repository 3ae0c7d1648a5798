//! The application layer, for the binaries and the Python module rather than for library
//! users: the experiments' shared command line and TOML keys ([`config`]), the run frame —
//! provenance, progress, checkpoints ([`experiment`]), Ctrl-C and SIGTERM as a stop with a
//! checkpoint ([`interrupt`]) — CSV written row by row and atomically with provenance files
//! ([`report`]), and the figure helpers (`plot`, crate-private).

pub mod config;
pub mod experiment;
pub mod interrupt;
pub mod report;
