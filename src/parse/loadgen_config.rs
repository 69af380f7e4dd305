//! `user.conf` / `mlperf.conf` (`model.scenario.key = value`).

use std::io::BufRead;

use super::Parsed;
use crate::model::LoadGenConfig;

/// Parse a LoadGen settings file.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<LoadGenConfig> {
    let _ = (path, reader);
    Parsed::clean(LoadGenConfig::default())
}
