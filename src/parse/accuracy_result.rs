//! `accuracy.txt` from the reference accuracy scripts.

use std::io::BufRead;

use super::Parsed;
use crate::model::AccuracyResult;

/// Parse an accuracy result.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<AccuracyResult> {
    let _ = (path, reader);
    Parsed::clean(AccuracyResult::default())
}
