//! Baseline comparison: each score and key metric of two reports gets a
//! delta and a trend (improving, stable, degrading, inconclusive). The
//! method is documented in `docs/history.md`; in short:
//!
//! - configurations are compared first (node set, GPU models and driver per
//!   node, and per run group its presence and LoadGen settings); a metric
//!   whose configuration differs is `inconclusive`, naming what differs;
//! - a run-group metric with two or more runs on both sides is judged by
//!   Welch's t-test and the 95 % confidence interval of the change, against
//!   the same practical threshold as below;
//! - otherwise a relative threshold (throughput ±3 %, latency ±5 %) or an
//!   absolute one (scores ±2 points) decides; counts compare exactly.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    BaselineComparison, BaselineRef, ConfigDifference, FindingKey, MetricDelta, StepChange, Trend,
    TrendSummary, VersionChange,
};

use super::load::{PastReport, PastRun};
use super::stats;

/// Throughput (samples/s, tokens/s) changes within ± this percentage are stable.
pub const THROUGHPUT_PCT: f64 = 3.0;
/// Latency (p99, TTFT p99, TPOT p99) changes within ± this percentage are stable.
pub const LATENCY_PCT: f64 = 5.0;
/// Score changes within ± this many points are stable.
pub const SCORE_POINTS: f64 = 2.0;
/// Significance level of the t-test (two-sided), and 1 − the CI level.
pub const ALPHA: f64 = 0.05;

/// Shown for an absent value.
const DASH: &str = "—";

/// How a metric is judged.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    /// Relative, percent of the baseline.
    Pct(f64),
    /// Absolute, in the metric's unit.
    Abs(f64),
    /// Any change counts.
    Exact,
}

impl Tolerance {
    fn absolute(self, base: f64) -> f64 {
        match self {
            Tolerance::Pct(p) => base.abs() * p / 100.0,
            Tolerance::Abs(a) => a,
            Tolerance::Exact => 0.0,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Tolerance::Pct(p) => format!("±{}%", trim(p)),
            Tolerance::Abs(a) => format!("±{} {unit}", trim(a)),
            Tolerance::Exact => "exact".into(),
        }
    }
}

/// Runs that measure the same thing: same node, scenario, mode and run path
/// once a trailing repeat number (`_2`, `-3`, `/run_1`) is removed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    /// Run path without its repeat suffix.
    pub stem: String,
    /// Node, empty when unknown.
    pub node: String,
    /// Scenario, empty when unknown.
    pub scenario: String,
    /// Mode, empty when unknown.
    pub mode: String,
}

impl GroupKey {
    /// The key of a run.
    pub fn of(run: &PastRun) -> GroupKey {
        GroupKey {
            stem: strip_repeat(&run.id).to_string(),
            node: run.node.clone().unwrap_or_default(),
            scenario: run.scenario.clone().unwrap_or_default(),
            mode: run.mode.clone().unwrap_or_default(),
        }
    }

    /// `nodes/node-a/loadgen/offline (Offline PerformanceOnly)`, with
    /// ` on NODE` when the path does not name the node.
    pub fn label(&self) -> String {
        let what = [self.scenario.as_str(), self.mode.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let mut s = self.stem.clone();
        if !what.is_empty() {
            s.push_str(&format!(" ({what})"));
        }
        if !self.node.is_empty() && !self.stem.split('/').any(|p| p == self.node) {
            s.push_str(&format!(" on {}", self.node));
        }
        s
    }
}

impl GroupKey {
    /// A short name for chart legends: `offline · Offline @ node-a`.
    pub fn short_label(&self) -> String {
        let tail = self.stem.rsplit('/').next().unwrap_or(&self.stem);
        let mut s = tail.to_string();
        if !self.scenario.is_empty() && !tail.eq_ignore_ascii_case(&self.scenario) {
            s.push_str(&format!(" · {}", self.scenario));
        }
        if !self.node.is_empty() {
            s.push_str(&format!(" @ {}", self.node));
        }
        s
    }
}

/// `offline_2` → `offline`, `…/performance/run_1` → `…/performance`,
/// `run-3` → `run`; anything else unchanged.
pub fn strip_repeat(id: &str) -> &str {
    let body = id.trim_end_matches(|c: char| c.is_ascii_digit());
    if body.len() == id.len() {
        return id;
    }
    // Digits right after a letter (`resnet50`) are part of a name.
    let Some(head) = body
        .strip_suffix('_')
        .or_else(|| body.strip_suffix('-'))
        .or_else(|| body.strip_suffix('/'))
    else {
        return id;
    };
    let head = head.strip_suffix("/run").unwrap_or(head);
    if head.is_empty() { id } else { head }
}

/// Runs grouped by [`GroupKey`].
pub fn groups(report: &PastReport) -> BTreeMap<GroupKey, Vec<&PastRun>> {
    let mut out: BTreeMap<GroupKey, Vec<&PastRun>> = BTreeMap::new();
    for r in &report.runs {
        out.entry(GroupKey::of(r)).or_default().push(r);
    }
    out
}

/// One per-run metric of a run group.
#[derive(Debug, Clone, Copy)]
pub struct RunMetric {
    /// Id suffix.
    pub id: &'static str,
    /// Words.
    pub label: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Larger is better.
    pub higher_is_better: bool,
    /// The value of one run, in `unit`.
    pub get: fn(&PastRun) -> Option<f64>,
}

fn ms(ns: Option<f64>) -> Option<f64> {
    ns.map(|v| v / 1e6)
}

/// The per-run metrics compared for every run group, in order.
pub const RUN_METRICS: [RunMetric; 5] = [
    RunMetric {
        id: "samples_per_second",
        label: "samples/s",
        unit: "samples/s",
        higher_is_better: true,
        get: |r| r.metrics.samples_per_second,
    },
    RunMetric {
        id: "tokens_per_second",
        label: "tokens/s",
        unit: "tokens/s",
        higher_is_better: true,
        get: |r| r.metrics.tokens_per_second,
    },
    RunMetric {
        id: "latency_p99_ms",
        label: "latency p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| ms(r.metrics.latency_ns.p99),
    },
    RunMetric {
        id: "ttft_p99_ms",
        label: "TTFT p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| ms(r.metrics.ttft_ns.p99),
    },
    RunMetric {
        id: "tpot_p99_ms",
        label: "TPOT p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| ms(r.metrics.tpot_ns.p99),
    },
];

fn values(runs: &[&PastRun], get: fn(&PastRun) -> Option<f64>) -> Vec<f64> {
    runs.iter()
        .filter_map(|r| get(r))
        .filter(|v| v.is_finite())
        .collect()
}

/// Compare `current` against `baseline` (whose path or folder, as given, is
/// `source`).
pub fn compare(baseline: &PastReport, current: &PastReport, source: &str) -> BaselineComparison {
    let cluster = cluster_differences(baseline, current);
    let node_diffs: BTreeSet<String> = cluster
        .iter()
        .filter(|d| d.scope != "cluster")
        .map(|d| d.scope.clone())
        .collect();
    let cluster_reason = (!cluster.is_empty()).then(|| {
        format!(
            "configuration differs: {}",
            cluster
                .iter()
                .map(describe_difference)
                .collect::<Vec<_>>()
                .join("; ")
        )
    });
    let nodes_reason = cluster
        .iter()
        .filter(|d| d.scope == "cluster")
        .map(describe_difference)
        .collect::<Vec<_>>();
    let nodes_reason = (!nodes_reason.is_empty())
        .then(|| format!("configuration differs: {}", nodes_reason.join("; ")));

    let mut metrics = Vec::new();
    let mut push_scalar = |id: String,
                           label: String,
                           unit: &str,
                           higher: bool,
                           tol: Tolerance,
                           a: Option<f64>,
                           b: Option<f64>,
                           blocked: Option<String>| {
        let a: Vec<f64> = a.into_iter().filter(|v| v.is_finite()).collect();
        let b: Vec<f64> = b.into_iter().filter(|v| v.is_finite()).collect();
        metrics.push(judge(id, label, None, unit, higher, tol, &a, &b, blocked));
    };
    push_scalar(
        "overall.score".into(),
        "Overall score".into(),
        "points",
        true,
        Tolerance::Abs(SCORE_POINTS),
        baseline.overall.score,
        current.overall.score,
        cluster_reason.clone(),
    );
    let mut component_ids: Vec<(String, String)> = Vec::new();
    for c in baseline.components.iter().chain(&current.components) {
        if !component_ids.iter().any(|(id, _)| *id == c.id) {
            let name = if c.name.is_empty() { &c.id } else { &c.name };
            component_ids.push((c.id.clone(), name.clone()));
        }
    }
    for (id, name) in &component_ids {
        push_scalar(
            format!("component.{id}.score"),
            format!("{name} score"),
            "points",
            true,
            Tolerance::Abs(SCORE_POINTS),
            baseline.component_score(id),
            current.component_score(id),
            cluster_reason.clone(),
        );
    }
    push_scalar(
        "failed_steps".into(),
        "Failed steps".into(),
        "count",
        false,
        Tolerance::Exact,
        Some(baseline.failed_steps() as f64),
        Some(current.failed_steps() as f64),
        nodes_reason.clone(),
    );
    push_scalar(
        "findings".into(),
        "Findings".into(),
        "count",
        false,
        Tolerance::Exact,
        Some(baseline.findings.len() as f64),
        Some(current.findings.len() as f64),
        nodes_reason.clone(),
    );

    let (ga, gb) = (groups(baseline), groups(current));
    let keys: BTreeSet<&GroupKey> = ga.keys().chain(gb.keys()).collect();
    let mut group_diffs = Vec::new();
    for key in keys {
        let label = key.label();
        let (ra, rb) = (
            ga.get(key).map(Vec::as_slice).unwrap_or_default(),
            gb.get(key).map(Vec::as_slice).unwrap_or_default(),
        );
        let mut diffs = Vec::new();
        if ra.is_empty() || rb.is_empty() {
            diffs.push(ConfigDifference {
                scope: label.clone(),
                what: "run group".into(),
                baseline: presence(!ra.is_empty()),
                current: presence(!rb.is_empty()),
            });
        } else {
            diffs.extend(settings_differences(&label, ra, rb));
        }
        // Within the group's own row the scope goes without saying.
        let mut reasons: Vec<String> = diffs
            .iter()
            .map(|d| format!("{} {} → {}", d.what, d.baseline, d.current))
            .collect();
        if let Some(r) = &nodes_reason {
            reasons.push(r.trim_start_matches("configuration differs: ").to_string());
        }
        if node_diffs.contains(&key.node) {
            reasons.extend(
                cluster
                    .iter()
                    .filter(|d| d.scope == key.node)
                    .map(describe_difference),
            );
        }
        let blocked =
            (!reasons.is_empty()).then(|| format!("configuration differs: {}", reasons.join("; ")));
        for m in RUN_METRICS {
            let (va, vb) = (values(ra, m.get), values(rb, m.get));
            if va.is_empty() && vb.is_empty() {
                continue;
            }
            let tol = if m.higher_is_better {
                Tolerance::Pct(THROUGHPUT_PCT)
            } else {
                Tolerance::Pct(LATENCY_PCT)
            };
            let mut d = judge(
                format!("group.{label}.{}", m.id),
                m.label.to_string(),
                Some(label.clone()),
                m.unit,
                m.higher_is_better,
                tol,
                &va,
                &vb,
                blocked.clone(),
            );
            d.baseline_runs = ra.len() as u32;
            d.current_runs = rb.len() as u32;
            metrics.push(d);
        }
        group_diffs.extend(diffs);
    }

    let mut config_differences = cluster;
    config_differences.extend(group_diffs);

    let (findings_new, findings_recurring, findings_gone) = finding_sets(baseline, current);
    let mut summary = TrendSummary::default();
    for m in &metrics {
        match m.trend {
            Trend::Improving => summary.improving += 1,
            Trend::Stable => summary.stable += 1,
            Trend::Degrading => summary.degrading += 1,
            Trend::Inconclusive => summary.inconclusive += 1,
        }
    }
    BaselineComparison {
        baseline: BaselineRef {
            source: source.to_string(),
            title: baseline.title.clone(),
            generated_at: baseline.generated_at.clone(),
            schema_version: baseline.schema_version.unwrap_or_default(),
            tool_version: baseline.tool.version.clone(),
        },
        summary,
        config_differences,
        metrics,
        findings_new,
        findings_recurring,
        findings_gone,
        steps_changed: step_changes(baseline, current),
        versions_changed: version_changes(baseline, current),
    }
}

fn presence(p: bool) -> String {
    if p { "present" } else { "absent" }.to_string()
}

/// `node count 3 → 2`, `node-b GPU model: A → B`.
pub fn describe_difference(d: &ConfigDifference) -> String {
    if d.scope == "cluster" {
        format!("{} {} → {}", d.what, d.baseline, d.current)
    } else {
        format!("{} {}: {} → {}", d.scope, d.what, d.baseline, d.current)
    }
}

/// Node set, and per node present on both sides its GPU models and driver
/// versions (only where both sides have probes: a missing probe is unknown,
/// not a difference).
fn cluster_differences(a: &PastReport, b: &PastReport) -> Vec<ConfigDifference> {
    let mut out = Vec::new();
    let na: BTreeSet<&str> = a.nodes.iter().map(|n| n.name.as_str()).collect();
    let nb: BTreeSet<&str> = b.nodes.iter().map(|n| n.name.as_str()).collect();
    if na != nb {
        let list = |s: &BTreeSet<&str>| {
            let names: Vec<&str> = s.iter().copied().collect();
            format!("{} ({})", s.len(), names.join(", "))
        };
        let what = if na.len() == nb.len() {
            "nodes"
        } else {
            "node count"
        };
        out.push(ConfigDifference {
            scope: "cluster".into(),
            what: what.into(),
            baseline: list(&na),
            current: list(&nb),
        });
    }
    for node in na.intersection(&nb) {
        let (Some(x), Some(y)) = (
            a.nodes.iter().find(|n| n.name == *node),
            b.nodes.iter().find(|n| n.name == *node),
        ) else {
            continue;
        };
        let models = |n: &super::load::PastNode| {
            summarize(n.gpus.iter().filter_map(|g| g.name.clone()).collect())
        };
        let drivers = |n: &super::load::PastNode| {
            summarize(
                n.gpus
                    .iter()
                    .filter_map(|g| g.driver_version.clone())
                    .collect(),
            )
        };
        for (what, va, vb) in [
            ("GPU model", models(x), models(y)),
            ("driver version", drivers(x), drivers(y)),
        ] {
            if !va.is_empty() && !vb.is_empty() && va != vb {
                out.push(ConfigDifference {
                    scope: node.to_string(),
                    what: what.into(),
                    baseline: va,
                    current: vb,
                });
            }
        }
    }
    out
}

/// `2× NVIDIA RTX A5000`, distinct values sorted, `, `-joined.
fn summarize(mut values: Vec<String>) -> String {
    values.sort();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for v in values {
        match counts.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => counts.push((v, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(v, n)| if n > 1 { format!("{n}× {v}") } else { v })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Effective LoadGen settings that differ between the two sides of a group.
/// Within a side, every run's settings are merged (the first value of a key
/// wins; repeats of one run share their settings).
fn settings_differences(label: &str, a: &[&PastRun], b: &[&PastRun]) -> Vec<ConfigDifference> {
    fn merged<'a>(runs: &[&'a PastRun]) -> BTreeMap<&'a str, &'a str> {
        let mut m: BTreeMap<&str, &str> = BTreeMap::new();
        for r in runs {
            for (k, v) in &r.settings {
                m.entry(k.as_str()).or_insert(v.as_str());
            }
        }
        m
    }
    let (ma, mb) = (merged(a), merged(b));
    let keys: BTreeSet<&str> = ma.keys().chain(mb.keys()).copied().collect();
    keys.into_iter()
        .filter(|k| ma.get(k) != mb.get(k))
        .map(|k| ConfigDifference {
            scope: label.to_string(),
            what: k.to_string(),
            baseline: ma.get(k).unwrap_or(&DASH).to_string(),
            current: mb.get(k).unwrap_or(&DASH).to_string(),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn judge(
    id: String,
    label: String,
    group: Option<String>,
    unit: &str,
    higher_is_better: bool,
    tol: Tolerance,
    a: &[f64],
    b: &[f64],
    blocked: Option<String>,
) -> MetricDelta {
    let (ma, mb) = (stats::mean(a), stats::mean(b));
    let delta = ma.zip(mb).map(|(x, y)| y - x);
    let delta_pct = ma
        .zip(delta)
        .filter(|(x, _)| *x != 0.0)
        .map(|(x, d)| d / x.abs() * 100.0);
    let mut m = MetricDelta {
        id,
        label,
        group,
        unit: unit.to_string(),
        higher_is_better,
        baseline: ma,
        current: mb,
        delta,
        delta_pct,
        trend: Trend::Inconclusive,
        method: "not_compared".into(),
        reason: String::new(),
        p_value: None,
        baseline_runs: 0,
        current_runs: 0,
    };
    let (Some(ma), Some(mb)) = (ma, mb) else {
        m.reason = match (ma, mb) {
            (None, None) => "no value on either side".into(),
            (None, _) => "no value in the baseline".into(),
            _ => "no value in the current report".into(),
        };
        return m;
    };
    if let Some(why) = blocked {
        m.reason = why;
        return m;
    }
    let direction = |d: f64| {
        if (d > 0.0) == higher_is_better {
            Trend::Improving
        } else {
            Trend::Degrading
        }
    };
    let tol_abs = tol.absolute(ma);
    let tol_words = tol.describe(unit);
    let rel = |v: f64| {
        if ma != 0.0 && matches!(tol, Tolerance::Pct(_)) {
            format!("{}%", signed(v / ma.abs() * 100.0, 1))
        } else {
            format!("{} {unit}", signed(v, 1))
        }
    };
    if let Some(w) = stats::welch(a, b) {
        m.method = "welch_t_test".into();
        m.p_value = Some(w.p);
        let ci = format!(
            "95% CI of the change [{}, {}]",
            rel(w.ci_low),
            rel(w.ci_high)
        );
        let runs = format!("Welch t-test over {} vs {} runs", a.len(), b.len());
        let p = fmt_p(w.p);
        if w.ci_low >= -tol_abs && w.ci_high <= tol_abs {
            m.trend = Trend::Stable;
            m.reason = format!("{runs}: {ci} lies within {tol_words}, p {p}");
        } else if w.p < ALPHA && w.diff.abs() > tol_abs {
            m.trend = direction(w.diff);
            m.reason = format!(
                "{runs}: change {} is significant (p {p}), {ci}",
                rel(w.diff)
            );
        } else if w.p < ALPHA {
            m.trend = Trend::Stable;
            m.reason = format!(
                "{runs}: change {} is significant (p {p}) but within {tol_words}",
                rel(w.diff)
            );
        } else {
            m.trend = Trend::Inconclusive;
            m.reason = format!(
                "{runs}: too noisy to tell, {ci} spans no change and changes beyond {tol_words} (p {p})"
            );
        }
        return m;
    }
    let d = mb - ma;
    match tol {
        Tolerance::Exact => {
            m.method = "exact".into();
            if d == 0.0 {
                m.trend = Trend::Stable;
                m.reason = "unchanged".into();
            } else {
                m.trend = direction(d);
                m.reason = format!("{} → {}", trim(ma), trim(mb));
            }
        }
        _ => {
            m.method = "threshold".into();
            // Scores are computed, not measured: no noise note for them.
            let noise = match tol {
                Tolerance::Pct(_) if a.len() < 2 || b.len() < 2 => {
                    " (one run on a side: no noise estimate)"
                }
                Tolerance::Pct(_) => " (no run-to-run variation)",
                _ => "",
            };
            if d.abs() <= tol_abs {
                m.trend = Trend::Stable;
                m.reason = format!("change {} within {tol_words}{noise}", rel(d));
            } else {
                m.trend = direction(d);
                m.reason = format!("change {} beyond {tol_words}{noise}", rel(d));
            }
        }
    }
    m
}

/// `+1.5`, `−0.3` (a real minus sign), `0.0`.
pub fn signed(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let zero = s.chars().all(|c| c == '0' || c == '.');
    if zero {
        s
    } else if v < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

/// A number without needless decimals (`3`, `2.5`).
pub fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

type Keyed = BTreeMap<(String, String, String), (String, String)>;

fn finding_keys(r: &PastReport) -> Keyed {
    let mut out = Keyed::new();
    for f in &r.findings {
        let nodes: Vec<&str> = if f.nodes.is_empty() {
            vec![""]
        } else {
            f.nodes.iter().map(String::as_str).collect()
        };
        let steps: Vec<&str> = if f.steps.is_empty() {
            vec![""]
        } else {
            f.steps.iter().map(String::as_str).collect()
        };
        for n in &nodes {
            for s in &steps {
                out.entry((f.rule.clone(), n.to_string(), s.to_string()))
                    .or_insert_with(|| (f.severity.clone(), f.title.clone()));
            }
        }
    }
    out
}

fn finding_sets(
    a: &PastReport,
    b: &PastReport,
) -> (Vec<FindingKey>, Vec<FindingKey>, Vec<FindingKey>) {
    let (ka, kb) = (finding_keys(a), finding_keys(b));
    let key = |(rule, node, step): &(String, String, String), (sev, title): &(String, String)| {
        FindingKey {
            rule: rule.clone(),
            node: node.clone(),
            step: step.clone(),
            severity: sev.clone(),
            title: title.clone(),
        }
    };
    let new = kb
        .iter()
        .filter(|(k, _)| !ka.contains_key(*k))
        .map(|(k, v)| key(k, v))
        .collect();
    let recurring = kb
        .iter()
        .filter(|(k, _)| ka.contains_key(*k))
        .map(|(k, v)| key(k, v))
        .collect();
    let gone = ka
        .iter()
        .filter(|(k, _)| !kb.contains_key(*k))
        .map(|(k, v)| key(k, v))
        .collect();
    (new, recurring, gone)
}

fn step_changes(a: &PastReport, b: &PastReport) -> Vec<StepChange> {
    let map = |r: &PastReport| -> BTreeMap<(String, String), String> {
        r.steps
            .iter()
            .map(|s| ((s.name.clone(), s.node.clone()), s.outcome.clone()))
            .collect()
    };
    let (ma, mb) = (map(a), map(b));
    let keys: BTreeSet<&(String, String)> = ma.keys().chain(mb.keys()).collect();
    keys.into_iter()
        .filter(|k| ma.get(*k) != mb.get(*k))
        .map(|k| StepChange {
            name: k.0.clone(),
            node: k.1.clone(),
            baseline: ma.get(k).cloned(),
            current: mb.get(k).cloned(),
        })
        .collect()
}

fn version_changes(a: &PastReport, b: &PastReport) -> Vec<VersionChange> {
    let map = |r: &PastReport| -> BTreeMap<(String, String), String> {
        r.software
            .iter()
            .flat_map(|row| {
                row.versions
                    .iter()
                    .map(|(n, v)| ((row.component.clone(), n.clone()), v.clone()))
            })
            .collect()
    };
    let (ma, mb) = (map(a), map(b));
    let keys: BTreeSet<&(String, String)> = ma.keys().chain(mb.keys()).collect();
    keys.into_iter()
        .filter(|k| ma.get(*k) != mb.get(*k))
        .map(|k| VersionChange {
            component: k.0.clone(),
            node: k.1.clone(),
            baseline: ma.get(k).cloned(),
            current: mb.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::load::{PastGpu, PastMetrics, PastNode};

    #[test]
    fn repeat_suffixes_are_stripped() {
        assert_eq!(
            strip_repeat("nodes/a/loadgen/offline_2"),
            "nodes/a/loadgen/offline"
        );
        assert_eq!(
            strip_repeat("x/Offline/performance/run_1"),
            "x/Offline/performance"
        );
        assert_eq!(strip_repeat("x/run-3"), "x");
        assert_eq!(strip_repeat("x/resnet50"), "x/resnet50");
        assert_eq!(strip_repeat("x/llm_server"), "x/llm_server");
        assert_eq!(strip_repeat("123"), "123");
        assert_eq!(strip_repeat("x/7"), "x");
        assert_eq!(strip_repeat(""), "");
    }

    fn run(id: &str, sps: f64, qps: &str) -> PastRun {
        PastRun {
            id: id.into(),
            node: Some("n".into()),
            scenario: Some("Offline".into()),
            mode: Some("PerformanceOnly".into()),
            metrics: PastMetrics {
                samples_per_second: Some(sps),
                ..PastMetrics::default()
            },
            settings: [("target_qps".to_string(), qps.to_string())].into(),
            ..PastRun::default()
        }
    }

    fn report(runs: Vec<PastRun>, gpu: &str) -> PastReport {
        PastReport {
            schema_version: Some(1),
            runs,
            nodes: vec![PastNode {
                name: "n".into(),
                gpus: vec![PastGpu {
                    name: Some(gpu.into()),
                    driver_version: Some("1".into()),
                }],
                ..PastNode::default()
            }],
            ..PastReport::default()
        }
    }

    fn trend_of(c: &BaselineComparison, suffix: &str) -> (Trend, String) {
        c.metrics
            .iter()
            .find(|m| m.id.ends_with(suffix))
            .map(|m| (m.trend, m.reason.clone()))
            .unwrap_or((Trend::Inconclusive, "missing".into()))
    }

    #[test]
    fn welch_detects_a_real_drop_and_ignores_noise() {
        let a = report(
            vec![
                run("r_1", 100.0, "1"),
                run("r_2", 101.0, "1"),
                run("r_3", 99.0, "1"),
            ],
            "G",
        );
        let b = report(
            vec![
                run("r_1", 80.0, "1"),
                run("r_2", 81.0, "1"),
                run("r_3", 79.0, "1"),
            ],
            "G",
        );
        let c = compare(&a, &b, "a");
        let (t, why) = trend_of(&c, "samples_per_second");
        assert_eq!(t, Trend::Degrading, "{why}");
        assert!(why.contains("Welch"), "{why}");
        let same = report(
            vec![
                run("r_1", 100.5, "1"),
                run("r_2", 99.5, "1"),
                run("r_3", 100.0, "1"),
            ],
            "G",
        );
        let (t, why) = trend_of(&compare(&a, &same, "a"), "samples_per_second");
        assert_eq!(t, Trend::Stable, "{why}");
        let noisy = report(vec![run("r_1", 60.0, "1"), run("r_2", 140.0, "1")], "G");
        let (t, why) = trend_of(&compare(&a, &noisy, "a"), "samples_per_second");
        assert_eq!(t, Trend::Inconclusive, "{why}");
    }

    #[test]
    fn single_runs_use_the_threshold() {
        let a = report(vec![run("r", 100.0, "1")], "G");
        let b = report(vec![run("r", 102.0, "1")], "G");
        let (t, why) = trend_of(&compare(&a, &b, "a"), "samples_per_second");
        assert_eq!(t, Trend::Stable, "{why}");
        let b = report(vec![run("r", 110.0, "1")], "G");
        let (t, _) = trend_of(&compare(&a, &b, "a"), "samples_per_second");
        assert_eq!(t, Trend::Improving);
    }

    #[test]
    fn different_configurations_are_inconclusive_and_named() {
        let a = report(vec![run("r", 100.0, "1")], "G");
        let b = report(vec![run("r", 150.0, "2")], "G");
        let c = compare(&a, &b, "a");
        let (t, why) = trend_of(&c, "samples_per_second");
        assert_eq!(t, Trend::Inconclusive);
        assert!(why.contains("target_qps 1 → 2"), "{why}");
        let b = report(vec![run("r", 150.0, "1")], "H");
        let c = compare(&a, &b, "a");
        let (t, why) = trend_of(&c, "samples_per_second");
        assert_eq!(t, Trend::Inconclusive);
        assert!(why.contains("n GPU model: G → H"), "{why}");
        let (t, _) = trend_of(&c, "overall.score");
        assert_eq!(t, Trend::Inconclusive);
    }
}
