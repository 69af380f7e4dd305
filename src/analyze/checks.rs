//! Configurable checks beyond the built-in score: the expected GPU count per
//! node, p99-latency consistency and a minimum throughput per benchmark, plus
//! the signals they raise. Thresholds come from [`Settings`] (`[scoring]`).

use crate::model::*;

use super::Settings;
use super::classify::Classifier;
use super::score::check;
use super::validity;

/// One probed node's GPU count against the expected count.
pub struct GpuCount {
    /// Node.
    pub node: String,
    /// GPUs in the node's largest nvidia-smi dump.
    pub found: u32,
    /// Configured expectation.
    pub expected: u32,
    /// Where the count was read.
    pub evidence: Evidence,
}

/// Probed nodes with fewer GPUs than configured. Nodes without a probe are
/// not judged (they lower coverage instead).
pub fn gpu_shortfalls(c: &Campaign, s: &Settings) -> Vec<GpuCount> {
    let mut out = Vec::new();
    for (node, data) in c.nodes.iter().filter(|(n, _)| !n.starts_with('(')) {
        let Some(expected) = s
            .expected_gpus
            .get(node)
            .copied()
            .or(s.expected_gpus_per_node)
        else {
            continue;
        };
        let Some((path, dump)) = data.nvidia_smi.iter().max_by_key(|(_, d)| d.gpus.len()) else {
            continue;
        };
        let found = dump.gpus.len() as u32;
        if found < expected {
            out.push(GpuCount {
                node: node.clone(),
                found,
                expected,
                evidence: Evidence::new(
                    path.clone(),
                    None,
                    &format!("{node}: {found} GPU(s) in nvidia-smi, {expected} expected"),
                ),
            });
        }
    }
    out
}

/// The hardware check for the expected GPU count; empty when no count is
/// configured.
pub fn gpu_count_check(c: &Campaign, s: &Settings) -> Vec<Check> {
    if s.expected_gpus_per_node.is_none() && s.expected_gpus.is_empty() {
        return Vec::new();
    }
    let short = gpu_shortfalls(c, s);
    let missing: u32 = short.iter().map(|g| g.expected - g.found).sum();
    let detail = if short.is_empty() {
        "every probed node has the expected number of GPUs".to_string()
    } else {
        short
            .iter()
            .map(|g| format!("{}: {} of {} GPUs", g.node, g.found, g.expected))
            .collect::<Vec<_>>()
            .join("; ")
            + &format!("; deduction = {} × {missing} missing", s.missing_gpu_points)
    };
    vec![check(
        "hardware.gpu_count",
        "Every node has the expected number of GPUs",
        s.missing_gpu_points * missing as f64,
        detail,
        short.into_iter().map(|g| g.evidence).take(5).collect(),
    )]
}

/// The run's headline throughput: tokens/s for token runs, else samples/s.
pub fn headline(s: &LoadGenSummary) -> Option<(f64, &'static str)> {
    s.tokens_per_second
        .map(|v| (v, "tokens/s"))
        .or(s.samples_per_second.map(|v| (v, "samples/s")))
}

/// The configured minimum for a run: by `<benchmark>.<Scenario>`, then the
/// benchmark name, then any component of the run's path.
pub fn min_throughput_for(run: &LoadGenRun, s: &Settings) -> Option<(String, f64)> {
    if s.min_throughput.is_empty() {
        return None;
    }
    let bench = validity::benchmark_of(run).0.map(|b| b.name.clone());
    let scenario = run
        .summary
        .as_ref()
        .and_then(|(_, sm)| sm.scenario)
        .map(|sc| sc.as_str());
    let mut keys = Vec::new();
    if let Some(b) = &bench {
        if let Some(sc) = scenario {
            keys.push(format!("{b}.{sc}"));
        }
        keys.push(b.clone());
    }
    keys.extend(run.id.split('/').map(str::to_string));
    keys.into_iter()
        .find_map(|k| s.min_throughput.get(&k).map(|v| (k.clone(), *v)))
}

/// Runs below their configured minimum throughput: (run, key, value, unit, minimum).
pub fn below_minimum<'a>(
    c: &'a Campaign,
    s: &Settings,
) -> Vec<(&'a LoadGenRun, String, f64, &'static str, f64)> {
    c.runs
        .iter()
        .filter_map(|r| {
            let (_, sm) = r.summary.as_ref()?;
            let (v, unit) = headline(sm)?;
            let (key, min) = min_throughput_for(r, s)?;
            (v < min).then_some((r, key, v, unit, min))
        })
        .collect()
}

/// Performance checks from the configuration: p99-latency consistency of
/// comparable runs, and the minimum throughput when one is configured.
pub fn performance_checks(c: &Campaign, groups: &[PerfGroup], s: &Settings) -> Vec<Check> {
    let mut out = Vec::new();
    let mut detail = Vec::new();
    let mut ded = 0.0;
    for g in groups.iter().filter(|g| !super::scaling::is_offline(c, g)) {
        if let Some(cv) = g.latency_p99_cv {
            detail.push(format!("{}: p99 latency CV {:.1}%", g.key, cv * 100.0));
            if cv > s.latency_cv_threshold {
                ded += 100.0 * (cv - s.latency_cv_threshold);
            }
        }
    }
    if !detail.is_empty() {
        out.push(check(
            "performance.latency_consistency",
            &format!(
                "p99 latency of comparable runs varies by at most {:.0}% (CV)",
                s.latency_cv_threshold * 100.0
            ),
            ded.min(s.consistency_cap),
            detail.join("; "),
            Vec::new(),
        ));
    }
    if !s.min_throughput.is_empty() {
        let low = below_minimum(c, s);
        out.push(check(
            "performance.min_throughput",
            "Every run reaches its benchmark's configured minimum throughput",
            (s.min_throughput_points * low.len() as f64).min(s.loadgen_error_cap),
            if low.is_empty() {
                "no run below its configured minimum".into()
            } else {
                low.iter()
                    .map(|(r, k, v, u, m)| format!("{}: {v:.1} {u} < {m:.1} ({k})", r.id))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            low.iter()
                .filter_map(|(r, _, _, _, _)| r.summary.as_ref()?.1.result_evidence.clone())
                .take(5)
                .collect(),
        ));
    }
    out
}

/// Raise the configurable signals: missing GPUs, runs below their minimum
/// throughput, runs that LoadGen calls VALID but that miss the benchmark's
/// published constraints, and accuracy results below the benchmark's
/// targets.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    for g in gpu_shortfalls(c, s) {
        cl.signal("gpu_count_below_expected", Some(&g.node), None, g.evidence);
    }
    for (r, key, v, unit, min) in below_minimum(c, s) {
        let path = r
            .summary
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        let ev = Evidence::new(
            path,
            None,
            &format!(
                "{key} on {}: {v:.1} {unit} < minimum {min:.1}",
                r.node.as_deref().unwrap_or(&r.id)
            ),
        );
        cl.signal(
            "throughput_below_minimum",
            r.node.as_deref(),
            r.step.as_deref(),
            ev,
        );
    }
    for r in &c.runs {
        let Some(v) = validity::explain(r) else {
            continue;
        };
        raise_accuracy(r, &v, cl);
        if v.loadgen_result != "VALID" || v.verdict != "INVALID" {
            continue;
        }
        let failed: Vec<&str> = v
            .checks
            .iter()
            .filter(|k| !k.met && k.source == "benchmark")
            .map(|k| k.text.as_str())
            .collect();
        if failed.is_empty() {
            continue;
        }
        let path = r
            .summary
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        let ev = Evidence::new(
            path,
            None,
            &format!(
                "{} {}: {}",
                v.benchmark.as_deref().unwrap_or("?"),
                v.scenario.as_deref().unwrap_or("?"),
                failed.join("; ")
            ),
        );
        cl.signal(
            "benchmark_constraint_not_met",
            r.node.as_deref(),
            r.step.as_deref(),
            ev,
        );
    }
}

/// Raise `accuracy_target_missed` for each accuracy target a run's
/// `accuracy.txt` misses, at the metric's line.
fn raise_accuracy(r: &LoadGenRun, v: &RunValidity, cl: &mut Classifier<'_>) {
    let Some((path, result)) = &r.accuracy_result else {
        return;
    };
    for k in v.checks.iter().filter(|k| !k.met && k.source == "accuracy") {
        let line = result
            .metrics
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&k.unit))
            .map(|(_, m)| m.line);
        let ev = Evidence::new(
            path.clone(),
            line,
            &format!(
                "{} {}: {}",
                v.benchmark.as_deref().unwrap_or("?"),
                v.scenario.as_deref().unwrap_or("?"),
                k.text
            ),
        );
        cl.signal(
            "accuracy_target_missed",
            r.node.as_deref(),
            r.step.as_deref(),
            ev,
        );
    }
}
