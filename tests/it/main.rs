//! Integration tests: one binary (see tests/README.md).

mod cli;
mod golden;
mod history;
mod inspect;
mod parse_loadgen;
mod parse_probes;
mod render;
mod robustness;
mod rules_corpus;
mod util;
