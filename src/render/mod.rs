//! Render stage: the analysed [`Report`] becomes files.
//!
//! Renderers never see parsed records: [`view::ReportView`] is built from the
//! report with every number already formatted and every string escaped for
//! its target, and templates (in `templates/`, compiled in) only place those
//! strings. Renderers return bytes; `pipeline` decides where they go.

pub mod charts;
pub mod escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod summary;
pub mod templates;
pub mod timecharts;
pub mod training_chart;
pub mod training_view;
pub mod view;
pub mod view_gpu;
pub mod view_inventory;
pub mod view_loadgen;
pub mod view_platform;

use crate::error::FatalError;
use crate::model::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `report.html`.
    Html,
    /// `report.json`.
    Json,
    /// `junit.xml`.
    Junit,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path (`report.md`, `charts/scores.svg`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Render every requested format, plus `charts/*.svg` whenever Markdown or
/// HTML is requested. Files come back in a fixed order: `report.md`,
/// `report.html`, `report.json`, `junit.xml`, then the charts: the four in
/// [`charts::CHART_NAMES`] order, always written (a chart without data says
/// so), then the trace and GPU charts [`timecharts`] plans, written only
/// when their data exists. A format listed twice is written once.
pub fn render_all(report: &Report, formats: &[Format]) -> Result<Vec<OutputFile>, FatalError> {
    let wants = |f: Format| formats.contains(&f);
    let needs_charts = wants(Format::Markdown) || wants(Format::Html);
    let charts = if needs_charts {
        charts::render_charts(report)?
    } else {
        Vec::new()
    };
    let tera = if needs_charts {
        Some(templates::engine()?)
    } else {
        None
    };

    let mut out = Vec::new();
    if let (true, Some(tera)) = (wants(Format::Markdown), &tera) {
        out.push(OutputFile {
            path: "report.md".to_string(),
            bytes: markdown::render_markdown(tera, report)?,
        });
    }
    if let (true, Some(tera)) = (wants(Format::Html), &tera) {
        out.push(OutputFile {
            path: "report.html".to_string(),
            bytes: html::render_html(tera, report, &charts)?,
        });
    }
    if wants(Format::Json) {
        out.push(OutputFile {
            path: "report.json".to_string(),
            bytes: json::render_json(report)?,
        });
    }
    if wants(Format::Junit) {
        out.push(OutputFile {
            path: "junit.xml".to_string(),
            bytes: junit::render_junit(report),
        });
    }
    for chart in charts {
        out.push(OutputFile {
            path: format!("charts/{}.svg", chart.name),
            bytes: chart.svg.into_bytes(),
        });
    }
    if needs_charts {
        for c in training_chart::training_charts(report)? {
            out.push(OutputFile {
                path: c.file,
                bytes: c.svg.into_bytes(),
            });
        }
    }
    Ok(out)
}
