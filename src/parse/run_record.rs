//! Generic harness run records (`*.run.json`): one step per file (or a JSON
//! array of steps). Schema: `docs/run-record.schema.json`.

use std::io::BufRead;

use super::{LineSink, Parsed};
use crate::model::HarnessRun;

/// Parse a run record; its stdout/stderr lines go to `sink`.
pub fn parse<R: BufRead>(path: &str, reader: R, sink: &mut dyn LineSink) -> Parsed<HarnessRun> {
    let _ = (path, reader, sink);
    Parsed::clean(HarnessRun::default())
}
