//! The `mlperf-health` binary: parse arguments, call the library, map the
//! outcome to the documented exit codes (0 written, 1 gate tripped, 2 no
//! complete report).

use std::process::ExitCode;

use clap::Parser;
use mlperf_health::cli::{Cli, Command};
use mlperf_health::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Report(args) => commands::report(args),
        Command::Inspect { root, json } => commands::inspect(&root, json),
        Command::Index {
            archive,
            out,
            title,
            configs,
            quiet,
        } => commands::index(
            mlperf_health::history::IndexOptions {
                archive,
                out,
                title,
                configs,
            },
            quiet,
        ),
        Command::Diff { a, b, format } => {
            commands::diff(&a, &b, format == mlperf_health::cli::DiffFormatArg::Md)
        }
        Command::Rules { configs } => commands::rules(&configs),
        Command::Explain { rule, configs } => commands::explain(&rule, &configs),
        Command::Schema => commands::schema(),
        Command::Completions { shell } => commands::completions(shell),
        Command::Man { subcommand } => commands::man(subcommand.as_deref()),
    };
    ExitCode::from(code)
}
