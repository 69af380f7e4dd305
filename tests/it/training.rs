//! MLPerf Training logs: the parser over logs written by the real
//! mlperf-logging package (`fixtures/training/generated/`), a real public
//! result file (`fixtures/training/public/`) and hand-made bad inputs;
//! recognition by name and content; the report section end to end,
//! checked against numbers computed by mlperf-logging's own
//! result_summarizer; and the section's Markdown partial (golden).

use std::path::{Path, PathBuf};

use mlperf_health::discover::{discover, sniff_bytes};
use mlperf_health::model::{ArtifactKind, ParseWarning, Report, TrainingLog, TrainingStatus};
use mlperf_health::parse::{NullSink, training};
use mlperf_health::pipeline::{ReportOptions, build_report};
use mlperf_health::render::training_chart::training_charts;
use mlperf_health::render::training_view::TrainingView;
use mlperf_health::render::view::Target;
use serde::Serialize;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn rel(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Serialize)]
struct Snapshot {
    value: TrainingLog,
    warnings: Vec<ParseWarning>,
}

fn snapshot(name: &str, path: &Path) {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("fixture opens"));
    let parsed = training::parse(&rel(path, &fixtures()), file, None, &mut NullSink);
    insta::assert_yaml_snapshot!(
        name,
        Snapshot {
            value: parsed.value,
            warnings: parsed.warnings,
        }
    );
}

#[test]
fn training_parse() {
    insta::glob!("../../fixtures/training", "**/result_*.txt", |path| {
        snapshot("training", path)
    });
}

#[test]
fn training_bad_input() {
    insta::glob!("../../fixtures/bad-input/training", "handmade-*", |path| {
        snapshot("training_bad", path)
    });
}

/// Every fixture is a training log by name (`result_*.txt`) and by its
/// first 4 KiB under a name that says nothing, and LoadGen detail logs,
/// which also use `:::MLLOG`, stay LoadGen detail logs.
#[test]
fn recognised_by_name_and_by_content() {
    let root = fixtures().join("training");
    let found = discover(&root, None);
    assert_eq!(
        found
            .artifacts
            .iter()
            .filter(|a| !a.rel.ends_with(".md"))
            .count(),
        10
    );
    for a in &found.artifacts {
        if a.rel.ends_with(".md") {
            continue;
        }
        assert_eq!(a.kind, ArtifactKind::TrainingLog, "{}", a.rel);
        let mut head = std::fs::read(&a.fs_path).expect("reads");
        head.truncate(4096);
        assert_eq!(
            sniff_bytes("log.txt", &head),
            ArtifactKind::TrainingLog,
            "{}",
            a.rel
        );
    }
    for bad in discover(&fixtures().join("bad-input/training"), None).artifacts {
        let want = if bad.rel.ends_with(".md") {
            ArtifactKind::Unrecognized
        } else {
            ArtifactKind::TrainingLog
        };
        assert_eq!(bad.kind, want, "{}", bad.rel);
    }
    let detail = fixtures().join("loadgen/offline_valid/mlperf_log_detail.txt");
    let mut head = std::fs::read(detail).expect("loadgen detail");
    head.truncate(4096);
    assert_eq!(sniff_bytes("log.txt", &head), ArtifactKind::LoadgenDetail);
}

fn training_report() -> Report {
    let root = fixtures().join("training");
    build_report(&ReportOptions {
        root: root.clone(),
        out_dir: std::env::temp_dir().join("mlperf-health-training-unused"),
        ..ReportOptions::default()
    })
    .expect("report")
}

/// Numbers that mlperf-logging 4.1.68 itself computes for the same files
/// (`result_summarizer._compute_strong_score_standalone`, ruleset 5.1.0):
/// retinanet 19.115644444444445 min from five runs; llama31_8b and flux1
/// keep one scored run each and get no result; the Cisco dlrm_dcnv2 run
/// fails the compliance checker (AUC below 0.80275).
/// A training-only campaign is assessed on its runs, not left "not
/// assessed": three of ten runs are dropped (flux1 misses required keys,
/// llama31_8b and the Cisco run are aborted).
#[test]
fn dropped_training_runs_lower_the_performance_score() {
    let report = training_report();
    let perf = report
        .components
        .iter()
        .find(|c| c.id == "performance")
        .expect("performance");
    assert_eq!(perf.not_assessed_reason, None);
    assert_eq!(perf.score, Some(85.0));
    assert_eq!(
        perf.coverage_note,
        "MLPerf Training logs with a run_stop status"
    );
    let check = perf
        .checks
        .iter()
        .find(|c| c.id == "performance.training_runs")
        .expect("training check");
    assert!(!check.passed);
    assert_eq!(check.deduction, 15.0);
    let evidence: Vec<(&str, Option<u64>)> = check
        .evidence
        .iter()
        .map(|e| (e.path.as_str(), e.line))
        .collect();
    assert_eq!(
        evidence,
        [
            ("generated/flux1/result_1.txt", Some(59)),
            ("generated/llama31_8b/result_1.txt", Some(76)),
            (
                "public/Cisco/results/hpf_n8/dlrm_dcnv2/result_1.txt",
                Some(99)
            ),
        ]
    );
    assert!(
        check.evidence[1].text.contains("run_stop status: aborted"),
        "{:?}",
        check.evidence[1]
    );
}

#[test]
fn report_matches_result_summarizer() {
    let report = training_report();
    assert_eq!(report.inputs.by_kind.get("training_log"), Some(&10));
    assert!(
        report.inputs.warnings.is_empty(),
        "{:?}",
        report.inputs.warnings
    );
    let t = &report.training;
    let bench = |name: &str| {
        t.benchmarks
            .iter()
            .find(|b| b.benchmark == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let retinanet = bench("retinanet");
    let result = retinanet.result_min.expect("retinanet result");
    assert!((result - 19.115644444444445).abs() < 1e-9, "{result}");
    assert_eq!(retinanet.runs_met, Some(true));
    assert_eq!(
        retinanet.scores_min,
        [
            15.845,
            19.035566666666668,
            19.100983333333332,
            19.210383333333333,
            22.35321666666667
        ]
    );
    for name in ["llama31_8b", "flux1", "dlrm_dcnv2"] {
        assert_eq!(bench(name).result_min, None, "{name}");
        assert_eq!(bench(name).runs_met, Some(false), "{name}");
    }
    assert!((bench("llama31_8b").scores_min[0] - 41.52738333333333).abs() < 1e-9);
    assert!((bench("flux1").scores_min[0] - 60.776066666666665).abs() < 1e-9);
    let cisco = t
        .runs
        .iter()
        .find(|r| r.path.starts_with("public/"))
        .expect("public run");
    assert_eq!(cisco.status, TrainingStatus::Aborted);
    assert_eq!(cisco.converged, Some(false));
    assert_eq!(cisco.best_eval, Some(0.8025879859924316));
    // 1757519105220 − 1757519007851 ms.
    assert!((cisco.time_to_train_min.unwrap_or(0.0) - 97_369.0 / 60_000.0).abs() < 1e-12);
    assert_eq!(cisco.curve.len(), 20);
    let reached = t
        .runs
        .iter()
        .find(|r| r.path == "generated/retinanet/result_2.txt")
        .and_then(|r| r.reached.clone())
        .expect("reached");
    assert_eq!(reached.epoch_num, Some(4.0));
    let findings: Vec<(&str, u64, Vec<String>)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.count,
                f.evidence
                    .iter()
                    .map(|e| format!("{} | {}", e.location(), e.text))
                    .collect(),
            )
        })
        .collect();
    insta::assert_yaml_snapshot!("training_findings", findings);
}

fn render_partial(name: &str, source: &str, view: &TrainingView) -> String {
    let mut tera = tera::Tera::default();
    tera.add_raw_template(name, source)
        .expect("template parses");
    let mut ctx = tera::Context::new();
    ctx.insert("training", view);
    tera.render(name, &ctx).expect("template renders")
}

fn partial(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates/sections")
            .join(name),
    )
    .expect("partial")
}

/// Golden test of the section: the Markdown partial rendered with Tera from
/// the fixtures' report, blank-line runs collapsed as `report.md` does.
#[test]
fn training_section_markdown() {
    let report = training_report();
    let view = TrainingView::new(&report, Target::Markdown);
    let md = render_partial("sections/training.md", &partial("training.md"), &view);
    let mut tidy = String::new();
    let mut blank = false;
    for line in md.lines().map(str::trim_end) {
        if line.is_empty() && blank {
            continue;
        }
        blank = line.is_empty();
        tidy.push_str(line);
        tidy.push('\n');
    }
    insta::assert_snapshot!("training_section_md", tidy.trim());
}

#[test]
fn training_section_html_escapes_and_inlines_charts() {
    let mut report = training_report();
    report.training.runs[0].path = "generated/flux1/<img src=x onerror=y>&.txt".into();
    let view = TrainingView::new(&report, Target::Html);
    let html = render_partial("training.html", &partial("training.html"), &view);
    assert!(html.contains("<section class=\"card\" id=\"training\">"));
    assert!(html.contains("<code>&lt;img src=x onerror=y&gt;&amp;.txt</code>"));
    assert!(!html.contains("<img"));
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(!html.contains("xmlns="));
    report.training = Default::default();
    let empty = TrainingView::new(&report, Target::Html);
    assert!(!empty.present);
    let html = render_partial("training.html", &partial("training.html"), &empty);
    assert!(html.contains("No MLPerf Training logs"));
}

#[test]
fn charts_are_one_per_folder_and_deterministic() {
    let report = training_report();
    let a = training_charts(&report).expect("charts");
    let b = training_charts(&report).expect("charts");
    assert_eq!(a, b);
    let files: Vec<&str> = a.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "charts/training-01-flux1.svg",
            "charts/training-02-llama31_8b.svg",
            "charts/training-03-retinanet.svg",
            "charts/training-04-dlrm_dcnv2.svg"
        ]
    );
    let retinanet = &a[2].svg;
    assert!(retinanet.contains("Eval accuracy: retinanet (generated/retinanet)"));
    assert!(retinanet.contains("target &gt;= 0.34"));
    assert!(retinanet.contains("epoch (epoch_num)"));
    for i in 0..5 {
        assert!(
            retinanet.contains(&format!("result_{i}.txt success")),
            "run {i}"
        );
    }
    assert!(a[1].svg.contains("thin lines: runs not counted"));
}
