//! LoadGen extras: traces and accuracy logs from real LoadGen runs, the real
//! AMD submission's accuracy results, settings and metadata files, submission
//! paths, content sniffing, and the hand-made bad inputs. Snapshot names
//! follow the fixture paths.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use mlperf_health::discover::{discover, sniff_bytes};
use mlperf_health::model::{ArtifactKind, ParseWarning};
use mlperf_health::parse::{
    Parsed, accuracy_result, loadgen_accuracy, loadgen_config, loadgen_trace, submission,
};
use serde::Serialize;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `path` relative to `fixtures/`, `/`-separated.
fn rel(path: &Path) -> String {
    let p = path.strip_prefix(fixtures_root()).unwrap_or(path);
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Snapshot name for a fixture file: its path with `/` → `__`.
fn snap_name(kind: &str, path: &Path) -> String {
    format!("{kind}@{}", rel(path).replace('/', "__"))
}

fn open(path: &Path) -> BufReader<File> {
    BufReader::new(File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Every file called `name` below `fixtures/<family>`, sorted.
fn files_named(family: &str, name: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(fixtures_root().join(family))
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")))
        .filter(|e| e.file_name() == name)
        .map(|e| e.path().to_path_buf())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {name} under fixtures/{family}");
    out
}

#[derive(Serialize)]
struct Snap<'a, T> {
    warnings: &'a [ParseWarning],
    value: &'a T,
}

fn snap<T>(p: &Parsed<T>) -> Snap<'_, T> {
    Snap {
        warnings: &p.warnings,
        value: &p.value,
    }
}

#[test]
fn real_traces() {
    for path in files_named("loadgen", "mlperf_log_trace.json") {
        let p = loadgen_trace::parse(&rel(&path), open(&path));
        assert!(
            p.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            p.warnings
        );
        let t = &p.value;
        assert!(t.complete && t.samples > 0, "{}", path.display());
        assert_eq!(t.malformed_events, 0);
        // LoadGen's doubled-quote defect is present in every real trace.
        assert!(t.defective_events > 50, "{}", t.defective_events);
        let lat = t.latency.as_ref().unwrap();
        assert_eq!(lat.count, t.samples);
        let tl = t.timeline.as_ref().unwrap();
        assert_eq!(tl.completed.iter().sum::<u64>(), t.samples);
        insta::assert_yaml_snapshot!(snap_name("trace", &path), snap(&p));
    }
}

/// The trace's statistics agree with what LoadGen itself reported in the
/// detail log of the same run (within the histogram's ±3.2 %).
#[test]
fn trace_percentiles_agree_with_loadgen() {
    let cases = [
        (
            "offline_trace",
            "latency",
            "result_50.00_percentile_latency_ns",
        ),
        (
            "server_token_trace",
            "latency",
            "result_99.00_percentile_latency_ns",
        ),
        (
            "server_token_trace",
            "ttft",
            "result_first_token_50.00_percentile_latency_ns",
        ),
        (
            "offline_token_trace",
            "latency",
            "result_90.00_percentile_latency_ns",
        ),
    ];
    for (case, which, key) in cases {
        let dir = fixtures_root().join("loadgen").join(case);
        let trace = loadgen_trace::parse("t", open(&dir.join("mlperf_log_trace.json"))).value;
        let mut sink = mlperf_health::parse::NullSink;
        let detail = mlperf_health::parse::loadgen_detail::parse(
            "d",
            open(&dir.join("mlperf_log_detail.txt")),
            None,
            None,
            &mut sink,
        )
        .value;
        let want: f64 = detail.results[key].parse().unwrap();
        let d = if which == "latency" {
            trace.latency.unwrap()
        } else {
            trace.ttft.unwrap()
        };
        let got = if key.contains("_50.00_") {
            d.p50_ns
        } else if key.contains("_90.00_") {
            d.p90_ns
        } else {
            d.p99_ns
        };
        let err = (got as f64 / want - 1.0).abs();
        assert!(err < 0.035, "{case} {key}: trace {got} vs LoadGen {want}");
        // Min and max are exact.
        let prefix = if which == "latency" {
            "result"
        } else {
            "result_first_token"
        };
        let exact = |k: &str| {
            detail.results[&format!("{prefix}_{k}_latency_ns")]
                .parse::<u64>()
                .unwrap()
        };
        assert_eq!(
            (d.min_ns, d.max_ns),
            (exact("min"), exact("max")),
            "{case} {which}"
        );
    }
}

#[test]
fn real_accuracy_logs() {
    let mut paths = files_named("mlperf-submission-amd", "mlperf_log_accuracy.json");
    paths.push(fixtures_root().join("loadgen/offline_accuracy/mlperf_log_accuracy.json"));
    paths.push(fixtures_root().join("loadgen/offline_errors/mlperf_log_accuracy.json"));
    for path in paths {
        let p = loadgen_accuracy::parse(&rel(&path), open(&path));
        assert!(
            p.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            p.warnings
        );
        insta::assert_yaml_snapshot!(snap_name("accuracy_log", &path), snap(&p));
    }
}

#[test]
fn real_accuracy_results() {
    for path in files_named("mlperf-submission-amd", "accuracy.txt") {
        let p = accuracy_result::parse(&rel(&path), open(&path));
        assert!(
            p.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            p.warnings
        );
        assert!(p.value.hash.is_some());
        insta::assert_yaml_snapshot!(snap_name("accuracy_result", &path), snap(&p));
    }
}

#[test]
fn real_configs() {
    let mut paths = files_named("mlperf-submission-amd", "user.conf");
    paths.extend(files_named("mlperf-submission-amd", "mlperf.conf"));
    for path in paths {
        let p = loadgen_config::parse(&rel(&path), open(&path));
        assert!(
            p.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            p.warnings
        );
        assert_eq!(p.value.malformed_lines, 0);
        insta::assert_yaml_snapshot!(snap_name("config", &path), snap(&p));
    }
}

#[test]
fn real_submission_meta() {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(fixtures_root().join("mlperf-submission-amd/systems"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    paths.sort();
    paths.extend(files_named("mlperf-submission-amd", "measurements.json"));
    for path in paths {
        let p = submission::parse(&rel(&path), open(&path));
        assert!(
            p.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            p.warnings
        );
        insta::assert_yaml_snapshot!(snap_name("submission_meta", &path), snap(&p));
    }
}

/// Every run folder of the AMD copy (rooted at `results/`), and the same
/// folders as they sit in the full repository layout.
#[test]
fn submission_paths() {
    let root = fixtures_root().join("mlperf-submission-amd");
    let mut dirs: Vec<String> = discover(&root, None)
        .artifacts
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ArtifactKind::LoadgenSummary
                    | ArtifactKind::LoadgenDetail
                    | ArtifactKind::LoadgenAccuracy
                    | ArtifactKind::AccuracyResult
            )
        })
        .map(|a| a.dir.clone())
        .collect();
    dirs.dedup();
    let mut rows: Vec<String> = Vec::new();
    for d in &dirs {
        for rel_dir in [d.clone(), format!("closed/AMD/results/{d}")] {
            let i = submission::path_info(&rel_dir)
                .unwrap_or_else(|| panic!("{rel_dir}: not recognised"));
            rows.push(format!(
                "{rel_dir} -> division={} org={} system={} benchmark={} scenario={} kind={} mode={} run={}",
                i.division.as_deref().unwrap_or("-"),
                i.org.as_deref().unwrap_or("-"),
                i.system.as_deref().unwrap_or("-"),
                i.benchmark,
                i.scenario.map_or("-", |s| s.as_str()),
                i.kind.as_deref().unwrap_or("-"),
                i.mode.as_deref().unwrap_or("-"),
                i.run.as_deref().unwrap_or("-"),
            ));
        }
    }
    insta::assert_yaml_snapshot!("submission_paths@mlperf-submission-amd", rows);
    // The LoadGen fixture runs and the demo campaign are not submissions.
    for family in ["loadgen", "campaigns"] {
        for a in discover(&fixtures_root().join(family), None).artifacts {
            assert_eq!(submission::path_info(&a.dir), None, "{}", a.rel);
        }
    }
}

/// Real files under names that say nothing are still recognised by content.
#[test]
fn sniffed_under_unhelpful_names() {
    let head = |p: &Path| {
        let mut b = Vec::new();
        File::open(p)
            .unwrap()
            .take(4096)
            .read_to_end(&mut b)
            .unwrap();
        b
    };
    for path in files_named("loadgen", "mlperf_log_trace.json") {
        assert_eq!(
            sniff_bytes("trace.json", &head(&path)),
            ArtifactKind::LoadgenTrace
        );
    }
    for path in [
        fixtures_root().join("loadgen/offline_accuracy/mlperf_log_accuracy.json"),
        fixtures_root().join(
            "mlperf-submission-amd/8xMI300X_2xEPYC_9575F/mixtral-8x7b/Offline/TEST06/accuracy/mlperf_log_accuracy.json",
        ),
        fixtures_root().join(
            "mlperf-submission-amd/8xMI300X_2xEPYC_9575F/llama2-70b-99/Offline/accuracy/mlperf_log_accuracy.json",
        ),
    ] {
        assert_eq!(sniff_bytes("responses.json", &head(&path)), ArtifactKind::LoadgenAccuracy);
    }
}

#[test]
fn bad_inputs() {
    let dir = fixtures_root().join("bad-input/loadgen-extra");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("handmade-")
        })
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = rel(&path);
        let n = snap_name("bad", &path);
        if name.ends_with("-trace.json") {
            let p = loadgen_trace::parse(&r, open(&path));
            assert!(!p.warnings.is_empty(), "{name}");
            insta::assert_yaml_snapshot!(n, snap(&p));
        } else if name.ends_with("-accuracy.json") {
            let p = loadgen_accuracy::parse(&r, open(&path));
            assert!(!p.warnings.is_empty(), "{name}");
            insta::assert_yaml_snapshot!(n, snap(&p));
        } else if name.ends_with(".txt") {
            let p = accuracy_result::parse(&r, open(&path));
            assert!(!p.warnings.is_empty(), "{name}");
            insta::assert_yaml_snapshot!(n, snap(&p));
        } else if name.ends_with(".conf") {
            let p = loadgen_config::parse(&r, open(&path));
            assert!(!p.warnings.is_empty(), "{name}");
            insta::assert_yaml_snapshot!(n, snap(&p));
        } else if name.ends_with(".json") {
            let p = submission::parse(&r, open(&path));
            assert!(!p.warnings.is_empty(), "{name}");
            insta::assert_yaml_snapshot!(n, snap(&p));
        } else {
            panic!("unexpected bad-input file {name}");
        }
    }
}

/// The whole pipeline on the AMD copy: the report section, compactly.
#[test]
fn report_section_for_the_amd_submission() {
    let root = fixtures_root().join("mlperf-submission-amd");
    let mut sink = mlperf_health::parse::NullSink;
    let campaign = mlperf_health::pipeline::collect(&root, None, &mut sink);
    let section = mlperf_health::analyze::signals::loadgen_extra::report(&campaign);
    insta::assert_json_snapshot!("report_section@mlperf-submission-amd", section);
}

fn report_for(root: &Path) -> mlperf_health::model::Report {
    let opts = mlperf_health::pipeline::ReportOptions {
        root: root.to_path_buf(),
        out_dir: root.join("out"),
        ..Default::default()
    };
    mlperf_health::pipeline::build_report(&opts).unwrap()
}

/// A real AccuracyOnly run logs one entry per sample: no finding. The same
/// run with its accuracy log cut short raises `accuracy_log_mismatch`.
#[test]
fn accuracy_count_against_the_detail_log() {
    let real = fixtures_root().join("loadgen/offline_accuracy");
    let tmp = tempfile::tempdir().unwrap();
    for (case, accuracy) in [
        ("complete", real.join("mlperf_log_accuracy.json")),
        (
            "cut",
            fixtures_root().join("bad-input/loadgen-extra/handmade-truncated-accuracy.json"),
        ),
    ] {
        let dir = tmp.path().join(case);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            real.join("mlperf_log_detail.txt"),
            dir.join("mlperf_log_detail.txt"),
        )
        .unwrap();
        std::fs::copy(accuracy, dir.join("mlperf_log_accuracy.json")).unwrap();
    }
    let report = report_for(tmp.path());
    let checks: Vec<(String, bool, u64, u64)> = report
        .loadgen_extra
        .runs
        .iter()
        .map(|r| {
            let c = r.accuracy_count.as_ref().unwrap();
            (r.run.clone(), c.matches, c.entries, c.expected)
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("complete".to_string(), true, 256, 256),
            ("cut".to_string(), false, 89, 256)
        ]
    );
    let hits: Vec<&mlperf_health::model::Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "loadgen.accuracy_count_mismatch")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", report.findings);
    assert_eq!(hits[0].evidence[0].path, "cut/mlperf_log_accuracy.json");
    assert_eq!(hits[0].category, "benchmark_invalid");
}
