//! Software-stack dumps: `python -m torch.utils.collect_env`, `pip list
//! --format=json`, `pip freeze`, `nvcc --version`, `uname -a`,
//! `/etc/os-release`, `lscpu`, `/proc/meminfo`.

use std::io::BufRead;

use super::Parsed;
use crate::model::SoftwareDump;

/// True when a file is one of the dumps, by name or content.
pub fn sniff(name: &str, head: &[u8]) -> bool {
    let _ = (name, head);
    false
}

/// Parse a dump (its kind is recognised from the content).
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<SoftwareDump> {
    let _ = (path, reader);
    Parsed::clean(SoftwareDump::default())
}
