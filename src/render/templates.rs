//! The built-in templates, compiled into the binary, and the Tera engine
//! that renders them.
//!
//! Templates are named by their output extension so Tera's default
//! autoescape (`.html`, `.htm`, `.xml`) covers `report.html` and leaves
//! `report.md` alone: Markdown escaping is done in the view instead.

use tera::{Context, Tera};

use crate::error::FatalError;

use super::escape::md_cell;

/// `(name, contents)` for each listed path under `templates/`, compiled in.
macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)))),*]
    };
}

/// Every file in `templates/` (subfolders included), by its path relative
/// to that folder. A test keeps this list and the folder in sync, so a
/// template cannot be added on disk and forgotten here.
///
/// Each report section is one partial per output, `sections/<id>.html` and
/// `sections/<id>.md`, included from `report.html` and `report.md`. To add a
/// section: write both partials, list them here, add one `{% include %}`
/// line to each report template, and add the section to
/// [`super::view::SECTIONS`] (the table of contents) with its data in the
/// view. Partials see the whole report context; an `.html` partial is
/// autoescaped because the page that includes it is.
pub const BUILTIN: &[(&str, &str)] = builtin![
    "report.html",
    "report.md",
    "index.html",
    "node.html",
    "style.css",
    "sections/overall.html",
    "sections/overall.md",
    "sections/cluster.html",
    "sections/cluster.md",
    "sections/connectivity.html",
    "sections/connectivity.md",
    "sections/hardware.html",
    "sections/hardware.md",
    "sections/software.html",
    "sections/software.md",
    "sections/steps.html",
    "sections/steps.md",
    "sections/critical-issues.html",
    "sections/critical-issues.md",
    "sections/performance.html",
    "sections/performance.md",
    "sections/error-classification.html",
    "sections/error-classification.md",
    "sections/findings.html",
    "sections/findings.md",
    "sections/recommendations.html",
    "sections/recommendations.md",
    "sections/score-breakdown.html",
    "sections/score-breakdown.md",
    "sections/inputs.html",
    "sections/inputs.md",
    "sections/hardware-probes.html",
    "sections/hardware-probes.md",
    "sections/software-inventory.html",
    "sections/software-inventory.md",
    "sections/platform.html",
    "sections/platform.md",
    "sections/performance-traces.html",
    "sections/performance-traces.md",
    "sections/submission.html",
    "sections/submission.md",
    "sections/training.html",
    "sections/training.md",
    "sections/baseline.html",
    "sections/baseline.md",
];

/// A Tera engine holding the built-in templates, with the `md_cell` filter
/// registered (for template authors; the built-in templates get escaped
/// strings from the view and do not need it).
pub fn engine() -> Result<Tera, FatalError> {
    let mut tera = Tera::default();
    tera.register_filter("md_cell", md_cell_filter);
    tera.add_raw_templates(BUILTIN.iter().copied())
        .map_err(|e| template_error("built-in templates", &e))?;
    Ok(tera)
}

/// Render the template `name` with `context`.
pub fn render(tera: &Tera, name: &str, context: &Context) -> Result<String, FatalError> {
    tera.render(name, context)
        .map_err(|e| template_error(name, &e))
}

fn md_cell_filter(
    value: &tera::Value,
    _args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = match value {
        tera::Value::String(s) => md_cell(s),
        tera::Value::Null => String::new(),
        other => md_cell(&other.to_string()),
    };
    Ok(tera::Value::String(text))
}

/// Tera's top-level message is often just "failed to render"; the cause is
/// in the source chain, so the whole chain goes into the error.
fn template_error(name: &str, e: &tera::Error) -> FatalError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    FatalError::Template {
        name: name.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_matches_directory() {
        fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.filter_map(Result::ok) {
                let name = format!("{prefix}{}", e.file_name().to_string_lossy());
                let path = e.path();
                if path.is_dir() {
                    walk(&path, &format!("{name}/"), out);
                } else if path.is_file() {
                    out.push(name);
                }
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        walk(&dir, "", &mut on_disk);
        on_disk.sort();
        assert!(on_disk.iter().any(|n| n.starts_with("sections/")));
        let mut listed: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "templates/ and BUILTIN disagree");
    }

    #[test]
    fn html_autoescapes_and_markdown_does_not() {
        let tera = engine().map_err(|e| e.to_string());
        let Ok(mut tera) = tera else {
            panic!("engine: {tera:?}");
        };
        let mut ctx = Context::new();
        ctx.insert("x", "<b>|</b>");
        let add = tera.add_raw_templates(vec![("t.html", "{{ x }}"), ("t.md", "{{ x }}")]);
        assert!(add.is_ok());
        assert_eq!(
            render(&tera, "t.html", &ctx).ok().as_deref(),
            Some("&lt;b&gt;|&lt;&#x2F;b&gt;")
        );
        assert_eq!(
            render(&tera, "t.md", &ctx).ok().as_deref(),
            Some("<b>|</b>")
        );
    }

    #[test]
    fn md_cell_filter_is_registered() {
        let Ok(mut tera) = engine() else {
            panic!("engine failed");
        };
        assert!(tera.add_raw_template("f.md", "{{ x | md_cell }}").is_ok());
        let mut ctx = Context::new();
        ctx.insert("x", "a|b");
        assert_eq!(render(&tera, "f.md", &ctx).ok().as_deref(), Some("a\\|b"));
    }

    #[test]
    fn missing_variable_names_template() {
        let Ok(mut tera) = engine() else {
            panic!("engine failed");
        };
        assert!(tera.add_raw_template("bad.md", "{{ nope }}").is_ok());
        match render(&tera, "bad.md", &Context::new()) {
            Err(FatalError::Template { name, message }) => {
                assert_eq!(name, "bad.md");
                assert!(message.contains("nope"), "{message}");
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }
}
