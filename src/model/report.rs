//! The analysed report. Its JSON serialisation is the `report.json` contract
//! (schema_version 1): keys are only ever added within a major version.
//!
//! The published JSON Schema (`docs/report.schema.json`) is generated from
//! these types with `schemars`, so **every type reachable from [`Report`]
//! must derive `JsonSchema`** next to `Serialize` (including the section
//! types in `gpu_probes`, `loadgen_extra`, `platform` and `software`, and any
//! type their fields use). Changing a field here changes the schema: run
//! `UPDATE_SCHEMA=1 cargo test schema` and commit the regenerated file; see
//! `docs/report-json.md` for the compatibility rule.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::artifacts::{Outcome, Scenario};
use super::baseline::BaselineComparison;
use super::gpu_probes::GpuProbesReport;
use super::loadgen_extra::LoadGenExtraReport;
use super::platform::PlatformReport;
use super::software::SoftwareReport;
use super::source::{Evidence, ParseWarning, Severity};
use super::training::TrainingReport;

/// Version of the `report.json` layout. Bump the major on any removal or
/// change of meaning; additions keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Report {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Which tool wrote it.
    pub tool: Tool,
    /// Report title.
    pub title: String,
    /// RFC 3339 time, only when `--generated-at` or `SOURCE_DATE_EPOCH` was
    /// given: reports are reproducible by default.
    pub generated_at: Option<String>,
    /// What was read.
    pub inputs: Inputs,
    /// The overall score.
    pub overall: Overall,
    /// One entry per component, in fixed order.
    pub components: Vec<Component>,
    /// Nodes and their GPUs.
    pub nodes: Vec<NodeReport>,
    /// LoadGen runs.
    pub runs: Vec<RunReport>,
    /// Harness steps (task × host).
    pub steps: Vec<StepReport>,
    /// Classified findings, most severe first.
    pub findings: Vec<Finding>,
    /// Every category, with its event count and status.
    pub categories: Vec<CategoryRow>,
    /// Cross-run performance comparison.
    pub performance: Performance,
    /// Versions per node, and whether they agree.
    pub software: Vec<SoftwareRow>,
    /// Recommendations derived from findings, most severe first.
    pub recommendations: Vec<Recommendation>,
    /// LoadGen traces, accuracy logs and results, settings files, submission metadata.
    pub loadgen_extra: LoadGenExtraReport,
    /// nvidia-smi CSV/telemetry/text and DCGM diagnostics.
    pub gpu_probes: GpuProbesReport,
    /// Kernel logs, Kubernetes objects, generic run records.
    pub platform: PlatformReport,
    /// Software-stack dumps per node.
    pub software_inventory: SoftwareReport,
    /// MLPerf Training logs: time-to-train, convergence, compliance; absent
    /// when no training log was read.
    #[serde(default, skip_serializing_if = "TrainingReport::is_empty")]
    pub training: TrainingReport,
    /// Comparison with an earlier report (`report --baseline`); absent
    /// without one, so reports without a baseline are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// Likely root causes linked to the failures they explain.
    pub causes: Vec<CauseLink>,
    /// Per-run MLPerf validity, explained against the benchmark's constraints.
    pub validity: Vec<RunValidity>,
    /// Scaling efficiency of multi-node / multi-GPU runs against a baseline.
    pub scaling: Vec<ScalingRow>,
    /// Throughput and latency consistency between nodes, outlier named.
    pub consistency: Vec<NodeConsistency>,
}

/// Tool identity.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Tool {
    /// `mlperf-health`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// A file or folder that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Unreadable {
    /// Path relative to the root.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What was read.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Inputs {
    /// The artifacts root as given.
    pub root: String,
    /// Files found.
    pub files_total: u64,
    /// Files recognised as a known artifact kind.
    pub files_recognized: u64,
    /// Files not recognised (listed in `unrecognized`).
    pub files_unrecognized: u64,
    /// Files or folders that could not be read (capped at [`LIST_CAP`]).
    pub unreadable: Vec<Unreadable>,
    /// How many files or folders could not be read, listed or not.
    pub unreadable_total: u64,
    /// Count of files per kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Unrecognised paths (capped at [`LIST_CAP`]; the count above is exact).
    pub unrecognized: Vec<String>,
    /// Parse warnings (capped at [`LIST_CAP`]).
    pub warnings: Vec<ParseWarning>,
    /// Total parse warnings.
    pub warnings_total: u64,
}

/// Longest list of paths or warnings kept in the report; counts stay exact.
pub const LIST_CAP: usize = 200;

/// A health status word. Colour is never the only signal: every renderer
/// prints this word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 90–100.
    Excellent,
    /// 75–89.
    Good,
    /// 60–74.
    Moderate,
    /// 40–59.
    Poor,
    /// 0–39.
    Critical,
    /// No data: never counted as healthy.
    NotAssessed,
}

impl Status {
    /// The status for a 0–100 score, or not assessed.
    pub fn from_score(score: Option<f64>) -> Status {
        match score {
            None => Status::NotAssessed,
            Some(s) if s >= 90.0 => Status::Excellent,
            Some(s) if s >= 75.0 => Status::Good,
            Some(s) if s >= 60.0 => Status::Moderate,
            Some(s) if s >= 40.0 => Status::Poor,
            Some(_) => Status::Critical,
        }
    }

    /// Name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Excellent => "excellent",
            Status::Good => "good",
            Status::Moderate => "moderate",
            Status::Poor => "poor",
            Status::Critical => "critical",
            Status::NotAssessed => "not_assessed",
        }
    }
}

/// The overall score.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Overall {
    /// Weighted mean of assessed components, capped by the worst severity;
    /// `None` when nothing could be assessed.
    pub score: Option<f64>,
    /// Status word for `score`.
    pub status: Status,
    /// The weighted mean before the severity cap.
    pub weighted_mean: Option<f64>,
    /// The cap applied by the worst severity present, if any.
    pub cap: Option<f64>,
    /// The worst severity among findings.
    pub worst_severity: Option<Severity>,
    /// Assessed components / all components.
    pub components_assessed: u32,
    /// Share of expected probes present, 0–1 (see `docs/scoring.md`).
    pub coverage: f64,
    /// One sentence, in plain words.
    pub verdict: String,
}

/// A scored component.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Component {
    /// `network`, `hardware`, `software`, `reliability`, `performance`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// 0–100, or `None` when not assessed.
    pub score: Option<f64>,
    /// Status word.
    pub status: Status,
    /// Weight in the overall mean.
    pub weight: f64,
    /// Share of this component's expected inputs that were present, 0–1.
    pub coverage: f64,
    /// What the coverage counts, in words.
    pub coverage_note: String,
    /// Why it is not assessed, when it is not.
    pub not_assessed_reason: Option<String>,
    /// Every check that ran.
    pub checks: Vec<Check>,
}

/// One named check inside a component.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Check {
    /// Stable id (`reliability.step_failures`).
    pub id: String,
    /// What was checked, in words.
    pub title: String,
    /// Whether it passed.
    pub passed: bool,
    /// Points taken off the component score.
    pub deduction: f64,
    /// What was found, in words (with the numbers).
    pub detail: String,
    /// Evidence behind it.
    pub evidence: Vec<Evidence>,
}

/// A node and its GPUs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NodeReport {
    /// Node name.
    pub name: String,
    /// `healthy`, `degraded`, `unhealthy` or `not_assessed`, from the node's
    /// worst finding severity and whether it has probes.
    pub verdict: String,
    /// Probe files read for this node.
    pub probes: Vec<String>,
    /// Reachable per the harness: `None` when no harness record names it.
    pub reachable: Option<bool>,
    /// Steps that succeeded on this node.
    pub steps_ok: u64,
    /// Steps that failed, timed out or were unreachable on this node.
    pub steps_failed: u64,
    /// Worst severity among findings touching this node.
    pub worst_severity: Option<Severity>,
    /// GPUs from the node's probes.
    pub gpus: Vec<GpuReport>,
}

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct GpuReport {
    /// Index within the node.
    pub index: u32,
    /// Product name.
    pub name: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// PCI bus id.
    pub pci_bus_id: Option<String>,
    /// Framebuffer memory, MiB.
    pub memory_total_mib: Option<f64>,
    /// Framebuffer memory used, MiB.
    pub memory_used_mib: Option<f64>,
    /// Driver version of the dump.
    pub driver_version: Option<String>,
    /// CUDA version of the dump.
    pub cuda_version: Option<String>,
    /// GPU temperature, °C.
    pub temperature_c: Option<f64>,
    /// Slowdown threshold, °C.
    pub temperature_slowdown_c: Option<f64>,
    /// Power draw, W.
    pub power_draw_w: Option<f64>,
    /// Power limit, W.
    pub power_limit_w: Option<f64>,
    /// SM clock, MHz.
    pub sm_clock_mhz: Option<f64>,
    /// ECC mode.
    pub ecc_mode: Option<String>,
    /// Uncorrectable ECC errors (volatile, or aggregate when volatile is absent).
    pub ecc_uncorrectable: Option<u64>,
    /// Retired pages.
    pub retired_pages: Option<u64>,
    /// Uncorrectable remapped rows.
    pub remapped_rows_uncorrectable: Option<u64>,
    /// Active throttle reasons.
    pub throttle_reasons_active: Vec<String>,
    /// Where it was read.
    pub evidence: Option<Evidence>,
}

/// Latency statistics in the contract's shape (nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct LatencySummary {
    /// Minimum.
    pub min: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// 50th percentile.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

/// Per-run metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct RunMetrics {
    /// Samples per second (the scenario's throughput metric).
    pub samples_per_second: Option<f64>,
    /// Tokens per second (token runs).
    pub tokens_per_second: Option<f64>,
    /// Per-sample latency.
    pub latency_ns: LatencySummary,
    /// Time to first token.
    pub ttft_ns: LatencySummary,
    /// Time per output token.
    pub tpot_ns: LatencySummary,
    /// Population standard deviation of per-sample latency, ns (from the
    /// trace: LoadGen's summary has no standard deviation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_stddev_ns: Option<f64>,
    /// Coefficient of variation of per-sample latency (stddev / mean over
    /// the trace's samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_cv: Option<f64>,
    /// Population standard deviation of time to first token, ns (trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_stddev_ns: Option<f64>,
    /// Coefficient of variation of time to first token (trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_cv: Option<f64>,
    /// Where the standard deviations come from (`trace <path> …`), or why
    /// there are none (`needs the trace …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stddev_source: Option<String>,
    /// Share of queries within the latency constraint, from the trace
    /// (Server and Interactive runs with a trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput: Option<Goodput>,
}

/// Goodput: the share of a run's queries within its latency constraint,
/// counted from the trace's per-query histogram. The histogram has 16
/// buckets per power of two, so the count is exact when the limit lies
/// outside the range of values and otherwise bounded by the one bucket
/// that straddles the limit (`within_min`…`within_max`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Goodput {
    /// What is counted per query: `ttft` (token runs) or `latency`.
    pub metric: String,
    /// The limit, ns (a query within it has a value at or under it).
    pub limit_ns: f64,
    /// Where the limit comes from (the benchmark's published constraint,
    /// or the run's LoadGen setting).
    pub limit_source: String,
    /// Queries in the trace's histogram.
    pub queries: u64,
    /// Estimated queries within the limit.
    pub within: f64,
    /// Queries surely within the limit.
    pub within_min: u64,
    /// Queries possibly within the limit.
    pub within_max: u64,
    /// `within / queries`, 0–1.
    pub share: f64,
    /// `within_min / queries`.
    pub share_min: f64,
    /// `within_max / queries`.
    pub share_max: f64,
    /// Whether the count is exact or how wide the bucket bound is, in words.
    pub resolution: String,
    /// Constraints not counted per query, and why (TPOT: the trace has no
    /// per-query token counts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<String>,
    /// Plain words: `goodput 93.1 % of 12,345 queries within TTFT ≤ 2 s …`.
    pub text: String,
}

/// One LoadGen run.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RunReport {
    /// Run directory relative to the root.
    pub id: String,
    /// Node it ran on.
    pub node: Option<String>,
    /// LoadGen scenario.
    pub scenario: Option<Scenario>,
    /// LoadGen mode.
    pub mode: Option<String>,
    /// `VALID`, `INVALID`, or `UNKNOWN` when no result block was found.
    pub result: String,
    /// Exit code of the harness step that ran it, when linked.
    pub exit_code: Option<i64>,
    /// Duration from the detail log, seconds.
    pub duration_s: Option<f64>,
    /// Metrics.
    pub metrics: RunMetrics,
    /// Every reason the run is invalid, in plain words.
    pub invalid_reasons: Vec<String>,
    /// LoadGen errors in the detail log.
    pub loadgen_errors: u64,
    /// LoadGen warnings in the detail log.
    pub loadgen_warnings: u64,
    /// Requested vs effective settings that differ: key → (requested, effective).
    pub settings_changed: BTreeMap<String, (String, String)>,
    /// Key effective settings (target QPS, latency bounds, durations).
    pub settings: BTreeMap<String, String>,
    /// The step that ran it, when linked.
    pub step: Option<String>,
    /// Evidence for the result and each reason.
    pub evidence: Vec<Evidence>,
}

/// One harness step on one node.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StepReport {
    /// Task name.
    pub name: String,
    /// Node.
    pub node: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Exit code.
    pub exit_code: Option<i64>,
    /// Duration, seconds.
    pub duration_s: Option<f64>,
    /// Killed by a timeout.
    pub timed_out: bool,
    /// Harness message, capped.
    pub message: Option<String>,
    /// The category of the most severe finding on this step, if any.
    pub category: Option<String>,
    /// Where the result sits.
    pub evidence: Evidence,
}

/// A classified finding: one rule, aggregated over nodes and steps.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    /// Category id.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Short title.
    pub title: String,
    /// De-duplicated events.
    pub count: u64,
    /// Raw matching lines (or signals) before de-duplication.
    pub raw_count: u64,
    /// Nodes touched, sorted.
    pub nodes: Vec<String>,
    /// Steps touched, sorted.
    pub steps: Vec<String>,
    /// Up to three evidence lines.
    pub evidence: Vec<Evidence>,
    /// What to do about it.
    pub remediation: String,
    /// `active`: seen in this run.
    pub status: String,
    /// Impact text from the category × severity table.
    pub impact: String,
    /// Rule ids of findings that likely caused this one (see `causes`).
    pub caused_by: Vec<String>,
    /// True when this finding is the likely root cause of another one.
    pub root_cause: bool,
}

/// One row of the error-classification table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CategoryRow {
    /// Category id.
    pub category: String,
    /// Display name.
    pub name: String,
    /// De-duplicated events in this category.
    pub events: u64,
    /// Worst severity among its findings.
    pub severity: Option<Severity>,
    /// `active` (seen), `not_observed` (checked, nothing found) or
    /// `not_assessed` (nothing that could show it was read).
    pub status: String,
    /// Impact text.
    pub impact: String,
}

/// Cross-run performance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Performance {
    /// One group per (scenario, mode, token/non-token) with two or more
    /// nodes or runs.
    pub groups: Vec<PerfGroup>,
}

/// Throughput and latency consistency within a group of comparable runs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PerfGroup {
    /// Group label (`Offline PerformanceOnly`).
    pub key: String,
    /// Run ids in the group.
    pub runs: Vec<String>,
    /// Nodes in the group.
    pub nodes: Vec<String>,
    /// Samples/s: mean over runs.
    pub throughput_mean: Option<f64>,
    /// Samples/s: population standard deviation.
    pub throughput_stddev: Option<f64>,
    /// Coefficient of variation (stddev / mean), 0–1.
    pub throughput_cv: Option<f64>,
    /// (max − min) / max, 0–1.
    pub throughput_spread: Option<f64>,
    /// The slowest node when the spread is notable.
    pub slowest_node: Option<String>,
    /// p99 latency CV across runs, 0–1.
    pub latency_p99_cv: Option<f64>,
}

/// A version per node, and whether nodes agree.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SoftwareRow {
    /// What (`NVIDIA driver`, `CUDA`, `LoadGen`).
    pub component: String,
    /// Node → version.
    pub versions: BTreeMap<String, String>,
    /// All nodes report the same version.
    pub consistent: bool,
    /// Where each version was read.
    pub evidence: Vec<Evidence>,
}

/// A recommendation derived from findings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Recommendation {
    /// Priority (the worst severity of its findings).
    pub severity: Severity,
    /// Category.
    pub category: String,
    /// What to do.
    pub text: String,
    /// Rules it comes from.
    pub rules: Vec<String>,
    /// Nodes it concerns.
    pub nodes: Vec<String>,
}

/// A likely root cause and the failures it explains.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CauseLink {
    /// Rule id of the cause finding.
    pub cause: String,
    /// Rule ids of the consequence findings, sorted.
    pub consequences: Vec<String>,
    /// Nodes where cause and consequence meet, sorted.
    pub nodes: Vec<String>,
    /// Steps concerned, sorted.
    pub steps: Vec<String>,
    /// Why the two are linked, in plain words.
    pub why: String,
    /// The cause's evidence first, then the consequence's.
    pub evidence: Vec<Evidence>,
}

/// One requirement a run was checked against.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RequirementCheck {
    /// Stable id (`ttft_p99`, `tpot_p99`, `latency`, `min_duration`,
    /// `min_queries`, `early_stopping`, `benchmark_ttft_limit`, …).
    pub id: String,
    /// `loadgen` (LoadGen's own verdict), `benchmark` (the published
    /// constraint from `constraints.toml`) or `accuracy` (an accuracy
    /// target from `constraints.toml` against `accuracy.txt`).
    pub source: String,
    /// Whether the requirement is met.
    pub met: bool,
    /// Measured value, in `unit`.
    pub actual: Option<f64>,
    /// Required value, in `unit`.
    pub limit: Option<f64>,
    /// Unit of `actual` and `limit` (`ms`, `queries`, `samples`).
    pub unit: String,
    /// Plain words, with the numbers and by how much.
    pub text: String,
    /// What to do when it is not met.
    pub fix: Option<String>,
}

/// Validity of one LoadGen run, explained.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RunValidity {
    /// Run id.
    pub run: String,
    /// Benchmark, from the submission path or SUT name, when known.
    pub benchmark: Option<String>,
    /// Scenario used for the constraints (`Interactive` from the path).
    pub scenario: Option<String>,
    /// LoadGen's own verdict: `VALID`, `INVALID` or `UNKNOWN`.
    pub loadgen_result: String,
    /// Verdict after the benchmark's published constraints.
    pub verdict: String,
    /// One sentence: the verdict and every failed requirement with its fix.
    pub summary: String,
    /// Every requirement checked.
    pub checks: Vec<RequirementCheck>,
    /// Accuracy targets of the benchmark, in plain words (checked against
    /// `accuracy.txt` when the run has one: `source: accuracy` checks).
    pub accuracy_targets: Vec<String>,
    /// Where the constraints come from.
    pub constraint_source: Option<String>,
    /// Goodput in words, when the run has a trace to count it from (see
    /// `runs[].metrics.goodput`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput: Option<String>,
}

/// Combined throughput of a multi-node or multi-GPU run against a
/// single-node / single-GPU baseline of the same benchmark and scenario.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ScalingRow {
    /// What is compared (benchmark and scenario).
    pub key: String,
    /// Metric compared (`samples/s` or `tokens/s`).
    pub metric: String,
    /// Baseline run id.
    pub baseline_run: String,
    /// Baseline throughput.
    pub baseline: f64,
    /// Units (nodes or GPUs) of the baseline.
    pub baseline_units: u32,
    /// Scaled run ids (one multi-node run, or the per-node runs combined).
    pub runs: Vec<String>,
    /// Combined throughput of the scaled runs.
    pub combined: f64,
    /// Units of the scaled configuration.
    pub units: u32,
    /// What a unit is (`nodes` or `GPUs`).
    pub unit: String,
    /// combined / (baseline × units / baseline_units), 0–1+.
    pub efficiency: f64,
    /// The formula with the numbers.
    pub formula: String,
}

/// Spread of one metric across nodes, with the outlier named.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NodeConsistency {
    /// Group key (as in `performance.groups`).
    pub key: String,
    /// `samples/s`, `tokens/s` or `p99 latency ms`.
    pub metric: String,
    /// Node → value.
    pub values: BTreeMap<String, f64>,
    /// Mean over nodes.
    pub mean: f64,
    /// Population standard deviation.
    pub stddev: f64,
    /// stddev / mean.
    pub cv: f64,
    /// The node furthest from the mean.
    pub outlier_node: String,
    /// Its deviation from the mean, relative (−0.25 = 25 % below).
    pub outlier_deviation: f64,
    /// Plain words.
    pub text: String,
}
