//! The command line: exit codes, gates, timestamps, and that inputs are
//! never modified.

use crate::util::{bin, files_below, repo};

fn report_json(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_report_is_written_with_exit_0() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "fixtures/campaigns/demo", "--out"])
        .arg(out.path())
        .assert()
        .code(0)
        .stdout(predicates::str::contains("overall"));
    for f in ["report.md", "report.html", "report.json"] {
        assert!(out.path().join(f).is_file(), "{f} missing");
    }
    let json = report_json(out.path());
    assert_eq!(json["schema_version"], 1);
    assert!(
        json["generated_at"].is_null(),
        "no wall-clock time by default"
    );
}

#[test]
fn fail_under_trips_with_exit_1_after_writing() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--fail-under",
            "100",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--fail-under"));
    assert!(out.path().join("report.json").is_file());
}

#[test]
fn fail_on_high_trips_on_the_demo() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--fail-on",
            "high",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1);
}

#[test]
fn a_missing_root_is_exit_2() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "no/such/dir", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/dir"));
}

#[test]
fn an_unwritable_output_is_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let blocker = out.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    bin()
        .args(["report", "fixtures/campaigns/demo", "--quiet", "--out"])
        .arg(blocker.join("sub"))
        .assert()
        .code(2);
}

#[test]
fn only_requested_formats_are_written() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    assert_eq!(files_below(out.path()), ["report.json"]);
}

#[test]
fn source_date_epoch_sets_the_timestamp() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    assert_eq!(
        report_json(out.path())["generated_at"],
        "2023-11-14T22:13:20Z"
    );
}

#[test]
fn the_artifacts_tree_is_not_modified() {
    let root = repo().join("fixtures/campaigns/demo");
    let before: Vec<(String, Vec<u8>)> = files_below(&root)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(root.join(&f)).unwrap()))
        .collect();
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "fixtures/campaigns/demo", "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .code(0);
    let after: Vec<(String, Vec<u8>)> = files_below(&root)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(root.join(&f)).unwrap()))
        .collect();
    assert!(before == after, "the artifacts tree changed");
}

#[test]
fn rules_and_explain_list_the_catalogue() {
    bin()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("gpu.cuda_oom"));
    bin()
        .args(["explain", "deps.module_not_found"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("example:"));
    bin().args(["explain", "no.such.rule"]).assert().code(2);
}
