//! Plain `nvidia-smi -q` text, including `-d PAGE_RETIREMENT`.

use std::io::BufRead;

use super::Parsed;
use crate::model::NvidiaSmiText;

/// True when the head of a file is `nvidia-smi -q` text.
pub fn sniff(head: &[u8]) -> bool {
    let _ = head;
    false
}

/// Parse a text dump.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<NvidiaSmiText> {
    let _ = (path, reader);
    Parsed::clean(NvidiaSmiText::default())
}
