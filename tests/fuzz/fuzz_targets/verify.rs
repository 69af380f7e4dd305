//! `cargo fuzz run --fuzz-dir tests/fuzz verify`: see docs/fuzzing.md.
#![no_main]

#[path = "../targets.rs"]
#[allow(dead_code, reason = "each target uses one function of the table")]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::verify(data));
