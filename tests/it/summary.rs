//! `--github-summary`: the compact Markdown appended to
//! `$GITHUB_STEP_SUMMARY`, its escaping, and GitHub's 1 MiB limit.

use mlperf_health::model::*;
use mlperf_health::render::summary::{
    GITHUB_SUMMARY_LIMIT, MAX_FAILED_STEPS, MAX_FINDINGS, github_summary,
};

use crate::render::{empty_report, sample_report};
use crate::util::bin;

#[test]
fn summary_snapshot() {
    insta::assert_snapshot!(
        "summary_sample",
        github_summary(&sample_report(), GITHUB_SUMMARY_LIMIT)
    );
}

#[test]
fn summary_of_an_empty_report_says_not_assessed() {
    let md = github_summary(&empty_report(), GITHUB_SUMMARY_LIMIT);
    assert!(md.contains("**Overall score: not assessed**"));
    assert!(!md.contains("0/100"));
    assert!(md.contains("No harness step failed"));
    assert!(md.contains("No findings."));
}

#[test]
fn summary_escapes_untrusted_text() {
    let md = github_summary(&sample_report(), GITHUB_SUMMARY_LIMIT);
    // Title `Campaign health | test`, finding `Python traceback | in <benchmark>`.
    assert!(md.starts_with("## Campaign health \\| test\n"));
    assert!(md.contains("Python traceback \\| in &lt;benchmark&gt;"));
    assert!(!md.contains("<benchmark>"));
    let mut r = sample_report();
    r.steps[2].message = Some("`rm -rf` | <img src=x onerror=alert(1)> \x1b[31m".to_string());
    r.steps[2].node = "node|a".to_string();
    let md = github_summary(&r, GITHUB_SUMMARY_LIMIT);
    assert!(md.contains("\\`rm -rf\\` \\| &lt;img src=x onerror=alert(1)&gt;"));
    assert!(md.contains("| node\\|a |"));
    assert!(!md.contains("<img"));
    assert!(!md.contains('\x1b'));
    // Table rows keep their column count.
    for line in md.lines().filter(|l| l.starts_with("| node")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "broken row: {line}");
    }
}

/// A campaign far beyond anything real: 20,000 failed steps with long
/// messages (10 MB of text), 200 findings with 20 kB titles.
fn huge_report() -> Report {
    let mut r = sample_report();
    let template = r.steps[2].clone();
    r.steps = (0..20_000)
        .map(|i| StepReport {
            name: format!("step-{i}"),
            node: format!("node-{:05}", i % 1000),
            message: Some("x".repeat(500)),
            ..template.clone()
        })
        .collect();
    let finding = r.findings[0].clone();
    r.findings = (0..200)
        .map(|i| Finding {
            title: format!("finding {i} {}", "y".repeat(20_000)),
            ..finding.clone()
        })
        .collect();
    r
}

#[test]
fn a_huge_campaign_stays_under_the_limit_with_a_note() {
    let r = huge_report();
    let md = github_summary(&r, GITHUB_SUMMARY_LIMIT);
    assert!(md.len() <= GITHUB_SUMMARY_LIMIT, "{} bytes", md.len());
    // Lists are capped by count, with a pointer to the full report.
    let step_rows = md.lines().filter(|l| l.starts_with("| node-")).count();
    assert_eq!(step_rows, MAX_FAILED_STEPS);
    assert!(md.contains(&format!(
        "… and {} more failed step(s)",
        20_000 - MAX_FAILED_STEPS
    )));
    assert!(md.contains(&format!("### Top findings: {MAX_FINDINGS} of 200")));
    // Cells are cut, so even 10 × 20 kB titles stay small.
    assert!(md.len() < 64 * 1024, "{} bytes", md.len());
}

#[test]
fn a_small_budget_truncates_on_a_line_with_a_note() {
    let full = github_summary(&sample_report(), GITHUB_SUMMARY_LIMIT);
    assert!(!full.contains("Summary truncated"));
    for budget in [600, 900, full.len() - 1] {
        let md = github_summary(&sample_report(), budget);
        assert!(md.len() <= budget, "{} > {budget}", md.len());
        assert!(md.contains("**Summary truncated**"), "budget {budget}");
        assert!(md.ends_with("`report.md` / `report.html`.\n"));
        // What is kept is a prefix of the full summary, cut between lines.
        let kept = md.split("\n> **Summary truncated**").next().unwrap_or("");
        assert!(full.starts_with(kept), "budget {budget}");
        assert!(kept.is_empty() || kept.ends_with('\n'));
    }
    // Exactly enough room: nothing is cut.
    assert_eq!(github_summary(&sample_report(), full.len()), full);
    // Not even room for the note: nothing at all rather than a broken line.
    assert_eq!(github_summary(&sample_report(), 100), "");
}

#[test]
fn the_flag_appends_to_the_step_summary_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step output\n").unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..2 {
        bin()
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args([
                "report",
                "fixtures/campaigns/demo",
                "--quiet",
                "--github-summary",
                "--format",
                "json",
                "--out",
            ])
            .arg(dir.path().join("out"))
            .assert()
            .code(0)
            .stderr("");
    }
    let text = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(text.starts_with("earlier step output\n## MLPerf campaign health report\n"));
    assert_eq!(
        text.matches("**Overall score: 60/100** (moderate)").count(),
        2
    );
    assert!(text.contains("### Failed steps: 8 of"));
    assert!(text.contains("| Software stack | 10/100 | critical |"));
}

#[test]
fn the_flag_without_the_variable_warns_and_still_writes_the_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    bin()
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--github-summary",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "warning: --github-summary: GITHUB_STEP_SUMMARY is not set",
        ));
    assert!(dir.path().join("report.md").is_file());
}

#[test]
fn an_unwritable_summary_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    bin()
        .env(
            "GITHUB_STEP_SUMMARY",
            dir.path().join("no/such/dir/summary.md"),
        )
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--github-summary",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "warning: could not append the job summary",
        ));
}
