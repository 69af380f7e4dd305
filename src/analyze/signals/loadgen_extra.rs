//! Signals and report section for LoadGen traces, accuracy logs, accuracy results, settings files and submission metadata.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    let _ = (c, cl, s);
}

/// This family's report section.
pub fn report(c: &Campaign) -> LoadGenExtraReport {
    let _ = c;
    LoadGenExtraReport::default()
}
