//! Integration tests: one binary (see tests/README.md).

mod cli;
mod golden;
mod junit;
mod parse_loadgen;
mod parse_probes;
mod render;
mod rules_corpus;
mod schema;
mod summary;
mod util;
