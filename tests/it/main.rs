//! Integration tests: one binary (see tests/README.md).

mod adversarial;
mod cli;
mod config;
mod deeper_analysis;
mod error_corpus;
mod fuzz;
mod golden;
mod history;
mod injection;
mod inspect;
mod junit;
mod parse_gpu_probes;
mod parse_loadgen;
mod parse_loadgen_extra;
mod parse_platform;
mod parse_probes;
mod parse_software;
mod render;
mod render_sections;
mod robustness;
mod rules_corpus;
mod schema;
mod summary;
mod training;
mod util;
mod validity;
