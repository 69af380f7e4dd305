//! Signals and report section for nvidia-smi CSV snapshots and telemetry, nvidia-smi text dumps, DCGM diagnostics.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    let _ = (c, cl, s);
}

/// This family's report section.
pub fn report(c: &Campaign) -> GpuProbesReport {
    let _ = c;
    GpuProbesReport::default()
}
