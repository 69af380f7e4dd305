//! The view model: the report as the templates see it.
//!
//! Every decision about presentation lives here: rounding, units, ordering,
//! status words, what an absent value says, and escaping for the target.
//! Templates only loop, test and place strings. Missing data is always shown
//! as `not assessed`, `not reported` or `—` with an explanation, never as a
//! zero or a blank that could read as healthy.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{
    Evidence, Outcome, Report, RunReport, Severity, Status, StepReport, Unreadable,
};

use super::escape::{clean_text, md_cell};
use super::view_gpu::GpuProbesView;
use super::view_inventory::InventoryView;
use super::view_loadgen::{SubmissionView, TracesView};
use super::view_platform::PlatformView;

/// Which output the strings are escaped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Markdown: untrusted text goes through [`md_cell`], and the template
    /// inserts it verbatim.
    Markdown,
    /// HTML: untrusted text is only cleaned; Tera's autoescape does the rest.
    Html,
}

/// One report section: its anchor id and heading, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Anchor id (`overall`), stable across versions.
    pub id: &'static str,
    /// Heading text.
    pub title: &'static str,
}

/// Every section of the Markdown and HTML reports, in order. Templates spell
/// the ids out; a test checks both outputs carry all of them.
pub const SECTIONS: &[Section] = &[
    Section {
        id: "overall",
        title: "Overall score and components",
    },
    Section {
        id: "cluster",
        title: "Cluster overview",
    },
    Section {
        id: "connectivity",
        title: "Connectivity",
    },
    Section {
        id: "hardware",
        title: "GPU memory and hardware",
    },
    Section {
        id: "software",
        title: "Software stack",
    },
    Section {
        id: "platform",
        title: "Node platform",
    },
    Section {
        id: "steps",
        title: "Step status matrix",
    },
    Section {
        id: "critical-issues",
        title: "Critical issues",
    },
    Section {
        id: "performance",
        title: "Performance",
    },
    Section {
        id: "submission",
        title: "MLPerf submission and accuracy",
    },
    Section {
        id: super::training_view::SECTION_ID,
        title: super::training_view::SECTION_TITLE,
    },
    Section {
        id: "error-classification",
        title: "Error classification",
    },
    Section {
        id: "findings",
        title: "Findings with evidence",
    },
    Section {
        id: "recommendations",
        title: "Recommendations",
    },
    Section {
        id: "score-breakdown",
        title: "Score breakdown",
    },
    Section {
        id: "inputs",
        title: "Inputs",
    },
];

/// Most evidence lines shown per finding, check or run.
const EVIDENCE_SHOWN: usize = 3;

/// Shown for a value the inputs did not contain.
pub(super) const DASH: &str = "—";

/// Names (nodes, steps) listed in one cell; the rest are counted.
pub const JOIN_MAX: usize = 20;

/// Node columns shown in the step matrix; the rest are counted in a note.
pub const MATRIX_NODES_MAX: usize = 64;

/// Step rows shown in the step matrix; the rest are counted in a note.
pub const MATRIX_STEPS_MAX: usize = 200;
/// Shown for a score that could not be computed.
pub(super) const NOT_ASSESSED: &str = "not assessed";

/// The whole report, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    /// Report title.
    pub title: String,
    /// `mlperf-health 0.1.0`.
    pub tool: String,
    /// Generation time, or why there is none.
    pub generated_at: String,
    /// The artifacts root as given.
    pub root: String,
    /// Table of contents.
    pub sections: Vec<Section>,
    /// The header card.
    pub header: HeaderView,
    /// Component scores, in the report's fixed order.
    pub components: Vec<ComponentView>,
    /// Nodes and GPU counts.
    pub cluster: ClusterView,
    /// Reachability per node.
    pub connectivity: ConnectivityView,
    /// Per-GPU hardware state.
    pub hardware: HardwareView,
    /// Versions per node.
    pub software: SoftwareView,
    /// Kernel logs, Kubernetes nodes, workloads by outcome.
    pub platform: PlatformView,
    /// Steps × nodes.
    pub steps: StepMatrixView,
    /// High and critical findings.
    pub critical: CriticalView,
    /// Runs, invalid reasons, cross-node groups.
    pub performance: PerformanceView,
    /// Submission metadata and accuracy.
    pub submission: SubmissionView,
    /// The error-classification table.
    pub categories: CategoriesView,
    /// Every finding with its evidence.
    pub findings: FindingsView,
    /// Recommendations, most severe first.
    pub recommendations: RecommendationsView,
    /// What was read.
    pub inputs: InputsView,
    /// The charts, for reference by file name.
    pub charts: ChartsView,
}

/// The header card.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderView {
    /// `72` or `not assessed`.
    pub score: String,
    /// `72/100` or `not assessed`.
    pub score_display: String,
    /// Status word (`moderate`, `not assessed`).
    pub status: String,
    /// CSS tone for the status.
    pub tone: String,
    /// The one-sentence verdict.
    pub verdict: String,
    /// Share of expected probes present (`83%`).
    pub coverage: String,
    /// `4 of 5 components assessed`.
    pub components_assessed: String,
    /// Worst finding severity, or `none`.
    pub worst_severity: String,
    /// How the score was capped, or empty.
    pub cap_note: String,
}

/// One scored component.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentView {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `72` or `not assessed`.
    pub score: String,
    /// `72/100` or `not assessed`.
    pub score_display: String,
    /// Status word.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// Weight as a percentage of the overall mean.
    pub weight: String,
    /// Coverage percentage.
    pub coverage: String,
    /// What the coverage counts.
    pub coverage_note: String,
    /// Why not assessed, or `—`.
    pub reason: String,
    /// Every check.
    pub checks: Vec<CheckView>,
    /// Shown when there are no checks.
    pub checks_empty_note: String,
}

/// One check of a component.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    /// Stable id.
    pub id: String,
    /// What was checked.
    pub title: String,
    /// `pass` or `fail`.
    pub result: String,
    /// CSS tone.
    pub tone: String,
    /// `−10` or `0`.
    pub deduction: String,
    /// What was found.
    pub detail: String,
    /// Up to three evidence lines.
    pub evidence: Vec<EvidenceView>,
    /// `2 more not shown`, or empty.
    pub evidence_more: String,
}

/// One line of evidence.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    /// `path:line`.
    pub location: String,
    /// Where inside a structured file, or empty.
    pub locator: String,
    /// The cleaned (and, for Markdown, escaped) text.
    pub text: String,
}

/// Nodes and GPUs.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    /// `2 nodes, 4 GPUs`.
    pub summary: String,
    /// One row per node.
    pub nodes: Vec<NodeView>,
    /// Shown when there are no nodes.
    pub empty_note: String,
}

/// One node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeView {
    /// Name.
    pub name: String,
    /// `healthy`, `degraded`, `unhealthy`, `not assessed`.
    pub verdict: String,
    /// CSS tone.
    pub tone: String,
    /// GPU count, or `not reported` when no probe was read.
    pub gpus: String,
    /// GPU models with counts (`NVIDIA A100 ×2`).
    pub gpu_models: String,
    /// Probe file count.
    pub probes: String,
    /// `5 ok, 1 failed`.
    pub steps: String,
    /// Worst finding severity, or `none`.
    pub worst_severity: String,
}

/// Reachability per node.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectivityView {
    /// One row per node.
    pub rows: Vec<ConnectivityRow>,
    /// Shown when there are no nodes.
    pub empty_note: String,
}

/// One node's reachability.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectivityRow {
    /// Node.
    pub node: String,
    /// `reachable`, `unreachable` or `not assessed`.
    pub reachable: String,
    /// CSS tone.
    pub tone: String,
    /// Why, in words.
    pub note: String,
    /// Steps that succeeded.
    pub steps_ok: String,
    /// Steps that failed, timed out or were unreachable.
    pub steps_failed: String,
    /// Unreachable step records, or the first step record seen.
    pub evidence: Vec<EvidenceView>,
}

/// Per-GPU hardware state.
#[derive(Debug, Clone, Serialize)]
pub struct HardwareView {
    /// One row per GPU, by node then index.
    pub gpus: Vec<GpuView>,
    /// Shown when no GPU was read.
    pub empty_note: String,
    /// Telemetry, `nvidia-smi -q` text and DCGM.
    pub probes: GpuProbesView,
}

/// One GPU.
#[derive(Debug, Clone, Serialize)]
pub struct GpuView {
    /// Node.
    pub node: String,
    /// Index within the node.
    pub index: String,
    /// Product name.
    pub name: String,
    /// PCI bus id.
    pub pci_bus_id: String,
    /// UUID.
    pub uuid: String,
    /// `12,345 of 40,960 MiB used (30%)`.
    pub memory: String,
    /// `62 °C (slowdown at 90 °C, 28 °C headroom)`.
    pub temperature: String,
    /// CSS tone for the temperature.
    pub temperature_tone: String,
    /// `250 W of 300 W limit (83%)`.
    pub power: String,
    /// CSS tone for the power.
    pub power_tone: String,
    /// `Enabled, 0 uncorrectable`.
    pub ecc: String,
    /// CSS tone for ECC.
    pub ecc_tone: String,
    /// Retired pages.
    pub retired_pages: String,
    /// Uncorrectable remapped rows.
    pub remapped_rows: String,
    /// CSS tone for retired/remapped.
    pub memory_errors_tone: String,
    /// Active throttle reasons, or `none`.
    pub throttle: String,
    /// CSS tone for throttling.
    pub throttle_tone: String,
    /// Driver and CUDA versions.
    pub driver: String,
    /// Where it was read.
    pub evidence: String,
}

/// Versions per node.
#[derive(Debug, Clone, Serialize)]
pub struct SoftwareView {
    /// Column headers: every node that reported a version.
    pub nodes: Vec<String>,
    /// One row per software component.
    pub rows: Vec<SoftwareRowView>,
    /// Shown when nothing was reported.
    pub empty_note: String,
    /// Software dumps per node, drift and package diff.
    pub inventory: InventoryView,
}

/// One software component across nodes.
#[derive(Debug, Clone, Serialize)]
pub struct SoftwareRowView {
    /// What.
    pub component: String,
    /// One version per column in [`SoftwareView::nodes`], `—` when absent.
    pub versions: Vec<String>,
    /// `consistent` or `drift`.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// Where the versions were read.
    pub evidence: Vec<EvidenceView>,
}

/// Steps × nodes.
#[derive(Debug, Clone, Serialize)]
pub struct StepMatrixView {
    /// Column headers.
    pub nodes: Vec<String>,
    /// One row per step name, in first-seen order.
    pub rows: Vec<StepRowView>,
    /// `12 step results: 9 ok, 2 failed, 1 timed out`.
    pub summary: String,
    /// Shown when there are no steps.
    pub empty_note: String,
}

/// One step name across nodes.
#[derive(Debug, Clone, Serialize)]
pub struct StepRowView {
    /// Task name.
    pub name: String,
    /// One cell per column.
    pub cells: Vec<StepCellView>,
}

/// One step on one node.
#[derive(Debug, Clone, Serialize)]
pub struct StepCellView {
    /// `failed (rc 2)`, `not run`.
    pub text: String,
    /// CSS tone.
    pub tone: String,
    /// Harness message, category and location, for a tooltip.
    pub detail: String,
}

/// High and critical findings.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalView {
    /// The findings, most severe first.
    pub items: Vec<FindingView>,
    /// Shown when there are none.
    pub empty_note: String,
}

/// Runs, invalid reasons and cross-node groups.
#[derive(Debug, Clone, Serialize)]
pub struct PerformanceView {
    /// One row per run.
    pub runs: Vec<RunView>,
    /// Shown when there are no runs.
    pub runs_empty_note: String,
    /// Runs that are not VALID, with reasons.
    pub invalid: Vec<InvalidRunView>,
    /// Shown when every run is valid.
    pub invalid_empty_note: String,
    /// Cross-node groups.
    pub groups: Vec<GroupView>,
    /// Shown when there are no groups.
    pub groups_empty_note: String,
    /// Distributions and timelines from LoadGen traces.
    pub traces: TracesView,
}

/// One LoadGen run.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    /// Run directory.
    pub id: String,
    /// Node, or `—`.
    pub node: String,
    /// Scenario, or `—`.
    pub scenario: String,
    /// Mode, or `—`.
    pub mode: String,
    /// `VALID`, `INVALID`, `UNKNOWN`.
    pub result: String,
    /// CSS tone.
    pub tone: String,
    /// `190.03 samples/s`.
    pub samples_per_second: String,
    /// `1,234.5 tokens/s`.
    pub tokens_per_second: String,
    /// Latency p50, ms.
    pub latency_p50: String,
    /// Latency p90, ms.
    pub latency_p90: String,
    /// Latency p99, ms.
    pub latency_p99: String,
    /// TTFT p99, ms.
    pub ttft_p99: String,
    /// TPOT p99, ms.
    pub tpot_p99: String,
    /// Harness exit code, or `—`.
    pub exit_code: String,
    /// Duration in seconds, or `—`.
    pub duration: String,
    /// `2 errors, 1 warning`.
    pub loadgen_messages: String,
}

/// A run that is not VALID.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidRunView {
    /// Run directory.
    pub id: String,
    /// Node, or `—`.
    pub node: String,
    /// `INVALID` or `UNKNOWN`.
    pub result: String,
    /// Every reason.
    pub reasons: Vec<String>,
    /// Requested vs effective settings that differ.
    pub settings_changed: Vec<SettingChangeView>,
    /// Evidence.
    pub evidence: Vec<EvidenceView>,
    /// `2 more not shown`, or empty.
    pub evidence_more: String,
}

/// A setting LoadGen changed.
#[derive(Debug, Clone, Serialize)]
pub struct SettingChangeView {
    /// Setting key.
    pub key: String,
    /// As requested.
    pub requested: String,
    /// As used.
    pub effective: String,
}

/// One cross-node comparison group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// `Offline PerformanceOnly`.
    pub key: String,
    /// Run count.
    pub runs: String,
    /// Nodes.
    pub nodes: String,
    /// Mean samples/s.
    pub throughput_mean: String,
    /// Standard deviation of samples/s.
    pub throughput_stddev: String,
    /// Coefficient of variation.
    pub throughput_cv: String,
    /// (max − min) / max.
    pub throughput_spread: String,
    /// Slowest node, or `—`.
    pub slowest_node: String,
    /// p99 latency CV.
    pub latency_p99_cv: String,
}

/// The error-classification table.
#[derive(Debug, Clone, Serialize)]
pub struct CategoriesView {
    /// One row per category.
    pub rows: Vec<CategoryView>,
    /// Shown when there are none.
    pub empty_note: String,
}

/// One category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    /// Category id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Event count, or `—` when not assessed.
    pub events: String,
    /// Worst severity, or `—`.
    pub severity: String,
    /// `active`, `not observed`, `not assessed`.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// Impact text.
    pub impact: String,
}

/// Findings with evidence.
#[derive(Debug, Clone, Serialize)]
pub struct FindingsView {
    /// Every finding, most severe first.
    pub items: Vec<FindingView>,
    /// Shown when there are none.
    pub empty_note: String,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// Rule id.
    pub rule: String,
    /// Category id.
    pub category: String,
    /// Severity word.
    pub severity: String,
    /// CSS tone.
    pub tone: String,
    /// Short title.
    pub title: String,
    /// `3 events (5 raw lines)`.
    pub count: String,
    /// Nodes, or `—`.
    pub nodes: String,
    /// Steps, or `—`.
    pub steps: String,
    /// Up to three evidence lines.
    pub evidence: Vec<EvidenceView>,
    /// `showing 3 of 5 matching lines`, or empty.
    pub evidence_note: String,
    /// What to do.
    pub remediation: String,
    /// Status word.
    pub status: String,
    /// Impact text.
    pub impact: String,
}

/// Recommendations.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationsView {
    /// Most severe first.
    pub items: Vec<RecommendationView>,
    /// Shown when there are none.
    pub empty_note: String,
}

/// One recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationView {
    /// Priority word.
    pub severity: String,
    /// CSS tone.
    pub tone: String,
    /// Category.
    pub category: String,
    /// What to do.
    pub text: String,
    /// Rules, or `—`.
    pub rules: String,
    /// Nodes, or `all nodes`.
    pub nodes: String,
}

/// What was read.
#[derive(Debug, Clone, Serialize)]
pub struct InputsView {
    /// The root as given.
    pub root: String,
    /// Files found.
    pub files_total: String,
    /// Files recognised.
    pub files_recognized: String,
    /// Files not recognised.
    pub files_unrecognized: String,
    /// Count per kind, sorted by kind.
    pub by_kind: Vec<KindCountView>,
    /// Unrecognised paths (capped).
    pub unrecognized: Vec<String>,
    /// `and 12 more not listed`, or empty.
    pub unrecognized_more: String,
    /// Unreadable files.
    pub unreadable: Vec<UnreadableView>,
    /// "… and N more" when the unreadable list was capped, else empty.
    pub unreadable_more: String,
    /// Parse warnings (capped).
    pub warnings: Vec<WarningView>,
    /// Total warnings.
    pub warnings_total: String,
    /// `and 12 more not listed`, or empty.
    pub warnings_more: String,
}

/// Files of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindCountView {
    /// Kind.
    pub kind: String,
    /// Count.
    pub count: String,
}

/// A file that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableView {
    /// Path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// A parse warning.
#[derive(Debug, Clone, Serialize)]
pub struct WarningView {
    /// `path:line`.
    pub location: String,
    /// Message.
    pub message: String,
}

/// The charts, by role.
#[derive(Debug, Clone, Serialize)]
pub struct ChartsView {
    /// Component scores.
    pub scores: ChartRef,
    /// Samples/s per run.
    pub throughput: ChartRef,
    /// Latency percentiles per run.
    pub latency: ChartRef,
    /// Events per category.
    pub findings: ChartRef,
}

/// A chart file and its caption.
#[derive(Debug, Clone, Serialize)]
pub struct ChartRef {
    /// Stem (`scores`).
    pub name: String,
    /// Relative path (`charts/scores.svg`).
    pub file: String,
    /// Caption and alt text.
    pub title: String,
}

/// Escaping for one target.
#[derive(Debug, Clone, Copy)]
pub(super) struct Esc(pub(super) Target);

impl Esc {
    /// Untrusted text, made safe for the target.
    pub(super) fn t(self, s: &str) -> String {
        match self.0 {
            Target::Markdown => md_cell(s),
            Target::Html => clean_text(s),
        }
    }

    /// Untrusted text, or `fallback` when it is empty after cleaning.
    pub(super) fn or(self, s: Option<&str>, fallback: &str) -> String {
        let v = s.map(|s| self.t(s)).unwrap_or_default();
        if v.is_empty() {
            fallback.to_string()
        } else {
            v
        }
    }

    /// A list of untrusted names, joined, or `fallback` when empty. At most
    /// [`JOIN_MAX`] names are shown: a finding on every node of a
    /// 10,000-node tree would otherwise print 10,000 names per finding, in
    /// every format (report.json keeps them all).
    pub(super) fn join(self, items: &[String], fallback: &str) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|s| self.t(s))
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            fallback.to_string()
        } else if parts.len() > JOIN_MAX {
            format!(
                "{} and {} more",
                parts[..JOIN_MAX].join(", "),
                fmt_count((parts.len() - JOIN_MAX) as u64)
            )
        } else {
            parts.join(", ")
        }
    }

    pub(super) fn evidence(self, e: &Evidence) -> EvidenceView {
        EvidenceView {
            location: self.t(&e.location()),
            locator: e.locator.as_deref().map(|l| self.t(l)).unwrap_or_default(),
            text: self.t(&e.text),
        }
    }

    /// The first [`EVIDENCE_SHOWN`] lines and a note on the rest.
    pub(super) fn evidence_list(self, list: &[Evidence]) -> (Vec<EvidenceView>, String) {
        let shown = list
            .iter()
            .take(EVIDENCE_SHOWN)
            .map(|e| self.evidence(e))
            .collect();
        let more = list.len().saturating_sub(EVIDENCE_SHOWN);
        let note = if more > 0 {
            format!("{} more not shown", fmt_count(more as u64))
        } else {
            String::new()
        };
        (shown, note)
    }
}

impl ReportView {
    /// Build the view of `report` with strings escaped for `target`.
    pub fn new(report: &Report, target: Target) -> ReportView {
        let esc = Esc(target);
        ReportView {
            title: esc.or(Some(&report.title), "MLPerf Inference health report"),
            tool: esc.t(&format!("{} {}", report.tool.name, report.tool.version)),
            generated_at: match &report.generated_at {
                Some(t) => esc.t(t),
                None => "not recorded (reproducible report)".to_string(),
            },
            root: esc.or(Some(&report.inputs.root), DASH),
            sections: SECTIONS.to_vec(),
            header: header(report, esc),
            components: report
                .components
                .iter()
                .map(|c| component(c, esc))
                .collect(),
            cluster: cluster(report, esc),
            connectivity: connectivity(report, esc),
            hardware: hardware(report, esc),
            software: software(report, esc),
            platform: super::view_platform::platform(report, esc),
            steps: step_matrix(report, esc),
            critical: critical(report, esc),
            performance: performance(report, esc),
            submission: super::view_loadgen::submission(report, esc),
            categories: categories(report, esc),
            findings: findings(report, esc),
            recommendations: recommendations(report, esc),
            inputs: inputs(report, esc),
            charts: ChartsView {
                scores: chart_ref("scores", "Component scores (0–100)"),
                throughput: chart_ref("throughput", "Throughput per run (samples/s)"),
                latency: chart_ref("latency", "Latency percentiles per run (ms)"),
                findings: chart_ref("findings", "Events per error category"),
            },
        }
    }
}

pub(super) fn chart_ref(name: &str, title: &str) -> ChartRef {
    ChartRef {
        name: name.to_string(),
        file: format!("charts/{name}.svg"),
        title: title.to_string(),
    }
}

// ---------------------------------------------------------------- sections

fn header(report: &Report, esc: Esc) -> HeaderView {
    let o = &report.overall;
    let total = report.components.len();
    let cap_note = match (finite(o.weighted_mean), finite(o.cap)) {
        (Some(mean), Some(cap)) if cap < mean => format!(
            "Weighted mean of assessed components is {}; capped at {} because the worst finding is {}.",
            fmt_score_num(mean),
            fmt_score_num(cap),
            o.worst_severity.map(Severity::as_str).unwrap_or("severe"),
        ),
        (Some(mean), _) => format!(
            "Weighted mean of assessed components: {}.",
            fmt_score_num(mean)
        ),
        _ => String::new(),
    };
    HeaderView {
        score: fmt_score(o.score),
        score_display: fmt_score_of_100(o.score),
        status: status_word(o.status).to_string(),
        tone: status_tone(o.status).to_string(),
        verdict: esc.or(Some(&o.verdict), DASH),
        coverage: fmt_pct(Some(o.coverage), 0),
        components_assessed: format!("{} of {} components assessed", o.components_assessed, total),
        worst_severity: o
            .worst_severity
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "none".to_string()),
        cap_note,
    }
}

fn component(c: &crate::model::Component, esc: Esc) -> ComponentView {
    let checks: Vec<CheckView> = c
        .checks
        .iter()
        .map(|k| {
            let (evidence, evidence_more) = esc.evidence_list(&k.evidence);
            CheckView {
                id: esc.t(&k.id),
                title: esc.t(&k.title),
                result: if k.passed { "pass" } else { "fail" }.to_string(),
                tone: if k.passed { "good" } else { "bad" }.to_string(),
                deduction: fmt_deduction(k.deduction),
                detail: esc.or(Some(&k.detail), DASH),
                evidence,
                evidence_more,
            }
        })
        .collect();
    let reason = match (&c.not_assessed_reason, c.score) {
        (Some(r), _) => esc.or(Some(r), "no inputs for this component were read"),
        (None, None) => "no inputs for this component were read".to_string(),
        (None, Some(_)) => DASH.to_string(),
    };
    ComponentView {
        id: esc.t(&c.id),
        name: esc.or(Some(&c.name), &c.id),
        score: fmt_score(c.score),
        score_display: fmt_score_of_100(c.score),
        status: status_word(c.status).to_string(),
        tone: status_tone(c.status).to_string(),
        weight: fmt_pct(Some(c.weight), 0),
        coverage: fmt_pct(Some(c.coverage), 0),
        coverage_note: esc.or(Some(&c.coverage_note), DASH),
        reason,
        checks_empty_note: if checks.is_empty() {
            "No checks ran: nothing this component needs was read.".to_string()
        } else {
            String::new()
        },
        checks,
    }
}

fn cluster(report: &Report, esc: Esc) -> ClusterView {
    let gpus: usize = report.nodes.iter().map(|n| n.gpus.len()).sum();
    let nodes = report
        .nodes
        .iter()
        .map(|n| {
            let mut models: BTreeMap<String, u64> = BTreeMap::new();
            for g in &n.gpus {
                *models
                    .entry(esc.or(g.name.as_deref(), "unknown model"))
                    .or_default() += 1;
            }
            let gpu_models = if models.is_empty() {
                DASH.to_string()
            } else {
                models
                    .iter()
                    .map(|(m, k)| format!("{m} ×{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (verdict, tone) = node_verdict(&n.verdict);
            NodeView {
                name: esc.or(Some(&n.name), DASH),
                verdict,
                tone,
                gpus: if n.gpus.is_empty() && n.probes.is_empty() {
                    "not reported".to_string()
                } else {
                    n.gpus.len().to_string()
                },
                gpu_models,
                probes: plural(n.probes.len() as u64, "probe file", "probe files"),
                steps: format!(
                    "{} ok, {} failed",
                    fmt_count(n.steps_ok),
                    fmt_count(n.steps_failed)
                ),
                worst_severity: severity_word(n.worst_severity),
            }
        })
        .collect();
    ClusterView {
        summary: format!(
            "{}, {}",
            plural(report.nodes.len() as u64, "node", "nodes"),
            plural(gpus as u64, "GPU", "GPUs")
        ),
        nodes,
        empty_note: "No nodes were found in the inputs: the cluster is not assessed.".to_string(),
    }
}

fn connectivity(report: &Report, esc: Esc) -> ConnectivityView {
    // Indexed once rather than filtered per node (nodes × steps).
    let mut by_node: BTreeMap<&str, Vec<&StepReport>> = BTreeMap::new();
    for s in &report.steps {
        by_node.entry(s.node.as_str()).or_default().push(s);
    }
    let rows = report
        .nodes
        .iter()
        .map(|n| {
            let on_node: &[&StepReport] = by_node
                .get(n.name.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let unreachable: Vec<Evidence> = on_node
                .iter()
                .filter(|s| s.outcome == Outcome::Unreachable)
                .map(|s| step_evidence(s))
                .collect();
            let (reachable, tone, note, evidence_src) = match n.reachable {
                Some(true) => (
                    "reachable",
                    "good",
                    format!(
                        "the harness ran {} on this node",
                        plural(on_node.len() as u64, "step", "steps")
                    ),
                    on_node
                        .first()
                        .map(|s| vec![step_evidence(s)])
                        .unwrap_or_default(),
                ),
                Some(false) => (
                    "unreachable",
                    "crit",
                    format!(
                        "the harness could not reach this node ({})",
                        plural(
                            unreachable.len() as u64,
                            "unreachable step",
                            "unreachable steps"
                        )
                    ),
                    unreachable,
                ),
                None => (
                    NOT_ASSESSED,
                    "na",
                    "no harness record names this node".to_string(),
                    Vec::new(),
                ),
            };
            let (evidence, _) = esc.evidence_list(&evidence_src);
            ConnectivityRow {
                node: esc.or(Some(&n.name), DASH),
                reachable: reachable.to_string(),
                tone: tone.to_string(),
                note,
                steps_ok: fmt_count(n.steps_ok),
                steps_failed: fmt_count(n.steps_failed),
                evidence,
            }
        })
        .collect();
    ConnectivityView {
        rows,
        empty_note: "No nodes were found: connectivity is not assessed.".to_string(),
    }
}

fn step_evidence(s: &StepReport) -> Evidence {
    let mut e = s.evidence.clone();
    if e.text.is_empty() {
        e.text = format!("{} on {}: {}", s.name, s.node, outcome_word(s.outcome));
    }
    e
}

fn hardware(report: &Report, esc: Esc) -> HardwareView {
    let mut gpus = Vec::new();
    for n in &report.nodes {
        let mut list: Vec<&crate::model::GpuReport> = n.gpus.iter().collect();
        list.sort_by_key(|g| g.index);
        for g in list {
            gpus.push(gpu(&n.name, g, esc));
        }
    }
    HardwareView {
        gpus,
        empty_note: if gpu_probes_read(report) {
            "No nvidia-smi -q -x XML dump was read, so this table is empty; the other GPU probes below report what they cover.".to_string()
        } else {
            "No GPU probe (nvidia-smi dump) was read: GPU memory, temperature, power and ECC are not assessed.".to_string()
        },
        probes: super::view_gpu::gpu_probes(report, esc),
    }
}

fn gpu_probes_read(report: &Report) -> bool {
    let p = &report.gpu_probes;
    !(p.telemetry.is_empty() && p.dcgm.is_empty() && p.text_dumps.is_empty())
}

fn gpu(node: &str, g: &crate::model::GpuReport, esc: Esc) -> GpuView {
    const NR: &str = "not reported";
    let memory = match (finite(g.memory_used_mib), finite(g.memory_total_mib)) {
        (Some(u), Some(t)) if t > 0.0 => format!(
            "{} of {} MiB used ({})",
            fmt_fixed(u, 0),
            fmt_fixed(t, 0),
            fmt_pct(Some(u / t), 0)
        ),
        (None, Some(t)) => format!("{} MiB total, use not reported", fmt_fixed(t, 0)),
        (Some(u), _) => format!("{} MiB used, total not reported", fmt_fixed(u, 0)),
        _ => NR.to_string(),
    };
    let (temperature, temperature_tone) =
        match (finite(g.temperature_c), finite(g.temperature_slowdown_c)) {
            (Some(t), Some(s)) => {
                let headroom = s - t;
                let tone = if headroom <= 0.0 {
                    "crit"
                } else if headroom < 10.0 {
                    "warn"
                } else {
                    "good"
                };
                let relation = if headroom > 0.0 {
                    format!(
                        "{} °C below slowdown at {} °C",
                        fmt_trim(headroom, 1),
                        fmt_trim(s, 1)
                    )
                } else if headroom < 0.0 {
                    format!(
                        "{} °C ABOVE slowdown at {} °C",
                        fmt_trim(-headroom, 1),
                        fmt_trim(s, 1)
                    )
                } else {
                    format!("AT slowdown threshold {} °C", fmt_trim(s, 1))
                };
                (format!("{} °C ({relation})", fmt_trim(t, 1)), tone)
            }
            (Some(t), None) => (
                format!("{} °C (slowdown threshold not reported)", fmt_trim(t, 1)),
                "na",
            ),
            (None, _) => (NR.to_string(), "na"),
        };
    let (power, power_tone) = match (finite(g.power_draw_w), finite(g.power_limit_w)) {
        (Some(p), Some(l)) if l > 0.0 => {
            let share = p / l;
            (
                format!(
                    "{} W of {} W limit ({})",
                    fmt_trim(p, 1),
                    fmt_trim(l, 1),
                    fmt_pct(Some(share), 0)
                ),
                if share >= 0.98 { "warn" } else { "good" },
            )
        }
        (Some(p), _) => (format!("{} W (limit not reported)", fmt_trim(p, 1)), "na"),
        (None, _) => (NR.to_string(), "na"),
    };
    let mode = g
        .ecc_mode
        .as_deref()
        .map(|m| esc.t(m))
        .filter(|m| !m.is_empty());
    let (ecc, ecc_tone) = match (mode, g.ecc_uncorrectable) {
        (m, Some(n)) => (
            format!(
                "{}{} uncorrectable",
                m.map(|m| format!("{m}, ")).unwrap_or_default(),
                fmt_count(n)
            ),
            if n > 0 { "crit" } else { "good" },
        ),
        (Some(m), None) => (format!("{m}, error counts not reported"), "na"),
        (None, None) => (NR.to_string(), "na"),
    };
    let memory_errors_tone = match (g.retired_pages, g.remapped_rows_uncorrectable) {
        (None, None) => "na",
        (r, m) if r.unwrap_or(0) > 0 || m.unwrap_or(0) > 0 => "warn",
        _ => "good",
    };
    let throttle: Vec<String> = g
        .throttle_reasons_active
        .iter()
        .map(|t| esc.t(t))
        .filter(|t| !t.is_empty())
        .collect();
    let driver = match (&g.driver_version, &g.cuda_version) {
        (None, None) => NR.to_string(),
        (d, c) => format!(
            "driver {}, CUDA {}",
            esc.or(d.as_deref(), NR),
            esc.or(c.as_deref(), NR)
        ),
    };
    GpuView {
        node: esc.or(Some(node), DASH),
        index: g.index.to_string(),
        name: esc.or(g.name.as_deref(), NR),
        pci_bus_id: esc.or(g.pci_bus_id.as_deref(), NR),
        uuid: esc.or(g.uuid.as_deref(), NR),
        memory,
        temperature,
        temperature_tone: temperature_tone.to_string(),
        power,
        power_tone: power_tone.to_string(),
        ecc,
        ecc_tone: ecc_tone.to_string(),
        retired_pages: g
            .retired_pages
            .map(fmt_count)
            .unwrap_or_else(|| NR.to_string()),
        remapped_rows: g
            .remapped_rows_uncorrectable
            .map(fmt_count)
            .unwrap_or_else(|| NR.to_string()),
        memory_errors_tone: memory_errors_tone.to_string(),
        throttle_tone: if throttle.is_empty() { "good" } else { "warn" }.to_string(),
        throttle: if throttle.is_empty() {
            "none".to_string()
        } else {
            throttle.join(", ")
        },
        driver,
        evidence: g
            .evidence
            .as_ref()
            .map(|e| esc.t(&e.location()))
            .unwrap_or_else(|| DASH.to_string()),
    }
}

fn software(report: &Report, esc: Esc) -> SoftwareView {
    // Columns: the report's nodes first (their order is the report's), then
    // any other node a version names, sorted.
    let mut nodes: Vec<String> = report.nodes.iter().map(|n| n.name.clone()).collect();
    let known: BTreeSet<String> = nodes.iter().cloned().collect();
    let extra: BTreeSet<String> = report
        .software
        .iter()
        .flat_map(|r| r.versions.keys().cloned())
        .filter(|n| !known.contains(n))
        .collect();
    nodes.extend(extra);
    let rows = report
        .software
        .iter()
        .map(|r| {
            let (evidence, _) = esc.evidence_list(&r.evidence);
            SoftwareRowView {
                component: esc.or(Some(&r.component), DASH),
                versions: nodes
                    .iter()
                    .map(|n| esc.or(r.versions.get(n).map(String::as_str), DASH))
                    .collect(),
                status: if r.consistent { "consistent" } else { "drift" }.to_string(),
                tone: if r.consistent { "good" } else { "warn" }.to_string(),
                evidence,
            }
        })
        .collect();
    SoftwareView {
        nodes: nodes.iter().map(|n| esc.or(Some(n), DASH)).collect(),
        rows,
        empty_note: "No software versions were reported: the software stack is not assessed."
            .to_string(),
        inventory: super::view_inventory::inventory(report, esc),
    }
}

fn step_matrix(report: &Report, esc: Esc) -> StepMatrixView {
    let mut nodes: Vec<String> = report.nodes.iter().map(|n| n.name.clone()).collect();
    let known: BTreeSet<String> = nodes.iter().cloned().collect();
    let extra: BTreeSet<String> = report
        .steps
        .iter()
        .map(|s| s.node.clone())
        .filter(|n| !known.contains(n))
        .collect();
    nodes.extend(extra);

    // Rows in first-seen order: that is the order the harness ran them.
    let mut names: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for s in &report.steps {
        if seen.insert(s.name.as_str()) {
            names.push(s.name.as_str());
        }
    }
    // Indexed once: looking each cell up in the whole step list made the
    // matrix cubic in the harness size (minutes for 200 hosts × 200 tasks).
    let mut by_cell: BTreeMap<(&str, &str), Vec<&StepReport>> = BTreeMap::new();
    for s in &report.steps {
        by_cell
            .entry((s.name.as_str(), s.node.as_str()))
            .or_default()
            .push(s);
    }
    // The matrix is steps × nodes, so it can grow with the square of the
    // input (every host running different tasks): show a corner of it.
    let (all_nodes, all_names) = (nodes.len(), names.len());
    nodes.truncate(MATRIX_NODES_MAX);
    names.truncate(MATRIX_STEPS_MAX);
    let rows = names
        .iter()
        .map(|name| StepRowView {
            name: esc.or(Some(name), DASH),
            cells: nodes
                .iter()
                .map(|node| {
                    let hits = by_cell
                        .get(&(*name, node.as_str()))
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    step_cell(hits, esc)
                })
                .collect(),
        })
        .collect();

    let mut counts: BTreeMap<Outcome, u64> = BTreeMap::new();
    for s in &report.steps {
        *counts.entry(s.outcome).or_default() += 1;
    }
    let mut summary = if report.steps.is_empty() {
        String::new()
    } else {
        format!(
            "{}: {}",
            plural(report.steps.len() as u64, "step result", "step results"),
            counts
                .iter()
                .map(|(o, k)| format!("{} {}", fmt_count(*k), outcome_word(*o)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if all_nodes > nodes.len() || all_names > names.len() {
        summary.push_str(&format!(
            ". The matrix shows the first {} of {} nodes and {} of {} steps \
             (report.json lists every step result)",
            fmt_count(nodes.len() as u64),
            fmt_count(all_nodes as u64),
            fmt_count(names.len() as u64),
            fmt_count(all_names as u64),
        ));
    }
    StepMatrixView {
        nodes: nodes.iter().map(|n| esc.or(Some(n), DASH)).collect(),
        rows,
        summary,
        empty_note: "No harness step records were read: step reliability is not assessed."
            .to_string(),
    }
}

fn step_cell(hits: &[&StepReport], esc: Esc) -> StepCellView {
    if hits.is_empty() {
        return StepCellView {
            text: "not run".to_string(),
            tone: "na".to_string(),
            detail: "no record of this step on this node".to_string(),
        };
    }
    let text = hits
        .iter()
        .map(|s| match s.exit_code {
            Some(rc) => format!("{} (rc {rc})", outcome_word(s.outcome)),
            None => outcome_word(s.outcome).to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let worst = hits
        .iter()
        .map(|s| s.outcome)
        .max_by_key(|o| o.rank())
        .unwrap_or(Outcome::Skipped);
    let detail = hits
        .iter()
        .map(|s| {
            let mut parts = vec![esc.t(&s.evidence.location())];
            if let Some(c) = &s.category {
                parts.push(format!("category {}", esc.t(c)));
            }
            if let Some(d) = finite(s.duration_s) {
                parts.push(format!("{} s", fmt_trim(d, 1)));
            }
            if let Some(m) = &s.message {
                let m = esc.t(m);
                if !m.is_empty() {
                    parts.push(m);
                }
            }
            parts.join("; ")
        })
        .collect::<Vec<_>>()
        .join(" / ");
    StepCellView {
        text,
        tone: outcome_tone(worst).to_string(),
        detail,
    }
}

fn finding_view(f: &crate::model::Finding, esc: Esc) -> FindingView {
    let evidence: Vec<EvidenceView> = f
        .evidence
        .iter()
        .take(EVIDENCE_SHOWN)
        .map(|e| esc.evidence(e))
        .collect();
    let lines = f.raw_count.max(f.count);
    let evidence_note = if !evidence.is_empty() && (evidence.len() as u64) < lines {
        format!(
            "showing {} of {} matching lines",
            evidence.len(),
            fmt_count(lines)
        )
    } else {
        String::new()
    };
    FindingView {
        rule: esc.t(&f.rule),
        category: esc.t(&f.category),
        severity: f.severity.as_str().to_string(),
        tone: severity_tone(f.severity).to_string(),
        title: esc.or(Some(&f.title), &f.rule),
        count: format!(
            "{} ({})",
            plural(f.count, "event", "events"),
            plural(f.raw_count, "raw line", "raw lines")
        ),
        nodes: esc.join(&f.nodes, DASH),
        steps: esc.join(&f.steps, DASH),
        evidence,
        evidence_note,
        remediation: esc.or(Some(&f.remediation), DASH),
        status: status_label(&f.status),
        impact: esc.or(Some(&f.impact), DASH),
    }
}

/// Most severe first; ties keep the analyser's order.
fn sorted_findings(report: &Report) -> Vec<&crate::model::Finding> {
    let mut v: Vec<&crate::model::Finding> = report.findings.iter().collect();
    v.sort_by_key(|f| std::cmp::Reverse(f.severity));
    v
}

fn critical(report: &Report, esc: Esc) -> CriticalView {
    let items: Vec<FindingView> = sorted_findings(report)
        .into_iter()
        .filter(|f| f.severity >= Severity::High)
        .map(|f| finding_view(f, esc))
        .collect();
    let nothing_assessed = report.overall.components_assessed == 0;
    CriticalView {
        items,
        empty_note: if nothing_assessed {
            "No high or critical findings, but no component could be assessed: this is not evidence of health.".to_string()
        } else {
            "No high or critical findings in the inputs that were read.".to_string()
        },
    }
}

fn performance(report: &Report, esc: Esc) -> PerformanceView {
    let runs = report.runs.iter().map(|r| run_view(r, esc)).collect();
    let invalid = report
        .runs
        .iter()
        .filter(|r| r.result != "VALID")
        .map(|r| {
            let (evidence, evidence_more) = esc.evidence_list(&r.evidence);
            let mut reasons: Vec<String> = r
                .invalid_reasons
                .iter()
                .map(|s| esc.t(s))
                .filter(|s| !s.is_empty())
                .collect();
            if reasons.is_empty() {
                reasons.push(if r.result == "INVALID" {
                    "LoadGen reported INVALID without a reason the tool could read".to_string()
                } else {
                    "no result block was found in the summary log".to_string()
                });
            }
            InvalidRunView {
                id: esc.or(Some(&r.id), DASH),
                node: esc.or(r.node.as_deref(), DASH),
                result: result_word(&r.result),
                reasons,
                settings_changed: r
                    .settings_changed
                    .iter()
                    .map(|(k, (req, eff))| SettingChangeView {
                        key: esc.t(k),
                        requested: esc.or(Some(req), DASH),
                        effective: esc.or(Some(eff), DASH),
                    })
                    .collect(),
                evidence,
                evidence_more,
            }
        })
        .collect();
    let groups = report
        .performance
        .groups
        .iter()
        .map(|g| GroupView {
            key: esc.or(Some(&g.key), DASH),
            runs: plural(g.runs.len() as u64, "run", "runs"),
            nodes: esc.join(&g.nodes, DASH),
            throughput_mean: fmt_rate(g.throughput_mean, "samples/s"),
            throughput_stddev: fmt_rate(g.throughput_stddev, "samples/s"),
            throughput_cv: fmt_pct(g.throughput_cv, 1),
            throughput_spread: fmt_pct(g.throughput_spread, 1),
            slowest_node: esc.or(g.slowest_node.as_deref(), DASH),
            latency_p99_cv: fmt_pct(g.latency_p99_cv, 1),
        })
        .collect();
    PerformanceView {
        runs,
        runs_empty_note: "No LoadGen runs were found: performance is not assessed.".to_string(),
        invalid,
        invalid_empty_note: if report.runs.is_empty() {
            "No runs, so no validity to report.".to_string()
        } else {
            "Every run is VALID.".to_string()
        },
        groups,
        groups_empty_note: "No group of comparable runs (same scenario and mode on two or more nodes or runs): consistency is not assessed.".to_string(),
        traces: super::view_loadgen::traces(report, esc),
    }
}

fn run_view(r: &RunReport, esc: Esc) -> RunView {
    let m = &r.metrics;
    let messages = format!(
        "{}, {}",
        plural(r.loadgen_errors, "error", "errors"),
        plural(r.loadgen_warnings, "warning", "warnings")
    );
    RunView {
        id: esc.or(Some(&r.id), DASH),
        node: esc.or(r.node.as_deref(), DASH),
        scenario: r
            .scenario
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| DASH.to_string()),
        mode: esc.or(r.mode.as_deref(), DASH),
        result: result_word(&r.result),
        tone: match r.result.as_str() {
            "VALID" => "good",
            "INVALID" => "bad",
            _ => "na",
        }
        .to_string(),
        samples_per_second: fmt_rate(m.samples_per_second, "samples/s"),
        tokens_per_second: fmt_rate(m.tokens_per_second, "tokens/s"),
        latency_p50: fmt_ms(m.latency_ns.p50),
        latency_p90: fmt_ms(m.latency_ns.p90),
        latency_p99: fmt_ms(m.latency_ns.p99),
        ttft_p99: fmt_ms(m.ttft_ns.p99),
        tpot_p99: fmt_ms(m.tpot_ns.p99),
        exit_code: r
            .exit_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| DASH.to_string()),
        duration: finite(r.duration_s)
            .map(|d| format!("{} s", fmt_fixed(d, 1)))
            .unwrap_or_else(|| DASH.to_string()),
        loadgen_messages: messages,
    }
}

fn categories(report: &Report, esc: Esc) -> CategoriesView {
    let rows = report
        .categories
        .iter()
        .map(|c| {
            let assessed = c.status != "not_assessed";
            CategoryView {
                id: esc.t(&c.category),
                name: esc.or(Some(&c.name), &c.category),
                events: if assessed {
                    fmt_count(c.events)
                } else {
                    DASH.to_string()
                },
                severity: c
                    .severity
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| DASH.to_string()),
                status: status_label(&c.status),
                tone: match c.status.as_str() {
                    "active" => c.severity.map(severity_tone).unwrap_or("warn"),
                    "not_observed" => "good",
                    _ => "na",
                }
                .to_string(),
                impact: esc.or(Some(&c.impact), DASH),
            }
        })
        .collect();
    CategoriesView {
        rows,
        empty_note: "No error categories were evaluated.".to_string(),
    }
}

fn findings(report: &Report, esc: Esc) -> FindingsView {
    FindingsView {
        items: sorted_findings(report)
            .into_iter()
            .map(|f| finding_view(f, esc))
            .collect(),
        empty_note: if report.overall.components_assessed == 0 {
            "No findings, but nothing could be assessed: absence of findings is not evidence of health.".to_string()
        } else {
            "No rule matched any input that was read.".to_string()
        },
    }
}

fn recommendations(report: &Report, esc: Esc) -> RecommendationsView {
    let mut recs: Vec<&crate::model::Recommendation> = report.recommendations.iter().collect();
    recs.sort_by_key(|r| std::cmp::Reverse(r.severity));
    RecommendationsView {
        items: recs
            .into_iter()
            .map(|r| RecommendationView {
                severity: r.severity.as_str().to_string(),
                tone: severity_tone(r.severity).to_string(),
                category: esc.or(Some(&r.category), DASH),
                text: esc.or(Some(&r.text), DASH),
                rules: esc.join(&r.rules, DASH),
                nodes: esc.join(&r.nodes, "all nodes"),
            })
            .collect(),
        empty_note: if report.overall.components_assessed == 0 {
            "No recommendations, because nothing could be assessed.".to_string()
        } else {
            "No recommendations: no finding called for action.".to_string()
        },
    }
}

fn inputs(report: &Report, esc: Esc) -> InputsView {
    let i = &report.inputs;
    let more = |total: u64, shown: usize| {
        let rest = total.saturating_sub(shown as u64);
        if rest > 0 {
            format!("and {} more not listed", fmt_count(rest))
        } else {
            String::new()
        }
    };
    InputsView {
        root: esc.or(Some(&i.root), DASH),
        files_total: fmt_count(i.files_total),
        files_recognized: fmt_count(i.files_recognized),
        files_unrecognized: fmt_count(i.files_unrecognized),
        by_kind: i
            .by_kind
            .iter()
            .map(|(k, v)| KindCountView {
                kind: esc.or(Some(k), DASH),
                count: fmt_count(*v),
            })
            .collect(),
        unrecognized: i
            .unrecognized
            .iter()
            .map(|p| esc.or(Some(p), DASH))
            .collect(),
        unrecognized_more: more(i.files_unrecognized, i.unrecognized.len()),
        unreadable: i
            .unreadable
            .iter()
            .map(|Unreadable { path, reason }| UnreadableView {
                path: esc.or(Some(path), DASH),
                reason: esc.or(Some(reason), DASH),
            })
            .collect(),
        unreadable_more: more(i.unreadable_total, i.unreadable.len()),
        warnings: i
            .warnings
            .iter()
            .map(|w| WarningView {
                location: esc.t(&match w.line {
                    Some(l) => format!("{}:{l}", w.path),
                    None => w.path.clone(),
                }),
                message: esc.or(Some(&w.message), DASH),
            })
            .collect(),
        warnings_total: fmt_count(i.warnings_total),
        warnings_more: more(i.warnings_total, i.warnings.len()),
    }
}

// ------------------------------------------------------------ words, tones

fn status_word(s: Status) -> &'static str {
    match s {
        Status::NotAssessed => NOT_ASSESSED,
        other => other.as_str(),
    }
}

fn status_tone(s: Status) -> &'static str {
    match s {
        Status::Excellent | Status::Good => "good",
        Status::Moderate => "warn",
        Status::Poor => "bad",
        Status::Critical => "crit",
        Status::NotAssessed => "na",
    }
}

/// CSS tone for a severity.
pub fn severity_tone(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "crit",
        Severity::High => "bad",
        Severity::Medium => "warn",
        Severity::Low | Severity::Info => "info",
    }
}

fn severity_word(s: Option<Severity>) -> String {
    s.map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "none".to_string())
}

/// `active`, `not observed`, `not assessed`: underscores become spaces, and
/// an unknown word is shown as given rather than guessed at.
pub(super) fn status_label(s: &str) -> String {
    match s {
        "active" => "active".to_string(),
        "not_observed" => "not observed".to_string(),
        "not_assessed" => NOT_ASSESSED.to_string(),
        other => clean_text(other).replace('_', " "),
    }
}

fn node_verdict(v: &str) -> (String, String) {
    let tone = match v {
        "healthy" => "good",
        "degraded" => "warn",
        "unhealthy" => "crit",
        _ => "na",
    };
    (status_label(v), tone.to_string())
}

/// Outcome as printed in the step matrix.
pub fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Failed => "failed",
        Outcome::TimedOut => "timed out",
        Outcome::Unreachable => "unreachable",
        Outcome::Skipped => "skipped",
    }
}

pub(super) fn outcome_tone(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "good",
        Outcome::Failed | Outcome::TimedOut => "bad",
        Outcome::Unreachable => "crit",
        Outcome::Skipped => "na",
    }
}

fn result_word(r: &str) -> String {
    match r {
        "VALID" | "INVALID" => r.to_string(),
        _ => "UNKNOWN".to_string(),
    }
}

// ---------------------------------------------------------------- numbers

pub(super) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// `v` with `decimals` places and thousands separators (`12,345.68`).
pub fn fmt_fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let s = format!("{:.*}", decimals, v);
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    // `-0.00` reads as a loss that did not happen.
    let is_zero = digits.chars().all(|c| c == '0' || c == '.');
    let mut out = String::new();
    if neg && !is_zero {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Like [`fmt_fixed`] with trailing zeros (and a bare point) removed.
pub fn fmt_trim(v: f64, decimals: usize) -> String {
    let s = fmt_fixed(v, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A score rounded half away from zero (`72`).
fn fmt_score_num(v: f64) -> String {
    fmt_fixed(v.round(), 0)
}

/// `72`, or `not assessed` for a missing score (never `0`).
pub fn fmt_score(v: Option<f64>) -> String {
    finite(v)
        .map(fmt_score_num)
        .unwrap_or_else(|| NOT_ASSESSED.to_string())
}

/// `72/100`, or `not assessed`.
pub fn fmt_score_of_100(v: Option<f64>) -> String {
    finite(v)
        .map(|v| format!("{}/100", fmt_score_num(v)))
        .unwrap_or_else(|| NOT_ASSESSED.to_string())
}

/// A 0–1 share as a percentage (`83%`), or `—`.
pub fn fmt_pct(v: Option<f64>, decimals: usize) -> String {
    finite(v)
        .map(|v| format!("{}%", fmt_fixed(v * 100.0, decimals)))
        .unwrap_or_else(|| DASH.to_string())
}

/// A rate with its unit (`190.03 samples/s`), or `—`.
pub fn fmt_rate(v: Option<f64>, unit: &str) -> String {
    finite(v)
        .map(|v| format!("{} {unit}", fmt_fixed(v, 2)))
        .unwrap_or_else(|| DASH.to_string())
}

/// Nanoseconds as milliseconds, with precision that keeps about three
/// significant digits (`980 ms`, `12.3 ms`, `0.042 ms`), or `—`.
pub fn fmt_ms(ns: Option<f64>) -> String {
    let Some(ns) = finite(ns) else {
        return DASH.to_string();
    };
    let ms = ns / 1e6;
    let a = ms.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    if a > 0.0 && a < 0.001 {
        return "<0.001 ms".to_string();
    }
    format!("{} ms", fmt_fixed(ms, decimals))
}

/// An integer with thousands separators.
pub fn fmt_count(n: u64) -> String {
    fmt_fixed(n as f64, 0)
}

/// A deduction as `−10` (a real minus sign), or `0`.
fn fmt_deduction(d: f64) -> String {
    match finite(Some(d)) {
        Some(d) if d.abs() >= 0.05 => format!("−{}", fmt_trim(d.abs(), 1)),
        Some(_) => "0".to_string(),
        None => DASH.to_string(),
    }
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", fmt_count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_with_units_and_dashes() {
        assert_eq!(fmt_score(Some(72.4)), "72");
        assert_eq!(fmt_score(Some(72.5)), "73");
        assert_eq!(fmt_score(None), "not assessed");
        assert_eq!(fmt_score(Some(f64::NAN)), "not assessed");
        assert_eq!(fmt_score_of_100(Some(0.0)), "0/100");
        assert_eq!(fmt_rate(Some(190.0312), "samples/s"), "190.03 samples/s");
        assert_eq!(fmt_rate(Some(12345.678), "tokens/s"), "12,345.68 tokens/s");
        assert_eq!(fmt_rate(None, "samples/s"), "—");
        assert_eq!(fmt_ms(Some(980_123_456.0)), "980 ms");
        assert_eq!(fmt_ms(Some(1_610_000_000.0)), "1,610 ms");
        assert_eq!(fmt_ms(Some(12_345_678.0)), "12.3 ms");
        assert_eq!(fmt_ms(Some(2_345_678.0)), "2.35 ms");
        assert_eq!(fmt_ms(Some(42_000.0)), "0.042 ms");
        assert_eq!(fmt_ms(Some(10.0)), "<0.001 ms");
        assert_eq!(fmt_ms(Some(0.0)), "0.000 ms");
        assert_eq!(fmt_ms(Some(f64::INFINITY)), "—");
        assert_eq!(fmt_pct(Some(0.8333), 0), "83%");
        assert_eq!(fmt_pct(Some(0.04219), 1), "4.2%");
        assert_eq!(fmt_fixed(-0.0001, 2), "0.00");
        assert_eq!(fmt_fixed(-1234.5, 1), "-1,234.5");
        assert_eq!(fmt_trim(70.0, 1), "70");
        assert_eq!(fmt_trim(70.25, 1), "70.2");
        assert_eq!(fmt_deduction(10.0), "−10");
        assert_eq!(fmt_deduction(0.0), "0");
        assert_eq!(fmt_count(1_000_000), "1,000,000");
    }

    #[test]
    fn status_labels_never_read_as_resolved() {
        assert_eq!(status_label("not_observed"), "not observed");
        assert_eq!(status_label("not_assessed"), "not assessed");
        assert_eq!(status_label("weird_word\x1b[1m"), "weird word");
    }
}
