//! Integration tests: one binary (see tests/README.md).
mod render;
