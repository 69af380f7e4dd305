//! View of `report.loadgen_extra`: trace-derived distributions and
//! timelines (shown inside Performance) and the "MLPerf submission and
//! accuracy" section (submission paths, accuracy logs and results, system
//! descriptions, `measurements.json`, settings files).
//!
//! Same rules as [`super::view`]: every string pre-formatted and escaped for
//! the target, `—` or a sentence for what the inputs did not say.

use serde::Serialize;

use crate::model::{
    AccuracyCountCheck, AccuracyLog, AccuracyMetric, ComplianceTest, ComplianceVerdict,
    Distribution, Report, RunExtra, SubmissionPath,
};

use super::timecharts::{MAX_TRACE_RUNS, trace_plan};
use super::view::{ChartRef, DASH, Esc, fmt_count, fmt_fixed, fmt_ms, fmt_pct, fmt_trim, plural};

/// Distributions and timelines from `mlperf_log_trace.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TracesView {
    /// One row per run with a trace, in run order.
    pub runs: Vec<TraceRunView>,
    /// Charted runs, each with its charts.
    pub charts: Vec<TraceChartsView>,
    /// `Charts for the first 8 of 12 traced runs…`, or empty.
    pub charts_note: String,
    /// Shown when no trace was read.
    pub empty_note: String,
}

/// One run's trace.
#[derive(Debug, Clone, Serialize)]
pub struct TraceRunView {
    /// Run id.
    pub run: String,
    /// Node, or `—`.
    pub node: String,
    /// The trace file.
    pub source: String,
    /// Samples completed.
    pub samples: String,
    /// Latency percentiles and extremes.
    pub latency: DistributionView,
    /// Time to first token, all `—` for non-token runs.
    pub ttft: DistributionView,
    /// Which events TTFT came from, or `—`.
    pub ttft_source: String,
    /// Last completion, seconds from the test start.
    pub last_completion: String,
    /// `complete` or `cut short`.
    pub state: String,
    /// CSS tone for `state`.
    pub tone: String,
    /// Skipped events and other caveats, or `—`.
    pub notes: String,
}

/// A distribution, formatted (milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct DistributionView {
    /// Values seen.
    pub count: String,
    /// Minimum.
    pub min: String,
    /// Mean.
    pub mean: String,
    /// Median estimate.
    pub p50: String,
    /// 90th percentile estimate.
    pub p90: String,
    /// 99th percentile estimate.
    pub p99: String,
    /// Maximum.
    pub max: String,
}

/// The charts of one traced run.
#[derive(Debug, Clone, Serialize)]
pub struct TraceChartsView {
    /// Run id.
    pub run: String,
    /// Latency/TTFT histogram, when drawn.
    pub latency: Option<ChartRef>,
    /// Issued/completed timeline, when drawn.
    pub timeline: Option<ChartRef>,
}

/// The "MLPerf submission and accuracy" section.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionView {
    /// True when any part has data; otherwise only `empty_note` is shown.
    pub has_data: bool,
    /// Shown when the section has no data: what input would fill it.
    pub empty_note: String,
    /// Runs inside a submission tree.
    pub runs: Vec<SubmissionRunView>,
    /// Shown when no run sits in a submission tree.
    pub runs_empty_note: String,
    /// Accuracy logs.
    pub accuracy_logs: Vec<AccuracyLogView>,
    /// Shown when no accuracy log was read.
    pub accuracy_logs_empty_note: String,
    /// `accuracy.txt` results.
    pub results: Vec<AccuracyResultView>,
    /// Compliance tests: one row per verification file, found or missing.
    pub compliance: Vec<ComplianceRowView>,
    /// Shown when no `accuracy.txt` was read.
    pub results_empty_note: String,
    /// System descriptions.
    pub systems: Vec<SystemView>,
    /// Shown when no `systems/*.json` was read.
    pub systems_empty_note: String,
    /// `measurements.json` files.
    pub measurements: Vec<MeasurementsView>,
    /// Settings files.
    pub configs: Vec<ConfigView>,
    /// Overrides listed over all settings files.
    pub overrides_total: String,
}

/// One run in a submission tree.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionRunView {
    /// Run id.
    pub run: String,
    /// System folder.
    pub system: String,
    /// Benchmark folder.
    pub benchmark: String,
    /// Scenario.
    pub scenario: String,
    /// `performance run_1`, `accuracy`, `TEST06 accuracy`.
    pub kind: String,
    /// `closed / AMD`, or `—`.
    pub division: String,
    /// `systems/SYSTEM.json`, or `not found`.
    pub system_file: String,
}

/// One accuracy log.
#[derive(Debug, Clone, Serialize)]
pub struct AccuracyLogView {
    /// Run id.
    pub run: String,
    /// The file.
    pub source: String,
    /// Entries.
    pub entries: String,
    /// Distinct `qsl_idx`.
    pub distinct: String,
    /// Repeated `qsl_idx`.
    pub duplicates: String,
    /// `0–255`.
    pub qsl_range: String,
    /// Tokens per response, or `—`.
    pub tokens: String,
    /// `complete`, `truncated (…)`, `cut short (…)`.
    pub file_state: String,
    /// Entries against samples issued.
    pub count_check: String,
    /// `matches`, `MISMATCH`, `not checked`.
    pub count_status: String,
    /// CSS tone for `count_status`.
    pub count_tone: String,
}

/// One `accuracy.txt`.
#[derive(Debug, Clone, Serialize)]
pub struct AccuracyResultView {
    /// Run id.
    pub run: String,
    /// The file.
    pub source: String,
    /// `rouge1 = 45.2287`, by name.
    pub metrics: Vec<String>,
    /// `2 pass, 1 fail`, or `none`.
    pub checks: String,
    /// CSS tone for `checks`.
    pub checks_tone: String,
    /// The pass/fail lines (capped).
    pub check_lines: Vec<String>,
    /// Accuracy-log hash, or `not recorded`.
    pub hash: String,
}

/// One compliance verification file (or a missing one) of a test.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceRowView {
    /// `TEST01`, or `—` outside a test folder.
    pub test: String,
    /// `system / benchmark / scenario`.
    pub scope: String,
    /// The file (`…/TEST01/verify_performance.txt`), or the expected path
    /// when missing.
    pub source: String,
    /// `PASS`, `FAIL`, `INCOMPLETE` or `MISSING`.
    pub verdict: String,
    /// CSS tone for `verdict`.
    pub tone: String,
    /// The numbers behind the verdict: scores and their difference, or the
    /// counters; `—` when there are none.
    pub numbers: String,
    /// The pass/fail lines, `line N: TEXT` (capped).
    pub lines: Vec<String>,
}

/// One system description.
#[derive(Debug, Clone, Serialize)]
pub struct SystemView {
    /// File stem (the folder name runs use).
    pub name: String,
    /// The file.
    pub source: String,
    /// `system_name`.
    pub system_name: String,
    /// `submitter`.
    pub submitter: String,
    /// `closed, available, datacenter`.
    pub category: String,
    /// Nodes.
    pub nodes: String,
    /// `8 × AMD Instinct MI300X (192 GB)`.
    pub accelerators: String,
    /// `2 × AMD EPYC 9575F, 64 cores each`.
    pub host: String,
    /// Host memory.
    pub host_memory: String,
    /// Operating system.
    pub os: String,
    /// Framework, as the submitter wrote it.
    pub framework: String,
    /// Other software, as the submitter wrote it.
    pub other_software: String,
}

/// One `measurements.json`.
#[derive(Debug, Clone, Serialize)]
pub struct MeasurementsView {
    /// The file.
    pub source: String,
    /// `system / benchmark / scenario`.
    pub scope: String,
    /// Input data types.
    pub input_data_types: String,
    /// Weight data types.
    pub weight_data_types: String,
    /// Weight transformations.
    pub weight_transformations: String,
    /// Retraining.
    pub retraining: String,
    /// Starting weights.
    pub starting_weights: String,
    /// `all fields present`, or the missing ones.
    pub missing: String,
}

/// One settings file.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigView {
    /// The file.
    pub source: String,
    /// `system / benchmark / scenario`, or `—`.
    pub scope: String,
    /// Settings.
    pub entries: String,
    /// Models named.
    pub models: String,
    /// Lines that were not settings.
    pub malformed: String,
    /// `model.scenario.key = value (line N)`: a `user.conf`'s overrides.
    pub overrides: Vec<String>,
}

fn dist(d: Option<&Distribution>) -> DistributionView {
    let ms = |v: u64| fmt_ms(Some(v as f64));
    match d.filter(|d| d.count > 0) {
        Some(d) => DistributionView {
            count: fmt_count(d.count),
            min: ms(d.min_ns),
            mean: ms(d.mean_ns),
            p50: ms(d.p50_ns),
            p90: ms(d.p90_ns),
            p99: ms(d.p99_ns),
            max: ms(d.max_ns),
        },
        None => DistributionView {
            count: DASH.to_string(),
            min: DASH.to_string(),
            mean: DASH.to_string(),
            p50: DASH.to_string(),
            p90: DASH.to_string(),
            p99: DASH.to_string(),
            max: DASH.to_string(),
        },
    }
}

/// The traces part of Performance.
pub(super) fn traces(report: &Report, esc: Esc) -> TracesView {
    let runs = report
        .loadgen_extra
        .runs
        .iter()
        .filter_map(|r| Some((r, r.trace.as_ref()?)))
        .map(|(r, t)| {
            let v = &t.value;
            let mut notes = Vec::new();
            if v.defective_events > 0 {
                notes.push(format!(
                    "{} skipped (LoadGen's doubled-quote defect; harmless)",
                    plural(v.defective_events, "event", "events")
                ));
            }
            if v.malformed_events > 0 {
                notes.push(format!(
                    "{} not valid JSON",
                    plural(v.malformed_events, "event", "events")
                ));
            }
            if v.oversized_events > 0 {
                notes.push(format!(
                    "{} over the size cap",
                    plural(v.oversized_events, "event", "events")
                ));
            }
            TraceRunView {
                run: esc.or(Some(&r.run), DASH),
                node: esc.or(r.node.as_deref(), DASH),
                source: esc.t(&t.path),
                samples: fmt_count(v.samples),
                latency: dist(v.latency.as_ref()),
                ttft: dist(v.ttft.as_ref()),
                ttft_source: match v.ttft_source.as_deref() {
                    Some("Token") => "Token events".to_string(),
                    Some("Token_Latency") => esc.t("Token_Latency counters"),
                    Some(other) => esc.or(Some(other), DASH),
                    None => DASH.to_string(),
                },
                last_completion: v
                    .last_completion_s
                    .filter(|s| s.is_finite())
                    .map(|s| format!("{} s", fmt_trim(s, 3)))
                    .unwrap_or_else(|| DASH.to_string()),
                state: if v.complete {
                    "complete"
                } else {
                    "cut short: no LastTrace event"
                }
                .to_string(),
                tone: if v.complete { "good" } else { "warn" }.to_string(),
                notes: if notes.is_empty() {
                    DASH.to_string()
                } else {
                    notes.join("; ")
                },
            }
        })
        .collect();
    let plan = trace_plan(report);
    let charts = plan
        .items
        .iter()
        .filter_map(|p| {
            let r = report.loadgen_extra.runs.get(p.run)?;
            let id = esc.or(Some(&r.run), DASH);
            let at = r
                .node
                .as_deref()
                .map(|n| format!(" on {}", esc.or(Some(n), DASH)))
                .unwrap_or_default();
            Some(TraceChartsView {
                latency: p.latency.as_ref().map(|c| ChartRef {
                    name: c.name.clone(),
                    file: format!("charts/{}.svg", c.name),
                    title: if r.trace.as_ref().is_some_and(|t| {
                        t.value
                            .ttft
                            .as_ref()
                            .is_some_and(|d| d.buckets.iter().any(|b| b.count > 0))
                    }) {
                        format!("Latency and TTFT distribution of {id}{at}")
                    } else {
                        format!("Latency distribution of {id}{at}")
                    },
                }),
                timeline: p.timeline.as_ref().map(|c| ChartRef {
                    name: c.name.clone(),
                    file: format!("charts/{}.svg", c.name),
                    title: format!("Samples issued and completed over time, {id}{at}"),
                }),
                run: id,
            })
        })
        .collect();
    TracesView {
        runs,
        charts,
        charts_note: if plan.eligible > plan.items.len() {
            format!(
                "Charts for the first {MAX_TRACE_RUNS} of {} traced runs; the table lists every run.",
                plan.eligible
            )
        } else {
            String::new()
        },
        empty_note: esc.t("No LoadGen trace (mlperf_log_trace.json) was read: latency and TTFT distributions and the issue and completion timeline need one (LoadGen writes it when log_settings.enable_trace is set)."),
    }
}

fn scenario_text(s: &SubmissionPath, esc: Esc) -> String {
    match s.scenario {
        Some(sc) => sc.as_str().to_string(),
        None => esc.or(Some(&s.scenario_dir), DASH),
    }
}

fn kind_text(s: &SubmissionPath, esc: Esc) -> String {
    let parts: Vec<String> = [s.kind.as_deref(), s.mode.as_deref(), s.run.as_deref()]
        .into_iter()
        .flatten()
        .map(|p| esc.t(p))
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        "scenario folder".to_string()
    } else {
        parts.join(" ")
    }
}

fn scope_text(s: Option<&SubmissionPath>, esc: Esc) -> String {
    match s {
        Some(s) => format!(
            "{} / {} / {}",
            esc.or(s.system.as_deref(), DASH),
            esc.or(Some(&s.benchmark), DASH),
            scenario_text(s, esc)
        ),
        None => DASH.to_string(),
    }
}

fn accuracy_log_view(r: &RunExtra, esc: Esc) -> Option<AccuracyLogView> {
    let log = r.accuracy_log.as_ref();
    let check = r.accuracy_count.as_ref();
    if log.is_none() && check.is_none() {
        return None;
    }
    let l: Option<&AccuracyLog> = log.map(|l| &l.value);
    let (count_check, count_status, count_tone) = count_check(check);
    Some(AccuracyLogView {
        run: esc.or(Some(&r.run), DASH),
        source: log
            .map(|l| esc.t(&l.path))
            .unwrap_or_else(|| "no accuracy log found".to_string()),
        entries: l.map_or_else(|| DASH.to_string(), |l| fmt_count(l.entries)),
        distinct: match l {
            None => DASH.to_string(),
            Some(l) if !l.dedup_checked => esc.t("not checked (qsl_idx beyond 16 Mi)"),
            Some(l) => l
                .distinct_qsl_idx
                .map(fmt_count)
                .unwrap_or_else(|| DASH.to_string()),
        },
        duplicates: match l.and_then(|l| l.duplicates) {
            Some(d) => fmt_count(d),
            None => DASH.to_string(),
        },
        qsl_range: match l.map(|l| (l.min_qsl_idx, l.max_qsl_idx)) {
            Some((Some(a), Some(b))) => format!("{}–{}", fmt_count(a), fmt_count(b)),
            _ => DASH.to_string(),
        },
        tokens: match l
            .and_then(|l| l.token_count.as_ref())
            .filter(|t| t.count > 0)
        {
            Some(t) => format!(
                "{} over {} ({}–{} per response)",
                plural(t.sum, "token", "tokens"),
                plural(t.count, "response", "responses"),
                fmt_count(t.min),
                fmt_count(t.max)
            ),
            None => DASH.to_string(),
        },
        file_state: match l {
            None => DASH.to_string(),
            Some(l) => {
                let mut s = if l.truncated {
                    "truncated for publication: counts cover the kept entries".to_string()
                } else if l.complete {
                    "complete".to_string()
                } else {
                    "cut short: no closing bracket".to_string()
                };
                if l.truncated && !l.complete {
                    s.push_str("; no closing bracket");
                }
                if l.malformed_lines > 0 {
                    s.push_str(&format!(
                        "; {} not understood",
                        plural(l.malformed_lines, "line", "lines")
                    ));
                }
                s
            }
        },
        count_check,
        count_status,
        count_tone,
    })
}

fn count_check(check: Option<&AccuracyCountCheck>) -> (String, String, String) {
    let Some(c) = check else {
        return (
            "no accuracy-mode detail log to compare with".to_string(),
            "not checked".to_string(),
            "na".to_string(),
        );
    };
    let expected = if c.exact {
        format!("{} issued", fmt_count(c.expected))
    } else {
        format!("at least {} issued", fmt_count(c.expected))
    };
    // A tiny share must not print as 0.0%, which would read as none.
    let coverage = match c.coverage.filter(|v| v.is_finite()) {
        Some(v) if v > 0.0 && v < 0.001 => ", under 0.1% of samples covered".to_string(),
        Some(v) => format!(", {} of samples covered", fmt_pct(Some(v), 1)),
        None => String::new(),
    };
    (
        format!(
            "{} for {expected}{coverage}",
            plural(c.entries, "entry", "entries")
        ),
        if c.matches { "matches" } else { "MISMATCH" }.to_string(),
        if c.matches { "good" } else { "bad" }.to_string(),
    )
}

/// The "MLPerf submission and accuracy" section.
pub(super) fn submission(report: &Report, esc: Esc) -> SubmissionView {
    let x = &report.loadgen_extra;
    let runs: Vec<SubmissionRunView> = x
        .runs
        .iter()
        .filter_map(|r| {
            let s = r.submission.as_ref()?;
            Some(SubmissionRunView {
                run: esc.or(Some(&r.run), DASH),
                system: esc.or(s.system.as_deref(), DASH),
                benchmark: esc.or(Some(&s.benchmark), DASH),
                scenario: scenario_text(s, esc),
                kind: kind_text(s, esc),
                division: match (s.division.as_deref(), s.org.as_deref()) {
                    (None, None) => DASH.to_string(),
                    (d, o) => format!("{} / {}", esc.or(d, DASH), esc.or(o, DASH)),
                },
                system_file: esc.or(r.system_file.as_deref(), "not found"),
            })
        })
        .collect();
    let accuracy_logs: Vec<AccuracyLogView> = x
        .runs
        .iter()
        .filter_map(|r| accuracy_log_view(r, esc))
        .collect();
    let results: Vec<AccuracyResultView> = x
        .runs
        .iter()
        .filter_map(|r| Some((r, r.accuracy_result.as_ref()?)))
        .map(|(r, a)| {
            let v = &a.value;
            let pass = v
                .checks
                .items
                .iter()
                .filter(|c| c.passed == Some(true))
                .count();
            let fail = v
                .checks
                .items
                .iter()
                .filter(|c| c.passed == Some(false))
                .count();
            let unclear = v.checks.items.len() - pass - fail;
            let mut checks = Vec::new();
            if pass > 0 {
                checks.push(format!("{pass} pass"));
            }
            if fail > 0 {
                checks.push(format!("{fail} FAIL"));
            }
            if unclear > 0 {
                checks.push(format!("{unclear} unclear"));
            }
            let more = v.checks.total.saturating_sub(v.checks.items.len() as u64);
            if more > 0 {
                checks.push(format!("{} more not kept", fmt_count(more)));
            }
            AccuracyResultView {
                run: esc.or(Some(&r.run), DASH),
                source: esc.t(&a.path),
                metrics: v
                    .metrics
                    .iter()
                    .map(|(k, m)| format!("{} = {}", esc.or(Some(k), DASH), metric_value(m.value)))
                    .collect(),
                checks: if checks.is_empty() {
                    "none".to_string()
                } else {
                    checks.join(", ")
                },
                checks_tone: if fail > 0 {
                    "bad"
                } else if pass > 0 {
                    "good"
                } else {
                    "na"
                }
                .to_string(),
                check_lines: v
                    .checks
                    .items
                    .iter()
                    .map(|c| format!("line {}: {}", c.line, esc.or(Some(&c.text), DASH)))
                    .collect(),
                hash: esc.or(v.hash.as_deref(), "not recorded"),
            }
        })
        .collect();
    let compliance = compliance_rows(&x.compliance, esc);
    let systems: Vec<SystemView> = x
        .systems
        .iter()
        .map(|s| {
            let d = &s.description;
            let o = |v: &Option<String>| esc.or(v.as_deref(), DASH);
            let category: Vec<String> = [&d.division, &d.status, &d.system_type]
                .into_iter()
                .filter_map(|v| v.as_deref())
                .map(|v| esc.t(v))
                .filter(|v| !v.is_empty())
                .collect();
            let accelerators = match (&d.accelerator_model_name, d.accelerators_per_node) {
                (None, None) => DASH.to_string(),
                (m, n) => {
                    let mut s = format!(
                        "{} × {}",
                        n.map(fmt_count).unwrap_or_else(|| "?".to_string()),
                        o(m)
                    );
                    if let Some(mem) = d.accelerator_memory_capacity.as_deref() {
                        s.push_str(&format!(" ({})", esc.t(mem)));
                    }
                    s
                }
            };
            let host = match (&d.host_processor_model_name, d.host_processors_per_node) {
                (None, None) => DASH.to_string(),
                (m, n) => {
                    let mut s = format!(
                        "{} × {}",
                        n.map(fmt_count).unwrap_or_else(|| "?".to_string()),
                        o(m)
                    );
                    if let Some(c) = d.host_processor_core_count {
                        s.push_str(&format!(", {} cores each", fmt_count(c)));
                    }
                    s
                }
            };
            SystemView {
                name: esc.or(Some(&s.name), DASH),
                source: esc.t(&s.path),
                system_name: o(&d.system_name),
                submitter: o(&d.submitter),
                category: if category.is_empty() {
                    DASH.to_string()
                } else {
                    category.join(", ")
                },
                nodes: d
                    .number_of_nodes
                    .map(fmt_count)
                    .unwrap_or_else(|| DASH.to_string()),
                accelerators,
                host,
                host_memory: o(&d.host_memory_capacity),
                os: o(&d.operating_system),
                framework: o(&d.framework),
                other_software: o(&d.other_software_stack),
            }
        })
        .collect();
    let measurements: Vec<MeasurementsView> = x
        .measurements
        .iter()
        .map(|m| {
            let v = &m.measurements;
            let o = |s: &Option<String>| esc.or(s.as_deref(), DASH);
            MeasurementsView {
                source: esc.t(&m.path),
                scope: scope_text(m.scope.as_ref(), esc),
                input_data_types: o(&v.input_data_types),
                weight_data_types: o(&v.weight_data_types),
                weight_transformations: o(&v.weight_transformations),
                retraining: o(&v.retraining),
                starting_weights: o(&v.starting_weights_filename),
                missing: if v.missing.is_empty() {
                    "all fields present".to_string()
                } else {
                    format!("missing: {}", esc.join(&v.missing, DASH))
                },
            }
        })
        .collect();
    let configs: Vec<ConfigView> = x
        .configs
        .iter()
        .map(|c| ConfigView {
            source: esc.t(&c.path),
            scope: scope_text(c.scope.as_ref(), esc),
            entries: fmt_count(c.entries),
            models: esc.join(&c.models, DASH),
            malformed: fmt_count(c.malformed_lines),
            overrides: c
                .overrides
                .iter()
                .map(|e| {
                    format!(
                        "{}.{}.{} = {} (line {})",
                        esc.t(&e.model),
                        esc.t(&e.scenario),
                        esc.t(&e.key),
                        esc.t(&e.value),
                        e.line
                    )
                })
                .collect(),
        })
        .collect();
    let has_data = !(runs.is_empty()
        && accuracy_logs.is_empty()
        && results.is_empty()
        && compliance.is_empty()
        && systems.is_empty()
        && measurements.is_empty()
        && configs.is_empty());
    SubmissionView {
        has_data,
        empty_note: esc.t("No submission tree, accuracy log with entries, accuracy.txt, systems/*.json, measurements.json or user.conf/mlperf.conf was read: this section is filled by a submission's results/SYSTEM/BENCHMARK/SCENARIO/ folders and their accuracy outputs."),
        runs,
        runs_empty_note: esc.t("No run sits in a submission tree (closed or open/ORG/results/SYSTEM/BENCHMARK/SCENARIO/…), so system, benchmark and scenario come from the logs only."),
        accuracy_logs,
        accuracy_logs_empty_note: esc.t("No accuracy log (mlperf_log_accuracy.json) with entries, and no accuracy-mode run, was read."),
        results,
        results_empty_note: esc.t("No accuracy.txt from the reference accuracy scripts was read: accuracy metrics are not assessed."),
        compliance,
        systems,
        systems_empty_note: esc.t("No system description (systems/SYSTEM.json) was read."),
        measurements,
        overrides_total: fmt_count(configs.iter().map(|c| c.overrides.len() as u64).sum()),
        configs,
    }
}

/// The compliance table: each test's verification files in path order,
/// then the ones it lacks.
fn compliance_rows(tests: &[ComplianceTest], esc: Esc) -> Vec<ComplianceRowView> {
    let mut rows = Vec::new();
    for t in tests {
        let test = esc.or(t.test.as_deref(), DASH);
        let scope = scope_text(t.scope.as_ref(), esc);
        for f in &t.files {
            let v = &f.value;
            let (verdict, tone) = match v.verdict {
                ComplianceVerdict::Pass => ("PASS", "good"),
                ComplianceVerdict::Fail => ("FAIL", "bad"),
                ComplianceVerdict::Incomplete => ("INCOMPLETE", "warn"),
            };
            let numbers = match (&v.reference_score, &v.test_score) {
                (None, None) if v.counters.is_empty() => DASH.to_string(),
                (None, None) => v
                    .counters
                    .iter()
                    .map(|(k, m)| format!("{} = {}", esc.t(k), metric_value(m.value)))
                    .collect::<Vec<_>>()
                    .join("; "),
                (r, t) => {
                    let score = |m: &Option<AccuracyMetric>| {
                        m.as_ref()
                            .map_or_else(|| "not found".to_string(), |m| metric_value(m.value))
                    };
                    let mut s = format!("reference score {}, test score {}", score(r), score(t));
                    if let Some(d) = v.relative_difference.filter(|d| d.is_finite()) {
                        let sign = if d < 0.0 { "−" } else { "+" };
                        s.push_str(&format!(" ({sign}{})", fmt_pct(Some(d.abs()), 2)));
                    }
                    s
                }
            };
            let mut lines: Vec<String> = v
                .checks
                .items
                .iter()
                .map(|c| format!("line {}: {}", c.line, esc.or(Some(&c.text), DASH)))
                .collect();
            // TEST06's verdict is its `verification complete` line, which is
            // not a pass/fail line.
            if let Some(n) = v
                .verdict_line
                .filter(|n| !v.checks.items.iter().any(|c| c.line == *n))
            {
                lines.push(format!(
                    "line {n}: {}",
                    esc.or(v.verdict_text.as_deref(), DASH)
                ));
            }
            let more = v.checks.total.saturating_sub(v.checks.items.len() as u64);
            if more > 0 {
                lines.push(format!("{} more not kept", plural(more, "line", "lines")));
            }
            rows.push(ComplianceRowView {
                test: test.clone(),
                scope: scope.clone(),
                source: esc.t(&f.path),
                verdict: verdict.to_string(),
                tone: tone.to_string(),
                numbers,
                lines,
            });
        }
        for m in &t.missing {
            rows.push(ComplianceRowView {
                test: test.clone(),
                scope: scope.clone(),
                source: esc.t(&format!("{}/{m}", t.folder)),
                verdict: "MISSING".to_string(),
                tone: "warn".to_string(),
                numbers: DASH.to_string(),
                lines: Vec::new(),
            });
        }
    }
    rows
}

/// Metric values keep up to four decimals (`45.2287`, `4,165,860`).
fn metric_value(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1000.0 {
        fmt_fixed(v, 0)
    } else {
        fmt_trim(v, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_values_read_well() {
        assert_eq!(metric_value(45.22874), "45.2287");
        assert_eq!(metric_value(4_165_860.0), "4,165,860");
        assert_eq!(metric_value(73.2), "73.2");
        assert_eq!(metric_value(f64::NAN), "—");
    }
}
