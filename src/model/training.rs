//! MLPerf Training and HPC `result_*.txt` logs (`:::MLLOG` lines written by
//! the `mlperf-logging` package): what the parser keeps of one log, and the
//! report section built from all of them (time-to-train per run, the
//! benchmark result the way `result_summarizer` computes it, convergence and
//! compliance).
//!
//! Parse types are bounded: a 1 MB multi-rank log becomes a few kilobytes
//! (first/last marks of the lifecycle keys, key counts, a capped
//! eval-accuracy curve, capped seed and hyperparameter lists).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::source::Evidence;

/// Most eval-accuracy points kept per log; the count beside keeps the true
/// total. Real logs have tens (llama31_8b) to a few hundred.
pub const EVAL_POINTS_KEPT: usize = 1000;

/// Most distinct keys counted per log; further keys are counted together.
pub const KEYS_KEPT: usize = 256;

/// Most hyperparameters kept per log.
pub const HYPERPARAMETERS_KEPT: usize = 64;

/// Most distinct seed records kept per log.
pub const SEEDS_KEPT: usize = 16;

/// Longest value kept for a string field (org, platform, hyperparameter).
pub const VALUE_MAX: usize = 160;

/// A value read from one `:::MLLOG` line, with the 1-based file line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LoggedValue {
    /// The value as text (JSON strings unquoted, numbers as written).
    pub value: String,
    /// 1-based line in the log.
    pub line: u64,
}

/// Where a lifecycle event (`init_start`, `run_stop`, …) was logged.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EventMark {
    /// `time_ms` (Unix epoch milliseconds), when it was a number.
    pub time_ms: Option<f64>,
    /// 1-based line in the log.
    pub line: u64,
    /// The line itself from `:::MLLOG` on (rank prefixes dropped), capped.
    pub text: String,
}

/// First and last occurrence of a lifecycle key. Multi-rank logs repeat
/// `init_start` once per rank; the compliance rules care about both ends.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EventSpan {
    /// First occurrence, in file order.
    pub first: EventMark,
    /// Last occurrence, in file order (same as `first` when seen once).
    pub last: EventMark,
}

/// One `eval_accuracy` event.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EvalPoint {
    /// The quality metric (accuracy, AUC, log perplexity, …).
    pub value: f64,
    /// `metadata.epoch_num`, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_num: Option<f64>,
    /// `metadata.samples_count`, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_count: Option<f64>,
    /// `time_ms`, when it was a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<f64>,
    /// 1-based line in the log.
    pub line: u64,
}

/// One `seed` event: the seed checker compares (file, lineno, value) across
/// the runs of a benchmark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SeedRecord {
    /// The seed as logged.
    pub value: String,
    /// `metadata.file` of the logging call site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// `metadata.lineno` of the logging call site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineno: Option<u64>,
    /// 1-based line in the log.
    pub line: u64,
}

/// One `result_*.txt` training log, streamed into bounded aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct TrainingLog {
    /// Lines read.
    pub lines: u64,
    /// Lines holding `:::MLLOG ` that parsed as an event.
    pub mllog_lines: u64,
    /// Of those, lines with text before `:::MLLOG` (srun rank prefixes such
    /// as `0: `).
    pub prefixed_lines: u64,
    /// Lines holding more than one `:::MLLOG ` (ranks writing at once);
    /// only the last event of such a line is read, as the official parser
    /// does.
    pub merged_lines: u64,
    /// Lines holding `:::MLLOG ` whose JSON did not parse (interleaved ranks,
    /// cut lines).
    pub bad_lines: u64,
    /// Other lines (harness output, `:::SYSJSON`, `:::DLPAL`, shell traces).
    pub other_lines: u64,
    /// `submission_benchmark`.
    pub benchmark: Option<LoggedValue>,
    /// `submission_org`.
    pub org: Option<LoggedValue>,
    /// `submission_division` (`closed` / `open`).
    pub division: Option<LoggedValue>,
    /// `submission_platform`.
    pub platform: Option<LoggedValue>,
    /// `submission_status` (`onprem`, `cloud`, …).
    pub submission_status: Option<LoggedValue>,
    /// `init_start` occurrences.
    pub init_start: Option<EventSpan>,
    /// `init_stop` occurrences.
    pub init_stop: Option<EventSpan>,
    /// `run_start` occurrences: the time-to-train timer starts at the first.
    pub run_start: Option<EventSpan>,
    /// `run_stop` occurrences: the timer stops at the first.
    pub run_stop: Option<EventSpan>,
    /// `metadata.status` of the first `run_stop` (`success`, `aborted`).
    pub run_stop_status: Option<String>,
    /// `eval_accuracy` events in file order, at most [`EVAL_POINTS_KEPT`].
    pub eval: Vec<EvalPoint>,
    /// `eval_accuracy` events seen, kept or not.
    pub eval_total: u64,
    /// `eval_accuracy` events whose value was not a number (maskrcnn's
    /// `{BBOX, SEGM}`, stable diffusion's `{FID, CLIP}`).
    pub eval_non_numeric: u64,
    /// `epoch_start` events.
    pub epoch_starts: u64,
    /// `block_start` events.
    pub block_starts: u64,
    /// `global_batch_size` (first).
    pub global_batch_size: Option<LoggedValue>,
    /// Distinct `seed` records, at most [`SEEDS_KEPT`].
    pub seeds: Vec<SeedRecord>,
    /// `seed` events seen.
    pub seeds_total: u64,
    /// `target_accuracy`, where the harness logs it.
    pub target_accuracy: Option<LoggedValue>,
    /// `opt_*` and other run-defining keys (`gradient_accumulation_steps`,
    /// `train_samples`, `eval_samples`, `max_steps`, …): first value each,
    /// at most [`HYPERPARAMETERS_KEPT`].
    pub hyperparameters: BTreeMap<String, LoggedValue>,
    /// Events per key, for the occurrence rules; at most [`KEYS_KEPT`] keys.
    pub key_counts: BTreeMap<String, u64>,
    /// Events whose key was not counted because [`KEYS_KEPT`] was reached.
    pub keys_dropped: u64,
}

impl TrainingLog {
    /// How many times `key` was logged.
    pub fn count(&self, key: &str) -> u64 {
        self.key_counts.get(key).copied().unwrap_or(0)
    }
}

/// How a training run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrainingStatus {
    /// `run_stop` with `status: success`.
    Success,
    /// `run_stop` with `status: aborted`.
    Aborted,
    /// No `run_start` or no `run_stop`: the log ends before the run did.
    Incomplete,
    /// `run_stop` with no status, or one other than success/aborted.
    Other,
}

impl TrainingStatus {
    /// Name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingStatus::Success => "success",
            TrainingStatus::Aborted => "aborted",
            TrainingStatus::Incomplete => "incomplete",
            TrainingStatus::Other => "other",
        }
    }
}

/// The convergence target of a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TrainingTarget {
    /// Threshold on `eval_accuracy`.
    pub value: f64,
    /// Comparison that means "reached": `>=`, `>`, `<=` or `<`.
    pub op: String,
    /// Where the target comes from (a compliance-checker file, or the log's
    /// own `target_accuracy` line).
    pub source: String,
}

/// One point of an eval-accuracy curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct CurvePoint {
    /// Position on the curve's axis (see [`TrainingRunReport::curve_axis`]).
    pub x: f64,
    /// `eval_accuracy` value.
    pub value: f64,
}

/// The first evaluation that met the target.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TargetReached {
    /// The value that met it.
    pub value: f64,
    /// `epoch_num` of that evaluation, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_num: Option<f64>,
    /// `samples_count` of that evaluation, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_count: Option<f64>,
    /// 1-based position among the run's evaluations.
    pub eval_index: u64,
    /// Minutes from `run_start` to that evaluation, when both times are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<f64>,
    /// Where it was logged.
    pub evidence: Evidence,
}

/// A compliance rule a run does not satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ComplianceIssue {
    /// Rule id (`required_keys`, `event_order`, `seed`).
    pub rule: String,
    /// What is wrong, in words with the key names and counts.
    pub detail: String,
    /// Where it shows.
    pub evidence: Vec<Evidence>,
}

/// One training run (one `result_*.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TrainingRunReport {
    /// Path relative to the artifacts root.
    pub path: String,
    /// Folder the run is scored with (result_summarizer scores
    /// `<system>/<benchmark>/result_*.txt` together).
    pub group: String,
    /// Node, from `nodes/<name>/` in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// `submission_benchmark`.
    pub benchmark: Option<String>,
    /// `submission_org`.
    pub org: Option<String>,
    /// `submission_division`.
    pub division: Option<String>,
    /// `submission_platform`.
    pub platform: Option<String>,
    /// How the run ended.
    pub status: TrainingStatus,
    /// `metadata.status` of `run_stop` as logged.
    pub status_text: Option<String>,
    /// (`run_stop` − `run_start`) `time_ms` / 60,000.
    pub time_to_train_min: Option<f64>,
    /// The benchmark's convergence target, when known.
    pub target: Option<TrainingTarget>,
    /// Whether an evaluation met the target; `None` without a target or
    /// without evaluations.
    pub converged: Option<bool>,
    /// The first evaluation that met it.
    pub reached: Option<TargetReached>,
    /// Best `eval_accuracy` in the target's direction (highest when no
    /// target is known).
    pub best_eval: Option<f64>,
    /// `eval_accuracy` events in the log.
    pub evals: u64,
    /// What the curve's x means: `samples` (`samples_count`), `epoch`
    /// (`epoch_num`) or `eval` (evaluation number).
    pub curve_axis: String,
    /// Eval-accuracy curve, in log order.
    pub curve: Vec<CurvePoint>,
    /// `global_batch_size`.
    pub global_batch_size: Option<String>,
    /// The seed (first logged).
    pub seed: Option<String>,
    /// `opt_*` and run-defining keys.
    pub hyperparameters: BTreeMap<String, String>,
    /// Compliance rules not met.
    pub compliance: Vec<ComplianceIssue>,
    /// Counted in the benchmark result: it ran to `run_stop` with success,
    /// met the target (where known) and passed the checked rules. Runs that
    /// are not are "dropped", as result_summarizer drops files that fail
    /// the compliance checker.
    pub scored: bool,
    /// Why it is not scored, in words; empty when it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dropped_reason: String,
    /// `run_start` and `run_stop` lines.
    pub evidence: Vec<Evidence>,
}

/// The MLPerf result of one benchmark folder.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TrainingBenchmarkReport {
    /// Folder holding the runs.
    pub group: String,
    /// Benchmark name (from the logs; `unknown` when none says).
    pub benchmark: String,
    /// Runs found.
    pub runs: u64,
    /// Runs the rules require (`benchmark_meta.py`), when the benchmark is
    /// known.
    pub required_runs: Option<u64>,
    /// Whether `runs` equals `required_runs`.
    pub runs_met: Option<bool>,
    /// Runs counted.
    pub scored_runs: u64,
    /// Runs dropped (aborted, incomplete, target not reached, failed rules).
    pub dropped_runs: u64,
    /// Fastest and slowest runs dropped on each side by olympic scoring.
    pub drop_each_side: u64,
    /// Time-to-train of the scored runs, minutes, ascending.
    pub scores_min: Vec<f64>,
    /// The olympic average, minutes; `None` when too many runs were dropped
    /// or none remain.
    pub result_min: Option<f64>,
    /// How the result was computed, or why there is none.
    pub note: String,
}

/// Report section for training logs (`report.json` → `training`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct TrainingReport {
    /// One entry per log, in path order.
    pub runs: Vec<TrainingRunReport>,
    /// One entry per (folder, benchmark), in folder order.
    pub benchmarks: Vec<TrainingBenchmarkReport>,
    /// Where the run counts, targets and compliance rules come from.
    pub rules_source: String,
}

impl TrainingReport {
    /// True when no training log was read (the section is then left out of
    /// `report.json`).
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}
