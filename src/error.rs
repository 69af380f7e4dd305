//! Typed errors for the library stages. Every error names the file (and the
//! line, where one is known) it came from; only `pipeline` and `main` use
//! `anyhow`.

use std::path::PathBuf;

/// A problem with one input file. Parse problems are never fatal to the
/// report: they become warnings in it.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct InputError {
    /// Path relative to the artifacts root, `/`-separated.
    pub path: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// What went wrong, in words a user can act on.
    pub message: String,
}

/// Errors that stop a report from being produced at all.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    /// The artifacts root is missing or not a directory.
    #[error("artifacts root `{0}` is not a readable directory")]
    BadRoot(PathBuf),
    /// The rule catalogue or a user config is invalid.
    #[error("invalid configuration in `{path}`: {message}")]
    Config {
        /// Which config file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A template failed to render (a bug, or a broken user override).
    #[error("template `{name}` failed to render: {message}")]
    Template {
        /// Template name.
        name: String,
        /// Tera's explanation.
        message: String,
    },
    /// A chart failed to draw.
    #[error("chart `{name}` failed to draw: {message}")]
    Chart {
        /// Chart file stem.
        name: String,
        /// Plotters' explanation.
        message: String,
    },
}
