//! The compact Markdown summary `--github-summary` appends to
//! `$GITHUB_STEP_SUMMARY`: overall score, the component table, failed steps
//! and the top findings, with a pointer to the full report.
//!
//! GitHub rejects a step summary over 1 MiB (and then shows nothing), so the
//! text is built line by line against a byte budget; whatever does not fit is
//! replaced by a note saying so. Lists are also capped by count so a summary
//! stays readable on a campaign with thousands of failed steps.

use crate::model::{Report, Status};

use super::escape::{md_cell, truncate_chars};
use super::view::{fmt_score_of_100, outcome_word};

/// GitHub's limit for one step's summary, in bytes.
pub const GITHUB_SUMMARY_LIMIT: usize = 1024 * 1024;

/// Failed steps listed before "… and N more".
pub const MAX_FAILED_STEPS: usize = 50;

/// Findings listed, most severe first.
pub const MAX_FINDINGS: usize = 10;

/// Longest cell text, in characters.
const CELL_MAX: usize = 200;

/// Room always kept for the truncation note.
const NOTE_RESERVE: usize = 512;

/// The summary of `report` in at most `budget` bytes (an empty string when
/// not even the truncation note fits).
pub fn github_summary(report: &Report, budget: usize) -> String {
    let lines = summary_lines(report);
    let full_len: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut out = String::with_capacity(full_len.min(budget));
    if full_len <= budget {
        for line in &lines {
            out.push_str(line);
            out.push('\n');
        }
        return out;
    }
    for (i, line) in lines.iter().enumerate() {
        if out.len() + line.len() + 1 + NOTE_RESERVE <= budget {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let note = format!(
            "\n> **Summary truncated** to stay under GitHub's 1 MiB step-summary limit: \
             {} more line(s) left out. The full report is in `report.md` / `report.html`.\n",
            lines.len() - i
        );
        if out.len() + note.len() <= budget {
            out.push_str(&note);
        } else if note.len() > budget {
            out.clear();
        } else {
            // Drop whole lines from the end until the note fits.
            while out.len() + note.len() > budget {
                let cut = out[..out.len().saturating_sub(1)]
                    .rfind('\n')
                    .map_or(0, |p| p + 1);
                out.truncate(cut);
            }
            out.push_str(&note);
        }
        return out;
    }
    // Unreachable in practice (the whole text did not fit, so some line
    // did not either); kept so the function is total.
    out
}

fn cell(s: &str) -> String {
    md_cell(&truncate_chars(s, CELL_MAX))
}

fn status_word(s: Status) -> String {
    s.as_str().replace('_', " ")
}

fn summary_lines(report: &Report) -> Vec<String> {
    let mut l = Vec::new();
    let o = &report.overall;
    let score = fmt_score_of_100(o.score);
    let status = status_word(o.status);
    let title = if report.title.trim().is_empty() {
        "MLPerf campaign health".to_string()
    } else {
        cell(&report.title)
    };
    l.push(format!("## {title}"));
    l.push(String::new());
    if score == status {
        l.push(format!("**Overall score: {score}**"));
    } else {
        l.push(format!("**Overall score: {score}** ({status})"));
    }
    l.push(String::new());
    l.push(cell(&o.verdict));
    l.push(String::new());

    l.push("| Component | Score | Status |".to_string());
    l.push("|---|---:|---|".to_string());
    for c in &report.components {
        l.push(format!(
            "| {} | {} | {} |",
            cell(&c.name),
            fmt_score_of_100(c.score),
            status_word(c.status)
        ));
    }
    l.push(String::new());

    let failed: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.outcome.is_failure())
        .collect();
    l.push(format!(
        "### Failed steps: {} of {}",
        failed.len(),
        report.steps.len()
    ));
    l.push(String::new());
    if failed.is_empty() {
        l.push("No harness step failed, timed out or was unreachable.".to_string());
    } else {
        l.push("| Node | Step | Outcome | Message |".to_string());
        l.push("|---|---|---|---|".to_string());
        for s in failed.iter().take(MAX_FAILED_STEPS) {
            let outcome = match s.exit_code {
                Some(rc) => format!("{} (rc {rc})", outcome_word(s.outcome)),
                None => outcome_word(s.outcome).to_string(),
            };
            l.push(format!(
                "| {} | {} | {outcome} | {} |",
                cell(&s.node),
                cell(&s.name),
                s.message.as_deref().map(cell).unwrap_or_else(|| "—".into())
            ));
        }
        if failed.len() > MAX_FAILED_STEPS {
            l.push(String::new());
            l.push(format!(
                "… and {} more failed step(s); see the step status matrix in the full report.",
                failed.len() - MAX_FAILED_STEPS
            ));
        }
    }
    l.push(String::new());

    l.push(format!(
        "### Top findings: {} of {}",
        report.findings.len().min(MAX_FINDINGS),
        report.findings.len()
    ));
    l.push(String::new());
    if report.findings.is_empty() {
        l.push("No findings.".to_string());
    } else {
        l.push("| Severity | Finding | Events | Nodes | Evidence |".to_string());
        l.push("|---|---|---:|---|---|".to_string());
        let mut findings: Vec<_> = report.findings.iter().collect();
        // Most severe first, then most frequent; stable for equal keys.
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.count.cmp(&a.count)));
        for f in findings.into_iter().take(MAX_FINDINGS) {
            let evidence = f
                .evidence
                .first()
                .map(|e| format!("<code>{}</code>", cell(&e.location())))
                .unwrap_or_else(|| "—".into());
            let nodes = if f.nodes.is_empty() {
                "—".to_string()
            } else {
                cell(&f.nodes.join(", "))
            };
            l.push(format!(
                "| {} | {} | {} | {nodes} | {evidence} |",
                f.severity.as_str(),
                cell(&f.title),
                f.count
            ));
        }
    }
    l.push(String::new());

    let i = &report.inputs;
    l.push(format!(
        "Inputs: {} file(s), {} recognised, {} unreadable, {} parse warning(s). \
         Full report: `report.html`, `report.md`, `report.json`. By {} {}.",
        i.files_total,
        i.files_recognized,
        i.unreadable.len(),
        i.warnings_total,
        cell(&report.tool.name),
        cell(&report.tool.version)
    ));
    l.push(String::new());
    l
}
