//! `kubectl get nodes|pods|jobs -o json`.

use std::io::BufRead;

use super::{LineSink, Parsed};
use crate::model::Kubectl;

/// True when the head of a file is kubectl JSON output.
pub fn sniff(head: &[u8]) -> bool {
    let _ = head;
    false
}

/// Parse kubectl output. Container termination messages go to `sink`.
pub fn parse<R: BufRead>(path: &str, reader: R, sink: &mut dyn LineSink) -> Parsed<Kubectl> {
    let _ = (path, reader, sink);
    Parsed::clean(Kubectl::default())
}
