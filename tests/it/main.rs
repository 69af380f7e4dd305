//! Integration tests: one binary (see tests/README.md).
mod parse_probes;
