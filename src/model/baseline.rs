//! Comparison with an earlier report (`report --baseline`, `diff`): the
//! optional `baseline` section of `report.json`. Built by
//! [`crate::history::compare`]; the method is described in `docs/history.md`.

use schemars::JsonSchema;
use serde::Serialize;

/// Direction of a metric between the baseline and the current report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Better beyond noise.
    Improving,
    /// Within noise (or identical).
    Stable,
    /// Worse beyond noise.
    Degrading,
    /// Not comparable (configuration differs, value missing) or too noisy to tell.
    Inconclusive,
}

impl Trend {
    /// Name used in JSON and in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Improving => "improving",
            Trend::Stable => "stable",
            Trend::Degrading => "degrading",
            Trend::Inconclusive => "inconclusive",
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BaselineComparison {
    /// Which report was the baseline.
    pub baseline: BaselineRef,
    /// Counts of metrics per trend.
    pub summary: TrendSummary,
    /// Configuration differences found (each makes the metrics it concerns
    /// inconclusive).
    pub config_differences: Vec<ConfigDifference>,
    /// Scores and key metrics, in a fixed order: overall, components, counts,
    /// then run groups by label.
    pub metrics: Vec<MetricDelta>,
    /// Findings present now and not in the baseline, keyed by rule, node, step.
    pub findings_new: Vec<FindingKey>,
    /// Findings present in both.
    pub findings_recurring: Vec<FindingKey>,
    /// Findings present in the baseline only.
    pub findings_gone: Vec<FindingKey>,
    /// Steps (task × node) whose outcome changed, or that exist on one side only.
    pub steps_changed: Vec<StepChange>,
    /// Versions (driver, CUDA, LoadGen …) that changed per node.
    pub versions_changed: Vec<VersionChange>,
}

/// Identity of the baseline report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BaselineRef {
    /// The path as given (a `report.json` or an artifacts directory).
    pub source: String,
    /// Its title.
    pub title: String,
    /// Its `generated_at`, when it had one.
    pub generated_at: Option<String>,
    /// Its `schema_version`.
    pub schema_version: u32,
    /// Version of the tool that wrote it.
    pub tool_version: String,
}

/// Metrics per trend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TrendSummary {
    /// Improving metrics.
    pub improving: u32,
    /// Stable metrics.
    pub stable: u32,
    /// Degrading metrics.
    pub degrading: u32,
    /// Inconclusive metrics.
    pub inconclusive: u32,
}

/// One configuration difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct ConfigDifference {
    /// `cluster`, a node name, or a run-group label.
    pub scope: String,
    /// What differs (`node count`, `GPU model`, `driver version`, `target_qps`).
    pub what: String,
    /// Baseline value (`—` when absent).
    pub baseline: String,
    /// Current value (`—` when absent).
    pub current: String,
}

/// One compared metric.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MetricDelta {
    /// Stable id (`overall.score`, `component.reliability.score`,
    /// `group.<label>.samples_per_second`).
    pub id: String,
    /// What it is, in words.
    pub label: String,
    /// Run-group label for per-group metrics.
    pub group: Option<String>,
    /// Unit (`points`, `samples/s`, `tokens/s`, `ms`, `count`).
    pub unit: String,
    /// Whether a larger value is better.
    pub higher_is_better: bool,
    /// Baseline value (mean over runs for run groups).
    pub baseline: Option<f64>,
    /// Current value (mean over runs for run groups).
    pub current: Option<f64>,
    /// current − baseline.
    pub delta: Option<f64>,
    /// Relative change, percent of the baseline.
    pub delta_pct: Option<f64>,
    /// The verdict.
    pub trend: Trend,
    /// `welch_t_test`, `threshold`, `exact` or `not_compared`.
    pub method: String,
    /// Why, in words (the test result, the threshold, or what differs).
    pub reason: String,
    /// Two-sided p-value of Welch's t-test, when it ran.
    pub p_value: Option<f64>,
    /// Runs behind the baseline value.
    pub baseline_runs: u32,
    /// Runs behind the current value.
    pub current_runs: u32,
}

/// A finding, keyed by rule, node and step (one aggregated finding yields
/// one key per node × step it touches).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct FindingKey {
    /// Rule id.
    pub rule: String,
    /// Node, empty when the finding names none.
    pub node: String,
    /// Step, empty when the finding names none.
    pub step: String,
    /// Severity (`high` …) on the side where it was seen (current when both).
    pub severity: String,
    /// Title.
    pub title: String,
}

/// A step whose outcome changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct StepChange {
    /// Task name.
    pub name: String,
    /// Node.
    pub node: String,
    /// Baseline outcome, `None` when the step did not exist.
    pub baseline: Option<String>,
    /// Current outcome, `None` when the step no longer exists.
    pub current: Option<String>,
}

/// A version that changed on a node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct VersionChange {
    /// What (`NVIDIA driver`, `MLPerf LoadGen`).
    pub component: String,
    /// Node.
    pub node: String,
    /// Baseline version.
    pub baseline: Option<String>,
    /// Current version.
    pub current: Option<String>,
}
