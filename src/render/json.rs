//! `report.json`: the [`Report`] itself (not the view), pretty-printed, with
//! a trailing newline. Its layout is the schema-versioned contract in
//! `model::report`.

use crate::error::FatalError;
use crate::model::Report;

/// Serialise `report` as pretty JSON ending in a newline.
pub fn render_json(report: &Report) -> Result<Vec<u8>, FatalError> {
    let mut bytes = serde_json::to_vec_pretty(report).map_err(|e| FatalError::Template {
        name: "report.json".to_string(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
