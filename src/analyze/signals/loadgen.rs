//! Signals from LoadGen summaries: INVALID results.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise LoadGen signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, _s: &Settings) {
    for run in &c.runs {
        let Some((path, s)) = &run.summary else {
            continue;
        };
        if s.valid == Some(false) {
            let ev = s
                .result_evidence
                .clone()
                .unwrap_or_else(|| Evidence::new(path.clone(), None, "Result is : INVALID"));
            cl.signal(
                "loadgen_invalid",
                run.node.as_deref(),
                run.step.as_deref(),
                ev,
            );
        }
    }
}
