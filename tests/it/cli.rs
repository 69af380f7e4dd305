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

#[test]
fn fail_on_compares_against_the_worst_severity() {
    // The demo's worst finding is high: critical passes, medium trips.
    for (severity, code) in [("critical", 0), ("high", 1), ("medium", 1)] {
        let out = tempfile::tempdir().unwrap();
        bin()
            .args(["report", "fixtures/campaigns/demo", "--quiet", "--fail-on"])
            .arg(severity)
            .arg("--out")
            .arg(out.path())
            .assert()
            .code(code);
    }
    bin()
        .args(["report", "fixtures/campaigns/demo", "--fail-on", "low"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'low'"));
}

#[test]
fn a_tripped_gate_still_writes_every_requested_file() {
    let out = tempfile::tempdir().unwrap();
    let junit = out.path().join("ci/junit-report.xml");
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "md,html,json,junit",
            "--fail-under",
            "99",
            "--fail-on",
            "high",
            "--junit",
        ])
        .arg(&junit)
        .arg("--out")
        .arg(out.path().join("report"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("is below --fail-under 99"))
        .stderr(predicates::str::contains(
            "at severity high or worse (--fail-on high)",
        ));
    assert_eq!(
        files_below(&out.path().join("report")),
        [
            "charts/findings.svg",
            "charts/latency.svg",
            "charts/scores.svg",
            "charts/throughput.svg",
            "junit.xml",
            "report.html",
            "report.json",
            "report.md",
        ]
    );
    assert_eq!(
        std::fs::read(&junit).unwrap(),
        std::fs::read(out.path().join("report/junit.xml")).unwrap()
    );
}

#[test]
fn format_junit_alone_writes_only_junit_xml() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "junit",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    assert_eq!(files_below(out.path()), ["junit.xml"]);
}

#[test]
fn strict_trips_on_parse_warnings_only() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--strict",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    bin()
        .args([
            "report",
            "fixtures/bad-input",
            "--quiet",
            "--strict",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "gate: --strict: 0 unreadable file(s) and",
        ));
    // Without --strict the same warnings are only warnings.
    bin()
        .args(["report", "fixtures/bad-input", "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .code(0);
}

#[test]
fn title_is_used_and_escaped_everywhere() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "md,html,json,junit",
            "--title",
            "Nightly <run> | #42",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    assert_eq!(report_json(out.path())["title"], "Nightly <run> | #42");
    let read = |f: &str| std::fs::read_to_string(out.path().join(f)).unwrap();
    assert!(read("report.html").contains("<title>Nightly &lt;run&gt; | #42</title>"));
    assert!(read("report.md").starts_with("# Nightly &lt;run&gt; \\| #42\n"));
    assert!(read("junit.xml").contains("<testsuites name=\"Nightly &lt;run&gt; | #42\""));
}

#[test]
fn quiet_silences_stdout_and_stderr_has_only_warnings_off_a_terminal() {
    let out = tempfile::tempdir().unwrap();
    // Not a TTY under the test harness: no progress bar, no chatter.
    bin()
        .args(["report", "fixtures/campaigns/demo", "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    let run = bin()
        .args(["report", "fixtures/bad-input", "--out"])
        .arg(out.path())
        .assert()
        .code(0);
    let output = run.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().count() > 3);
    for line in stderr.lines() {
        assert!(line.starts_with("warning: "), "not a warning: {line:?}");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");
}

#[test]
fn no_temporary_files_are_left_behind() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "md,html,json,junit",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let files = files_below(out.path());
    assert_eq!(files.len(), 8);
    assert!(files.iter().all(|f| !f.contains(".tmp")), "{files:?}");
    // A write that fails (the target is a directory) cleans up its temp file.
    let target = out.path().join("blocked");
    std::fs::create_dir_all(target.join("inside")).unwrap();
    assert!(mlperf_health::pipeline::write_atomic(&target, b"x").is_err());
    let left: Vec<String> = files_below(out.path())
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn help_has_examples() {
    bin()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Examples:"));
    bin()
        .args(["report", "--help"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Examples:"))
        .stdout(predicates::str::contains("--github-summary"))
        .stdout(predicates::str::contains("Exit codes:"));
}

#[test]
fn completions_and_man_pages_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = bin().args(["completions", shell]).assert().code(0);
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(text.contains("mlperf-health"), "{shell}");
        assert!(text.contains("fail-under"), "{shell}");
    }
    let man = bin().arg("man").assert().code(0);
    let page = String::from_utf8_lossy(&man.get_output().stdout).into_owned();
    assert!(
        page.contains(".TH mlperf-health 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(page.contains("report"));
    let man = bin().args(["man", "report"]).assert().code(0);
    let page = String::from_utf8_lossy(&man.get_output().stdout).into_owned();
    assert!(
        page.contains(".TH mlperf-health-report 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(page.contains("fail\\-under"));
    bin().args(["man", "nope"]).assert().code(2);
    // Hidden from the main help, which stays about the real work.
    let help = bin().arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(!help.contains("completions"));
}

#[test]
fn coverage_is_a_share_on_every_bundled_tree() {
    for tree in ["fixtures/campaigns/demo", "fixtures/probes", "fixtures"] {
        let out = tempfile::tempdir().unwrap();
        bin()
            .args(["report", tree, "--quiet", "--format", "json", "--out"])
            .arg(out.path())
            .assert()
            .code(0);
        let json = report_json(out.path());
        for c in json["components"].as_array().unwrap() {
            let cov = c["coverage"].as_f64().unwrap();
            assert!(
                (0.0..=1.0).contains(&cov),
                "{tree}: {} coverage {cov}",
                c["id"]
            );
        }
        let overall = json["overall"]["coverage"].as_f64().unwrap();
        assert!(
            (0.0..=1.0).contains(&overall),
            "{tree}: overall coverage {overall}"
        );
    }
}
