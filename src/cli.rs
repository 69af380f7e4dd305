//! Command-line interface (clap derive). Declarative only: no I/O here, so
//! the definitions can also generate help, completions and a man page.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Health reports for MLPerf Inference campaigns on GPU clusters.
#[derive(Debug, Parser)]
#[command(
    name = "mlperf-health",
    version,
    about,
    long_about = None,
    after_help = "\
Examples:
  mlperf-health report artifacts/ --out report/
  mlperf-health report artifacts/ --out report/ --format md,html,json,junit --fail-on critical
  mlperf-health rules
  mlperf-health explain gpu.cuda_oom

Docs: docs/outputs.md (outputs, exit codes), docs/ci.md (GitHub Actions, GitLab CI, Kubernetes)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read an artifacts directory and write the health report.
    #[command(after_help = "\
Examples:
  mlperf-health report fixtures/campaigns/demo --out report/
  mlperf-health report artifacts/ --out report/ --fail-under 80 --fail-on critical
  mlperf-health report artifacts/ --out report/ --junit report/junit.xml --github-summary
  mlperf-health report artifacts/ --out report/ --format json --strict --quiet
  SOURCE_DATE_EPOCH=1700000000 mlperf-health report artifacts/ --out report/

Exit codes: 0 report written; 1 report written but a gate tripped
(--fail-under, --fail-on, --strict); 2 no complete report could be written.
Every requested file is written before a gate decides the exit code.")]
    Report(ReportArgs),
    /// List every file found, the kind it was recognised as, the node, run or
    /// step it was attributed to, and any parse warnings.
    #[command(after_help = "\
Examples:
  mlperf-health inspect fixtures/campaigns/demo
  mlperf-health inspect artifacts/ --json > inventory.json")]
    Inspect {
        /// The artifacts directory.
        root: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Build a static site over an archive of past report folders: runs
    /// newest first, trend charts, targets and one page per node.
    #[command(after_help = "\
Examples:
  mlperf-health index fixtures/archive --out site/
  mlperf-health index reports/ --out reports/site --config targets.toml

Every report.json below ARCHIVE is listed; corrupt or foreign JSON is skipped
with a warning. Targets are [[target]] entries of the --config files.")]
    Index {
        /// Folder holding past report folders (each with its report.json).
        archive: PathBuf,
        /// Site output directory (created if missing).
        #[arg(long, short, default_value = "site")]
        out: PathBuf,
        /// Page title.
        #[arg(long)]
        title: Option<String>,
        /// Config files (TOML) with [[target]] entries.
        #[arg(long = "config", value_name = "FILE")]
        configs: Vec<PathBuf>,
        /// Print nothing but warnings and errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare two reports: scores, metrics, findings, steps and versions.
    #[command(after_help = "\
Examples:
  mlperf-health diff fixtures/archive/2026-02-09/report.json fixtures/archive/2026-03-09/report.json
  mlperf-health diff old/ new/ --format md > diff.md

A is the baseline (older), B the current report.")]
    Diff {
        /// Baseline report.json (or a folder holding one).
        a: PathBuf,
        /// Current report.json (or a folder holding one).
        b: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormatArg,
    },
    /// List the effective classification rules (built-in plus --config).
    Rules {
        /// Extra rule files (TOML), layered over the built-in catalogue.
        #[arg(long = "config", value_name = "FILE")]
        configs: Vec<PathBuf>,
    },
    /// Show one rule with its pattern, example and remediation.
    Explain {
        /// Rule id (see `mlperf-health rules`).
        rule: String,
        /// Extra rule files (TOML).
        #[arg(long = "config", value_name = "FILE")]
        configs: Vec<PathBuf>,
    },
    /// Print the JSON Schema of report.json (as published in docs/report.schema.json).
    Schema,
    /// Print a shell completion script.
    #[command(
        hide = true,
        after_help = "\
Examples:
  mlperf-health completions bash > /etc/bash_completion.d/mlperf-health
  mlperf-health completions zsh > \"${fpath[1]}/_mlperf-health\"
  mlperf-health completions fish > ~/.config/fish/completions/mlperf-health.fish"
    )]
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) for the tool or one subcommand.
    #[command(
        hide = true,
        after_help = "\
Examples:
  mlperf-health man > mlperf-health.1 && man ./mlperf-health.1
  mlperf-health man report > mlperf-health-report.1"
    )]
    Man {
        /// Subcommand to document (default: the tool itself).
        subcommand: Option<String>,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// report.md
    Md,
    /// report.html
    Html,
    /// report.json
    Json,
    /// junit.xml (JUnit XML for CI test reporters)
    Junit,
}

/// Output of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    /// Aligned plain text for a terminal.
    Text,
    /// Markdown.
    Md,
}

/// Severity threshold for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// Any critical finding fails.
    Critical,
    /// Any high or critical finding fails.
    High,
    /// Any medium, high or critical finding fails.
    Medium,
}

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The campaign's artifacts directory.
    pub root: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, short, default_value = "report")]
    pub out: PathBuf,
    /// Formats to write into --out, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "md,html,json")]
    pub format: Vec<FormatArg>,
    /// Also write JUnit XML to PATH (anywhere; independent of --format).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Append a compact Markdown summary (score, components, failed steps,
    /// top findings) to the file named by $GITHUB_STEP_SUMMARY.
    #[arg(long)]
    pub github_summary: bool,
    /// Report title (default: "MLPerf campaign health report").
    #[arg(long)]
    pub title: Option<String>,
    /// Timestamp to print in the report (RFC 3339). Without it (and without
    /// SOURCE_DATE_EPOCH) no time is printed, so reports are reproducible.
    #[arg(long, value_name = "RFC3339")]
    pub generated_at: Option<String>,
    /// Extra rule files (TOML), layered over the built-in catalogue.
    #[arg(long = "config", value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// Exit 1 when the overall score is below SCORE (or not assessed).
    #[arg(long, value_name = "SCORE")]
    pub fail_under: Option<f64>,
    /// Exit 1 when any finding is at least this severe.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Exit 1 when any artifact was unreadable or had parse warnings.
    #[arg(long)]
    pub strict: bool,
    /// Print nothing on stdout and draw no progress bar; warnings, errors
    /// and gate results still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Compare with an earlier report.json, or an earlier artifacts directory
    /// (see docs/history.md).
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
