//! Signals and report section for kernel logs, Kubernetes objects and generic run records.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    let _ = (c, cl, s);
}

/// This family's report section.
pub fn report(c: &Campaign) -> PlatformReport {
    let _ = c;
    PlatformReport::default()
}
