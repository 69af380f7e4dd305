//! Performance statistics: per run, the spread of latency and TTFT and the
//! goodput from the trace; across runs, throughput consistency between
//! nodes and latency spread. Pure functions over the campaign's runs.

use std::collections::BTreeMap;

use crate::model::{
    Distribution, Goodput, LoadGenRun, LoadGenSummary, PerfGroup, RunMetrics, Scenario,
};

use super::validity;

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

/// Why a run without a trace has no standard deviation.
pub const NEEDS_THE_TRACE: &str = "needs the trace (mlperf_log_trace.json): LoadGen's summary gives \
min, mean and percentiles, not the standard deviation";

/// Standard deviation and CV of a distribution, in ns and as a share.
fn spread(d: &Distribution) -> (f64, Option<f64>) {
    let sd = d.stddev_ns as f64;
    let cv = (d.mean_ns > 0).then(|| round4(sd / d.mean_ns as f64));
    (sd, cv)
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Fill a run's per-sample spread (standard deviation, CV) and goodput from
/// its trace; without a trace, say that the trace is needed.
pub fn add_trace_metrics(run: &LoadGenRun, m: &mut RunMetrics) {
    let trace = run
        .trace
        .as_ref()
        .filter(|(_, t)| t.latency.is_some() || t.ttft.is_some());
    let Some((path, t)) = trace else {
        m.stddev_source = match &run.trace {
            Some((path, _)) => Some(format!(
                "needs the trace's samples: {path} has no completed `Sample` or token events"
            )),
            None if run.summary.is_some() => Some(NEEDS_THE_TRACE.to_string()),
            None => None,
        };
        return;
    };
    let mut what = Vec::new();
    if let Some(d) = &t.latency {
        let (sd, cv) = spread(d);
        m.latency_stddev_ns = Some(sd);
        m.latency_cv = cv;
        what.push(format!("latency over {} samples", group_thousands(d.count)));
    }
    if let Some(d) = &t.ttft {
        let (sd, cv) = spread(d);
        m.ttft_stddev_ns = Some(sd);
        m.ttft_cv = cv;
        what.push(format!(
            "TTFT over {} values from `{}` events",
            group_thousands(d.count),
            t.ttft_source.as_deref().unwrap_or("?")
        ));
    }
    m.stddev_source = Some(format!("trace {path} ({})", what.join("; ")));
    m.goodput = goodput(run);
}

/// `12345` → `12,345`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A limit in words: `2 s`, `450 ms`, `8.5 ms`.
fn fmt_limit(ns: f64) -> String {
    let ms = ns / 1e6;
    if ms >= 1000.0 && (ms / 1000.0).fract().abs() < 1e-9 {
        format!("{:.0} s", ms / 1000.0)
    } else if ms >= 100.0 || ms.fract().abs() < 1e-9 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

fn setting_ns(s: &LoadGenSummary, key: &str) -> Option<f64> {
    s.settings
        .get(key)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// Goodput of a Server (or Interactive) run with a trace: the share of its
/// queries within the latency constraint. Token runs count TTFT against the
/// benchmark's published bound (else the run's `ttft_latency`); TPOT is
/// not counted per query because the trace has no per-query token counts.
/// Other runs count latency against the run's `target_latency`.
pub fn goodput(run: &LoadGenRun) -> Option<Goodput> {
    let (_, t) = run.trace.as_ref()?;
    let (_, s) = run.summary.as_ref()?;
    let scenario = s
        .scenario
        .or(run.submission.as_ref().and_then(|p| p.scenario));
    if !matches!(scenario, Some(Scenario::Server | Scenario::Interactive)) {
        return None;
    }
    let (bench, interactive) = validity::benchmark_of(run);
    let label = if interactive { "Interactive" } else { "Server" };
    let token_run = t.ttft.is_some() || setting_ns(s, "ttft_latency (ns)").is_some();
    let mut not_counted = Vec::new();
    let (metric, name, dist, limit, source) = if token_run {
        let dist = t.ttft.as_ref()?;
        let bounds = bench.map(|b| if interactive { b.interactive } else { b.server });
        let (limit, source) = match (bounds, setting_ns(s, "ttft_latency (ns)")) {
            (Some(bd), _) => (
                bd.ttft_ms * 1e6,
                format!(
                    "{} {label} bound (constraints.toml)",
                    bench.map_or("", |b| &b.name)
                ),
            ),
            (None, Some(v)) => (v, "the run's ttft_latency setting".to_string()),
            (None, None) => return None,
        };
        let tpot_limit = bounds
            .map(|bd| bd.tpot_ms * 1e6)
            .or(setting_ns(s, "tpot_latency (ns)"));
        if let Some(tl) = tpot_limit {
            let p99 = match s.tpot_ns.p99 {
                Some(p) => format!(
                    "; the summary's TPOT p99 {} is {} it",
                    fmt_limit(p),
                    if p <= tl { "within" } else { "over" }
                ),
                None => String::new(),
            };
            not_counted.push(format!(
                "TPOT ≤ {} not counted per query: the trace has no per-query token counts{p99}",
                fmt_limit(tl)
            ));
        }
        ("ttft", "TTFT", dist, limit, source)
    } else {
        let dist = t.latency.as_ref()?;
        let limit = setting_ns(s, "target_latency (ns)")?;
        (
            "latency",
            "latency",
            dist,
            limit,
            "the run's target_latency setting".to_string(),
        )
    };
    let within = dist.count_within(limit.round() as u64)?;
    let n = dist.count;
    if n == 0 {
        return None;
    }
    let share = within.estimate / n as f64;
    let (lo, hi) = (
        within.at_least as f64 / n as f64,
        within.at_most as f64 / n as f64,
    );
    let resolution = if within.at_least == within.at_most {
        if limit >= dist.max_ns as f64 || limit < dist.min_ns as f64 {
            "exact: the limit lies outside the range of values".to_string()
        } else {
            "exact: no histogram bucket straddles the limit".to_string()
        }
    } else {
        format!(
            "between {} and {} at the histogram's resolution (16 buckets per power of two: \
             one bucket straddles the limit)",
            pct(lo),
            pct(hi)
        )
    };
    let mut text = format!(
        "goodput {} of {} queries within {name} ≤ {}",
        pct(share),
        group_thousands(n),
        fmt_limit(limit)
    );
    if within.at_least != within.at_most {
        text.push_str(&format!(" ({}–{})", pct(lo), pct(hi)));
    }
    for nc in &not_counted {
        text.push_str(&format!("; {nc}"));
    }
    Some(Goodput {
        metric: metric.into(),
        limit_ns: limit,
        limit_source: source,
        queries: n,
        within: (within.estimate * 10.0).round() / 10.0,
        within_min: within.at_least,
        within_max: within.at_most,
        share: round4(share),
        share_min: round4(lo),
        share_max: round4(hi),
        resolution,
        not_counted,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_limits_read_naturally() {
        assert_eq!(group_thousands(12_345), "12,345");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000_000), "1,000,000");
        assert_eq!(fmt_limit(2e9), "2 s");
        assert_eq!(fmt_limit(450e6), "450 ms");
        assert_eq!(fmt_limit(40e6), "40 ms");
        assert_eq!(fmt_limit(8.26e6), "8.3 ms");
    }

    #[test]
    fn statistics_of_known_values() {
        let (m, s) = mean_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((m, s), (5.0, 2.0));
        assert_eq!(cv(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), Some(0.4));
        assert_eq!(mean_stddev(&[]), None);
        assert_eq!(cv(&[0.0, 0.0]), None);
    }
}
