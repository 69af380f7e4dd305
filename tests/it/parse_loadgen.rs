//! LoadGen summary and detail parsers on real AMD submission logs and on
//! hand-made bad inputs. Snapshot names follow the fixture paths.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use mlperf_health::model::{LoadGenDetail, LoadGenSummary, ParseWarning};
use mlperf_health::parse::{CollectSink, Parsed, loadgen_detail, loadgen_summary};
use serde::Serialize;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `path` relative to `fixtures/`, `/`-separated: what the parsers name in
/// evidence and warnings.
fn rel(path: &Path) -> String {
    let root = fixtures_root();
    let p = path.strip_prefix(&root).unwrap_or(path);
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn open(path: &Path) -> BufReader<File> {
    BufReader::new(File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn summary(path: &Path) -> Parsed<LoadGenSummary> {
    loadgen_summary::parse(&rel(path), open(path))
}

fn detail(path: &Path) -> (Parsed<LoadGenDetail>, CollectSink) {
    let mut sink = CollectSink::default();
    let p = loadgen_detail::parse(
        &rel(path),
        open(path),
        Some("node-a"),
        Some("bench"),
        &mut sink,
    );
    (p, sink)
}

#[derive(Serialize)]
struct SummarySnap<'a> {
    warnings: &'a [ParseWarning],
    summary: &'a LoadGenSummary,
}

#[derive(Serialize)]
struct DetailSnap<'a> {
    warnings: &'a [ParseWarning],
    /// What reached the sink, as `line: text`.
    sink: Vec<String>,
    detail: &'a LoadGenDetail,
}

fn detail_snap<'a>(p: &'a Parsed<LoadGenDetail>, sink: &CollectSink) -> DetailSnap<'a> {
    DetailSnap {
        warnings: &p.warnings,
        sink: sink
            .lines
            .iter()
            .map(|(path, line, node, step, text)| {
                assert_eq!(node.as_deref(), Some("node-a"));
                assert_eq!(step.as_deref(), Some("bench"));
                format!("{path}:{line}: {text}")
            })
            .collect(),
        detail: &p.value,
    }
}

/// Fixture families holding real LoadGen runs (`<run dir>/mlperf_log_*.txt`).
const FAMILIES: [&str; 3] = ["mlperf-submission-amd", "loadgen", "campaigns"];

/// Every directory under `fixtures/<family>` holding a summary log, sorted.
/// Snapshots are named after these paths (not via `insta::glob!`, whose
/// names depend on the common prefix of all matches and so would change
/// when a fixture is added).
fn run_dirs(family: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(fixtures_root().join(family))
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")))
        .filter(|e| e.file_name() == "mlperf_log_summary.txt")
        .filter_map(|e| e.path().parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no LoadGen runs under fixtures/{family}");
    dirs
}

#[test]
fn real_summaries() {
    for family in FAMILIES {
        for dir in run_dirs(family) {
            let p = summary(&dir.join("mlperf_log_summary.txt"));
            assert!(p.warnings.is_empty(), "{}: {:?}", dir.display(), p.warnings);
            insta::assert_yaml_snapshot!(
                format!("summary@{}", rel(&dir)),
                SummarySnap {
                    warnings: &p.warnings,
                    summary: &p.value,
                }
            );
        }
    }
}

#[test]
fn real_details() {
    for family in FAMILIES {
        for dir in run_dirs(family) {
            let (p, sink) = detail(&dir.join("mlperf_log_detail.txt"));
            assert!(p.warnings.is_empty(), "{}: {:?}", dir.display(), p.warnings);
            assert_eq!(p.value.malformed_lines, 0);
            insta::assert_yaml_snapshot!(format!("detail@{}", rel(&dir)), detail_snap(&p, &sink));
        }
    }
}

/// Every performance summary's verdict (and trailer counts, scenario, mode)
/// must agree with its detail log, the record LoadGen itself trusts.
fn check_summaries_against_details(root: &Path) -> usize {
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        if entry.file_name() != "mlperf_log_summary.txt" {
            continue;
        }
        let s = summary(entry.path()).value;
        let detail_path = entry.path().with_file_name("mlperf_log_detail.txt");
        let (d, _) = detail(&detail_path);
        let d = d.value;
        let at = entry.path().display();
        assert_eq!(s.warnings_count, Some(d.warnings.total), "{at}: warnings");
        assert_eq!(s.errors_count, Some(d.errors.total), "{at}: errors");
        let Some(valid) = s.valid else {
            // Trailer-only summary: only AccuracyOnly runs write these.
            assert_eq!(d.mode.as_deref(), Some("AccuracyOnly"), "{at}");
            assert!(!d.results.contains_key("result_validity"), "{at}");
            continue;
        };
        let verdict = if valid { "VALID" } else { "INVALID" };
        assert_eq!(
            d.results.get("result_validity").map(String::as_str),
            Some(verdict),
            "{at}: verdict"
        );
        assert_eq!(s.scenario, d.scenario, "{at}: scenario");
        assert_eq!(s.mode, d.mode, "{at}: mode");
        checked += 1;
    }
    checked
}

#[test]
fn summary_verdicts_match_detail_result_validity() {
    let checked = |family: &str| check_summaries_against_details(&fixtures_root().join(family));
    assert_eq!(
        checked("mlperf-submission-amd"),
        6,
        "AMD performance summaries"
    );
    // 12 cases of generate.sh and 3 performance cases of generate_trace.sh
    // (its AccuracyOnly case has a trailer-only summary).
    assert_eq!(checked("loadgen"), 15, "LoadGen case summaries");
    assert!(checked("campaigns") > 0, "campaign summaries");
}

/// The same check over a whole submission tree outside the repository, e.g.
/// `MLPERF_AMD_RESULTS=/work/shared/data/mlperf-submission-amd/results`.
#[test]
#[ignore = "needs MLPERF_AMD_RESULTS pointing at a submission results tree"]
fn external_summary_verdicts_match_detail_result_validity() {
    let root = std::env::var_os("MLPERF_AMD_RESULTS").expect("MLPERF_AMD_RESULTS is not set");
    let n = check_summaries_against_details(Path::new(&root));
    assert!(n > 0, "no performance summaries under {root:?}");
    println!("{n} performance summaries agree with their detail logs");
}

fn bad(name: &str) -> PathBuf {
    fixtures_root().join("bad-input/loadgen").join(name)
}

#[test]
fn bad_summaries() {
    for name in [
        "handmade-truncated-summary.txt",
        "handmade-truncated-header-summary.txt",
        "handmade-invalid-utf8-summary.txt",
        "handmade-empty.txt",
    ] {
        let p = summary(&bad(name));
        insta::assert_yaml_snapshot!(
            format!("bad_summary@{name}"),
            SummarySnap {
                warnings: &p.warnings,
                summary: &p.value,
            }
        );
    }
}

#[test]
fn bad_details() {
    for name in ["handmade-malformed-detail.txt", "handmade-empty.txt"] {
        let (p, sink) = detail(&bad(name));
        insta::assert_yaml_snapshot!(format!("bad_detail@{name}"), detail_snap(&p, &sink));
    }
}
