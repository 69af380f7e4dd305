//! Signals from harness step outcomes: timeouts, unreachable hosts, SIGKILL,
//! and failed steps that no rule explains.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise step signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, _s: &Settings) {
    let rules = cl.rules();
    for st in c.steps() {
        let (node, step) = (Some(st.node.as_str()), Some(st.name.as_str()));
        // A structured outcome raises its signal only when no text rule of
        // the same category already explained the step, so one timeout is
        // not reported twice (once from its message, once from its outcome).
        let explained_as = |category: &str| {
            cl.context(&st.node, &st.name).is_some_and(|ctx| {
                ctx.matched
                    .keys()
                    .any(|id| rules.get(id).is_some_and(|r| r.category == category))
            })
        };
        let timeout_explained = explained_as("timeout");
        let connectivity_explained = explained_as("connectivity");
        let oom_explained = explained_as("host_oom");
        match st.outcome {
            Outcome::TimedOut if !timeout_explained => {
                cl.signal("step_timed_out", node, step, st.evidence.clone())
            }
            Outcome::Unreachable if !connectivity_explained => {
                cl.signal("host_unreachable", node, step, st.evidence.clone())
            }
            _ => {}
        }
        if st.exit_code == Some(137) && !oom_explained {
            cl.signal("exit_137", node, step, st.evidence.clone());
        }
    }
    // A failed step that no rule explains still becomes a finding.
    for st in c.steps().filter(|st| st.outcome == Outcome::Failed) {
        let ctx = cl.context(&st.node, &st.name).cloned().unwrap_or_default();
        let explained = ctx.matched.values().any(|sev| *sev >= Severity::Medium);
        if explained {
            continue;
        }
        let (node, step) = (Some(st.node.as_str()), Some(st.name.as_str()));
        if st.exit_code == Some(2) {
            // Exit 2 is the usage-error convention; no text rule said more.
            cl.signal("exit_2", node, step, st.evidence.clone());
        } else if let Some(tb) = ctx.exception.or(ctx.traceback) {
            cl.signal("step_traceback", node, step, tb);
        } else {
            let ev = ctx
                .tail
                .back()
                .cloned()
                .unwrap_or_else(|| st.evidence.clone());
            cl.signal("step_failed", node, step, ev);
        }
    }
}
