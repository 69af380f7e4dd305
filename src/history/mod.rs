//! Past runs: baseline comparison (`report --baseline`), the archive index
//! site (`index`) and report diffs (`diff`). See `docs/history.md`.
//!
//! - [`load`]: tolerant reading of past `report.json` files and archives.
//! - [`stats`]: Welch's t-test and the t distribution.
//! - [`compare`]: deltas and trends between two reports.
//! - [`diff`]: a comparison as terminal text or Markdown.
//! - [`targets`]: `[[target]]` entries of the config and progress toward them.
//! - [`charts`]: trend line charts (SVG).
//! - [`index`]: the static site.
//! - [`view`]: the `baseline` section for the report templates.

pub mod charts;
pub mod compare;
pub mod diff;
pub mod index;
pub mod load;
pub mod stats;
pub mod targets;
pub mod view;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use crate::model::{BaselineComparison, Report};
use crate::pipeline::{self, ReportOptions};

pub use compare::compare;
pub use load::{PastReport, load_report};

/// Load a baseline: a `report.json` file, a folder holding one, or an
/// artifacts directory (reported in memory with the same options, without
/// writing anything).
pub fn load_baseline(path: &Path, opts: &ReportOptions) -> Result<PastReport> {
    if path.is_file() {
        return load_report(path).map_err(|e| anyhow!("baseline `{}`: {e}", path.display()));
    }
    if !path.is_dir() {
        return Err(anyhow!(
            "baseline `{}` is neither a report.json nor a directory",
            path.display()
        ));
    }
    let json = path.join("report.json");
    if json.is_file() {
        return load_report(&json).map_err(|e| anyhow!("baseline `{}`: {e}", json.display()));
    }
    let base_opts = ReportOptions {
        root: path.to_path_buf(),
        baseline: None,
        ..opts.clone()
    };
    let report = pipeline::build_report(&base_opts)
        .with_context(|| format!("cannot build the baseline report from `{}`", path.display()))?;
    Ok(load::from_report(&report))
}

/// Compare `report` with the baseline at `path`.
pub fn baseline_comparison(
    report: &Report,
    path: &Path,
    opts: &ReportOptions,
) -> Result<BaselineComparison> {
    let base = load_baseline(path, opts)?;
    Ok(compare(
        &base,
        &load::from_report(report),
        &path.display().to_string(),
    ))
}

/// A report for `diff`: a `report.json`, or a folder holding one.
pub fn load_for_diff(path: &Path) -> Result<PastReport> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    load_report(&file).map_err(|e| anyhow!("`{}`: {e}", file.display()))
}

/// Everything `index` needs.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Archive root.
    pub archive: PathBuf,
    /// Site output directory.
    pub out: PathBuf,
    /// Page title.
    pub title: Option<String>,
    /// Config files with `[[target]]` entries.
    pub configs: Vec<PathBuf>,
}

/// What `index` did.
#[derive(Debug)]
pub struct IndexOutcome {
    /// Reports listed.
    pub runs: usize,
    /// Skipped files, one line each, naming the file.
    pub warnings: Vec<String>,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// Walk the archive, build the site and write it into `out`.
pub fn run_index(opts: &IndexOptions) -> Result<IndexOutcome> {
    if !opts.archive.is_dir() {
        return Err(anyhow!(
            "archive `{}` is not a readable directory",
            opts.archive.display()
        ));
    }
    let targets = targets::load_targets(&opts.configs).map_err(|e| anyhow!(e))?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create `{}`", opts.out.display()))?;
    let archive = load::walk_archive(&opts.archive, Some(&opts.out));
    let href = match (opts.out.canonicalize(), opts.archive.canonicalize()) {
        (Ok(o), Ok(a)) => index::relative(&o, &a),
        _ => opts.archive.display().to_string(),
    };
    let site = index::build_site(
        &archive,
        &index::SiteOptions {
            title: opts
                .title
                .clone()
                .unwrap_or_else(|| "MLPerf campaign history".into()),
            archive_label: opts.archive.display().to_string(),
            archive_href: href,
            targets,
        },
    )?;
    let mut written = Vec::new();
    for f in &site {
        let target = opts.out.join(&f.path);
        pipeline::write_atomic(&target, &f.bytes)?;
        written.push(target);
    }
    Ok(IndexOutcome {
        runs: archive.runs.len(),
        warnings: archive.warnings,
        written,
    })
}
