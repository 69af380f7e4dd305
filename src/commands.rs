//! One function per subcommand: turn parsed arguments into library calls,
//! print the outcome, and return the process exit code. Kept out of
//! `main.rs` so the binary stays a one-screen dispatcher.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::CommandFactory;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, FormatArg, ReportArgs, SeverityArg};
use crate::discover::{Artifact, Discovery};
use crate::model::Severity;
use crate::pipeline::{self, Progress, ReportOptions};
use crate::render::Format;

/// Report written, no gate tripped.
pub const EXIT_OK: u8 = 0;
/// Report written, but a gate (`--fail-under`, `--fail-on`, `--strict`) tripped.
pub const EXIT_GATE: u8 = 1;
/// No complete report could be written.
pub const EXIT_NO_REPORT: u8 = 2;

fn timestamp(args: &ReportArgs) -> Result<Option<String>, String> {
    if let Some(t) = &args.generated_at {
        return Ok(Some(t.clone()));
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .map(|s| Some(crate::time::epoch_to_rfc3339(s)))
            .map_err(|_| format!("SOURCE_DATE_EPOCH `{v}` is not a whole number of seconds")),
        _ => Ok(None),
    }
}

/// `mlperf-health report`.
pub fn report(args: ReportArgs) -> u8 {
    let generated_at = match timestamp(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_NO_REPORT;
        }
    };
    let mut formats: Vec<Format> = args
        .format
        .iter()
        .map(|f| match f {
            FormatArg::Md => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
        })
        .collect();
    formats.sort();
    formats.dedup();
    let opts = ReportOptions {
        root: args.root.clone(),
        out_dir: args.out.clone(),
        formats,
        title: args.title.clone(),
        generated_at,
        configs: args.configs.clone(),
        fail_under: args.fail_under,
        fail_on: args.fail_on.map(|s| match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
        }),
        strict: args.strict,
        junit_path: args.junit.clone(),
        github_summary: github_summary_path(args.github_summary),
        baseline: args.baseline.clone(),
    };
    let mut progress = TerminalProgress::new(!args.quiet && std::io::stderr().is_terminal());
    let result = pipeline::run_report_with_progress(&opts, &mut progress);
    progress.finish();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            return EXIT_NO_REPORT;
        }
    };
    // Paths and messages carry input text (file names, log excerpts): an
    // escape sequence in them must not reach the terminal (the hostile
    // campaign test found raw OSC title changes here).
    let term = |s: &str| crate::text::clean_text(s);
    for u in &outcome.report.inputs.unreadable {
        eprintln!("warning: {}: {}", term(&u.path), term(&u.reason));
    }
    let unlisted =
        outcome.report.inputs.unreadable_total as usize - outcome.report.inputs.unreadable.len();
    if unlisted > 0 {
        eprintln!("warning: {unlisted} more unreadable path(s) not listed");
    }
    for w in &outcome.report.inputs.warnings {
        eprintln!("warning: {}", term(&w.to_string()));
    }
    let hidden =
        outcome.report.inputs.warnings_total as usize - outcome.report.inputs.warnings.len();
    if hidden > 0 {
        eprintln!("warning: {hidden} more parse warning(s); see report.json");
    }
    for w in &outcome.warnings {
        eprintln!("warning: {}", term(w));
    }
    for e in &outcome.write_errors {
        eprintln!("error: could not write {}", term(e));
    }
    if !args.quiet {
        let o = &outcome.report.overall;
        let score = o
            .score
            .map(|s| format!("{s:.0}/100"))
            .unwrap_or_else(|| "not assessed".into());
        println!(
            "overall {score} ({}); {} finding(s); wrote {} file(s) to {}",
            o.status.as_str(),
            outcome.report.findings.len(),
            outcome.written.len(),
            args.out.display()
        );
    }
    if let (Some(b), false) = (&outcome.report.baseline, args.quiet) {
        let s = &b.summary;
        println!(
            "against baseline {}: {} improving, {} stable, {} degrading, {} inconclusive",
            b.baseline.source, s.improving, s.stable, s.degrading, s.inconclusive
        );
    }
    for g in &outcome.gate_failures {
        eprintln!("gate: {g}");
    }
    if !outcome.write_errors.is_empty() || outcome.written.is_empty() {
        EXIT_NO_REPORT
    } else if !outcome.gate_failures.is_empty() {
        EXIT_GATE
    } else {
        EXIT_OK
    }
}

/// The file `--github-summary` appends to: `$GITHUB_STEP_SUMMARY`. Outside
/// GitHub Actions the variable is unset; that is worth a warning, not a
/// failed report.
fn github_summary_path(requested: bool) -> Option<PathBuf> {
    if !requested {
        return None;
    }
    match std::env::var_os("GITHUB_STEP_SUMMARY") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!(
                "warning: --github-summary: GITHUB_STEP_SUMMARY is not set (not running in \
                 GitHub Actions?); no job summary written"
            );
            None
        }
    }
}

/// Trees with at least this many bytes get a progress bar on a terminal…
const PROGRESS_MIN_BYTES: u64 = 256 * 1024 * 1024;
/// …or at least this many files. Smaller trees finish before a bar helps.
const PROGRESS_MIN_FILES: usize = 2_000;

/// Whether a tree of `files` files and `bytes` bytes is worth a bar.
fn wants_progress_bar(files: usize, bytes: u64) -> bool {
    files >= PROGRESS_MIN_FILES || bytes >= PROGRESS_MIN_BYTES
}

/// A progress bar on stderr, drawn only when stderr is a terminal, the run
/// is not `--quiet` and the tree is large. Otherwise it does nothing, so CI
/// logs only ever get warnings on stderr.
struct TerminalProgress {
    enabled: bool,
    bar: Option<ProgressBar>,
    started: bool,
    pending: u64,
}

impl TerminalProgress {
    fn new(enabled: bool) -> Self {
        TerminalProgress {
            enabled,
            bar: None,
            started: false,
            pending: 0,
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for TerminalProgress {
    fn artifact(&mut self, found: &Discovery, art: &Artifact) {
        if !self.enabled {
            return;
        }
        if !self.started {
            self.started = true;
            let total: u64 = found.artifacts.iter().map(|a| a.bytes).sum();
            if wants_progress_bar(found.artifacts.len(), total) {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {eta} {wide_msg}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                self.bar = Some(bar);
            }
        }
        if let Some(bar) = &self.bar {
            // Count a file as done when the next one starts.
            bar.inc(self.pending);
            self.pending = art.bytes;
            bar.set_message(art.rel.clone());
        }
    }
}

/// `mlperf-health schema`.
pub fn schema() -> u8 {
    match crate::render::json::render_schema() {
        Ok(bytes) => print_bytes(&bytes),
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_NO_REPORT
        }
    }
}

/// `mlperf-health completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> u8 {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mlperf-health", &mut buf);
    print_bytes(&buf)
}

/// `mlperf-health man [SUBCOMMAND]`.
pub fn man(subcommand: Option<&str>) -> u8 {
    let mut cmd = Cli::command();
    // Building propagates names, so a subcommand's page is titled
    // `mlperf-health-report` rather than `report`.
    cmd.build();
    let page = match subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                eprintln!("error: no subcommand `{name}`");
                return EXIT_NO_REPORT;
            }
        },
    };
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(page)
        .source(format!("mlperf-health {}", env!("CARGO_PKG_VERSION")))
        .manual("mlperf-health manual");
    if let Err(e) = man.render(&mut buf) {
        eprintln!("error: {e}");
        return EXIT_NO_REPORT;
    }
    print_bytes(&buf)
}

/// Write to stdout; a closed pipe (`| head`) is not worth a panic.
fn print_bytes(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_NO_REPORT
        }
    }
}

/// `mlperf-health rules`.
pub fn rules(configs: &[PathBuf]) -> u8 {
    match pipeline::load_rules(configs) {
        Ok(rules) => {
            println!(
                "{:<34} {:<20} {:<9} {:<8} title",
                "id", "category", "severity", "kind"
            );
            for r in &rules.rules {
                let kind = if r.pattern.is_some() {
                    "pattern"
                } else {
                    "signal"
                };
                println!(
                    "{:<34} {:<20} {:<9} {:<8} {}",
                    r.id,
                    r.category,
                    r.severity.as_str(),
                    kind,
                    r.title
                );
            }
            println!("{} rule(s)", rules.rules.len());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_NO_REPORT
        }
    }
}

/// `mlperf-health explain RULE`.
pub fn explain(id: &str, configs: &[PathBuf]) -> u8 {
    let rules = match pipeline::load_rules(configs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return EXIT_NO_REPORT;
        }
    };
    let Some(r) = rules.get(id) else {
        eprintln!("error: no rule `{id}`; `mlperf-health rules` lists them");
        return EXIT_NO_REPORT;
    };
    println!("rule:        {}", r.id);
    println!("title:       {}", r.title);
    println!("category:    {}", r.category);
    println!("severity:    {}", r.severity.as_str());
    match (&r.pattern, &r.signal) {
        (Some(p), _) => println!("pattern:     {}", p.as_str()),
        (_, Some(s)) => println!("signal:      {s} (raised from structured data)"),
        _ => {}
    }
    println!("example:     {}", r.example);
    if let Some(src) = &r.example_source {
        println!("source:      {src}");
    }
    println!("remediation: {}", r.remediation);
    println!("defined in:  {}", r.origin);
    EXIT_OK
}

/// `mlperf-health inspect`.
pub fn inspect(root: &std::path::Path, json: bool) -> u8 {
    if !root.is_dir() {
        eprintln!(
            "error: artifacts root `{}` is not a readable directory",
            root.display()
        );
        return EXIT_NO_REPORT;
    }
    let found = crate::inspect::inspect(root);
    if json {
        match serde_json::to_string_pretty(&found) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_NO_REPORT;
            }
        }
    } else {
        print!("{}", crate::inspect::to_table(&found));
    }
    EXIT_OK
}

/// `mlperf-health index`.
pub fn index(opts: crate::history::IndexOptions, quiet: bool) -> u8 {
    match crate::history::run_index(&opts) {
        Ok(o) => {
            for w in &o.warnings {
                eprintln!("warning: {}", crate::text::clean_text(&w.to_string()));
            }
            if !quiet {
                println!(
                    "indexed {} report(s), skipped {}; wrote {} file(s) to {}",
                    o.runs,
                    o.warnings.len(),
                    o.written.len(),
                    opts.out.display()
                );
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_NO_REPORT
        }
    }
}

/// `mlperf-health diff A B`.
pub fn diff(a: &std::path::Path, b: &std::path::Path, markdown: bool) -> u8 {
    use crate::history::{self, diff::DiffFormat};
    let (base, cur) = match (history::load_for_diff(a), history::load_for_diff(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e:#}");
            return EXIT_NO_REPORT;
        }
    };
    let c = history::compare(&base, &cur, &a.display().to_string());
    let format = if markdown {
        DiffFormat::Markdown
    } else {
        DiffFormat::Text
    };
    print!(
        "{}",
        history::diff::render(&c, &b.display().to_string(), format)
    );
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_large_trees_get_a_progress_bar() {
        assert!(!wants_progress_bar(10, 1024));
        assert!(!wants_progress_bar(
            PROGRESS_MIN_FILES - 1,
            PROGRESS_MIN_BYTES - 1
        ));
        assert!(wants_progress_bar(PROGRESS_MIN_FILES, 0));
        assert!(wants_progress_bar(1, PROGRESS_MIN_BYTES));
    }

    #[test]
    fn a_disabled_progress_never_draws() {
        let found = Discovery::default();
        let mut p = TerminalProgress::new(false);
        let art = Artifact {
            fs_path: PathBuf::from("x"),
            rel: "x".to_string(),
            kind: crate::model::ArtifactKind::Unrecognized,
            bytes: u64::MAX,
            node: None,
            step: None,
            dir: String::new(),
        };
        p.artifact(&found, &art);
        assert!(p.bar.is_none());
        p.finish();
    }
}
