//! LoadGen artifacts beyond summary and detail: the trace, the accuracy log,
//! accuracy-script results, settings files, and what a submission tree's
//! path says about a run.

use schemars::JsonSchema;
use serde::Serialize;

/// `mlperf_log_trace.json`, streamed into fixed-size aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadGenTrace {}

/// `mlperf_log_accuracy.json`: entry count, qsl_idx coverage, duplicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccuracyLog {}

/// `accuracy.txt` from the reference accuracy scripts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccuracyResult {}

/// `user.conf` / `mlperf.conf` settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadGenConfig {}

/// Submission metadata files: `systems/<system>.json`, `measurements.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SubmissionMeta {}

/// What a submission-tree path says about a run
/// (`closed|open/<org>/results/<system>/<benchmark>/<scenario>/…`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SubmissionPath {}

/// Report section for these artifacts (`report.json` → `loadgen_extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct LoadGenExtraReport {}
