//! `junit.xml`: structure, counts, escaping of hostile text, and validity
//! against the Jenkins xUnit plugin's JUnit schema
//! (`fixtures/schemas/junit-10.xsd`).
//!
//! The always-on tests check the schema's rules structurally in Rust
//! (elements, required attributes, the time pattern). The `#[ignore]`d test
//! runs the real `xmllint --schema`; `.ci/run` installs `libxml2-utils` and
//! runs it with `cargo test -- --ignored`.

use std::collections::BTreeMap;

use mlperf_health::model::*;
use mlperf_health::render::junit::render_junit;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::render::{empty_report, sample_report};
use crate::util::{bin, repo};

/// A parsed element: name, attributes, children, text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or("")
    }

    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parse the whole document, failing on anything not well-formed.
fn parse(xml: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position()));
        let open = |e: &quick_xml::events::BytesStart<'_>| {
            let mut n = Node {
                name: e.name().as_ref().to_string(),
                ..Node::default()
            };
            for a in e.attributes() {
                let a = a.unwrap_or_else(|err| panic!("bad attribute: {err}"));
                let v = a
                    .normalized_value(XmlVersion::Explicit1_0)
                    .unwrap_or_else(|err| panic!("bad attribute value: {err}"));
                n.attrs.insert(a.key.as_ref().to_string(), v.into_owned());
            }
            n
        };
        match event {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let n = open(&e);
                if let Some(top) = stack.last_mut() {
                    top.children.push(n);
                }
            }
            Event::End(_) => {
                let n = stack.pop().unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.children.push(n);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity &{other};"),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(c);
                }
            }
            Event::Eof => break,
            Event::Decl(_) => {}
            other => panic!("unexpected XML event {other:?}"),
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().unwrap_or_default();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().unwrap_or_default()
}

fn junit(report: &Report) -> String {
    String::from_utf8(render_junit(report)).unwrap_or_else(|e| panic!("not UTF-8: {e}"))
}

/// The rules of `junit-10.xsd` that our output can touch: element nesting,
/// required attributes, and the Surefire time pattern.
fn assert_schema_shape(root: &Node) {
    let time = regex::Regex::new(r"^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(root.name, "testsuites");
    assert!(time.is_match(root.attr("time")), "{}", root.attr("time"));
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        for req in ["name", "tests", "failures", "errors"] {
            assert!(suite.attrs.contains_key(req), "testsuite without {req}");
        }
        assert!(
            time.is_match(suite.attr("time")),
            "suite time {}",
            suite.attr("time")
        );
        for child in &suite.children {
            match child.name.as_str() {
                "properties" => {
                    for p in &child.children {
                        assert_eq!(p.name, "property");
                        assert!(p.attrs.contains_key("name") && p.attrs.contains_key("value"));
                    }
                }
                "testcase" => {
                    assert!(child.attrs.contains_key("name"), "testcase without name");
                    for r in &child.children {
                        assert!(
                            ["failure", "skipped", "error", "system-out", "system-err"]
                                .contains(&r.name.as_str()),
                            "unexpected <{}> in testcase",
                            r.name
                        );
                        assert!(r.children.is_empty(), "<{}> must hold text only", r.name);
                    }
                }
                other => panic!("unexpected <{other}> in testsuite"),
            }
        }
    }
}

/// `tests`, `failures` and `skipped` agree with the test cases, per suite and
/// in total.
fn assert_counts(root: &Node) {
    let (mut tests, mut failures) = (0, 0);
    for suite in root.kids("testsuite") {
        let cases: Vec<&Node> = suite.kids("testcase").collect();
        let failed = cases
            .iter()
            .filter(|c| c.kids("failure").count() > 0)
            .count();
        let skipped = cases
            .iter()
            .filter(|c| c.kids("skipped").count() > 0)
            .count();
        assert_eq!(suite.attr("tests"), cases.len().to_string());
        assert_eq!(suite.attr("failures"), failed.to_string());
        assert_eq!(suite.attr("skipped"), skipped.to_string());
        assert_eq!(suite.attr("errors"), "0");
        tests += cases.len();
        failures += failed;
    }
    assert_eq!(root.attr("tests"), tests.to_string());
    assert_eq!(root.attr("failures"), failures.to_string());
}

fn suite<'a>(root: &'a Node, name: &str) -> &'a Node {
    root.kids("testsuite")
        .find(|s| s.attr("name") == name)
        .unwrap_or_else(|| panic!("no suite {name}"))
}

fn case<'a>(suite: &'a Node, name: &str) -> &'a Node {
    suite
        .kids("testcase")
        .find(|c| c.attr("name") == name)
        .unwrap_or_else(|| panic!("no testcase {name}"))
}

#[test]
fn one_suite_per_component_and_node_one_case_per_check_and_step() {
    let report = sample_report();
    let root = parse(&junit(&report));
    assert_schema_shape(&root);
    assert_counts(&root);
    let names: Vec<&str> = root.kids("testsuite").map(|s| s.attr("name")).collect();
    assert_eq!(
        names,
        [
            "component network: Network",
            "component hardware: Hardware",
            "component software: Software",
            "component reliability: Reliability",
            "component performance: Performance",
            "node node-a",
            "node node-b",
            "node node-c",
        ]
    );
    // Checks: pass, fail with evidence; not assessed is skipped, never a pass.
    let net = suite(&root, "component network: Network");
    assert!(
        case(net, "network.reachable: Check network.reachable")
            .children
            .is_empty()
    );
    let hw = suite(&root, "component hardware: Hardware");
    let na = case(hw, "hardware.assessed: Component could be assessed");
    assert!(
        na.kids("skipped")
            .any(|s| s.attr("message").contains("no nvidia-smi dump"))
    );
    let rel = suite(&root, "component reliability: Reliability");
    let failed = case(
        rel,
        "reliability.step_failures: Check reliability.step_failures",
    );
    let failure = failed
        .kids("failure")
        .next()
        .unwrap_or_else(|| panic!("no failure"));
    assert_eq!(failure.attr("message"), "66.6 points off");
    assert!(
        failure
            .text
            .contains("logs/node-a/run.stderr:12: ERROR | pipe |")
    );
    assert!(failure.text.contains(
        "ansible/playbook.json:40 (task \"run benchmark\" on node-b, stderr line 3): Traceback"
    ));

    // Steps: one case per step on the node, with the right result element.
    let b = suite(&root, "node node-b");
    assert_eq!(b.attr("hostname"), "node-b");
    assert_eq!(b.kids("testcase").count(), 4);
    let kinds: Vec<(&str, &str)> = b
        .kids("testcase")
        .map(|c| {
            let kind = c
                .children
                .first()
                .map(|r| match r.name.as_str() {
                    "failure" => r.attr("type"),
                    other => other,
                })
                .unwrap_or("passed");
            (c.attr("name"), kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("gather facts", "unreachable"),
            ("run benchmark", "timed_out"),
            ("collect results", "skipped"),
            ("cleanup", "passed"),
        ]
    );
    // A failed step carries the finding on it, its evidence and remediation.
    let run = case(b, "run benchmark");
    assert_eq!(run.attr("time"), "1.500");
    let f = run
        .kids("failure")
        .next()
        .unwrap_or_else(|| panic!("no failure"));
    assert_eq!(
        f.attr("message"),
        "timed out (rc 124): Python traceback | in <benchmark>"
    );
    assert!(f.text.contains("harness message: run benchmark timed_out"));
    assert!(f.text.contains(
        "[high] Python traceback | in <benchmark> (harness.python_traceback), 3 event(s)"
    ));
    assert!(f.text.contains("<script>alert(1)</script>"));
    assert!(f.text.contains("remediation: Check the environment"));
    // A node without steps still gets its (empty) suite.
    assert_eq!(suite(&root, "node node-c").attr("tests"), "0");
}

#[test]
fn hostile_text_cannot_break_the_document() {
    let mut report = sample_report();
    let nasty = "a\u{0}b\u{7}\u{1b}[31mc\u{fffe}\u{ffff} ]]> </failure><x y=\"'\"> & <!-- -->";
    report.title = nasty.to_string();
    report.steps[2].name = nasty.to_string();
    report.steps[2].message = Some(nasty.to_string());
    report.components[2].checks[0].detail = nasty.to_string();
    report.components[2].checks[0].evidence[0].text = nasty.to_string();
    report.nodes[0].name = nasty.to_string();
    let xml = junit(&report);
    for bad in ['\u{0}', '\u{7}', '\u{1b}', '\u{fffe}', '\u{ffff}'] {
        assert!(!xml.contains(bad), "{bad:?} in output");
    }
    assert!(!xml.contains("<x "));
    assert!(!xml.contains("<!--"));
    assert!(!xml.to_ascii_lowercase().contains("<script"));
    let root = parse(&xml);
    assert_schema_shape(&root);
    assert_counts(&root);
    let clean = "abc ]]> </failure><x y=\"'\"> & <!-- -->";
    assert_eq!(root.attr("name"), clean);
    assert!(
        root.kids("testsuite")
            .any(|s| s.attr("name") == format!("node {clean}"))
    );
}

#[test]
fn an_empty_report_is_valid_junit() {
    let root = parse(&junit(&empty_report()));
    assert_schema_shape(&root);
    assert_counts(&root);
    // Five components, none assessed: five skipped cases, no pass.
    assert_eq!(root.attr("tests"), "5");
    assert_eq!(root.attr("failures"), "0");
    assert_eq!(
        root.kids("testsuite")
            .flat_map(|s| s.kids("testcase"))
            .filter(|c| c.kids("skipped").count() == 1)
            .count(),
        5
    );
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit_sample", junit(&sample_report()));
}

#[test]
fn demo_junit_counts_match_the_report() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "json,junit",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap_or_default();
    let json = std::fs::read_to_string(out.path().join("report.json")).unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let root = parse(&xml);
    assert_schema_shape(&root);
    assert_counts(&root);
    let steps = report["steps"].as_array().map_or(0, Vec::len);
    let checks: usize = report["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["checks"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(root.attr("tests"), (steps + checks).to_string());
    let failed_steps = report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            ["failed", "timed_out", "unreachable"].contains(&s["outcome"].as_str().unwrap_or(""))
        })
        .count();
    let failed_checks = report["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .filter(|k| k["passed"] == false)
        .count();
    assert_eq!(
        root.attr("failures"),
        (failed_steps + failed_checks).to_string()
    );
}

/// Validate with libxml2 against the real schema. Needs `xmllint`
/// (Debian: `libxml2-utils`); `.ci/run` installs it and runs this.
#[test]
#[ignore = "needs xmllint; run by .ci/run with --ignored"]
fn junit_validates_against_the_jenkins_xsd_with_xmllint() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut hostile = sample_report();
    hostile.title = "a\u{0}b\u{1b}[31m <x> & \"'\u{fffe}".to_string();
    let mut files = vec![
        ("sample.xml", render_junit(&sample_report())),
        ("empty.xml", render_junit(&empty_report())),
        ("hostile.xml", render_junit(&hostile)),
    ];
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "junit",
            "--out",
        ])
        .arg(dir.path().join("demo"))
        .assert()
        .code(0);
    files.push((
        "demo.xml",
        std::fs::read(dir.path().join("demo/junit.xml")).unwrap_or_default(),
    ));
    let xsd = repo().join("fixtures/schemas/junit-10.xsd");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run xmllint ({e}); install libxml2-utils (apt-get install -y libxml2-utils)")
            });
        assert!(
            out.status.success(),
            "{name} does not validate:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
