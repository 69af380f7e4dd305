//! Integration tests: one binary (see tests/README.md).

mod cli;
mod golden;
mod parse_gpu_probes;
mod parse_loadgen;
mod parse_probes;
mod render;
mod rules_corpus;
mod util;
