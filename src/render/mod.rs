//! Render stage: the analysed [`Report`] becomes files.
//!
//! Renderers never see parsed records: [`view::ReportView`] is built from the
//! report with every number already formatted and every string escaped for
//! its target, and templates (in `templates/`, compiled in) only place those
//! strings. Renderers return bytes; `pipeline` decides where they go.

pub mod charts;
pub mod escape;
pub mod html;
pub mod json;
pub mod markdown;
pub mod templates;
pub mod view;

use crate::error::FatalError;
use crate::model::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `report.html`.
    Html,
    /// `report.json`.
    Json,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path (`report.md`, `charts/scores.svg`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Render every requested format, plus `charts/*.svg` whenever Markdown or
/// HTML is requested. Files come back in a fixed order.
pub fn render_all(report: &Report, formats: &[Format]) -> Result<Vec<OutputFile>, FatalError> {
    let _ = (report, formats);
    Ok(Vec::new())
}
