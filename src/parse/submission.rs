//! MLPerf submission trees: metadata files and what a path says.

use std::io::BufRead;

use super::Parsed;
use crate::model::{SubmissionMeta, SubmissionPath};

/// What a run folder's path says (`closed/<org>/results/<system>/<benchmark>/<scenario>/performance/run_1`).
pub fn path_info(rel_dir: &str) -> Option<SubmissionPath> {
    let _ = rel_dir;
    None
}

/// Parse `systems/<system>.json` or `measurements.json`.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<SubmissionMeta> {
    let _ = (path, reader);
    Parsed::clean(SubmissionMeta::default())
}
