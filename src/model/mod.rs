//! The data model shared by every stage.
//!
//! - [`source`]: where a fact came from (file and line) and how bad it is.
//! - [`artifacts`]: what each parser produces from one file — bounded
//!   aggregates, never the raw records.
//! - [`loadgen_extra`], [`gpu_probes`], [`platform`], [`software`],
//!   [`training`]: what the parsers of the other artifact families produce.
//! - [`campaign`]: the parsed files assembled into nodes, runs and steps.
//! - [`baseline`]: the optional comparison with an earlier report.
//! - [`report`]: the analysed result; its JSON form is the `report.json`
//!   contract.
//!
//! Nothing here does I/O, and nothing here depends on another stage.

pub mod artifacts;
pub mod baseline;
pub mod campaign;
pub mod gpu_probes;
pub mod loadgen_extra;
pub mod platform;
pub mod report;
pub mod software;
pub mod source;
pub mod training;

pub use artifacts::*;
pub use baseline::*;
pub use campaign::*;
pub use gpu_probes::*;
pub use loadgen_extra::*;
pub use platform::*;
pub use report::*;
pub use software::*;
pub use source::*;
pub use training::*;
