//! `report.md`: GitHub-flavoured Markdown from `templates/report.md`.
//!
//! The view is built for [`Target::Markdown`], so every string from the
//! inputs is already escaped with `md_cell`; the template inserts it as is.

use tera::{Context, Tera};

use crate::error::FatalError;
use crate::model::Report;

use super::templates;
use super::view::{ReportView, Target};

/// Render the Markdown report.
pub fn render_markdown(tera: &Tera, report: &Report) -> Result<Vec<u8>, FatalError> {
    let view = ReportView::new(report, Target::Markdown);
    let mut context = Context::from_serialize(&view).map_err(|e| FatalError::Template {
        name: "report.md".to_string(),
        message: e.to_string(),
    })?;
    crate::history::view::insert(&mut context, report, true);
    context.insert(
        "training",
        &super::training_view::TrainingView::new(report, Target::Markdown),
    );
    let text = templates::render(tera, "report.md", &context)?;
    Ok(tidy(&text).into_bytes())
}

/// Template control tags leave runs of blank lines and trailing spaces;
/// collapse them so the file is stable and lint-clean without making the
/// template unreadable with whitespace-control markers.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let trimmed = out.trim_end_matches('\n').trim_start_matches('\n');
    format!("{trimmed}\n")
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidy_collapses_blank_runs() {
        assert_eq!(tidy("\n\na  \n\n\n\nb\n\n"), "a\n\nb\n");
    }
}
