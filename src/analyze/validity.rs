//! MLPerf validity, explained: every requirement a LoadGen run is judged by,
//! with the measured value, the limit, by how much it failed and the fix.
//!
//! Two sources of requirements: LoadGen's own verdict (the four
//! `… satisfied` lines of the summary, with the numbers behind them) and the
//! published per-benchmark constraints in `constraints.toml` (TTFT/TPOT
//! bounds per scenario, minimum duration, Offline minimum query count), used
//! when the benchmark is known from the submission path or the SUT name.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::model::*;

/// The constraint table, compiled into the binary.
pub const CONSTRAINTS: &str = include_str!("constraints.toml");

/// The constraint table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// Where the numbers come from.
    pub source: String,
    /// One entry per benchmark.
    pub benchmark: Vec<Benchmark>,
}

/// One benchmark's constraints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// Canonical name (`llama2-70b-99`).
    pub name: String,
    /// Spellings in submission paths and SUT names.
    pub aliases: Vec<String>,
    /// Minimum test duration, ms.
    pub min_duration_ms: f64,
    /// Offline: minimum samples in the single query.
    pub offline_min_query_count: f64,
    /// Minimum performance sample count.
    pub performance_sample_count: f64,
    /// Server latency bounds.
    pub server: TokenBounds,
    /// Interactive latency bounds.
    pub interactive: TokenBounds,
    /// Accuracy targets.
    pub accuracy: Vec<AccuracyTarget>,
}

/// p99 TTFT and TPOT bounds, ms.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBounds {
    /// Time to first token, ms.
    pub ttft_ms: f64,
    /// Time per output token, ms.
    pub tpot_ms: f64,
}

/// An accuracy target: `reference × min_fraction ≤ value` (and
/// `≤ reference × max_fraction` when given).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccuracyTarget {
    /// Metric name as the accuracy script prints it.
    pub metric: String,
    /// Reference (FP32/BF16) value.
    pub reference: f64,
    /// Lower bound as a share of the reference.
    pub min_fraction: f64,
    /// Upper bound as a share of the reference.
    #[serde(default)]
    pub max_fraction: Option<f64>,
}

impl AccuracyTarget {
    /// The target in words: `ROUGE1 ≥ 43.9869 (99% of 44.4312)`.
    pub fn describe(&self) -> String {
        let lo = self.reference * self.min_fraction;
        match self.max_fraction {
            Some(hi) => format!(
                "{} within {} – {} ({:.0}–{:.0}% of {})",
                self.metric,
                short(lo),
                short(self.reference * hi),
                self.min_fraction * 100.0,
                hi * 100.0,
                short(self.reference)
            ),
            None => format!(
                "{} ≥ {} ({}% of {})",
                self.metric,
                short(lo),
                short(self.min_fraction * 100.0),
                short(self.reference)
            ),
        }
    }
}

static TABLE: LazyLock<Option<Constraints>> = LazyLock::new(|| toml::from_str(CONSTRAINTS).ok());

/// The compiled-in constraint table (`None` only if the file were broken,
/// which a unit test rules out).
pub fn constraints() -> Option<&'static Constraints> {
    TABLE.as_ref()
}

fn short(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn ms(ns: f64) -> f64 {
    ns / 1e6
}

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

/// Every alias of the table with its benchmark, longest alias first.
fn aliases() -> Vec<(&'static String, &'static Benchmark)> {
    let Some(table) = constraints() else {
        return Vec::new();
    };
    let mut aliases: Vec<(&String, &Benchmark)> = table
        .benchmark
        .iter()
        .flat_map(|b| b.aliases.iter().map(move |a| (a, b)))
        .collect();
    aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    aliases
}

/// The benchmark a run belongs to, and whether it is an Interactive run.
/// The submission path (`LoadGenRun::submission`, read by
/// `parse::submission::path_info`) decides when it names a known benchmark
/// folder; otherwise path components are matched exactly (longest alias
/// first), then the SUT name by substring.
pub fn benchmark_of(run: &LoadGenRun) -> (Option<&'static Benchmark>, bool) {
    let mut from_submission = false;
    if let Some(p) = &run.submission {
        let folder = p.benchmark.to_ascii_lowercase();
        let base = folder.strip_suffix("-interactive").unwrap_or(&folder);
        from_submission = p.scenario == Some(Scenario::Interactive) || base.len() != folder.len();
        if let Some((_, b)) = aliases().into_iter().find(|(a, _)| a.as_str() == base) {
            return (Some(b), from_submission);
        }
    }
    let parts: Vec<String> = run.id.split('/').map(|p| p.to_ascii_lowercase()).collect();
    let interactive = from_submission
        || parts
            .iter()
            .any(|p| p == "interactive" || p.ends_with("-interactive"));
    let aliases = aliases();
    for (alias, b) in &aliases {
        if parts
            .iter()
            .any(|p| p == *alias || p.strip_suffix("-interactive") == Some(alias.as_str()))
        {
            return (Some(b), interactive);
        }
    }
    let sut = run
        .summary
        .as_ref()
        .and_then(|(_, s)| s.sut_name.clone())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let found = aliases
        .iter()
        .find(|(a, _)| !sut.is_empty() && sut.contains(a.as_str()))
        .map(|(_, b)| *b);
    (found, interactive || sut.contains("interactive"))
}

/// Whether a run is filed as an accuracy run: its submission path's kind
/// or compliance mode is `accuracy`, or (outside a submission tree) a path
/// component is `accuracy`.
pub fn in_accuracy_dir(run: &LoadGenRun) -> bool {
    match &run.submission {
        Some(p) => p.kind.as_deref() == Some("accuracy") || p.mode.as_deref() == Some("accuracy"),
        None => run
            .id
            .split('/')
            .any(|p| p.eq_ignore_ascii_case("accuracy")),
    }
}

/// A number as the accuracy scripts print it: up to 4 decimals.
fn num(v: f64) -> String {
    short(v)
}

/// One accuracy target against `accuracy.txt`.
fn accuracy_check(t: &AccuracyTarget, result: &AccuracyResult) -> RequirementCheck {
    let id = format!("accuracy_{}", t.metric.to_ascii_lowercase());
    let lo = t.reference * t.min_fraction;
    let hi = t.max_fraction.map(|f| t.reference * f);
    let fix_low = "accuracy below the target: check the model weights, the precision \
                   (quantisation) and the inference settings against the reference \
                   implementation, then rerun the accuracy mode";
    let fix_len = "output length outside the allowed range: check max_new_tokens, stop \
                   tokens and sampling settings against the reference implementation";
    let found = result
        .metrics
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&t.metric))
        .map(|(_, m)| m.value);
    let Some(v) = found else {
        return req(
            &id,
            "accuracy",
            false,
            None,
            Some(lo),
            &t.metric,
            format!(
                "{} not reported in accuracy.txt (required: {})",
                t.metric,
                t.describe()
            ),
            Some(
                "run the benchmark's reference accuracy script so accuracy.txt reports every required metric",
            ),
        );
    };
    let share = |f: f64| format!("{}% of {}", short(f * 100.0), num(t.reference));
    if v < lo {
        let text = format!(
            "{} {} is below {} ({}) by {} ({:.2}% short)",
            t.metric,
            num(v),
            num(lo),
            share(t.min_fraction),
            num(lo - v),
            (1.0 - v / lo) * 100.0
        );
        let fix = if hi.is_some() { fix_len } else { fix_low };
        return req(
            &id,
            "accuracy",
            false,
            Some(v),
            Some(lo),
            &t.metric,
            text,
            Some(fix),
        );
    }
    if let (Some(h), Some(f)) = (hi, t.max_fraction) {
        if v > h {
            let text = format!(
                "{} {} is above {} ({}) by {}",
                t.metric,
                num(v),
                num(h),
                share(f),
                num(v - h)
            );
            return req(
                &id,
                "accuracy",
                false,
                Some(v),
                Some(h),
                &t.metric,
                text,
                Some(fix_len),
            );
        }
        let text = format!(
            "{} {} within {} – {} ({}–{}% of {}) passes",
            t.metric,
            num(v),
            num(lo),
            num(h),
            short(t.min_fraction * 100.0),
            short(f * 100.0),
            num(t.reference)
        );
        return req(
            &id,
            "accuracy",
            true,
            Some(v),
            Some(lo),
            &t.metric,
            text,
            None,
        );
    }
    let text = format!(
        "{} {} ≥ {} ({}) passes",
        t.metric,
        num(v),
        num(lo),
        share(t.min_fraction)
    );
    req(
        &id,
        "accuracy",
        true,
        Some(v),
        Some(lo),
        &t.metric,
        text,
        None,
    )
}

/// Every accuracy target of the benchmark against the run's `accuracy.txt`.
pub fn accuracy_checks(b: &Benchmark, result: &AccuracyResult) -> Vec<RequirementCheck> {
    b.accuracy
        .iter()
        .map(|t| accuracy_check(t, result))
        .collect()
}

fn setting(s: &LoadGenSummary, key: &str) -> Option<f64> {
    s.settings.get(key)?.trim().parse::<f64>().ok()
}

static NEED_AT_LEAST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Need to process at least (\d+) queries").expect("static regex"));
static ONLY_PROCESSED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Only processed (\d+) queries").expect("static regex"));
static MORE_QUERIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"at least (\d+) more queries").expect("static regex"));

/// How many more queries early stopping asks for, from its text.
fn more_queries_needed(s: &LoadGenSummary) -> Option<u64> {
    let text: Vec<&str> = s.early_stopping.iter().map(|e| e.text.as_str()).collect();
    let grab = |re: &Regex| -> Option<u64> {
        text.iter()
            .find_map(|t| re.captures(t)?.get(1)?.as_str().parse().ok())
    };
    if let Some(n) = grab(&MORE_QUERIES) {
        return Some(n);
    }
    match (grab(&NEED_AT_LEAST), grab(&ONLY_PROCESSED)) {
        (Some(need), Some(done)) => Some(need.saturating_sub(done)),
        _ => None,
    }
}

/// `58.5 ms, over the 40.0 ms limit by 18.5 ms (+46.3%)`.
fn over(actual: f64, limit: f64, what: &str) -> String {
    if limit > 0.0 {
        format!(
            "{}, over the {} {what} by {} ({:+.1}%)",
            fmt_ms(actual),
            fmt_ms(limit),
            fmt_ms(actual - limit),
            (actual / limit - 1.0) * 100.0
        )
    } else {
        fmt_ms(actual)
    }
}

#[allow(clippy::too_many_arguments)]
fn req(
    id: &str,
    source: &str,
    met: bool,
    actual: Option<f64>,
    limit: Option<f64>,
    unit: &str,
    text: String,
    fix: Option<&str>,
) -> RequirementCheck {
    RequirementCheck {
        id: id.into(),
        source: source.into(),
        met,
        actual: actual.map(|v| (v * 1000.0).round() / 1000.0),
        limit: limit.map(|v| (v * 1000.0).round() / 1000.0),
        unit: unit.into(),
        text,
        fix: if met { None } else { fix.map(str::to_string) },
    }
}

/// LoadGen's own requirements for one run, with the numbers behind them.
fn loadgen_checks(s: &LoadGenSummary, detail: Option<&LoadGenDetail>) -> Vec<RequirementCheck> {
    let mut out = Vec::new();
    let recs: Vec<&str> = s.recommendations.iter().map(|e| e.text.as_str()).collect();
    let token_run =
        setting(s, "ttft_latency (ns)").is_some_and(|v| v > 0.0) || s.ttft_ns.p99.is_some();
    if let Some(met) = s.perf_constraints_met {
        if token_run {
            for (id, name, stats, key, flag) in [
                ("ttft_p99", "TTFT", &s.ttft_ns, "ttft_latency (ns)", "TTFT"),
                ("tpot_p99", "TPOT", &s.tpot_ns, "tpot_latency (ns)", "TPOT"),
            ] {
                let actual = stats.p99.map(ms);
                let limit = setting(s, key).filter(|v| *v > 0.0).map(ms);
                // The recommendation names which bound failed; numbers alone
                // decide when it is missing.
                let failed = !met
                    && (recs.iter().any(|r| r.contains(flag))
                        || matches!((actual, limit), (Some(a), Some(l)) if a > l));
                let text = match (actual, limit) {
                    (Some(a), Some(l)) if failed => format!("{name} p99 {}", over(a, l, "limit")),
                    (Some(a), Some(l)) => {
                        format!("{name} p99 {} within the {} limit", fmt_ms(a), fmt_ms(l))
                    }
                    _ if failed => format!("{name} constraint not met (p99 or limit not printed)"),
                    _ => format!("{name} constraint met"),
                };
                out.push(req(
                    id,
                    "loadgen",
                    !failed,
                    actual,
                    limit,
                    "ms",
                    text,
                    Some(if id == "ttft_p99" {
                        "lower the target QPS (queueing delays the first token) or shorten prefill (chunked prefill, more GPUs)"
                    } else {
                        "lower the target QPS or raise batch efficiency so each decode step is faster"
                    }),
                ));
            }
        } else {
            let pct = setting(s, "target_latency_percentile").unwrap_or(99.0);
            let actual = s.latency_ns.p99.map(ms);
            let limit = setting(s, "target_latency (ns)")
                .filter(|v| *v > 0.0)
                .map(ms);
            let text = match (actual, limit) {
                (Some(a), Some(l)) if !met => format!("p{pct:.0} latency {}", over(a, l, "target")),
                (Some(a), Some(l)) => format!(
                    "p{pct:.0} latency {} within the {} target",
                    fmt_ms(a),
                    fmt_ms(l)
                ),
                _ if !met => "latency constraint not met".to_string(),
                _ => "latency constraint met".to_string(),
            };
            out.push(req(
                "latency",
                "loadgen",
                met,
                actual,
                limit,
                "ms",
                text,
                Some("lower the target QPS"),
            ));
        }
    }
    if let Some(met) = s.min_duration_met {
        let limit = setting(s, "min_duration (ms)");
        let scenario = s.scenario;
        // LoadGen does not print the tested time; estimate it from what it
        // does print, and say so.
        let actual = match scenario {
            Some(Scenario::Offline) => s.latency_ns.max.map(ms),
            _ => {
                let queries = detail
                    .and_then(|d| d.results.get("result_query_count"))
                    .and_then(|v| v.trim().parse::<f64>().ok());
                match (queries, s.samples_per_second) {
                    (Some(q), Some(r)) if r > 0.0 => Some(q / r * 1000.0),
                    _ => None,
                }
            }
        };
        let text = match (actual, limit) {
            (Some(a), Some(l)) if !met => format!(
                "ran about {} ms of the required {} ms minimum duration ({:.0}%)",
                a.round(),
                l,
                if l > 0.0 { a / l * 100.0 } else { 0.0 }
            ),
            (_, Some(l)) if !met => format!("minimum duration of {l} ms not reached"),
            (_, Some(l)) => format!("minimum duration of {l} ms reached"),
            _ if !met => "minimum duration not reached".to_string(),
            _ => "minimum duration reached".to_string(),
        };
        let fix = match scenario {
            Some(Scenario::Offline) => {
                "raise the expected QPS (target_qps) so LoadGen issues a larger query"
            }
            Some(Scenario::Server) => "raise the target QPS so LoadGen pre-generates more queries",
            _ => "lower the expected latency so LoadGen pre-generates more queries",
        };
        out.push(req(
            "min_duration",
            "loadgen",
            met,
            actual,
            limit,
            "ms",
            text,
            Some(fix),
        ));
    }
    if let Some(met) = s.min_queries_met {
        let limit = setting(s, "min_query_count");
        let actual = detail
            .and_then(|d| d.results.get("result_query_count"))
            .and_then(|v| v.trim().parse::<f64>().ok());
        let text = match (actual, limit) {
            (Some(a), Some(l)) if !met => format!(
                "issued {a:.0} queries of the required {l:.0} ({:.0} short); the test exited early",
                (l - a).max(0.0)
            ),
            (_, Some(l)) if !met => format!("fewer than the required {l:.0} queries were issued"),
            (_, Some(l)) => format!("at least {l:.0} queries issued"),
            _ if !met => "minimum query count not reached".into(),
            _ => "minimum query count reached".into(),
        };
        out.push(req(
            "min_queries",
            "loadgen",
            met,
            actual,
            limit,
            "queries",
            text,
            Some("let the run finish: raise max_duration or check the detail log for why it ended early"),
        ));
    }
    if let Some(met) = s.early_stopping_met {
        let more = more_queries_needed(s);
        let text = match more {
            Some(n) if !met => format!("early stopping needs {n} more queries"),
            _ if !met => "early stopping not satisfied".to_string(),
            _ => "early stopping satisfied".to_string(),
        };
        out.push(req(
            "early_stopping",
            "loadgen",
            met,
            None,
            more.map(|n| n as f64),
            "queries",
            text,
            Some("process more queries (longer min_duration or higher min_query_count) so early stopping can conclude"),
        ));
    }
    out
}

/// Requirements from the benchmark's published constraints.
fn benchmark_checks(
    b: &Benchmark,
    interactive: bool,
    s: &LoadGenSummary,
) -> (Vec<RequirementCheck>, Option<String>) {
    let mut out = Vec::new();
    let scenario = s.scenario;
    let label = match (scenario, interactive) {
        (Some(Scenario::Server | Scenario::Interactive), true) => "Interactive".to_string(),
        (Some(sc), _) => sc.as_str().to_string(),
        (None, _) => "?".to_string(),
    };
    let min_dur = setting(s, "min_duration (ms)");
    if let Some(d) = min_dur {
        let met = d >= b.min_duration_ms;
        out.push(req(
            "benchmark_min_duration",
            "benchmark",
            met,
            Some(d),
            Some(b.min_duration_ms),
            "ms",
            if met {
                format!("configured min_duration {d:.0} ms meets the {} ms rule", b.min_duration_ms)
            } else {
                format!(
                    "configured min_duration {d:.0} ms is below the {} ms the {} rules require",
                    b.min_duration_ms, b.name
                )
            },
            Some("use the official min_duration from mlperf.conf (600000 ms); do not override it in user.conf"),
        ));
    }
    if scenario == Some(Scenario::Offline) {
        if let Some(n) = setting(s, "samples_per_query") {
            let met = n >= b.offline_min_query_count;
            out.push(req(
                "benchmark_offline_samples",
                "benchmark",
                met,
                Some(n),
                Some(b.offline_min_query_count),
                "samples",
                if met {
                    format!("Offline query of {n:.0} samples meets the {:.0} minimum", b.offline_min_query_count)
                } else {
                    format!(
                        "Offline query of {n:.0} samples is below the {:.0} samples {} requires",
                        b.offline_min_query_count, b.name
                    )
                },
                Some("raise the expected QPS or min_duration so the single Offline query holds enough samples"),
            ));
        }
    }
    if let Some(n) = setting(s, "performance_sample_count") {
        let met = n >= b.performance_sample_count;
        out.push(req(
            "benchmark_performance_sample_count",
            "benchmark",
            met,
            Some(n),
            Some(b.performance_sample_count),
            "samples",
            if met {
                format!(
                    "performance_sample_count {n:.0} meets the {:.0} rule",
                    b.performance_sample_count
                )
            } else {
                format!(
                    "performance_sample_count {n:.0} is below the {:.0} {} requires",
                    b.performance_sample_count, b.name
                )
            },
            Some("do not override performance_sample_count below the mlperf.conf value"),
        ));
    }
    if matches!(scenario, Some(Scenario::Server | Scenario::Interactive)) {
        let bounds = if interactive { b.interactive } else { b.server };
        for (id, name, stats, limit) in [
            ("benchmark_ttft_p99", "TTFT", &s.ttft_ns, bounds.ttft_ms),
            ("benchmark_tpot_p99", "TPOT", &s.tpot_ns, bounds.tpot_ms),
        ] {
            let Some(actual) = stats.p99.map(ms) else {
                continue;
            };
            // The checker's comparison is strict.
            let met = actual < limit;
            out.push(req(
                id,
                "benchmark",
                met,
                Some(actual),
                Some(limit),
                "ms",
                if met {
                    format!(
                        "{name} p99 {} under the {} {label} limit of {}",
                        fmt_ms(actual),
                        b.name,
                        fmt_ms(limit)
                    )
                } else {
                    format!(
                        "{name} p99 {} ({} {label})",
                        over(actual, limit, "limit"),
                        b.name
                    )
                },
                Some(if name == "TTFT" {
                    "lower the target QPS or shorten prefill"
                } else {
                    "lower the target QPS or raise batch efficiency"
                }),
            ));
        }
    }
    (out, Some(label))
}

/// Explain one run's validity. `None` for runs with neither a summary nor
/// an `accuracy.txt` of a benchmark in the constraint table.
pub fn explain(run: &LoadGenRun) -> Option<RunValidity> {
    let (bench, interactive) = benchmark_of(run);
    let accuracy: Vec<RequirementCheck> = match (bench, &run.accuracy_result) {
        (Some(b), Some((_, r))) => accuracy_checks(b, r),
        _ => Vec::new(),
    };
    let empty = LoadGenSummary::default();
    let s = match &run.summary {
        Some((_, s)) => s,
        None if !accuracy.is_empty() => &empty,
        None => return None,
    };
    let detail = run.detail.as_ref().map(|(_, d)| d);
    let loadgen_result = match s.valid {
        Some(true) => "VALID",
        Some(false) => "INVALID",
        None => "UNKNOWN",
    };
    let mut checks = loadgen_checks(s, detail);
    if s.valid == Some(false) {
        // A rejected setting is often why the run went wrong; say so.
        if let Some(m) = detail.and_then(|d| {
            d.errors
                .items
                .iter()
                .find(|m| m.key == "error_invalid_test_settings")
        }) {
            checks.push(req(
                "settings_accepted",
                "loadgen",
                false,
                None,
                None,
                "",
                format!("LoadGen rejected a setting: {}", m.text),
                Some("fix the value in user.conf"),
            ));
        }
    }
    let mut scenario = s
        .scenario
        .or(run.submission.as_ref().and_then(|p| p.scenario))
        .map(|sc| sc.as_str().to_string());
    let performance_run = s
        .mode
        .as_deref()
        .is_none_or(|m| m.to_ascii_lowercase().contains("performance"));
    // A run filed under accuracy/ is judged by its accuracy, not its timing.
    let in_accuracy_dir = in_accuracy_dir(run);
    if let Some(b) = bench {
        if s.valid.is_some() && performance_run && !in_accuracy_dir {
            let (more, label) = benchmark_checks(b, interactive, s);
            checks.extend(more);
            scenario = label;
        } else if interactive {
            scenario = Some("Interactive".into());
        }
    }
    let accuracy_checked = !accuracy.is_empty();
    checks.extend(accuracy);
    let failed: Vec<&RequirementCheck> = checks.iter().filter(|c| !c.met).collect();
    let verdict = match s.valid {
        // Without a result block (accuracy mode), the accuracy targets decide.
        None if accuracy_checked && failed.is_empty() => "VALID",
        None if accuracy_checked => "INVALID",
        None => "UNKNOWN",
        Some(true) if failed.is_empty() => "VALID",
        Some(_) => "INVALID",
    };
    let what = format!(
        "{}{} run {}",
        scenario.as_deref().unwrap_or("LoadGen"),
        if accuracy_checked && s.valid.is_none() {
            " accuracy"
        } else {
            ""
        },
        verdict
    );
    let summary = if failed.is_empty() {
        match (verdict, s.valid) {
            ("INVALID", _) => {
                format!("{what}: LoadGen gives no reason in the summary; see the detail log.")
            }
            (_, None) if accuracy_checked => {
                format!("{what}: every accuracy target is met.")
            }
            (_, None) => format!("{what}: no result block (accuracy-only runs print none)."),
            _ => format!("{what}: every requirement checked is met."),
        }
    } else {
        let reasons: Vec<String> = failed.iter().map(|c| c.text.clone()).collect();
        let mut fixes: Vec<String> = Vec::new();
        for c in &failed {
            if let Some(f) = &c.fix {
                if !fixes.contains(f) {
                    fixes.push(f.clone());
                }
            }
        }
        let mut out = format!("{what} — {}", reasons.join("; "));
        if !fixes.is_empty() {
            out.push_str("; ");
            out.push_str(&fixes.join("; "));
        }
        out.push('.');
        out
    };
    Some(RunValidity {
        run: run.id.clone(),
        benchmark: bench.map(|b| b.name.clone()),
        scenario,
        loadgen_result: loadgen_result.into(),
        verdict: verdict.into(),
        summary,
        checks,
        accuracy_targets: bench
            .map(|b| b.accuracy.iter().map(AccuracyTarget::describe).collect())
            .unwrap_or_default(),
        constraint_source: bench.and(constraints().map(|c| c.source.clone())),
        goodput: super::perf::goodput(run).map(|g| g.text),
    })
}

/// Every reason a run is INVALID, in plain words with the numbers and fix.
pub fn invalid_reasons(run: &LoadGenRun) -> Vec<String> {
    let Some(v) = explain(run) else {
        return Vec::new();
    };
    let mut out: Vec<String> = v
        .checks
        .iter()
        .filter(|c| !c.met)
        .map(|c| match &c.fix {
            Some(f) => format!("{}: {f}.", capitalise(&c.text)),
            None => format!("{}.", capitalise(&c.text)),
        })
        .collect();
    if out.is_empty() && v.verdict == "INVALID" {
        out.push("INVALID without a stated reason in the summary; see the detail log.".into());
    }
    out
}

fn capitalise(s: &str) -> String {
    // `p99 latency …` stays as written.
    if s.chars().nth(1).is_some_and(|c| c.is_ascii_digit()) {
        return s.to_string();
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constraint_table_parses_and_covers_the_llm_benchmarks() {
        let t = constraints().expect("constraints.toml parses");
        for name in [
            "llama2-70b-99",
            "llama2-70b-99.9",
            "llama3.1-8b",
            "llama3.1-405b",
        ] {
            let b = t.benchmark.iter().find(|b| b.name == name).expect(name);
            assert!(b.interactive.ttft_ms < b.server.ttft_ms);
            assert!(!b.accuracy.is_empty());
            assert_eq!(b.min_duration_ms, 600_000.0);
        }
    }

    fn run_at(id: &str) -> LoadGenRun {
        LoadGenRun {
            id: id.into(),
            node: None,
            step: None,
            summary: None,
            detail: None,
            trace: None,
            accuracy: None,
            accuracy_result: None,
            submission: None,
        }
    }

    #[test]
    fn the_benchmark_comes_from_the_path_longest_alias_first() {
        let (b, i) = benchmark_of(&run_at(
            "x/results/sys/llama2-70b-99.9/Interactive/performance/run_1",
        ));
        assert_eq!(b.map(|b| b.name.as_str()), Some("llama2-70b-99.9"));
        assert!(i);
        let (b, i) = benchmark_of(&run_at("r/llama3_1-8b/Server/performance/run_1"));
        assert_eq!(b.map(|b| b.name.as_str()), Some("llama3.1-8b"));
        assert!(!i);
        assert!(benchmark_of(&run_at("nodes/a/loadgen/offline")).0.is_none());
    }

    #[test]
    fn the_submission_path_names_the_benchmark_first() {
        // A folder name the path heuristics would not find (`-interactive`
        // suffix under a scenario folder) is read from the submission path.
        let mut r = run_at("sub/results/sys/llama2-70b-99.9/Interactive/performance/run_1");
        r.submission = crate::parse::submission::path_info(&r.id);
        let (b, i) = benchmark_of(&r);
        assert_eq!(b.map(|b| b.name.as_str()), Some("llama2-70b-99.9"));
        assert!(i);
        let mut r = run_at("sub/results/sys/llama2-70b-interactive/Server/performance/run_1");
        r.submission = crate::parse::submission::path_info(&r.id);
        let (b, i) = benchmark_of(&r);
        assert_eq!(b.map(|b| b.name.as_str()), Some("llama2-70b-99"));
        assert!(i, "the -interactive folder suffix means Interactive");
        assert!(!in_accuracy_dir(&r));
        let mut r = run_at("sub/results/sys/llama3.1-8b/Offline/TEST06/accuracy");
        r.submission = crate::parse::submission::path_info(&r.id);
        assert_eq!(
            benchmark_of(&r).0.map(|b| b.name.as_str()),
            Some("llama3.1-8b")
        );
        assert!(in_accuracy_dir(&r));
        // Unknown benchmark folder: the heuristics still run.
        let mut r = run_at("sub/results/sys/mixtral-8x7b/Offline/performance/run_1");
        r.submission = crate::parse::submission::path_info(&r.id);
        assert!(benchmark_of(&r).0.is_none());
    }

    fn result(metrics: &[(&str, f64)]) -> AccuracyResult {
        let mut r = AccuracyResult::default();
        for (i, (k, v)) in metrics.iter().enumerate() {
            r.metrics.insert(
                k.to_string(),
                AccuracyMetric {
                    value: *v,
                    line: i as u64 + 1,
                },
            );
        }
        r
    }

    #[test]
    fn accuracy_targets_pass_or_fail_with_the_gap() {
        let t = constraints().unwrap();
        let b = t
            .benchmark
            .iter()
            .find(|b| b.name == "llama2-70b-99")
            .unwrap();
        let ok = result(&[
            ("rouge1", 44.4465),
            ("rouge2", 22.0638),
            ("rougeL", 28.625),
            ("tokens_per_sample", 301.1),
        ]);
        let checks = accuracy_checks(b, &ok);
        let texts: Vec<&str> = checks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "ROUGE1 44.4465 ≥ 43.9869 (99% of 44.4312) passes",
                "ROUGE2 22.0638 ≥ 21.8148 (99% of 22.0352) passes",
                "ROUGEL 28.625 ≥ 28.33 (99% of 28.6162) passes",
                "TOKENS_PER_SAMPLE 301.1 within 265.005 – 323.895 (90–110% of 294.45) passes",
            ]
        );
        assert!(checks.iter().all(|c| c.met && c.source == "accuracy"));
        let bad = result(&[
            ("rouge1", 43.5),
            ("ROUGE2", 22.1),
            ("tokens_per_sample", 340.0),
        ]);
        let checks = accuracy_checks(b, &bad);
        let failed: Vec<(&str, &str)> = checks
            .iter()
            .filter(|c| !c.met)
            .map(|c| (c.id.as_str(), c.text.as_str()))
            .collect();
        assert_eq!(
            failed,
            [
                (
                    "accuracy_rouge1",
                    "ROUGE1 43.5 is below 43.9869 (99% of 44.4312) by 0.4869 (1.11% short)"
                ),
                (
                    "accuracy_rougel",
                    "ROUGEL not reported in accuracy.txt (required: ROUGEL ≥ 28.33 (99% of 28.6162))"
                ),
                (
                    "accuracy_tokens_per_sample",
                    "TOKENS_PER_SAMPLE 340 is above 323.895 (110% of 294.45) by 16.105"
                ),
            ]
        );
    }

    #[test]
    fn an_accuracy_run_without_a_result_block_is_judged_by_its_accuracy() {
        let mut r = run_at("sub/results/sys/llama2-70b-99/Offline/accuracy");
        r.submission = crate::parse::submission::path_info(&r.id);
        r.accuracy_result = Some((
            "sub/results/sys/llama2-70b-99/Offline/accuracy/accuracy.txt".into(),
            result(&[("rouge1", 43.0)]),
        ));
        let v = explain(&r).expect("accuracy.txt alone is explained");
        assert_eq!(v.loadgen_result, "UNKNOWN");
        assert_eq!(v.verdict, "INVALID");
        assert!(
            v.summary
                .starts_with("Offline accuracy run INVALID — ROUGE1 43 is below 43.9869"),
            "{}",
            v.summary
        );
        r.accuracy_result = None;
        assert!(explain(&r).is_none());
    }

    #[test]
    fn accuracy_targets_read_in_words() {
        let t = constraints().unwrap();
        let b = &t.benchmark[0];
        assert_eq!(
            b.accuracy[0].describe(),
            "ROUGE1 ≥ 43.9869 (99% of 44.4312)"
        );
        assert!(
            b.accuracy[3]
                .describe()
                .starts_with("TOKENS_PER_SAMPLE within 265.005 – 323.895")
        );
    }
}
