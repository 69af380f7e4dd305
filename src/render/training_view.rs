//! The view model of the MLPerf Training section, for the partials
//! `templates/sections/training.{md,html}` (which expect it as `training`).
//!
//! Same conventions as [`super::view`]: every number is formatted here,
//! every string from the inputs is escaped for its target ([`md_cell`] for
//! Markdown, [`clean_text`] for HTML, where Tera autoescapes), and a value
//! the logs did not hold reads `—` or says why, never `0`.

use serde::Serialize;

use crate::model::{
    ComplianceIssue, Evidence, Report, TrainingBenchmarkReport, TrainingRunReport, TrainingStatus,
};

use super::escape::{clean_text, md_cell};
use super::training_chart::{curve_data, draw_curve_chart};
use super::view::{EvidenceView, Target, fmt_count, fmt_fixed, fmt_trim};

/// Shown for a value the inputs did not contain.
const DASH: &str = "—";

/// Most evidence lines shown per run or issue.
const EVIDENCE_SHOWN: usize = 3;

/// Section anchor id and heading.
pub const SECTION_ID: &str = "training";
/// Section heading.
pub const SECTION_TITLE: &str = "MLPerf Training runs";

/// The training section.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingView {
    /// Anchor id.
    pub id: String,
    /// Heading.
    pub title: String,
    /// True when any training log was read.
    pub present: bool,
    /// One sentence: runs, folders, statuses.
    pub summary: String,
    /// Shown instead of the tables when no training log was read.
    pub empty_note: String,
    /// One block per benchmark folder.
    pub benchmarks: Vec<TrainingBenchmarkView>,
    /// Where the run counts, targets and rules come from.
    pub rules_source: String,
}

/// One benchmark folder.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingBenchmarkView {
    /// Benchmark name.
    pub benchmark: String,
    /// Folder.
    pub group: String,
    /// `19.12 min`, or `no result`.
    pub result: String,
    /// CSS tone of the result.
    pub result_tone: String,
    /// How the result was computed, or why there is none.
    pub note: String,
    /// `5 of 5 required`, `2 of 10 required`, `3 (requirement unknown)`.
    pub runs: String,
    /// CSS tone of the run count.
    pub runs_tone: String,
    /// Runs counted.
    pub scored: String,
    /// Runs dropped.
    pub dropped: String,
    /// Time-to-train of the counted runs, ascending (`15.85, 19.04 min`).
    pub scores: String,
    /// The eval-accuracy chart.
    pub chart: TrainingChartView,
    /// The runs, in path order.
    pub runs_list: Vec<TrainingRunView>,
}

/// A chart: the file Markdown links to, and for HTML the inline SVG.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingChartView {
    /// `charts/training-01-retinanet.svg`.
    pub file: String,
    /// Caption.
    pub title: String,
    /// The SVG element to inline (HTML only; empty for Markdown). Text in
    /// it is escaped by plotters, so templates insert it with `| safe`.
    pub svg: String,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingRunView {
    /// File name (`result_0.txt`).
    pub file: String,
    /// Path relative to the root.
    pub path: String,
    /// `success`, `aborted`, `incomplete`, or the logged status.
    pub status: String,
    /// CSS tone of the status.
    pub tone: String,
    /// `19.04 min` or `—`.
    pub time_to_train: String,
    /// `>= 0.34` or `—`.
    pub target: String,
    /// `epoch 5 (evaluation 6, 17.9 min after run_start)`, `not reached`,
    /// or `—` without a target.
    pub reached: String,
    /// Best `eval_accuracy`.
    pub best_eval: String,
    /// Evaluations logged.
    pub evals: String,
    /// Seed.
    pub seed: String,
    /// `global_batch_size`.
    pub global_batch_size: String,
    /// `yes`, or `no: aborted`.
    pub counted: String,
    /// Compliance rules not met.
    pub issues: Vec<TrainingIssueView>,
    /// `run_start` / `run_stop` lines.
    pub evidence: Vec<EvidenceView>,
}

/// One compliance issue of a run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingIssueView {
    /// `required_keys`, `event_order`, `seed`.
    pub rule: String,
    /// What is wrong.
    pub detail: String,
    /// Where.
    pub evidence: Vec<EvidenceView>,
}

#[derive(Clone, Copy)]
struct Esc(Target);

impl Esc {
    fn t(self, s: &str) -> String {
        match self.0 {
            Target::Markdown => md_cell(s),
            Target::Html => clean_text(s),
        }
    }

    fn or(self, s: Option<&str>) -> String {
        let v = s.map(|s| self.t(s)).unwrap_or_default();
        if v.is_empty() { DASH.to_string() } else { v }
    }

    fn evidence(self, list: &[Evidence]) -> Vec<EvidenceView> {
        list.iter()
            .take(EVIDENCE_SHOWN)
            .map(|e| EvidenceView {
                location: self.t(&e.location()),
                locator: e.locator.as_deref().map(|l| self.t(l)).unwrap_or_default(),
                text: self.t(&e.text),
            })
            .collect()
    }
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Minutes with two decimals (`95.97 min`), or `—`.
pub fn fmt_minutes(v: Option<f64>) -> String {
    finite(v)
        .map(|m| format!("{} min", fmt_fixed(m, 2)))
        .unwrap_or_else(|| DASH.to_string())
}

/// An eval value with up to five decimals, trailing zeros dropped.
fn fmt_eval(v: Option<f64>) -> String {
    finite(v)
        .map(|x| fmt_trim(x, 5))
        .unwrap_or_else(|| DASH.to_string())
}

fn status_tone(s: TrainingStatus) -> &'static str {
    match s {
        TrainingStatus::Success => "good",
        TrainingStatus::Aborted => "bad",
        TrainingStatus::Incomplete => "crit",
        TrainingStatus::Other => "warn",
    }
}

fn reached(r: &TrainingRunReport) -> String {
    match (&r.reached, r.converged) {
        (Some(t), _) => {
            let at = match (t.samples_count, t.epoch_num) {
                (Some(s), _) if r.curve_axis == "samples" => format!("{} samples", fmt_trim(s, 2)),
                (_, Some(e)) => format!("epoch {}", fmt_trim(e, 3)),
                (Some(s), None) => format!("{} samples", fmt_trim(s, 2)),
                (None, None) => format!("evaluation {}", t.eval_index),
            };
            let mut detail = format!("evaluation {}", t.eval_index);
            if let Some(m) = finite(t.minutes) {
                detail.push_str(&format!(", {} after run_start", fmt_minutes(Some(m))));
            }
            format!("{at} ({detail})")
        }
        (None, Some(false)) => "not reached".to_string(),
        _ => DASH.to_string(),
    }
}

fn issue(i: &ComplianceIssue, esc: Esc) -> TrainingIssueView {
    TrainingIssueView {
        rule: esc.t(&i.rule),
        detail: esc.t(&i.detail),
        evidence: esc.evidence(&i.evidence),
    }
}

fn run(r: &TrainingRunReport, esc: Esc) -> TrainingRunView {
    let name = r.path.rsplit('/').next().unwrap_or(&r.path);
    let status = match r.status {
        TrainingStatus::Other => format!(
            "other ({})",
            r.status_text.as_deref().unwrap_or("no status")
        ),
        s => s.as_str().to_string(),
    };
    TrainingRunView {
        file: esc.or(Some(name)),
        path: esc.or(Some(&r.path)),
        status: esc.t(&status),
        tone: status_tone(r.status).to_string(),
        time_to_train: fmt_minutes(r.time_to_train_min),
        target: r
            .target
            .as_ref()
            .map(|t| esc.t(&format!("{} {}", t.op, fmt_trim(t.value, 5))))
            .unwrap_or_else(|| DASH.to_string()),
        reached: reached(r),
        best_eval: fmt_eval(r.best_eval),
        evals: fmt_count(r.evals),
        seed: esc.or(r.seed.as_deref()),
        global_batch_size: esc.or(r.global_batch_size.as_deref()),
        counted: if r.scored {
            "yes".to_string()
        } else {
            esc.t(&format!("no: {}", r.dropped_reason))
        },
        issues: r.compliance.iter().map(|i| issue(i, esc)).collect(),
        evidence: esc.evidence(&r.evidence),
    }
}

fn benchmark(
    report: &Report,
    index: usize,
    b: &TrainingBenchmarkReport,
    esc: Esc,
) -> TrainingBenchmarkView {
    let runs: Vec<TrainingRunView> = report
        .training
        .runs
        .iter()
        .filter(|r| {
            r.group == b.group && r.benchmark.as_deref().unwrap_or("unknown") == b.benchmark
        })
        .map(|r| run(r, esc))
        .collect();
    let data = curve_data(report, index, b);
    let svg = match esc.0 {
        // A chart that fails to draw leaves the caption and the tables.
        Target::Html => draw_curve_chart(&data)
            .map(|s| super::charts::inline_svg(&s))
            .unwrap_or_default(),
        Target::Markdown => String::new(),
    };
    let (runs_text, runs_tone) = match (b.required_runs, b.runs_met) {
        (Some(req), Some(true)) => (format!("{} of {req} required", b.runs), "good"),
        (Some(req), _) => (format!("{} of {req} required", b.runs), "bad"),
        (None, _) => (format!("{} (requirement unknown)", b.runs), "na"),
    };
    TrainingBenchmarkView {
        benchmark: esc.or(Some(&b.benchmark)),
        group: esc.or(Some(&b.group)),
        result: match finite(b.result_min) {
            Some(m) => fmt_minutes(Some(m)),
            None => "no result".to_string(),
        },
        result_tone: if finite(b.result_min).is_some() {
            "good"
        } else {
            "bad"
        }
        .to_string(),
        note: esc.t(&b.note),
        runs: runs_text,
        runs_tone: runs_tone.to_string(),
        scored: fmt_count(b.scored_runs),
        dropped: fmt_count(b.dropped_runs),
        scores: if b.scores_min.is_empty() {
            DASH.to_string()
        } else {
            format!(
                "{} min",
                b.scores_min
                    .iter()
                    .map(|m| fmt_fixed(*m, 2))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        chart: TrainingChartView {
            file: data.file.clone(),
            title: esc.t(&data.title),
            svg,
        },
        runs_list: runs,
    }
}

impl TrainingView {
    /// Build the training section of `report` with strings escaped for
    /// `target`.
    pub fn new(report: &Report, target: Target) -> TrainingView {
        let esc = Esc(target);
        let t = &report.training;
        let count = |s: TrainingStatus| t.runs.iter().filter(|r| r.status == s).count() as u64;
        let mut parts = Vec::new();
        for s in [
            TrainingStatus::Success,
            TrainingStatus::Aborted,
            TrainingStatus::Incomplete,
            TrainingStatus::Other,
        ] {
            let n = count(s);
            if n > 0 {
                parts.push(format!("{} {}", fmt_count(n), s.as_str()));
            }
        }
        let with_result = t
            .benchmarks
            .iter()
            .filter(|b| finite(b.result_min).is_some())
            .count() as u64;
        let summary = format!(
            "{} training run(s) in {} benchmark folder(s) ({}); {} folder(s) have an MLPerf result. Time-to-train is run_stop − run_start; the result is the olympic average result_summarizer computes (fastest and slowest run dropped, dropped runs counting as the slowest).",
            fmt_count(t.runs.len() as u64),
            fmt_count(t.benchmarks.len() as u64),
            if parts.is_empty() {
                DASH.to_string()
            } else {
                parts.join(", ")
            },
            fmt_count(with_result),
        );
        TrainingView {
            id: SECTION_ID.to_string(),
            title: SECTION_TITLE.to_string(),
            present: !t.runs.is_empty(),
            summary,
            empty_note: "No MLPerf Training logs (result_*.txt with :::MLLOG events) were found."
                .to_string(),
            benchmarks: t
                .benchmarks
                .iter()
                .enumerate()
                .map(|(i, b)| benchmark(report, i, b, esc))
                .collect(),
            rules_source: esc.t(&t.rules_source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_evals_format_with_dashes() {
        assert_eq!(fmt_minutes(Some(95.96895)), "95.97 min");
        assert_eq!(fmt_minutes(Some(f64::NAN)), "—");
        assert_eq!(fmt_minutes(None), "—");
        assert_eq!(fmt_eval(Some(0.8025879859924316)), "0.80259");
        assert_eq!(fmt_eval(Some(3.3)), "3.3");
    }
}
