//! Where `report` spends its time on one artifacts root: discovery, reading
//! (parsing and classifying every file), analysis, and rendering each format
//! on its own, so templates and charts can be watched separately from
//! parsing. Each stage is timed `REPEATS` times and the median printed as a
//! Markdown table row set.
//!
//! `cargo bench --bench stages -- ROOT [REPEATS]` (benches/run.sh runs it).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mlperf_health::analyze;
use mlperf_health::analyze::classify::Classifier;
use mlperf_health::discover;
use mlperf_health::model::Campaign;
use mlperf_health::pipeline::{self, NoProgress};
use mlperf_health::render::{self, Format};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Run `f` `reps` times; the median seconds and the last result.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    match last {
        Some(out) => (median(times), out),
        None => unreachable!("at least one repeat"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: cargo bench --bench stages -- ROOT [REPEATS]");
        return ExitCode::from(2);
    };
    let reps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let rules = match pipeline::load_rules(&[]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let no_configs: [PathBuf; 0] = [];
    let settings = match analyze::config::load_settings(&no_configs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (t_discover, found) = time(reps, || discover::discover(&root, None));
    let bytes: u64 = found.artifacts.iter().map(|a| a.bytes).sum();
    // Analysis consumes the classifier that saw the lines, so both are
    // timed in the same iteration.
    let mut reads = Vec::new();
    let mut analyses = Vec::new();
    let mut report = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        // As `build_report` does it.
        let mut classifier = Classifier::new(&rules).with_window(settings.dedup_window_s);
        let campaign: Campaign =
            pipeline::collect_with_progress(&root, None, &mut classifier, &mut NoProgress);
        reads.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        report = Some(analyze::analyze(&campaign, classifier, &settings));
        analyses.push(t.elapsed().as_secs_f64());
    }
    let (t_collect, t_analyze) = (median(reads), median(analyses));
    let Some(report) = report else {
        return ExitCode::from(1);
    };
    println!(
        "stages for `{}` ({} files, {:.1} MiB, {} threads), median of {reps}:",
        root.display(),
        found.artifacts.len(),
        bytes as f64 / 1048576.0,
        rayon::current_num_threads()
    );
    println!();
    println!("| Stage | Seconds | Output |");
    println!("|---|---:|---|");
    println!("| discover (walk + sniff) | {t_discover:.3} | |");
    println!("| read (discover + parse + classify) | {t_collect:.3} | |");
    println!("| analyze (signals, scores) | {t_analyze:.3} | |");
    for (name, formats) in [
        ("render JSON", vec![Format::Json]),
        ("render Markdown (+ charts)", vec![Format::Markdown]),
        ("render HTML (+ charts)", vec![Format::Html]),
        (
            "render md + html + json",
            vec![Format::Markdown, Format::Html, Format::Json],
        ),
    ] {
        let (t, files) = time(reps, || render::render_all(&report, &formats));
        let size: usize = match files {
            Ok(f) => f.iter().map(|f| f.bytes.len()).sum(),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        println!("| {name} | {t:.3} | {:.0} KiB |", size as f64 / 1024.0);
    }
    ExitCode::SUCCESS
}
