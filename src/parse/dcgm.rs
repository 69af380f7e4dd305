//! `dcgmi diag -j` (DCGM 3.x `DCGM GPU Diagnostic` and 4.x `DCGM Diagnostic`).

use std::io::BufRead;

use super::Parsed;
use crate::model::DcgmDiag;

/// True when the head of a file is DCGM diagnostic JSON.
pub fn sniff(head: &[u8]) -> bool {
    let _ = head;
    false
}

/// Parse a diagnostic result.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<DcgmDiag> {
    let _ = (path, reader);
    Parsed::clean(DcgmDiag::default())
}
