//! Integration tests: one binary (see tests/README.md).

mod cli;
mod golden;
mod rules_corpus;
mod util;
