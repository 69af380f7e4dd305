//! Performance statistics across runs: throughput consistency between nodes
//! and latency spread. Pure functions over the campaign's run summaries.

use std::collections::BTreeMap;

use crate::model::{LoadGenRun, PerfGroup};

/// Mean and population standard deviation; `None` for an empty slice.
pub fn mean_stddev(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

/// Coefficient of variation (stddev / mean); `None` when the mean is zero.
pub fn cv(values: &[f64]) -> Option<f64> {
    let (m, s) = mean_stddev(values)?;
    (m.abs() > f64::EPSILON).then(|| s / m)
}

/// The comparison key of a run: runs are comparable when scenario, mode and
/// token/non-token match (and their SUT name, which stands in for the model).
fn group_key(run: &LoadGenRun) -> Option<String> {
    let (_, s) = run.summary.as_ref()?;
    let scenario = s.scenario?.as_str();
    let mode = s.mode.clone().unwrap_or_else(|| "unknown mode".into());
    let tokens = if s.tokens_per_second.is_some() {
        ", token metrics"
    } else {
        ""
    };
    let sut = s.sut_name.clone().unwrap_or_default();
    Some(format!("{scenario} {mode}{tokens} ({sut})"))
}

/// Groups of comparable runs with two or more members, with throughput and
/// p99 latency consistency.
pub fn groups(runs: &[LoadGenRun]) -> Vec<PerfGroup> {
    let mut by_key: BTreeMap<String, Vec<&LoadGenRun>> = BTreeMap::new();
    for r in runs {
        if let Some(k) = group_key(r) {
            by_key.entry(k).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for (key, members) in by_key {
        if members.len() < 2 {
            continue;
        }
        let tput: Vec<(f64, &LoadGenRun)> = members
            .iter()
            .filter_map(|r| Some((r.summary.as_ref()?.1.samples_per_second?, *r)))
            .collect();
        let values: Vec<f64> = tput.iter().map(|(v, _)| *v).collect();
        let ms = mean_stddev(&values);
        let max = values.iter().cloned().fold(f64::NAN, f64::max);
        let min = values.iter().cloned().fold(f64::NAN, f64::min);
        let slowest = tput
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .and_then(|(_, r)| r.node.clone().or_else(|| Some(r.id.clone())));
        let p99: Vec<f64> = members
            .iter()
            .filter_map(|r| r.summary.as_ref()?.1.latency_ns.p99)
            .collect();
        let mut nodes: Vec<String> = members.iter().filter_map(|r| r.node.clone()).collect();
        nodes.sort();
        nodes.dedup();
        out.push(PerfGroup {
            key,
            runs: members.iter().map(|r| r.id.clone()).collect(),
            nodes,
            throughput_mean: ms.map(|m| m.0),
            throughput_stddev: ms.map(|m| m.1),
            throughput_cv: cv(&values),
            throughput_spread: (values.len() >= 2 && max > 0.0).then(|| (max - min) / max),
            slowest_node: slowest,
            latency_p99_cv: if p99.len() >= 2 { cv(&p99) } else { None },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_known_values() {
        let (m, s) = mean_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((m, s), (5.0, 2.0));
        assert_eq!(cv(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), Some(0.4));
        assert_eq!(mean_stddev(&[]), None);
        assert_eq!(cv(&[0.0, 0.0]), None);
    }
}
