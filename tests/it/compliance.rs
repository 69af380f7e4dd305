//! Compliance tests (`TEST0N/verify_{accuracy,performance}.txt`): the real
//! AMD files parse to passing verdicts with their numbers, the whole CLI
//! shows them (inspect, Markdown, HTML, JSON) without a finding, and the
//! hand-made failures in `fixtures/handmade/compliance/` become findings
//! whose evidence names the file and line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use mlperf_health::model::{ComplianceVerdict, ComplianceVerify, ParseWarning};
use mlperf_health::parse::verify;
use serde::Serialize;
use serde_json::Value;

use crate::util::{bin, files_below, repo};

#[derive(Serialize)]
struct Snap {
    warnings: Vec<ParseWarning>,
    value: ComplianceVerify,
}

/// Every verify file below `root` (a fixture folder), parsed with its path
/// relative to `root`, as the pipeline passes it.
fn parse_all(root: &str) -> BTreeMap<String, Snap> {
    let dir = repo().join(root);
    files_below(&dir)
        .into_iter()
        .filter(|f| verify::FILE_NAMES.iter().any(|n| f.ends_with(n)))
        .map(|f| {
            let file = BufReader::new(File::open(dir.join(&f)).unwrap());
            let p = verify::parse(&f, file);
            (
                f,
                Snap {
                    warnings: p.warnings,
                    value: p.value,
                },
            )
        })
        .collect()
}

#[test]
fn real_verify_files() {
    let all = parse_all("fixtures/mlperf-submission-amd");
    assert_eq!(all.len(), 10);
    for (path, s) in &all {
        assert!(s.warnings.is_empty(), "{path}: {:?}", s.warnings);
        assert_eq!(s.value.verdict, ComplianceVerdict::Pass, "{path}");
        assert!(s.value.verdict_line.is_some(), "{path}");
    }
    insta::assert_yaml_snapshot!("verify@mlperf-submission-amd", all);
}

#[test]
fn handmade_verify_files_and_their_warnings() {
    let all = parse_all("fixtures/handmade/compliance");
    let verdicts: Vec<(&str, ComplianceVerdict)> = all
        .iter()
        .map(|(p, s)| (p.as_str(), s.value.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "handmade-sut/llama2-70b-99/Offline/TEST06/verify_accuracy.txt",
                ComplianceVerdict::Incomplete
            ),
            (
                "handmade-sut/llama2-70b-99/Server/TEST06/verify_accuracy.txt",
                ComplianceVerdict::Fail
            ),
            (
                "handmade-sut/stable-diffusion-xl/Offline/TEST01/verify_accuracy.txt",
                ComplianceVerdict::Fail
            ),
            (
                "handmade-sut/stable-diffusion-xl/Offline/TEST01/verify_performance.txt",
                ComplianceVerdict::Pass
            ),
            (
                "handmade-sut/stable-diffusion-xl/Offline/TEST04/verify_performance.txt",
                ComplianceVerdict::Fail
            ),
            (
                "handmade-sut/stable-diffusion-xl/Server/TEST01/verify_performance.txt",
                ComplianceVerdict::Incomplete
            ),
        ]
    );
    insta::assert_yaml_snapshot!("verify@handmade-compliance", all);
}

fn report(root: &str, out: &Path) -> (Value, String, String) {
    bin()
        .args(["report", root, "--out"])
        .arg(out)
        .assert()
        .code(0);
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    (
        serde_json::from_str(&read("report.json")).unwrap(),
        read("report.md"),
        read("report.html"),
    )
}

/// A finding as (rule, severity, evidence as (path, line)).
type FindingRow = (String, String, Vec<(String, Option<u64>)>);

fn compliance_findings(json: &Value) -> Vec<&Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("compliance."))
        .collect()
}

#[test]
fn the_real_submission_passes_every_compliance_test() {
    let out = tempfile::tempdir().unwrap();
    let (json, md, html) = report("fixtures/mlperf-submission-amd", out.path());
    let tests = json["loadgen_extra"]["compliance"].as_array().unwrap();
    let rows: Vec<(&str, &str, usize)> = tests
        .iter()
        .map(|t| {
            (
                t["folder"].as_str().unwrap(),
                t["verdict"].as_str().unwrap(),
                t["files"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 8, "{rows:?}");
    assert!(rows.iter().all(|r| r.1 == "pass"), "{rows:?}");
    assert_eq!(
        rows.iter().map(|r| r.2).sum::<usize>(),
        10,
        "every verify file is in a test"
    );
    assert!(tests.iter().all(|t| t.get("missing").is_none()));
    let t04 = tests
        .iter()
        .find(|t| t["folder"] == "8xMI325x_2xEPYC-9655/stable-diffusion-xl/Offline/TEST04")
        .unwrap();
    assert_eq!(t04["test"], "TEST04");
    assert_eq!(t04["scope"]["system"], "8xMI325x_2xEPYC-9655");
    assert_eq!(t04["scope"]["benchmark"], "stable-diffusion-xl");
    assert_eq!(t04["scope"]["scenario"], "Offline");
    let f = &t04["files"][0];
    assert_eq!(f["reference_score"]["value"], 18.5856);
    assert_eq!(f["test_score"]["line"], 3);
    assert_eq!(f["verdict_line"], 4);
    let d = f["relative_difference"].as_f64().unwrap();
    assert!((d - (17.4257 - 18.5856) / 18.5856).abs() < 1e-12, "{d}");
    assert!(compliance_findings(&json).is_empty());
    let check = performance_check(&json, "performance.compliance_tests");
    assert_eq!(check["passed"], true);
    assert_eq!(check["deduction"], 0.0);
    assert!(md.contains("### Compliance tests"));
    assert!(md.contains(
        "| TEST04 | 8xMI325x\\_2xEPYC-9655 / stable-diffusion-xl / Offline | <code>8xMI325x\\_2xEPYC-9655/stable-diffusion-xl/Offline/TEST04/verify\\_performance.txt</code> | **PASS** | reference score 18.5856, test score 17.4257 (−6.24%) | <code>line 4: TEST PASS</code> |"
    ), "{md}");
    assert!(md.contains("<code>line 4: TEST06 verification complete</code>"));
    assert!(html.contains("<h3>Compliance tests</h3>"));
    assert_eq!(
        html.matches("<span class=\"badge tone-good\">PASS</span>")
            .count(),
        10
    );
}

#[test]
fn failed_incomplete_and_missing_tests_are_findings_with_evidence() {
    let out = tempfile::tempdir().unwrap();
    let (json, md, html) = report("fixtures/handmade/compliance", out.path());
    let found: Vec<FindingRow> = compliance_findings(&json)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e["path"].as_str().unwrap().to_string(), e["line"].as_u64()))
                    .collect(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        found,
        [
            (
                s("compliance.test_failed"),
                s("high"),
                vec![
                    (
                        s("handmade-sut/llama2-70b-99/Server/TEST06/verify_accuracy.txt"),
                        Some(2)
                    ),
                    (
                        s("handmade-sut/stable-diffusion-xl/Offline/TEST04/verify_performance.txt"),
                        Some(4)
                    ),
                ]
            ),
            (
                s("compliance.verify_incomplete"),
                s("medium"),
                vec![
                    (
                        s("handmade-sut/llama2-70b-99/Offline/TEST06/verify_accuracy.txt"),
                        None
                    ),
                    (
                        s("handmade-sut/stable-diffusion-xl/Server/TEST01/verify_performance.txt"),
                        None
                    ),
                ]
            ),
            (
                s("compliance.verify_missing"),
                s("medium"),
                vec![
                    (s("handmade-sut/stable-diffusion-xl/Server/TEST01"), None),
                    (s("handmade-sut/stable-diffusion-xl/Server/TEST04"), None),
                ]
            ),
            (
                s("compliance.test01_accuracy_failed"),
                s("medium"),
                vec![(
                    s("handmade-sut/stable-diffusion-xl/Offline/TEST01/verify_accuracy.txt"),
                    Some(11)
                )]
            ),
        ]
    );
    let failed = compliance_findings(&json)[0];
    let text = failed["evidence"][1]["text"].as_str().unwrap();
    assert_eq!(
        text,
        "stable-diffusion-xl Offline TEST04 (handmade-sut): verify_performance.txt says `TEST FAIL` (reference score 18.5856, test score 21.2001, +14.1%)"
    );
    let verdicts: Vec<(&str, &str)> = json["loadgen_extra"]["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["folder"].as_str().unwrap(),
                t["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("handmade-sut/llama2-70b-99/Offline/TEST06", "incomplete"),
            ("handmade-sut/llama2-70b-99/Server/TEST06", "fail"),
            ("handmade-sut/stable-diffusion-xl/Offline/TEST01", "fail"),
            ("handmade-sut/stable-diffusion-xl/Offline/TEST04", "fail"),
            (
                "handmade-sut/stable-diffusion-xl/Server/TEST01",
                "incomplete"
            ),
            (
                "handmade-sut/stable-diffusion-xl/Server/TEST04",
                "incomplete"
            ),
        ]
    );
    assert!(md.contains("| **MISSING** |"));
    assert!(md.contains("| **FAIL** | reference score 18.5856, test score 21.2001 (+14.07%) |"));
    assert!(html.contains("<span class=\"badge tone-bad\">FAIL</span>"));
    assert!(html.contains("<span class=\"badge tone-warn\">INCOMPLETE</span>"));
    // No LoadGen result here, yet the compliance verdicts assess Performance.
    let check = performance_check(&json, "performance.compliance_tests");
    assert_eq!(check["deduction"], 50.0);
    assert_eq!(
        check["detail"],
        "6 of 6 compliance test(s) failed or incomplete; deduction = 50 × that share"
    );
    assert_eq!(
        check["evidence"][0]["path"],
        "handmade-sut/llama2-70b-99/Offline/TEST06/verify_accuracy.txt"
    );
}

/// The named check of the Performance component.
fn performance_check<'a>(json: &'a Value, id: &str) -> &'a Value {
    let perf = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "performance")
        .unwrap();
    perf["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {perf}"))
}

#[test]
fn inspect_attributes_verify_files_to_their_test() {
    let out = bin()
        .args(["inspect", "fixtures/mlperf-submission-amd"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(out).unwrap();
    let row = table
        .lines()
        .find(|l| {
            l.starts_with(
                "8xMI325x_2xEPYC-9655/stable-diffusion-xl/Offline/TEST04/verify_performance.txt",
            )
        })
        .unwrap();
    assert!(row.contains("compliance_verify"), "{row}");
    assert!(
        row.contains("test 8xMI325x_2xEPYC-9655/stable-diffusion-xl/Offline/TEST04"),
        "{row}"
    );
    assert!(table.contains("10 compliance_verify"));
    let out = bin()
        .args(["inspect", "fixtures/handmade/compliance", "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"] == "handmade-sut/stable-diffusion-xl/Server/TEST01/verify_performance.txt"
        })
        .unwrap();
    assert_eq!(f["kind"], "compliance_verify");
    assert_eq!(f["compliance_test"]["kind"], "TEST01");
    assert_eq!(f["compliance_test"]["scenario"], "Server");
    let lines: Vec<Option<u64>> = f["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["line"].as_u64())
        .collect();
    assert_eq!(lines, [None, Some(2), Some(6)]);
}
