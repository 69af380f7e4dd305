//! `report.html`: one self-contained page from `templates/report.html`.
//!
//! The page has no JavaScript, no external URL and no web font: CSS is
//! included from `templates/style.css`, charts are inlined as SVG. Text from
//! the inputs is only cleaned in the view; Tera's autoescape for `.html`
//! templates escapes it. The one `| safe` insertion is chart SVG, whose text
//! plotters escapes.

use std::collections::BTreeMap;

use tera::{Context, Tera};

use crate::error::FatalError;
use crate::model::Report;

use super::charts::{Chart, inline_svg};
use super::templates;
use super::view::{ReportView, Target};

/// Render the HTML report with `charts` inlined.
pub fn render_html(tera: &Tera, report: &Report, charts: &[Chart]) -> Result<Vec<u8>, FatalError> {
    let view = ReportView::new(report, Target::Html);
    let mut context = Context::from_serialize(&view).map_err(|e| FatalError::Template {
        name: "report.html".to_string(),
        message: e.to_string(),
    })?;
    let svg: BTreeMap<&str, String> = charts
        .iter()
        .map(|c| (c.name.as_str(), inline_svg(&c.svg)))
        .collect();
    context.insert("svg", &svg);
    crate::history::view::insert(&mut context, report, false);
    context.insert(
        "training",
        &super::training_view::TrainingView::new(report, Target::Html),
    );
    Ok(templates::render(tera, "report.html", &context)?.into_bytes())
}
