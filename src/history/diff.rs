//! `mlperf-health diff A B`: a [`BaselineComparison`] printed for a terminal
//! (plain aligned text) or as GitHub-flavoured Markdown.
//!
//! Every string that came from a report (titles, node and step names, rule
//! ids, versions) is untrusted: terminal text goes through `clean_text` (no
//! escape sequences reach the terminal), Markdown through `md_cell`.

use std::fmt::Write as _;

use crate::model::{BaselineComparison, FindingKey, MetricDelta};
use crate::render::escape::md_cell;
use crate::render::view::fmt_fixed;
use crate::text::clean_text;

use super::compare::signed;

/// Output flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// Aligned plain text.
    Text,
    /// Markdown tables.
    Markdown,
}

const DASH: &str = "—";

/// A metric value in its unit, with sensible precision.
pub fn fmt_value(v: Option<f64>, unit: &str) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return DASH.to_string();
    };
    match unit {
        "points" | "count" => fmt_fixed(v, 0),
        "ms" => {
            let d = if v.abs() >= 100.0 {
                0
            } else if v.abs() >= 10.0 {
                1
            } else {
                2
            };
            format!("{} ms", fmt_fixed(v, d))
        }
        _ => format!("{} {unit}", fmt_fixed(v, 2)),
    }
}

/// `+4 (+6.1%)`, or `—`.
pub fn fmt_delta(m: &MetricDelta) -> String {
    let Some(d) = m.delta.filter(|d| d.is_finite()) else {
        return DASH.to_string();
    };
    let decimals = match m.unit.as_str() {
        "points" | "count" => 0,
        "ms" => 2,
        _ => 2,
    };
    match m.delta_pct.filter(|p| p.is_finite()) {
        Some(p) => format!("{} ({}%)", signed(d, decimals), signed(p, 1)),
        None => signed(d, decimals),
    }
}

fn or_dash(s: Option<&str>) -> &str {
    s.filter(|s| !s.is_empty()).unwrap_or(DASH)
}

/// Render `c` comparing `current` (a label, e.g. the path given) against
/// its baseline.
pub fn render(c: &BaselineComparison, current: &str, format: DiffFormat) -> String {
    match format {
        DiffFormat::Text => render_text(c, current),
        DiffFormat::Markdown => render_markdown(c, current),
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < r.len() {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn metric_row(m: &MetricDelta, clean: fn(&str) -> String) -> Vec<String> {
    vec![
        clean(&m.label),
        fmt_value(m.baseline, &m.unit),
        fmt_value(m.current, &m.unit),
        fmt_delta(m),
        m.trend.as_str().to_string(),
        clean(&m.reason),
    ]
}

fn header_lines(c: &BaselineComparison, current: &str) -> (String, String, String) {
    let b = &c.baseline;
    let base = format!(
        "{} ({}, generated {})",
        b.source,
        if b.title.is_empty() {
            "untitled"
        } else {
            &b.title
        },
        or_dash(b.generated_at.as_deref())
    );
    let s = &c.summary;
    let summary = format!(
        "{} improving, {} stable, {} degrading, {} inconclusive",
        s.improving, s.stable, s.degrading, s.inconclusive
    );
    (current.to_string(), base, summary)
}

fn finding_cells(f: &FindingKey, clean: fn(&str) -> String) -> Vec<String> {
    vec![
        clean(&f.severity),
        clean(&f.rule),
        clean(or_dash(Some(&f.node))),
        clean(or_dash(Some(&f.step))),
        clean(&f.title),
    ]
}

fn grouped(c: &BaselineComparison) -> Vec<(Option<&str>, Vec<&MetricDelta>)> {
    let mut out: Vec<(Option<&str>, Vec<&MetricDelta>)> = Vec::new();
    for m in &c.metrics {
        let g = m.group.as_deref();
        match out.last_mut() {
            Some((last, list)) if *last == g => list.push(m),
            _ => out.push((g, vec![m])),
        }
    }
    out
}

fn render_text(c: &BaselineComparison, current: &str) -> String {
    let clean = |s: &str| clean_text(s);
    let (cur, base, summary) = header_lines(c, current);
    let mut o = String::new();
    let _ = writeln!(o, "current:  {}", clean(&cur));
    let _ = writeln!(o, "baseline: {}", clean(&base));
    let _ = writeln!(o, "trends:   {summary}");
    o.push('\n');
    let _ = writeln!(
        o,
        "Configuration differences ({})",
        c.config_differences.len()
    );
    if c.config_differences.is_empty() {
        o.push_str("  none: every metric was compared\n");
    } else {
        let rows: Vec<Vec<String>> = c
            .config_differences
            .iter()
            .map(|d| {
                vec![
                    clean(&d.scope),
                    clean(&d.what),
                    format!("{} → {}", clean(&d.baseline), clean(&d.current)),
                ]
            })
            .collect();
        o.push_str(&table(&rows));
    }
    let head = || {
        ["metric", "baseline", "current", "change", "trend", "why"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    for (group, list) in grouped(c) {
        o.push('\n');
        match group {
            None => o.push_str("Scores and counts\n"),
            Some(g) => {
                let _ = writeln!(o, "Run group {}", clean(g));
            }
        }
        let mut rows = vec![head()];
        rows.extend(list.iter().map(|m| metric_row(m, clean)));
        o.push_str(&table(&rows));
    }
    for (title, list) in [
        ("New findings", &c.findings_new),
        ("Recurring findings", &c.findings_recurring),
        ("Gone findings", &c.findings_gone),
    ] {
        o.push('\n');
        let _ = writeln!(o, "{title} ({})", list.len());
        if !list.is_empty() {
            let rows: Vec<Vec<String>> = list.iter().map(|f| finding_cells(f, clean)).collect();
            o.push_str(&table(&rows));
        }
    }
    o.push('\n');
    let _ = writeln!(o, "Steps whose outcome changed ({})", c.steps_changed.len());
    if !c.steps_changed.is_empty() {
        let rows: Vec<Vec<String>> = c
            .steps_changed
            .iter()
            .map(|s| {
                vec![
                    clean(&s.name),
                    clean(&s.node),
                    format!(
                        "{} → {}",
                        clean(or_dash(s.baseline.as_deref())),
                        clean(or_dash(s.current.as_deref()))
                    ),
                ]
            })
            .collect();
        o.push_str(&table(&rows));
    }
    o.push('\n');
    let _ = writeln!(o, "Versions changed ({})", c.versions_changed.len());
    if !c.versions_changed.is_empty() {
        let rows: Vec<Vec<String>> = c
            .versions_changed
            .iter()
            .map(|v| {
                vec![
                    clean(&v.component),
                    clean(&v.node),
                    format!(
                        "{} → {}",
                        clean(or_dash(v.baseline.as_deref())),
                        clean(or_dash(v.current.as_deref()))
                    ),
                ]
            })
            .collect();
        o.push_str(&table(&rows));
    }
    o
}

fn md_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let _ = writeln!(
        o,
        "|{}|",
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(o, "| {} |", r.join(" | "));
    }
    o
}

fn render_markdown(c: &BaselineComparison, current: &str) -> String {
    let md = |s: &str| md_cell(s);
    let (cur, base, summary) = header_lines(c, current);
    let mut o = String::new();
    o.push_str("# Comparison with the baseline\n\n");
    let _ = writeln!(o, "- Current: {}", md(&cur));
    let _ = writeln!(o, "- Baseline: {}", md(&base));
    let _ = writeln!(o, "- Trends: {summary}");
    o.push_str("\nMethod: see `docs/history.md` (Welch t-test where both sides have repeated runs, otherwise thresholds; different configurations are inconclusive).\n");
    o.push_str("\n## Configuration differences\n\n");
    if c.config_differences.is_empty() {
        o.push_str("None: every metric was compared.\n");
    } else {
        let rows: Vec<Vec<String>> = c
            .config_differences
            .iter()
            .map(|d| vec![md(&d.scope), md(&d.what), md(&d.baseline), md(&d.current)])
            .collect();
        o.push_str(&md_table(&["Scope", "What", "Baseline", "Current"], &rows));
    }
    let head = ["Metric", "Baseline", "Current", "Change", "Trend", "Why"];
    for (group, list) in grouped(c) {
        match group {
            None => o.push_str("\n## Scores and counts\n\n"),
            Some(g) => {
                let _ = write!(o, "\n## Run group {}\n\n", md(g));
            }
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|m| {
                let mut r = metric_row(m, md_cell);
                r[4] = format!("**{}**", r[4]);
                r
            })
            .collect();
        o.push_str(&md_table(&head, &rows));
    }
    o.push_str("\n## Findings\n");
    for (title, list) in [
        ("New", &c.findings_new),
        ("Recurring", &c.findings_recurring),
        ("Gone", &c.findings_gone),
    ] {
        let _ = write!(o, "\n### {title} ({})\n\n", list.len());
        if list.is_empty() {
            o.push_str("None.\n");
        } else {
            let rows: Vec<Vec<String>> = list.iter().map(|f| finding_cells(f, md_cell)).collect();
            o.push_str(&md_table(
                &["Severity", "Rule", "Node", "Step", "Title"],
                &rows,
            ));
        }
    }
    let _ = write!(
        o,
        "\n## Steps whose outcome changed ({})\n\n",
        c.steps_changed.len()
    );
    if c.steps_changed.is_empty() {
        o.push_str("None.\n");
    } else {
        let rows: Vec<Vec<String>> = c
            .steps_changed
            .iter()
            .map(|s| {
                vec![
                    md(&s.name),
                    md(&s.node),
                    md(or_dash(s.baseline.as_deref())),
                    md(or_dash(s.current.as_deref())),
                ]
            })
            .collect();
        o.push_str(&md_table(&["Step", "Node", "Baseline", "Current"], &rows));
    }
    let _ = write!(
        o,
        "\n## Versions changed ({})\n\n",
        c.versions_changed.len()
    );
    if c.versions_changed.is_empty() {
        o.push_str("None.\n");
    } else {
        let rows: Vec<Vec<String>> = c
            .versions_changed
            .iter()
            .map(|v| {
                vec![
                    md(&v.component),
                    md(&v.node),
                    md(or_dash(v.baseline.as_deref())),
                    md(or_dash(v.current.as_deref())),
                ]
            })
            .collect();
        o.push_str(&md_table(
            &["Component", "Node", "Baseline", "Current"],
            &rows,
        ));
    }
    o
}
