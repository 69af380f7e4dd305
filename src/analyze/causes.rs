//! Cause and consequence: when a step timed out (or a distributed step
//! failed with a watchdog or child-failure symptom) and the same node —
//! in the same step, or within the cause window of the step's run time — or
//! the same step on another node shows a distributed-communication error, a
//! GPU Xid or a connectivity failure, that error is the likely root cause.
//!
//! Candidates are ranked: same node and step, then same node within the
//! window, then the same step on another node; only the best tier found for
//! a consequence is linked.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

use super::classify::{EventGroup, parse_time};
use super::rules::{Rule, RuleSet};

/// Rules that are symptoms of a failure elsewhere, never its cause.
const SYMPTOMS: &[&str] = &["dist.nccl_watchdog_timeout", "dist.child_failed"];

fn is_consequence(r: &Rule) -> bool {
    r.category == "timeout" || SYMPTOMS.contains(&r.id.as_str())
}

fn is_cause(r: &Rule) -> bool {
    (r.category == "distributed_comm" && !SYMPTOMS.contains(&r.id.as_str()))
        || r.category == "connectivity"
        || r.id.starts_with("gpu.xid")
        || r.id == "gpu.sxid"
}

/// A step's run time `(start, end)` in seconds, from the harness record.
fn step_span(c: &Campaign, node: &str, step: &str) -> Option<(f64, f64)> {
    let st = c.steps().find(|s| s.node == node && s.name == step)?;
    let start = parse_time(st.started_at.as_deref()?)?;
    let end = st
        .ended_at
        .as_deref()
        .and_then(parse_time)
        .or(st.duration_s.map(|d| start + d))
        .unwrap_or(start);
    Some((start, end.max(start)))
}

/// The time span of a consequence: its own matched lines, or its step's run.
fn span(g: &EventGroup, c: &Campaign) -> Option<(f64, f64)> {
    match (g.first_time, g.last_time) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => step_span(c, g.node.as_deref()?, g.step.as_deref()?),
    }
}

struct Link {
    consequences: BTreeSet<String>,
    nodes: BTreeSet<String>,
    steps: BTreeSet<String>,
    why: BTreeSet<String>,
}

/// Link causes to consequences; marks `root_cause` / `caused_by` on the
/// findings and returns the links, most severe cause first.
pub fn link(
    events: &[EventGroup],
    rules: &RuleSet,
    campaign: &Campaign,
    window_s: f64,
    findings: &mut [Finding],
) -> Vec<CauseLink> {
    let rule = |g: &EventGroup| rules.rules.get(g.rule);
    let causes: Vec<&EventGroup> = events
        .iter()
        .filter(|g| rule(g).is_some_and(is_cause))
        .collect();
    let mut links: BTreeMap<String, Link> = BTreeMap::new();
    for t in events
        .iter()
        .filter(|g| rule(g).is_some_and(is_consequence))
    {
        let (Some(t_rule), Some(t_node)) = (rule(t), t.node.as_deref()) else {
            continue;
        };
        let t_span = span(t, campaign);
        let mut best: Option<(u8, Vec<(&EventGroup, String)>)> = None;
        for c in &causes {
            let Some(c_rule) = rule(c) else { continue };
            let same_node = c.node.as_deref() == Some(t_node);
            let same_step = c.step.is_some() && c.step == t.step;
            let near = match (c.first_time, t_span) {
                (Some(ct), Some((a, b))) => ct >= a - window_s && ct <= b + window_s,
                _ => false,
            };
            let (tier, why) = if same_node && same_step {
                (0, format!("{} on the same node and step", c_rule.title))
            } else if same_node && near {
                (
                    1,
                    format!(
                        "{} on the same node within {window_s:.0} s of the failure",
                        c_rule.title
                    ),
                )
            } else if same_step && !same_node {
                (
                    2,
                    format!(
                        "{} in the same step on {}",
                        c_rule.title,
                        c.node.as_deref().unwrap_or("another node")
                    ),
                )
            } else {
                continue;
            };
            match &mut best {
                Some((b, list)) if *b == tier => list.push((c, why)),
                Some((b, _)) if *b < tier => {}
                _ => best = Some((tier, vec![(c, why)])),
            }
        }
        let Some((_, found)) = best else { continue };
        for (c, why) in found {
            let Some(c_rule) = rule(c) else { continue };
            let l = links.entry(c_rule.id.clone()).or_insert_with(|| Link {
                consequences: BTreeSet::new(),
                nodes: BTreeSet::new(),
                steps: BTreeSet::new(),
                why: BTreeSet::new(),
            });
            l.consequences.insert(t_rule.id.clone());
            l.nodes.insert(t_node.to_string());
            l.nodes.extend(c.node.clone());
            l.steps.extend(t.step.clone());
            l.steps.extend(c.step.clone());
            l.why
                .insert(format!("{} explains {}: {why}", c_rule.id, t_rule.id));
        }
    }
    let mut out = Vec::new();
    for (cause, l) in links {
        let mut evidence = Vec::new();
        if let Some(f) = findings.iter_mut().find(|f| f.rule == cause) {
            f.root_cause = true;
            evidence.extend(f.evidence.first().cloned());
        }
        for f in findings
            .iter_mut()
            .filter(|f| l.consequences.contains(&f.rule))
        {
            if !f.caused_by.contains(&cause) {
                f.caused_by.push(cause.clone());
                f.caused_by.sort();
            }
            evidence.extend(f.evidence.first().cloned());
        }
        out.push(CauseLink {
            cause,
            consequences: l.consequences.into_iter().collect(),
            nodes: l.nodes.into_iter().collect(),
            steps: l.steps.into_iter().collect(),
            why: l.why.into_iter().collect::<Vec<_>>().join("; "),
            evidence: evidence.into_iter().take(5).collect(),
        });
    }
    let sev = |id: &str| rules.get(id).map(|r| r.severity);
    out.sort_by(|a, b| {
        sev(&b.cause)
            .cmp(&sev(&a.cause))
            .then(a.cause.cmp(&b.cause))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::classify::Classifier;
    use crate::parse::{LineOrigin, LineSink};

    fn origin<'a>(path: &'a str, line: u64, node: &'a str, step: &'a str) -> LineOrigin<'a> {
        LineOrigin {
            path,
            line,
            node: Some(node),
            step: Some(step),
            stream: Stream::Stderr,
            locator: None,
        }
    }

    fn finding(rule: &str) -> Finding {
        Finding {
            rule: rule.into(),
            category: String::new(),
            severity: Severity::High,
            title: String::new(),
            count: 1,
            raw_count: 1,
            nodes: vec![],
            steps: vec![],
            evidence: vec![Evidence::new("x", Some(1), rule)],
            remediation: String::new(),
            status: "active".into(),
            impact: String::new(),
            caused_by: vec![],
            root_cause: false,
        }
    }

    #[test]
    fn a_timeout_is_linked_to_the_nccl_error_of_the_same_step() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(
            &origin("a/stderr.log", 3, "node-a", "run_distributed"),
            "torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1691, remote process exited or there was a network error, NCCL version 2.19.3",
        );
        c.line(
            &origin("b/stderr.log", 9, "node-b", "run_distributed"),
            "TimeoutError: timed out",
        );
        c.line(
            &origin("a/stderr.log", 9, "node-a", "run_distributed"),
            "TimeoutError: timed out",
        );
        c.line(
            &origin("c/stderr.log", 9, "node-c", "other_step"),
            "TimeoutError: timed out",
        );
        let events = c.finish();
        let mut fs = vec![finding("dist.nccl_error"), finding("timeout.generic")];
        let links = link(&events, &rules, &Campaign::default(), 300.0, &mut fs);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].cause, "dist.nccl_error");
        assert_eq!(links[0].consequences, vec!["timeout.generic"]);
        assert_eq!(links[0].nodes, vec!["node-a", "node-b"]);
        assert!(
            links[0].why.contains("same node and step"),
            "{}",
            links[0].why
        );
        assert!(
            links[0].why.contains("same step on node-a"),
            "{}",
            links[0].why
        );
        assert!(fs[0].root_cause);
        assert_eq!(fs[1].caused_by, vec!["dist.nccl_error"]);
    }

    #[test]
    fn a_kernel_xid_within_the_window_explains_a_step_timeout() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        let kernel = LineOrigin {
            path: "nodes/n1/kernel.log",
            line: 5,
            node: Some("n1"),
            step: None,
            stream: Stream::Log,
            locator: None,
        };
        c.line(
            &kernel,
            "kern  :err   : 2026-11-27T03:30:30,000000+00:00 NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.",
        );
        c.line(
            &origin("h.json", 2, "n1", "run"),
            "Task failed: Timed out after 3 second(s).",
        );
        let events = c.finish();
        let campaign = Campaign {
            harness: vec![(
                "h.json".into(),
                HarnessRun {
                    steps: vec![StepResult {
                        name: "run".into(),
                        node: "n1".into(),
                        group: None,
                        outcome: Outcome::TimedOut,
                        exit_code: None,
                        duration_s: Some(3.0),
                        timed_out: true,
                        started_at: Some("2026-11-27T03:30:21.112228Z".into()),
                        ended_at: Some("2026-11-27T03:30:24.0Z".into()),
                        message: None,
                        evidence: Evidence::new("h.json", Some(2), "x"),
                    }],
                    ..Default::default()
                },
            )],
            ..Default::default()
        };
        let mut fs = vec![
            finding("gpu.xid_fallen_off_bus"),
            finding("timeout.ansible_task"),
        ];
        let links = link(&events, &rules, &campaign, 60.0, &mut fs);
        assert_eq!(links.len(), 1, "{links:?}");
        assert!(links[0].why.contains("within 60 s"), "{}", links[0].why);
        // Outside the window: no link.
        let mut fs = vec![
            finding("gpu.xid_fallen_off_bus"),
            finding("timeout.ansible_task"),
        ];
        assert!(link(&events, &rules, &campaign, 1.0, &mut fs).is_empty());
    }
}
