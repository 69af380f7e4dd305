//! mlperf-health: turn the artifacts of an MLPerf Inference campaign into a health report.
//!
//! The pipeline reads in one direction, and each stage is a module:
//!
//! ```text
//!  discover ──▶ parse ──▶ model ──▶ analyze ──▶ render
//!  (walk the     (stream    (assemble  (classify,    (view model →
//!   root, sniff   each file  runs,      score,        Markdown, HTML,
//!   kinds)        into       steps,     performance)  JSON, SVG)
//!                 bounded    nodes)
//!                 aggregates)
//! ```
//!
//! [`pipeline`] wires the stages together and is the only library module that
//! writes files. `main.rs` maps its outcome to the documented exit codes.

pub mod analyze;
pub mod cli;
pub mod commands;
pub mod discover;
pub mod error;
pub mod history;
pub mod inspect;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod render;
pub mod text;
pub mod time;
