//! The `baseline` section as pre-formatted strings for the report templates
//! (`{% if baseline %}` blocks at the end of `templates/report.{md,html}`).
//! Markdown strings are escaped with `md_cell`; HTML strings are only
//! cleaned, Tera autoescapes them.

use serde::Serialize;

use crate::model::BaselineComparison;
use crate::render::escape::md_cell;
use crate::text::clean_text;

use super::compare::describe_difference;
use super::diff::{fmt_delta, fmt_value};

/// One metric row.
#[derive(Debug, Serialize)]
pub struct MetricRow {
    /// Metric, with its run group when it has one.
    pub metric: String,
    /// Baseline value.
    pub baseline: String,
    /// Current value.
    pub current: String,
    /// Change.
    pub change: String,
    /// Trend word.
    pub trend: String,
    /// CSS tone of the trend.
    pub tone: String,
    /// Why.
    pub reason: String,
}

/// The section.
#[derive(Debug, Serialize)]
pub struct BaselineView {
    /// Baseline source and date.
    pub source: String,
    /// `2 improving, …`.
    pub summary: String,
    /// Configuration differences, in words.
    pub differences: Vec<String>,
    /// Metric rows.
    pub metrics: Vec<MetricRow>,
    /// New findings, in words.
    pub findings_new: Vec<String>,
    /// Gone findings, in words.
    pub findings_gone: Vec<String>,
    /// Recurring findings count.
    pub findings_recurring: usize,
    /// Steps whose outcome changed, in words.
    pub steps_changed: Vec<String>,
}

/// Build the view; `markdown` selects the escaping.
pub fn baseline_view(c: &BaselineComparison, markdown: bool) -> BaselineView {
    let esc = |s: &str| {
        if markdown { md_cell(s) } else { clean_text(s) }
    };
    let finding = |f: &crate::model::FindingKey| {
        let mut s = format!("{} {}", f.severity, f.rule);
        if !f.node.is_empty() {
            s.push_str(&format!(" on {}", f.node));
        }
        if !f.step.is_empty() {
            s.push_str(&format!(" in {}", f.step));
        }
        esc(&format!("{s}: {}", f.title))
    };
    let s = &c.summary;
    BaselineView {
        source: esc(&format!(
            "{} ({})",
            c.baseline.source,
            c.baseline.generated_at.as_deref().unwrap_or("undated")
        )),
        summary: format!(
            "{} improving, {} stable, {} degrading, {} inconclusive",
            s.improving, s.stable, s.degrading, s.inconclusive
        ),
        differences: c
            .config_differences
            .iter()
            .map(|d| esc(&describe_difference(d)))
            .collect(),
        metrics: c
            .metrics
            .iter()
            .map(|m| MetricRow {
                metric: esc(&match &m.group {
                    Some(g) => format!("{}: {}", g, m.label),
                    None => m.label.clone(),
                }),
                baseline: esc(&fmt_value(m.baseline, &m.unit)),
                current: esc(&fmt_value(m.current, &m.unit)),
                change: esc(&fmt_delta(m)),
                trend: m.trend.as_str().to_string(),
                tone: match m.trend {
                    crate::model::Trend::Improving => "good",
                    crate::model::Trend::Stable => "info",
                    crate::model::Trend::Degrading => "bad",
                    crate::model::Trend::Inconclusive => "na",
                }
                .to_string(),
                reason: esc(&m.reason),
            })
            .collect(),
        findings_new: c.findings_new.iter().map(finding).collect(),
        findings_gone: c.findings_gone.iter().map(finding).collect(),
        findings_recurring: c.findings_recurring.len(),
        steps_changed: c
            .steps_changed
            .iter()
            .map(|st| {
                esc(&format!(
                    "{} on {}: {} → {}",
                    st.name,
                    st.node,
                    st.baseline.as_deref().unwrap_or("absent"),
                    st.current.as_deref().unwrap_or("absent")
                ))
            })
            .collect(),
    }
}

/// Insert `baseline` into a template context when the report has one.
pub fn insert(context: &mut tera::Context, report: &crate::model::Report, markdown: bool) {
    if let Some(c) = &report.baseline {
        context.insert("baseline", &baseline_view(c, markdown));
    }
}
