//! LoadGen artifacts beyond summary and detail: the trace, the accuracy log,
//! accuracy-script results, settings files, and what a submission tree's
//! path says about a run.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::artifacts::{Capped, Scenario};

/// A latency-like quantity (nanoseconds) summarised from a fixed-memory,
/// log-spaced histogram: exact count, min, max and mean; percentiles are
/// estimates within the bucket resolution (16 buckets per power of two, so
/// within ±3.2 % of the true value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Distribution {
    /// Values seen.
    pub count: u64,
    /// Smallest value, exact.
    pub min_ns: u64,
    /// Largest value, exact.
    pub max_ns: u64,
    /// Mean, exact up to rounding to the nanosecond.
    pub mean_ns: u64,
    /// Population standard deviation, computed over every value (Welford's
    /// online algorithm, not the histogram), rounded to the nanosecond.
    pub stddev_ns: u64,
    /// Median estimate.
    pub p50_ns: u64,
    /// 90th percentile estimate.
    pub p90_ns: u64,
    /// 99th percentile estimate.
    pub p99_ns: u64,
    /// Non-empty buckets, coarsened so there are at most
    /// [`CHART_BUCKETS_MAX`], for a distribution chart.
    pub buckets: Vec<HistogramBucket>,
    /// Non-empty buckets at full resolution (16 per power of two, at most
    /// 976), so analysis can count the values under a limit. Not written to
    /// the report: `buckets` is what charts need.
    #[serde(skip)]
    pub fine_buckets: Vec<HistogramBucket>,
}

/// How many values of a [`Distribution`] are at or under a limit: exact
/// when the limit is below the minimum or at least the maximum, otherwise
/// bounded by the one bucket that straddles the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountWithin {
    /// Values surely at or under the limit.
    pub at_least: u64,
    /// Estimate: the straddling bucket's values spread evenly over its range.
    pub estimate: f64,
    /// Values possibly at or under the limit.
    pub at_most: u64,
}

impl Distribution {
    /// Values at or under `limit_ns`. `None` when the limit falls inside the
    /// range of values but the full-resolution buckets are not at hand.
    pub fn count_within(&self, limit_ns: u64) -> Option<CountWithin> {
        let exact = |n: u64| CountWithin {
            at_least: n,
            estimate: n as f64,
            at_most: n,
        };
        if self.count == 0 || limit_ns < self.min_ns {
            return Some(exact(0));
        }
        if limit_ns >= self.max_ns {
            return Some(exact(self.count));
        }
        if self.fine_buckets.is_empty() {
            return None;
        }
        let (mut sure, mut maybe, mut estimate) = (0u64, 0u64, 0.0f64);
        for b in &self.fine_buckets {
            // The bucket's values lie in [lo, hi], narrowed to the exact
            // min and max, as for the percentile estimates.
            let lo = b.lower_ns.max(self.min_ns);
            let hi = b.upper_ns.saturating_sub(1).min(self.max_ns).max(lo);
            if hi <= limit_ns {
                sure += b.count;
                estimate += b.count as f64;
            } else if lo <= limit_ns {
                maybe += b.count;
                let span = (hi - lo) as f64 + 1.0;
                let share = ((limit_ns - lo) as f64 + 1.0) / span;
                estimate += b.count as f64 * share.clamp(0.0, 1.0);
            }
        }
        Some(CountWithin {
            at_least: sure,
            estimate,
            at_most: sure + maybe,
        })
    }
}

/// Most buckets a [`Distribution`] hands to charts.
pub const CHART_BUCKETS_MAX: usize = 48;

/// One histogram bar: values in `[lower_ns, upper_ns)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HistogramBucket {
    /// Inclusive lower bound.
    pub lower_ns: u64,
    /// Exclusive upper bound.
    pub upper_ns: u64,
    /// Values in the bucket.
    pub count: u64,
}

/// Samples issued and completed over time, in equal bins from the trace's
/// origin (LoadGen's test start, `ts` 0). The bin width doubles as the run
/// grows, so there are never more than [`TIMELINE_BINS`] bins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TraceTimeline {
    /// Width of one bin, microseconds.
    pub bin_us: u64,
    /// Samples issued per bin (from completed samples' issue times).
    pub issued: Vec<u64>,
    /// Samples completed per bin.
    pub completed: Vec<u64>,
}

/// Most bins in a [`TraceTimeline`].
pub const TIMELINE_BINS: usize = 100;

/// `mlperf_log_trace.json`, streamed into fixed-size aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct LoadGenTrace {
    /// `traceEvents` object (`{"traceEvents":[…]}`) or bare `array`.
    pub layout: Option<String>,
    /// Event objects read.
    pub events: u64,
    /// Events per name; names past the first 64 are counted under `(other)`.
    pub event_names: BTreeMap<String, u64>,
    /// `Sample` begin events: LoadGen writes one per completed sample.
    pub samples: u64,
    /// Sample latency (`complete_ns`: scheduled → completed), as LoadGen
    /// measures it.
    pub latency: Option<Distribution>,
    /// Time to first token (token runs): from `Token` begin events (Offline,
    /// SingleStream) or, when there are none, `Token_Latency` counters
    /// (Server: `issue_delay + issue_to_done`).
    pub ttft: Option<Distribution>,
    /// Which events `ttft` came from (`Token` or `Token_Latency`).
    pub ttft_source: Option<String>,
    /// Issued/completed samples over time.
    pub timeline: Option<TraceTimeline>,
    /// Time of the last sample completion, seconds from the trace origin.
    pub last_completion_s: Option<f64>,
    /// Events skipped because of LoadGen's doubled-quote defect
    /// (`"args":{"key":""loadgen_version""}` in `LogDetail`/`LogSummary`).
    pub defective_events: u64,
    /// Other events that were not valid JSON.
    pub malformed_events: u64,
    /// Events longer than the per-event cap (skipped).
    pub oversized_events: u64,
    /// True when LoadGen's closing `LastTrace` event was seen.
    pub complete: bool,
}

/// Summary statistics of a count (tokens per response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CountStats {
    /// Values seen.
    pub count: u64,
    /// Sum of the values.
    pub sum: u64,
    /// Smallest value.
    pub min: u64,
    /// Largest value.
    pub max: u64,
}

/// `mlperf_log_accuracy.json`: entry count, qsl_idx coverage, duplicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AccuracyLog {
    /// Entries (`{ "seq_id" : …, "qsl_idx" : … }`) read.
    pub entries: u64,
    /// Distinct `qsl_idx` values; `None` when an index was beyond the
    /// checked range (see `dedup_checked`).
    pub distinct_qsl_idx: Option<u64>,
    /// Entries repeating an earlier `qsl_idx`; `None` when not checked.
    pub duplicates: Option<u64>,
    /// Smallest `qsl_idx`.
    pub min_qsl_idx: Option<u64>,
    /// Largest `qsl_idx`.
    pub max_qsl_idx: Option<u64>,
    /// False when some `qsl_idx` was at or above the checked range (16 Mi
    /// indices), so distinct and duplicate counts are not given.
    pub dedup_checked: bool,
    /// `token_count` of token-run entries.
    pub token_count: Option<CountStats>,
    /// The file was cut by `truncate_accuracy_log.py` (a `...` line between
    /// the first and last 4 KiB, as in published submissions): counts cover
    /// only the entries that survived.
    pub truncated: bool,
    /// The closing `]` was seen.
    pub complete: bool,
    /// Lines that looked like neither an entry nor array punctuation.
    pub malformed_lines: u64,
}

/// One metric from `accuracy.txt`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AccuracyMetric {
    /// The value (quoted numbers such as `'23.9'` are read as numbers).
    pub value: f64,
    /// 1-based line.
    pub line: u64,
}

/// A pass/fail line (`First token check pass: True`, `TEST PASS`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AccuracyCheck {
    /// 1-based line.
    pub line: u64,
    /// The line, trimmed and capped.
    pub text: String,
    /// `Some(true)` pass, `Some(false)` fail, `None` skipped or unclear.
    pub passed: Option<bool>,
}

/// `accuracy.txt` from the reference accuracy scripts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AccuracyResult {
    /// Metrics by name (`rouge1`, `gen_len`, `FID_SCORE`, `mAP`, …); the
    /// first value of a name wins.
    pub metrics: BTreeMap<String, AccuracyMetric>,
    /// Pass/fail lines.
    pub checks: Capped<AccuracyCheck>,
    /// `hash=<sha256>` of the accuracy log, which the submission checker
    /// requires.
    pub hash: Option<String>,
    /// Lines read.
    pub lines: u64,
}

/// Verdict of a compliance test's verification output. Ordered from best
/// to worst, so the worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceVerdict {
    /// `TEST PASS`, or every TEST06 check passed and the script finished.
    Pass,
    /// The file is there but has no verdict (the script did not finish),
    /// or a verification file the test needs is missing.
    #[default]
    Incomplete,
    /// `TEST FAIL`, or a TEST06 check failed.
    Fail,
}

impl ComplianceVerdict {
    /// Name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceVerdict::Pass => "pass",
            ComplianceVerdict::Incomplete => "incomplete",
            ComplianceVerdict::Fail => "fail",
        }
    }
}

/// `verify_accuracy.txt` / `verify_performance.txt`, written by the MLPerf
/// compliance scripts in a `TEST0N` folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ComplianceVerify {
    /// `accuracy` or `performance`, from the file name.
    pub check: String,
    /// What the file concludes.
    pub verdict: ComplianceVerdict,
    /// 1-based line the verdict was read from (`TEST PASS`, the failing
    /// check, `TEST06 verification complete`); none when incomplete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_line: Option<u64>,
    /// The text of that line, trimmed and capped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_text: Option<String>,
    /// `name = number` counters (TEST01's `num_acc_log_entries`, …), by
    /// name; the first value of a name wins.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, AccuracyMetric>,
    /// `Reference score = X` (any case): the run without the test's audit
    /// settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_score: Option<AccuracyMetric>,
    /// `Test score = Y` (any case): the run with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_score: Option<AccuracyMetric>,
    /// (test − reference) / reference, when both scores were read and the
    /// reference is not zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_difference: Option<f64>,
    /// Every pass/fail line (`First token check pass: Skipped`, `TEST PASS`).
    pub checks: Capped<AccuracyCheck>,
    /// Lines read.
    pub lines: u64,
}

/// One compliance test folder (`…/<scenario>/TEST0N`) and its verification
/// outputs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ComplianceTest {
    /// The folder, relative to the root.
    pub folder: String,
    /// `TEST01`, `TEST04`, `TEST06`, …; none when a verification file sits
    /// outside a test folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// System, benchmark and scenario from the path, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SubmissionPath>,
    /// The worst verdict of its files; `incomplete` also when a file in
    /// `missing` is missing.
    pub verdict: ComplianceVerdict,
    /// The verification outputs read, by path.
    pub files: Vec<Located<ComplianceVerify>>,
    /// Verification files the submission checker needs for this test
    /// (TEST01: both, TEST04: `verify_performance.txt`, TEST06:
    /// `verify_accuracy.txt`) that were not found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// One `model.scenario.key = value` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConfigEntry {
    /// 1-based line.
    pub line: u64,
    /// Model (`llama2-70b`, or `*`).
    pub model: String,
    /// Scenario (`Offline`, or `*`).
    pub scenario: String,
    /// Setting (`target_qps`).
    pub key: String,
    /// Value as written.
    pub value: String,
}

/// Most entries kept per settings file (`mlperf.conf` has about 150).
pub const CONFIG_ENTRIES_KEPT: usize = 512;

/// `user.conf` / `mlperf.conf` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LoadGenConfig {
    /// Settings in file order, the first [`CONFIG_ENTRIES_KEPT`].
    pub entries: Vec<ConfigEntry>,
    /// Settings in the file, kept or not.
    pub total_entries: u64,
    /// Non-comment lines that were not `model.scenario.key = value`.
    pub malformed_lines: u64,
}

/// `systems/<system>.json`: the fields reports show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SystemDescription {
    /// `system_name`.
    pub system_name: Option<String>,
    /// `submitter`.
    pub submitter: Option<String>,
    /// `division`.
    pub division: Option<String>,
    /// `status` (available, preview, rdi).
    pub status: Option<String>,
    /// `system_type` (datacenter, edge).
    pub system_type: Option<String>,
    /// `number_of_nodes`.
    pub number_of_nodes: Option<u64>,
    /// `accelerator_model_name`.
    pub accelerator_model_name: Option<String>,
    /// `accelerators_per_node`.
    pub accelerators_per_node: Option<u64>,
    /// `accelerator_memory_capacity`.
    pub accelerator_memory_capacity: Option<String>,
    /// `host_processor_model_name`.
    pub host_processor_model_name: Option<String>,
    /// `host_processors_per_node`.
    pub host_processors_per_node: Option<u64>,
    /// `host_processor_core_count`.
    pub host_processor_core_count: Option<u64>,
    /// `host_memory_capacity`.
    pub host_memory_capacity: Option<String>,
    /// `framework` (software versions as the submitter wrote them).
    pub framework: Option<String>,
    /// `operating_system`.
    pub operating_system: Option<String>,
    /// `other_software_stack`.
    pub other_software_stack: Option<String>,
}

/// `measurements.json`: how the model was prepared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Measurements {
    /// `input_data_types`.
    pub input_data_types: Option<String>,
    /// `retraining`.
    pub retraining: Option<String>,
    /// `starting_weights_filename`.
    pub starting_weights_filename: Option<String>,
    /// `weight_data_types`.
    pub weight_data_types: Option<String>,
    /// `weight_transformations`.
    pub weight_transformations: Option<String>,
    /// Of the five fields above, those the file lacks.
    pub missing: Vec<String>,
}

/// Submission metadata files: `systems/<system>.json`, `measurements.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SubmissionMeta {
    /// A system description, when the file is one.
    pub system: Option<SystemDescription>,
    /// Model-preparation facts, when the file is `measurements.json`.
    pub measurements: Option<Measurements>,
    /// Top-level keys in the file.
    pub keys: u64,
}

/// What a submission-tree path says about a run
/// (`closed|open/<org>/results/<system>/<benchmark>/<scenario>/…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SubmissionPath {
    /// `closed`, `open` or `network`, when the path reaches that high.
    pub division: Option<String>,
    /// Submitting organisation, when the path reaches that high.
    pub org: Option<String>,
    /// System folder name (matches `systems/<system>.json`), when present.
    pub system: Option<String>,
    /// Benchmark folder name as written (`llama2-70b-99`).
    pub benchmark: String,
    /// Scenario, `Interactive` included.
    pub scenario: Option<Scenario>,
    /// Scenario folder as written (`Server`, `server`).
    pub scenario_dir: String,
    /// `performance`, `accuracy` or a compliance test (`TEST06`); `None`
    /// for the scenario folder itself (settings, `measurements.json`).
    pub kind: Option<String>,
    /// For compliance tests: the `performance`/`accuracy` sub-folder.
    pub mode: Option<String>,
    /// `run_1`, or `ranging`/`power` for power submissions.
    pub run: Option<String>,
}

/// A parse with the path it came from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Located<T> {
    /// Path relative to the artifacts root.
    pub path: String,
    /// What was read.
    #[serde(flatten)]
    pub value: T,
}

/// Whether an accuracy-mode run's accuracy log has one entry per sample
/// issued.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AccuracyCountCheck {
    /// Samples the detail log says were issued.
    pub expected: u64,
    /// Where `expected` came from.
    pub source: String,
    /// False when `expected` is only a lower bound (older LoadGen logs
    /// record the first loadable set, not the whole accuracy pass).
    pub exact: bool,
    /// Entries in the accuracy log.
    pub entries: u64,
    /// Distinct `qsl_idx` over `expected`, when known.
    pub coverage: Option<f64>,
    /// True when the counts agree (equal, or at least the lower bound).
    pub matches: bool,
}

/// One run's extra LoadGen artifacts and submission context.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RunExtra {
    /// Run id (its folder relative to the root).
    pub run: String,
    /// Node, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// What the submission path says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<SubmissionPath>,
    /// `systems/<system>.json` describing the run's system, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_file: Option<String>,
    /// Trace statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Located<LoadGenTrace>>,
    /// Accuracy-log coverage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_log: Option<Located<AccuracyLog>>,
    /// Accuracy-log count against the samples issued (accuracy mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_count: Option<AccuracyCountCheck>,
    /// Accuracy-script metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_result: Option<Located<AccuracyResult>>,
}

/// A system description with its file and folder name.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SystemEntry {
    /// The file's stem: the system folder name runs use.
    pub name: String,
    /// Path relative to the root.
    pub path: String,
    /// The description.
    #[serde(flatten)]
    pub description: SystemDescription,
}

/// A `measurements.json` with where it sits.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MeasurementsEntry {
    /// Path relative to the root.
    pub path: String,
    /// System, benchmark and scenario from the path, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SubmissionPath>,
    /// The fields.
    #[serde(flatten)]
    pub measurements: Measurements,
}

/// Most `user.conf` entries listed per file in the report.
pub const CONFIG_ENTRIES_REPORTED: usize = 50;

/// One settings file, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigSummary {
    /// Path relative to the root.
    pub path: String,
    /// System, benchmark and scenario from the path, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SubmissionPath>,
    /// Settings in the file.
    pub entries: u64,
    /// Distinct models named (`*` included), sorted.
    pub models: Vec<String>,
    /// Lines that were not settings.
    pub malformed_lines: u64,
    /// For `user.conf` (the submitter's overrides): the settings themselves,
    /// the first [`CONFIG_ENTRIES_REPORTED`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<ConfigEntry>,
}

/// Report section for these artifacts (`report.json` → `loadgen_extra`).
/// Empty lists are left out, so a campaign without these artifacts has an
/// empty section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct LoadGenExtraReport {
    /// Runs with a trace, a non-empty or accuracy-mode accuracy log, an
    /// accuracy result, or a submission path; by run id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunExtra>,
    /// System descriptions, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<SystemEntry>,
    /// `measurements.json` files, by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<MeasurementsEntry>,
    /// Settings files, by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<ConfigSummary>,
    /// Compliance tests (`TEST0N` folders) with their verification
    /// outputs, by folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compliance: Vec<ComplianceTest>,
}
