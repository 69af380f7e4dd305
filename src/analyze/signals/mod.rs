//! Signals: findings raised from structured data rather than log text. One
//! module per artifact family; each raises named signals whose rule (id,
//! category, severity, remediation) lives in `rules.toml`, and builds its
//! family's report section.

pub mod gpu_probes;
pub mod harness;
pub mod loadgen;
pub mod loadgen_extra;
pub mod nvidia_smi;
pub mod platform;
pub mod software;
pub mod training;

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::Campaign;

/// Raise every family's signals, in a fixed order. Harness signals come
/// last: they stand in for failures nothing else explained, so they must see
/// what the other families (an OOMKilled pod, say) already raised.
pub fn raise_all(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    loadgen::raise(c, cl, s);
    nvidia_smi::raise(c, cl, s);
    loadgen_extra::raise(c, cl, s);
    gpu_probes::raise(c, cl, s);
    platform::raise(c, cl, s);
    software::raise(c, cl, s);
    training::raise(c, cl, s);
    harness::raise(c, cl, s);
}
