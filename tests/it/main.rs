//! Integration tests: one binary (see tests/README.md).

mod cli;
mod config;
mod error_corpus;
mod golden;
mod parse_loadgen;
mod parse_probes;
mod render;
mod rules_corpus;
mod util;
mod validity;
