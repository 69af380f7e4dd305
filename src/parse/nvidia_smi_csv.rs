//! `nvidia-smi --query-gpu=… --format=csv[,nounits]`, snapshot or `-lms`
//! telemetry series.

use std::io::BufRead;

use super::Parsed;
use crate::model::GpuCsv;

/// True when the head of a file is a `--query-gpu` CSV.
pub fn sniff(head: &[u8]) -> bool {
    let _ = head;
    false
}

/// Parse a CSV with fixed memory (statistics, not rows).
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<GpuCsv> {
    let _ = (path, reader);
    Parsed::clean(GpuCsv::default())
}
