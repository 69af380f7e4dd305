//! `mlperf-health index ARCHIVE --out SITE`: a static, self-contained site
//! over an archive of past reports: `index.html` (runs newest first, targets,
//! trend charts, nodes) and `nodes/<node>.html` (one node's verdict history).
//!
//! Work is linear in the number of runs: every report is read once, its run
//! groups computed once, and node histories filled in the same pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use serde::Serialize;
use tera::Context;

use crate::error::FatalError;
use crate::render::OutputFile;
use crate::render::charts::inline_svg;
use crate::render::templates;
use crate::render::view::fmt_fixed;
use crate::text::clean_text;

use super::charts::{LineChartData, MAX_SERIES, Series, draw_line_chart};
use super::compare::{GroupKey, RUN_METRICS, groups, signed};
use super::load::{Archive, ArchivedRun, epoch_to_date};
use super::targets::{Progress, Target, progress};

const DASH: &str = "—";

/// Inputs of the site besides the archive.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Page title.
    pub title: String,
    /// The archive root as given (printed on the page).
    pub archive_label: String,
    /// Relative URL from the site root to the archive root (`../archive`),
    /// `/`-separated, no trailing slash; `.` when they are the same folder.
    pub archive_href: String,
    /// Targets from the config.
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
struct RunRow {
    date: String,
    title: String,
    folder: String,
    href: String,
    link_text: String,
    score: String,
    status: String,
    tone: String,
    delta: String,
    failed_steps: u64,
    findings: usize,
    nodes: String,
    runs: String,
}

#[derive(Debug, Serialize)]
struct NodeLink {
    name: String,
    href: String,
    verdict: String,
    tone: String,
    reports: usize,
    unhealthy: usize,
}

#[derive(Debug, Serialize)]
struct NodeRow {
    date: String,
    title: String,
    href: String,
    verdict: String,
    tone: String,
    reachable: String,
    steps_ok: u64,
    steps_failed: u64,
    worst: String,
    gpus: String,
    driver: String,
}

#[derive(Debug, Serialize)]
struct ChartView {
    title: String,
    svg: String,
}

#[derive(Debug, Serialize)]
struct IndexView {
    title: String,
    tool: String,
    archive: String,
    runs_total: usize,
    warnings: Vec<String>,
    runs: Vec<RunRow>,
    targets: Vec<Progress>,
    charts: Vec<ChartView>,
    nodes: Vec<NodeLink>,
}

#[derive(Debug, Serialize)]
struct NodeView {
    title: String,
    tool: String,
    node: String,
    rows: Vec<NodeRow>,
}

/// Tone class for a status word.
fn status_tone(s: &str) -> &'static str {
    match s {
        "excellent" | "good" | "healthy" => "good",
        "moderate" | "degraded" => "warn",
        "poor" => "bad",
        "critical" | "unhealthy" => "crit",
        _ => "na",
    }
}

fn words(s: &str) -> String {
    if s.is_empty() {
        DASH.to_string()
    } else {
        clean_text(&s.replace('_', " "))
    }
}

fn run_date(r: &ArchivedRun) -> String {
    r.time
        .map(epoch_to_date)
        .or_else(|| r.report.generated_at.clone())
        .unwrap_or_else(|| DASH.to_string())
}

/// Percent-encode a relative URL path (keeps `/`, unreserved characters).
pub fn url_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file name for a node page: ASCII letters, digits, `.`, `-`, `_` kept,
/// anything else `_`; never empty, never starting with `.`.
pub fn node_slug(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// Relative path from directory `from` to `to` (both absolute and
/// normalised), `/`-separated; `.` when equal.
pub fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn join_href(base: &str, folder: &str, file: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in [base, folder] {
        if p != "." && !p.is_empty() {
            parts.push(p);
        }
    }
    parts.push(file);
    url_path(&parts.join("/"))
}

/// Build every page of the site for `archive` (runs newest first).
pub fn build_site(archive: &Archive, opts: &SiteOptions) -> Result<Vec<OutputFile>, FatalError> {
    let runs = &archive.runs;
    let tool = format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let link = |r: &ArchivedRun, up: &str| {
        let base = if up.is_empty() {
            opts.archive_href.clone()
        } else if opts.archive_href == "." {
            up.trim_end_matches('/').to_string()
        } else {
            format!("{up}{}", opts.archive_href)
        };
        let file = if r.has_html {
            "report.html"
        } else {
            "report.json"
        };
        (join_href(&base, &r.folder, file), file)
    };

    let mut rows = Vec::with_capacity(runs.len());
    for (i, r) in runs.iter().enumerate() {
        let rep = &r.report;
        let older = runs.get(i + 1).and_then(|o| o.report.overall.score);
        let delta = match (rep.overall.score, older) {
            (Some(a), Some(b)) => signed(a - b, 0),
            _ => DASH.to_string(),
        };
        let (href, file) = link(r, "");
        let unhealthy = rep
            .nodes
            .iter()
            .filter(|n| n.verdict == "unhealthy")
            .count();
        let valid = rep.runs.iter().filter(|x| x.result == "VALID").count();
        rows.push(RunRow {
            date: run_date(r),
            title: clean_text(&rep.title),
            folder: clean_text(&r.folder),
            href,
            link_text: file.to_string(),
            score: rep
                .overall
                .score
                .map(|s| fmt_fixed(s.round(), 0))
                .unwrap_or_else(|| "not assessed".into()),
            status: words(&rep.overall.status),
            tone: status_tone(&rep.overall.status).into(),
            delta,
            failed_steps: rep.failed_steps(),
            findings: rep.findings.len(),
            nodes: format!("{} of {} unhealthy", unhealthy, rep.nodes.len()),
            runs: format!("{valid} of {} valid", rep.runs.len()),
        });
    }

    // Node histories, newest first, in one pass.
    let mut node_rows: BTreeMap<String, Vec<NodeRow>> = BTreeMap::new();
    for r in runs {
        let (href, _) = link(r, "../");
        for n in &r.report.nodes {
            let mut models: Vec<String> = n.gpus.iter().filter_map(|g| g.name.clone()).collect();
            let gpus = if models.is_empty() {
                DASH.to_string()
            } else {
                let count = models.len();
                models.sort();
                models.dedup();
                format!("{count} × {}", clean_text(&models.join(", ")))
            };
            let drivers: BTreeSet<&str> = n
                .gpus
                .iter()
                .filter_map(|g| g.driver_version.as_deref())
                .collect();
            node_rows.entry(n.name.clone()).or_default().push(NodeRow {
                date: run_date(r),
                title: clean_text(&r.report.title),
                href: href.clone(),
                verdict: words(&n.verdict),
                tone: status_tone(&n.verdict).into(),
                reachable: match n.reachable {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => DASH.into(),
                },
                steps_ok: n.steps_ok,
                steps_failed: n.steps_failed,
                worst: n
                    .worst_severity
                    .as_deref()
                    .map(words)
                    .unwrap_or_else(|| "none".into()),
                gpus,
                driver: if drivers.is_empty() {
                    DASH.to_string()
                } else {
                    clean_text(&drivers.into_iter().collect::<Vec<_>>().join(", "))
                },
            });
        }
    }

    let mut slugs: BTreeSet<String> = BTreeSet::new();
    let mut pages = Vec::new();
    let mut node_links = Vec::new();
    for (name, list) in node_rows {
        let base = node_slug(&name);
        let mut slug = base.clone();
        let mut k = 2;
        while !slugs.insert(slug.clone()) {
            slug = format!("{base}-{k}");
            k += 1;
        }
        let latest = list.first();
        node_links.push(NodeLink {
            name: clean_text(&name),
            href: url_path(&format!("nodes/{slug}.html")),
            verdict: latest.map(|l| l.verdict.clone()).unwrap_or_default(),
            tone: latest.map(|l| l.tone.clone()).unwrap_or_default(),
            reports: list.len(),
            unhealthy: list.iter().filter(|l| l.verdict == "unhealthy").count(),
        });
        pages.push((slug, clean_text(&name), list));
    }

    let charts = trend_charts(runs)?;
    let targets = opts.targets.iter().map(|t| progress(t, runs)).collect();
    let view = IndexView {
        title: clean_text(&opts.title),
        tool: tool.clone(),
        archive: clean_text(&opts.archive_label),
        runs_total: runs.len(),
        warnings: archive.warnings.iter().map(|w| clean_text(w)).collect(),
        runs: rows,
        targets,
        charts,
        nodes: node_links,
    };
    let tera = templates::engine()?;
    let ctx = Context::from_serialize(&view).map_err(|e| FatalError::Template {
        name: "index.html".into(),
        message: e.to_string(),
    })?;
    let mut out = vec![OutputFile {
        path: "index.html".into(),
        bytes: templates::render(&tera, "index.html", &ctx)?.into_bytes(),
    }];
    for (slug, node, rows) in pages {
        let v = NodeView {
            title: clean_text(&opts.title),
            tool: tool.clone(),
            node,
            rows,
        };
        let ctx = Context::from_serialize(&v).map_err(|e| FatalError::Template {
            name: "node.html".into(),
            message: e.to_string(),
        })?;
        out.push(OutputFile {
            path: format!("nodes/{slug}.html"),
            bytes: templates::render(&tera, "node.html", &ctx)?.into_bytes(),
        });
    }
    Ok(out)
}

/// The trend charts, oldest run left.
fn trend_charts(runs: &[ArchivedRun]) -> Result<Vec<ChartView>, FatalError> {
    let chrono: Vec<&ArchivedRun> = runs.iter().rev().collect();
    let x_labels: Vec<String> = chrono
        .iter()
        .map(|r| {
            r.time
                .map(epoch_to_date)
                .unwrap_or_else(|| r.folder.clone())
        })
        .collect();

    // Scores: overall, then components in the newest report's order.
    let mut comp_ids: Vec<(String, String)> = Vec::new();
    for r in runs {
        for c in &r.report.components {
            if !comp_ids.iter().any(|(id, _)| *id == c.id) {
                let name = if c.name.is_empty() { &c.id } else { &c.name };
                comp_ids.push((c.id.clone(), name.clone()));
            }
        }
    }
    let mut score_series = vec![Series {
        name: "Overall".into(),
        values: chrono.iter().map(|r| r.report.overall.score).collect(),
    }];
    for (id, name) in &comp_ids {
        score_series.push(Series {
            name: name.clone(),
            values: chrono
                .iter()
                .map(|r| r.report.component_score(id))
                .collect(),
        });
    }

    // Per report, run groups and each metric's mean, computed once.
    let per_run: Vec<BTreeMap<GroupKey, [Option<f64>; 5]>> = chrono
        .iter()
        .map(|r| {
            groups(&r.report)
                .into_iter()
                .map(|(k, list)| {
                    let mut vals = [None; 5];
                    for (slot, m) in vals.iter_mut().zip(RUN_METRICS.iter()) {
                        let v: Vec<f64> = list
                            .iter()
                            .filter_map(|x| (m.get)(x))
                            .filter(|v| v.is_finite())
                            .collect();
                        *slot = super::stats::mean(&v);
                    }
                    (k, vals)
                })
                .collect()
        })
        .collect();
    // Series per metric: the groups that have it in the most reports
    // (ties by label), at most MAX_SERIES.
    let metric_series = |idx: usize| -> (Vec<Series>, usize) {
        let mut seen: BTreeMap<&GroupKey, usize> = BTreeMap::new();
        for m in &per_run {
            for (k, v) in m {
                if v[idx].is_some() {
                    *seen.entry(k).or_default() += 1;
                }
            }
        }
        let total = seen.len();
        let mut keys: Vec<(&GroupKey, usize)> = seen.into_iter().collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.label().cmp(&b.0.label())));
        let series = keys
            .into_iter()
            .take(MAX_SERIES)
            .map(|(k, _)| Series {
                name: k.short_label(),
                values: per_run
                    .iter()
                    .map(|m| m.get(k).and_then(|v| v[idx]))
                    .collect(),
            })
            .collect();
        (series, total)
    };
    let note = |total: usize| {
        if total > MAX_SERIES {
            format!("The {MAX_SERIES} run groups seen in the most reports, of {total}.")
        } else {
            "One point per report; a gap means no value.".to_string()
        }
    };
    let mut data = vec![LineChartData {
        name: "scores",
        title: "Overall and component scores".into(),
        x_label: "report (oldest left)".into(),
        y_label: "score (0–100)".into(),
        x_labels: x_labels.clone(),
        series: score_series,
        y_max: Some(100.0),
        note: "A gap means not assessed, never zero.".into(),
        empty_reason: "no scored reports".into(),
    }];
    for (idx, name, title, y_label) in [
        (
            0,
            "throughput",
            "Throughput per run group",
            "samples/s (mean of runs)",
        ),
        (
            1,
            "tokens",
            "Token throughput per run group",
            "tokens/s (mean of runs)",
        ),
        (
            2,
            "latency",
            "p99 latency per run group",
            "p99 latency (ms)",
        ),
        (
            3,
            "ttft",
            "p99 time to first token per run group",
            "TTFT p99 (ms)",
        ),
    ] {
        let (series, total) = metric_series(idx);
        data.push(LineChartData {
            name,
            title: title.into(),
            x_label: "report (oldest left)".into(),
            y_label: y_label.into(),
            x_labels: x_labels.clone(),
            series,
            y_max: None,
            note: note(total),
            empty_reason: "no run reports this metric".into(),
        });
    }
    data.iter()
        .map(|d| {
            Ok(ChartView {
                title: d.title.clone(),
                svg: inline_svg(&draw_line_chart(d)?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_and_urls() {
        assert_eq!(
            relative(Path::new("/a/b/site"), Path::new("/a/b/arch")),
            "../arch"
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), ".");
        assert_eq!(
            relative(Path::new("/a/b/arch/site"), Path::new("/a/b/arch")),
            ".."
        );
        assert_eq!(url_path("../a b/ü.html"), "../a%20b/%C3%BC.html");
        assert_eq!(join_href("..", ".", "report.html"), "../report.html");
        assert_eq!(
            join_href("../arch", "2026-01-12", "report.html"),
            "../arch/2026-01-12/report.html"
        );
        assert_eq!(node_slug("node/../x"), "node_.._x");
        assert_eq!(node_slug(".hidden"), "_.hidden");
        assert_eq!(node_slug(""), "_");
    }
}
