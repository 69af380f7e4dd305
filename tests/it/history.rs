//! Past runs: the archive index site (golden), skipping bad JSON, report
//! diffs (snapshots) and `report --baseline`.

use std::path::Path;

use crate::util::{assert_dir_matches, bin, repo};

/// A copy of `fixtures/archive` in a temporary folder, so the site's
/// relative links (`../archive/…`) do not depend on where the repo is.
fn archive_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = repo().join("fixtures/archive");
    for f in crate::util::files_below(&src) {
        let to = tmp.path().join("archive").join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&f), to).unwrap();
    }
    tmp
}

fn index(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .args(["index", "archive", "--out", "site", "--quiet"])
        .args(extra);
    cmd.assert()
}

#[test]
fn archive_index_matches_golden() {
    let tmp = archive_copy();
    let targets = repo().join("fixtures/history/targets.toml");
    index(tmp.path(), &["--config", targets.to_str().unwrap()])
        .code(0)
        .stderr("");
    assert_dir_matches(
        &tmp.path().join("site"),
        &repo().join("tests/golden/archive-index"),
    );
}

#[test]
fn index_is_newest_first_with_relative_links_and_no_scripts() {
    let tmp = archive_copy();
    index(tmp.path(), &[]).code(0);
    let html = std::fs::read_to_string(tmp.path().join("site/index.html")).unwrap();
    let dates = ["2026-04-06", "2026-03-09", "2026-02-09", "2026-01-12"];
    let pos: Vec<usize> = dates
        .iter()
        .map(|d| html.find(&format!("<td>{d}</td>")).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    // Tera escapes `/` in attributes; a browser reads &#x2F; as `/`.
    assert!(html.contains("href=\"..&#x2F;archive&#x2F;2026-01-12&#x2F;report.html\""));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    let node = std::fs::read_to_string(tmp.path().join("site/nodes/node-c.html")).unwrap();
    assert!(node.contains("..&#x2F;..&#x2F;archive&#x2F;2026-04-06&#x2F;report.html"));
    assert!(node.contains("unhealthy"));
}

#[test]
fn corrupt_and_foreign_json_are_skipped_with_a_warning() {
    let tmp = archive_copy();
    let a = tmp.path().join("archive");
    for (dir, text) in [
        ("handmade-corrupt", "{\"schema_version\": 1, \"overall\": "),
        (
            "handmade-foreign",
            "{\"name\": \"another tool\", \"results\": []}",
        ),
        (
            "handmade-other-tool",
            "{\"schema_version\": 1, \"tool\": {\"name\": \"x\"}}",
        ),
        (
            "handmade-newer",
            "{\"schema_version\": 2, \"tool\": {\"name\": \"mlperf-health\"}}",
        ),
        ("handmade-not-utf8", "\u{0}\u{1}"),
    ] {
        std::fs::create_dir_all(a.join(dir)).unwrap();
        std::fs::write(a.join(dir).join("report.json"), text).unwrap();
    }
    let out = index(tmp.path(), &[]).code(0).get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    for (dir, why) in [
        ("handmade-corrupt", "not valid JSON"),
        (
            "handmade-foreign",
            "not an mlperf-health report (no schema_version)",
        ),
        (
            "handmade-other-tool",
            "not an mlperf-health report (written by `x`)",
        ),
        ("handmade-newer", "schema_version 2 is newer"),
        ("handmade-not-utf8", "not valid JSON"),
    ] {
        let line = format!("warning: {dir}/report.json: {why}");
        assert!(err.contains(&line), "missing `{line}` in:\n{err}");
    }
    let html = std::fs::read_to_string(tmp.path().join("site/index.html")).unwrap();
    assert!(html.contains("4 reports, newest first"));
    assert!(html.contains("Skipped files (5)"));
}

#[test]
fn an_older_minimal_report_still_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("archive/old");
    std::fs::create_dir_all(&run).unwrap();
    // Hand-made: only the fields an early writer would have had.
    std::fs::write(
        run.join("report.json"),
        r#"{"schema_version": 1, "title": "old", "overall": {"score": 80, "status": "good"}}"#,
    )
    .unwrap();
    index(tmp.path(), &[]).code(0).stderr("");
    let html = std::fs::read_to_string(tmp.path().join("site/index.html")).unwrap();
    assert!(html.contains(">80<"), "{html}");
    assert!(
        html.contains("report.json"),
        "links the JSON when there is no HTML"
    );
}

fn diff(a: &str, b: &str, md: bool) -> String {
    let mut cmd = bin();
    cmd.args(["diff", a, b]);
    if md {
        cmd.args(["--format", "md"]);
    }
    let out = cmd.assert().code(0).get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn diff_fixes_and_a_faster_node() {
    insta::assert_snapshot!(diff(
        "fixtures/archive/2026-01-12/report.json",
        "fixtures/archive/2026-02-09/report.json",
        false
    ));
}

#[test]
fn diff_regression_and_new_failure() {
    insta::assert_snapshot!(diff(
        "fixtures/archive/2026-02-09/report.json",
        "fixtures/archive/2026-03-09/report.json",
        false
    ));
}

#[test]
fn diff_configuration_change_as_markdown() {
    insta::assert_snapshot!(diff(
        "fixtures/archive/2026-03-09/report.json",
        "fixtures/archive/2026-04-06",
        true
    ));
}

#[test]
fn diff_of_a_missing_file_fails_cleanly() {
    bin()
        .args([
            "diff",
            "nope/report.json",
            "fixtures/archive/2026-04-06/report.json",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nope/report.json"));
}

fn report_json(baseline: &str) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--format",
            "json",
            "--quiet",
        ])
        .args(["--baseline", baseline, "--out"])
        .arg(out.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn report_against_an_archived_baseline() {
    let r = report_json("fixtures/archive/2026-01-12/report.json");
    insta::assert_json_snapshot!(r["baseline"]);
}

#[test]
fn report_against_its_own_artifacts_is_all_stable() {
    let r = report_json("fixtures/campaigns/demo");
    let b = &r["baseline"];
    assert_eq!(b["summary"]["degrading"], 0);
    assert_eq!(b["summary"]["improving"], 0);
    assert_eq!(b["summary"]["inconclusive"], 0);
    assert!(b["summary"]["stable"].as_u64().unwrap() > 10);
    assert_eq!(b["config_differences"], serde_json::json!([]));
    assert_eq!(b["findings_new"], serde_json::json!([]));
    assert_eq!(b["findings_gone"], serde_json::json!([]));
    assert_eq!(b["steps_changed"], serde_json::json!([]));
}

#[test]
fn a_bad_baseline_is_an_error_naming_it() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--baseline",
            "nope.json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nope.json"));
}

#[test]
fn a_config_with_targets_is_still_a_valid_rule_config() {
    bin()
        .args(["rules", "--config", "fixtures/history/targets.toml"])
        .assert()
        .code(0);
}

#[test]
fn baseline_section_is_rendered_in_markdown_and_html() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "fixtures/campaigns/demo", "--format", "md,html"])
        .args(["--baseline", "fixtures/archive/2026-01-12/report.json", "--out"])
        .arg(out.path())
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "against baseline fixtures/archive/2026-01-12/report.json: 2 improving, 14 stable, 3 degrading, 0 inconclusive",
        ));
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("## Comparison with the baseline"));
    assert!(md.contains("| Service reliability score | 60 | 43 | −17 (−28.3%) | **degrading** |"));
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("<section class=\"card\" id=\"baseline\">"));
    assert!(html.contains("tone-bad\">degrading</span>"));
}
