//! Scaling efficiency and consistency across nodes.
//!
//! Scaling: runs of the same benchmark, scenario and mode are compared by
//! their size in GPUs (from a submission system name such as `8xMI300X_…`
//! or `4gpu` in the path, else the node's nvidia-smi GPU count) or nodes
//! (`2nodes`). The smallest configuration is the baseline and each larger
//! run's efficiency is `throughput / (baseline × units / baseline_units)`.
//! Consistency: within each group of comparable runs on two or more nodes,
//! the spread of throughput and p99 latency, with the outlier node named.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::*;

use super::Settings;
use super::checks::headline;
use super::classify::Classifier;
use super::perf::mean_stddev;
use super::validity;

static SYSTEM_GPUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,3})x[A-Za-z]").expect("static regex"));
static GPUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[-_])(\d{1,3})[-_]?gpus?(?:$|[-_])|(?:^|[-_])gpus?[-_]?(\d{1,3})(?:$|[-_])",
    )
    .expect("static regex")
});
static NODES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[-_])(\d{1,3})[-_]?nodes?(?:$|[-_])").expect("static regex")
});

/// A run's size: (units, `GPUs` or `nodes`, where it was read). The
/// submission path's system folder (`8xMI300X_…`, from
/// `LoadGenRun::submission`) decides when it names a GPU count; otherwise
/// every path component is tried, then the node's nvidia-smi GPU count.
pub fn units_of(run: &LoadGenRun, c: &Campaign) -> Option<(u32, &'static str, String)> {
    if let Some(sys) = run.submission.as_ref().and_then(|p| p.system.as_deref()) {
        if let Some(n) = SYSTEM_GPUS
            .captures(sys)
            .and_then(|m| m.get(1)?.as_str().parse().ok())
        {
            return Some((n, "GPUs", format!("submission system `{sys}`")));
        }
    }
    for part in run.id.split('/') {
        if let Some(n) = NODES
            .captures(part)
            .and_then(|m| m.get(1)?.as_str().parse().ok())
        {
            return Some((n, "nodes", format!("path component `{part}`")));
        }
        let gpus = SYSTEM_GPUS
            .captures(part)
            .and_then(|m| m.get(1))
            .or_else(|| GPUS.captures(part).and_then(|m| m.get(1).or(m.get(2))));
        if let Some(n) = gpus.and_then(|m| m.as_str().parse().ok()) {
            return Some((n, "GPUs", format!("path component `{part}`")));
        }
    }
    let node = run.node.as_ref()?;
    let n = c
        .nodes
        .get(node)?
        .nvidia_smi
        .iter()
        .map(|(_, d)| d.gpus.len())
        .max()? as u32;
    (n > 0).then(|| (n, "GPUs", format!("nvidia-smi on {node}")))
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// Scaling rows for every group with two or more run sizes.
pub fn scaling(c: &Campaign) -> Vec<ScalingRow> {
    type Member<'a> = (&'a LoadGenRun, f64, &'static str, u32, &'static str, String);
    let mut groups: BTreeMap<String, Vec<Member<'_>>> = BTreeMap::new();
    for r in &c.runs {
        let Some((_, s)) = &r.summary else { continue };
        if s.valid.is_none() || !s.mode.as_deref().unwrap_or("").contains("Performance") {
            continue;
        }
        let (Some((v, metric)), Some(scenario), Some((units, unit, from))) =
            (headline(s), s.scenario, units_of(r, c))
        else {
            continue;
        };
        // A submission folder that is not in the constraint table
        // (`mixtral-8x7b`) still names the benchmark better than the SUT.
        let bench = validity::benchmark_of(r)
            .0
            .map(|b| b.name.clone())
            .or_else(|| r.submission.as_ref().map(|p| p.benchmark.clone()))
            .or(s.sut_name.clone())
            .unwrap_or_default();
        let key = format!("{bench} {} ({unit}, {metric})", scenario.as_str());
        groups
            .entry(key)
            .or_default()
            .push((r, v, metric, units, unit, from));
    }
    let mut out = Vec::new();
    for (key, mut members) in groups {
        members.sort_by(|a, b| a.3.cmp(&b.3).then(a.0.id.cmp(&b.0.id)));
        let Some(&(base, bv, metric, bu, unit, ref base_from)) = members.first() else {
            continue;
        };
        if bv <= 0.0 || bu == 0 {
            continue;
        }
        for &(r, v, _, u, _, ref from) in members.iter().filter(|m| m.3 > bu) {
            let ideal = bv * u as f64 / bu as f64;
            let eff = v / ideal;
            let base_words = if bu == 1 {
                format!("{bv:.2} single")
            } else {
                format!("{bv:.2} on {bu} {unit}")
            };
            out.push(ScalingRow {
                key: key.clone(),
                metric: metric.into(),
                baseline_run: base.id.clone(),
                baseline: bv,
                baseline_units: bu,
                runs: vec![r.id.clone()],
                combined: v,
                units: u,
                unit: unit.into(),
                efficiency: (eff * 10_000.0).round() / 10_000.0,
                formula: format!(
                    "{v:.2} {metric} on {u} {unit} vs {base_words} × {u}/{bu} = {:.2} ideal → {} ({unit}: {from}; {base_from})",
                    ideal,
                    pct(eff)
                ),
            });
        }
    }
    out
}

fn spread(
    key: &str,
    metric: &str,
    values: BTreeMap<String, f64>,
    higher_is_better: bool,
) -> Option<NodeConsistency> {
    if values.len() < 2 {
        return None;
    }
    let v: Vec<f64> = values.values().copied().collect();
    let (mean, stddev) = mean_stddev(&v)?;
    if mean.abs() < f64::EPSILON {
        return None;
    }
    let (outlier, dev) = values
        .iter()
        .map(|(n, x)| (n.clone(), (x - mean) / mean))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(b.0.cmp(&a.0)))?;
    let worse = if higher_is_better {
        dev < 0.0
    } else {
        dev > 0.0
    };
    let text = format!(
        "{outlier} {} {metric} is {:.1}% {} the mean {} across {} nodes (CV {:.1}%){}",
        fmt(values.get(&outlier).copied().unwrap_or_default()),
        dev.abs() * 100.0,
        if dev < 0.0 { "below" } else { "above" },
        fmt(mean),
        values.len(),
        stddev / mean * 100.0,
        if worse { "; it is the slowest" } else { "" }
    );
    Some(NodeConsistency {
        key: key.into(),
        metric: metric.into(),
        values,
        mean: (mean * 10_000.0).round() / 10_000.0,
        stddev: (stddev * 10_000.0).round() / 10_000.0,
        cv: (stddev / mean * 10_000.0).round() / 10_000.0,
        outlier_node: outlier,
        outlier_deviation: (dev * 10_000.0).round() / 10_000.0,
        text,
    })
}

fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Per-node spread of throughput and p99 latency within each group.
pub fn consistency(c: &Campaign, groups: &[PerfGroup]) -> Vec<NodeConsistency> {
    let mut out = Vec::new();
    for g in groups {
        let mut tput: BTreeMap<String, f64> = BTreeMap::new();
        let mut lat: BTreeMap<String, f64> = BTreeMap::new();
        let mut metric = "samples/s";
        for r in c.runs.iter().filter(|r| g.runs.contains(&r.id)) {
            let (Some(node), Some((_, s))) = (&r.node, &r.summary) else {
                continue;
            };
            if let Some((v, m)) = headline(s) {
                metric = m;
                tput.insert(node.clone(), v);
            }
            if let Some(p) = s.latency_ns.p99 {
                lat.insert(node.clone(), p / 1e6);
            }
        }
        out.extend(spread(&g.key, metric, tput, true));
        if !is_offline(c, g) {
            out.extend(spread(&g.key, "p99 latency ms", lat, false));
        }
    }
    out
}

/// Offline latency is the time to finish the one big query, so it restates
/// throughput; latency consistency leaves Offline groups out.
pub fn is_offline(c: &Campaign, g: &PerfGroup) -> bool {
    c.runs
        .iter()
        .filter(|r| g.runs.contains(&r.id))
        .any(|r| r.summary.as_ref().and_then(|(_, s)| s.scenario) == Some(Scenario::Offline))
}

/// Raise `latency_imbalance` for groups whose p99-latency CV exceeds the
/// threshold, naming the slowest node.
pub fn raise_latency(c: &Campaign, groups: &[PerfGroup], cl: &mut Classifier<'_>, s: &Settings) {
    for g in groups.iter().filter(|g| !is_offline(c, g)) {
        let Some(cv) = g.latency_p99_cv.filter(|cv| *cv > s.latency_cv_threshold) else {
            continue;
        };
        let members: Vec<&LoadGenRun> = c.runs.iter().filter(|r| g.runs.contains(&r.id)).collect();
        let slowest = members
            .iter()
            .filter_map(|r| Some((r, r.summary.as_ref()?.1.latency_ns.p99?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(r, _)| r.node.clone().unwrap_or_else(|| r.id.clone()));
        let text = format!(
            "{}: p99 latency CV {:.1}% across {} runs; slowest {}",
            g.key,
            cv * 100.0,
            g.runs.len(),
            slowest.as_deref().unwrap_or("?")
        );
        for r in &members {
            if let Some((path, sum)) = &r.summary {
                let mut ev = Evidence::new(path.clone(), None, &text);
                ev.locator = sum.latency_ns.p99.map(|v| {
                    let who = r.node.as_deref().unwrap_or(&r.id);
                    format!("p99 latency: {who} {:.1} ms", v / 1e6)
                });
                cl.signal("latency_imbalance", slowest.as_deref(), None, ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, node: &str, sps: f64) -> LoadGenRun {
        LoadGenRun {
            id: id.into(),
            node: Some(node.into()),
            step: None,
            summary: Some((
                format!("{id}/mlperf_log_summary.txt"),
                LoadGenSummary {
                    sut_name: Some("SUT".into()),
                    scenario: Some(Scenario::Offline),
                    mode: Some("PerformanceOnly".into()),
                    valid: Some(true),
                    samples_per_second: Some(sps),
                    ..Default::default()
                },
            )),
            detail: None,
            trace: None,
            accuracy: None,
            accuracy_result: None,
            submission: None,
        }
    }

    #[test]
    fn scaling_efficiency_shows_its_formula() {
        let c = Campaign {
            runs: vec![
                run("a/1gpu/offline", "n1", 1.0),
                run("a/2gpu/offline", "n1", 2.05),
            ],
            ..Default::default()
        };
        let rows = scaling(&c);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].efficiency, 1.025);
        assert_eq!(
            rows[0].formula,
            "2.05 samples/s on 2 GPUs vs 1.00 single × 2/1 = 2.00 ideal → 102.5 % (GPUs: path component `2gpu`; path component `1gpu`)"
        );
    }

    #[test]
    fn the_submission_system_sizes_a_run() {
        let mut one = run(
            "x/results/1xMI300X_a/llama2-70b-99/Offline/performance/run_1",
            "n",
            1.0,
        );
        let mut eight = run(
            "x/results/8xMI300X_a/llama2-70b-99/Offline/performance/run_1",
            "n",
            7.6,
        );
        for r in [&mut one, &mut eight] {
            r.submission = crate::parse::submission::path_info(&r.id);
        }
        let c = Campaign::default();
        assert_eq!(
            units_of(&eight, &c),
            Some((8, "GPUs", "submission system `8xMI300X_a`".to_string()))
        );
        let c = Campaign {
            runs: vec![one, eight],
            ..Default::default()
        };
        let rows = scaling(&c);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].key, "llama2-70b-99 Offline (GPUs, samples/s)");
        assert_eq!(rows[0].efficiency, 0.95);
    }

    #[test]
    fn the_outlier_node_is_named() {
        let c = Campaign {
            runs: vec![
                run("n1/offline", "n1", 100.0),
                run("n2/offline", "n2", 100.0),
                run("n3/offline", "n3", 70.0),
            ],
            ..Default::default()
        };
        let groups = super::super::perf::groups(&c.runs);
        let rows = consistency(&c, &groups);
        assert_eq!(rows[0].outlier_node, "n3");
        assert!(
            rows[0]
                .text
                .starts_with("n3 70.00 samples/s is 22.2% below the mean 90.00"),
            "{}",
            rows[0].text
        );
    }
}
