//! `report.json`: the [`Report`] itself (not the view), pretty-printed, with
//! a trailing newline. Its layout is the schema-versioned contract in
//! `model::report`, published as `docs/report.schema.json` by
//! [`render_schema`].

use crate::error::FatalError;
use crate::model::{Report, SCHEMA_VERSION};

/// Serialise `report` as pretty JSON ending in a newline.
pub fn render_json(report: &Report) -> Result<Vec<u8>, FatalError> {
    let mut bytes = serde_json::to_vec_pretty(report).map_err(|e| FatalError::Template {
        name: "report.json".to_string(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The JSON Schema (draft 2020-12) of `report.json`, generated from the Rust
/// types so it cannot drift from what [`render_json`] writes.
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Report).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$comment".to_string(),
            serde_json::Value::String(format!(
                "report.json schema_version {SCHEMA_VERSION}, generated from the Rust types \
                 (`mlperf-health schema`). Within a major schema_version keys are only added, \
                 never removed or changed in meaning: ignore unknown keys."
            )),
        );
    }
    schema
}

/// [`schema`] as pretty JSON ending in a newline: the bytes of
/// `docs/report.schema.json`.
pub fn render_schema() -> Result<Vec<u8>, FatalError> {
    let mut bytes = serde_json::to_vec_pretty(&schema()).map_err(|e| FatalError::Template {
        name: "report.schema.json".to_string(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
