//! `junit.xml`: the report as JUnit XML, so CI test reporters (GitLab's
//! `reports: junit`, Jenkins, GitHub test-report actions) show it next to the
//! pipeline.
//!
//! Layout (the Ant/Surefire dialect, valid against the Jenkins xUnit
//! plugin's `junit-10.xsd`, kept in `fixtures/schemas/`):
//!
//! - one `<testsuite>` per component, one `<testcase>` per check; a failed
//!   check carries a `<failure>` with its detail and evidence lines, and a
//!   component that could not be assessed is one `<skipped>` test case (no
//!   data is never reported as a pass);
//! - one `<testsuite>` per node, one `<testcase>` per harness step on that
//!   node; failed, timed-out and unreachable steps carry a `<failure>` with
//!   the harness message, the findings on that step and their evidence;
//!   skipped steps are `<skipped/>`.
//!
//! Every string is untrusted. [`xml_escape`] escapes `<&>"'` and drops the
//! characters XML 1.0 cannot carry at all, so no input can break the
//! document; the text is written by hand because the structure is flat and
//! a writer library would only move this escaping out of sight.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{Check, Component, Evidence, Finding, Outcome, Report, Status, StepReport};
use crate::text::clean_text;

use super::view::{fmt_score, fmt_trim, outcome_word};

/// Evidence lines per finding inside one step's failure.
const FINDINGS_PER_STEP: usize = 5;

/// Render the report as JUnit XML.
pub fn render_junit(report: &Report) -> Vec<u8> {
    let mut suites: Vec<Suite> = report.components.iter().map(component_suite).collect();
    suites.extend(node_suites(report));

    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let time: f64 = suites.iter().map(Suite::time).sum();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
        xml_escape(&clean_text(&report.title)),
        fmt_time(time)
    );
    for suite in &suites {
        suite.write(&mut out, report.generated_at.as_deref());
    }
    out.push_str("</testsuites>\n");
    out.into_bytes()
}

/// One `<testsuite>`.
struct Suite {
    name: String,
    hostname: Option<String>,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

/// One `<testcase>`.
struct Case {
    classname: String,
    name: String,
    time: Option<f64>,
    result: CaseResult,
}

enum CaseResult {
    Passed,
    Failed {
        kind: String,
        message: String,
        body: Vec<String>,
    },
    Skipped {
        message: String,
    },
}

impl Suite {
    fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.result, CaseResult::Failed { .. }))
            .count()
    }

    fn skipped(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.result, CaseResult::Skipped { .. }))
            .count()
    }

    fn time(&self) -> f64 {
        self.cases.iter().filter_map(|c| c.time).sum()
    }

    fn write(&self, out: &mut String, timestamp: Option<&str>) {
        let _ = write!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\"",
            xml_escape(&self.name),
            self.cases.len(),
            self.failures(),
            self.skipped(),
            fmt_time(self.time())
        );
        if let Some(t) = timestamp {
            let _ = write!(out, " timestamp=\"{}\"", xml_escape(&clean_text(t)));
        }
        if let Some(h) = &self.hostname {
            let _ = write!(out, " hostname=\"{}\"", xml_escape(h));
        }
        out.push_str(">\n");
        if !self.properties.is_empty() {
            out.push_str("    <properties>\n");
            for (name, value) in &self.properties {
                let _ = writeln!(
                    out,
                    "      <property name=\"{name}\" value=\"{}\"/>",
                    xml_escape(value)
                );
            }
            out.push_str("    </properties>\n");
        }
        for case in &self.cases {
            case.write(out);
        }
        out.push_str("  </testsuite>\n");
    }
}

impl Case {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&self.classname),
            xml_escape(&self.name)
        );
        if let Some(t) = self.time {
            let _ = write!(out, " time=\"{}\"", fmt_time(t));
        }
        match &self.result {
            CaseResult::Passed => out.push_str("/>\n"),
            CaseResult::Skipped { message } => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_escape(message)
                );
            }
            CaseResult::Failed {
                kind,
                message,
                body,
            } => {
                let _ = write!(
                    out,
                    ">\n      <failure type=\"{}\" message=\"{}\">",
                    xml_escape(kind),
                    xml_escape(message)
                );
                for line in body {
                    out.push_str(&xml_escape(line));
                    out.push('\n');
                }
                out.push_str("</failure>\n    </testcase>\n");
            }
        }
    }
}

fn component_suite(c: &Component) -> Suite {
    let classname = format!("component.{}", clean_text(&c.id));
    let mut cases: Vec<Case> = c.checks.iter().map(|k| check_case(&classname, k)).collect();
    if c.status == Status::NotAssessed {
        let reason = c
            .not_assessed_reason
            .as_deref()
            .map(clean_text)
            .unwrap_or_else(|| "no input for this component was read".to_string());
        cases.push(Case {
            classname: classname.clone(),
            name: format!(
                "{}.assessed: Component could be assessed",
                clean_text(&c.id)
            ),
            time: None,
            result: CaseResult::Skipped {
                message: format!("not assessed: {reason}"),
            },
        });
    }
    Suite {
        name: format!("component {}: {}", clean_text(&c.id), clean_text(&c.name)),
        hostname: None,
        properties: vec![
            ("score", fmt_score(c.score)),
            ("status", c.status.as_str().to_string()),
            ("coverage", fmt_trim(c.coverage, 4)),
        ],
        cases,
    }
}

fn check_case(classname: &str, k: &Check) -> Case {
    let name = format!("{}: {}", clean_text(&k.id), clean_text(&k.title));
    let result = if k.passed {
        CaseResult::Passed
    } else {
        let detail = clean_text(&k.detail);
        let mut body = vec![
            detail.clone(),
            format!("deduction: {} points", fmt_trim(k.deduction, 1)),
        ];
        if !k.evidence.is_empty() {
            body.push(String::new());
            body.push("evidence:".to_string());
            body.extend(k.evidence.iter().map(evidence_line));
        }
        CaseResult::Failed {
            kind: "check".to_string(),
            message: detail,
            body,
        }
    };
    Case {
        classname: classname.to_string(),
        name,
        time: None,
        result,
    }
}

fn node_suites(report: &Report) -> Vec<Suite> {
    let mut by_node: BTreeMap<&str, Vec<&StepReport>> = report
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), Vec::new()))
        .collect();
    for s in &report.steps {
        by_node.entry(s.node.as_str()).or_default().push(s);
    }
    by_node
        .into_iter()
        .map(|(node, steps)| {
            let node = clean_text(node);
            let classname = format!("node.{node}");
            Suite {
                name: format!("node {node}"),
                hostname: Some(node.clone()),
                properties: Vec::new(),
                cases: steps
                    .into_iter()
                    .map(|s| step_case(&classname, s, &report.findings))
                    .collect(),
            }
        })
        .collect()
}

fn step_case(classname: &str, s: &StepReport, findings: &[Finding]) -> Case {
    let harness_message = s.message.as_deref().map(clean_text);
    let result = match s.outcome {
        Outcome::Ok => CaseResult::Passed,
        Outcome::Skipped => CaseResult::Skipped {
            message: harness_message.unwrap_or_else(|| "skipped by the harness".to_string()),
        },
        Outcome::Failed | Outcome::TimedOut | Outcome::Unreachable => {
            let on_step: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.steps.contains(&s.name) && f.nodes.contains(&s.node))
                .collect();
            let outcome = outcome_label(s);
            let message = match (on_step.first(), &harness_message) {
                (Some(f), _) => format!("{outcome}: {}", clean_text(&f.title)),
                (None, Some(m)) => format!("{outcome}: {m}"),
                (None, None) => outcome.clone(),
            };
            let mut body = vec![outcome];
            if let Some(m) = &harness_message {
                body.push(format!("harness message: {m}"));
            }
            body.push(format!("recorded at {}", evidence_line(&s.evidence)));
            for f in on_step.iter().take(FINDINGS_PER_STEP) {
                body.push(String::new());
                body.push(format!(
                    "[{}] {} ({}), {} event(s)",
                    f.severity.as_str(),
                    clean_text(&f.title),
                    clean_text(&f.rule),
                    f.count
                ));
                // A finding spans nodes; show this node's lines when its
                // evidence names the node as a folder, else all of them.
                let mine: Vec<&Evidence> = f
                    .evidence
                    .iter()
                    .filter(|e| e.path.split('/').any(|part| part == s.node))
                    .collect();
                let shown = if mine.is_empty() {
                    f.evidence.iter().collect()
                } else {
                    mine
                };
                body.extend(shown.iter().map(|e| format!("  {}", evidence_line(e))));
                body.push(format!("  remediation: {}", clean_text(&f.remediation)));
            }
            if on_step.len() > FINDINGS_PER_STEP {
                body.push(format!(
                    "… and {} more finding(s); see report.md",
                    on_step.len() - FINDINGS_PER_STEP
                ));
            }
            CaseResult::Failed {
                kind: s.outcome.as_str().to_string(),
                message,
                body,
            }
        }
    };
    Case {
        classname: classname.to_string(),
        name: clean_text(&s.name),
        time: s.duration_s.filter(|d| d.is_finite() && *d >= 0.0),
        result,
    }
}

/// `failed (rc 2)`, `timed out (rc 124)`, `unreachable`.
fn outcome_label(s: &StepReport) -> String {
    match s.exit_code {
        Some(rc) => format!("{} (rc {rc})", outcome_word(s.outcome)),
        None => outcome_word(s.outcome).to_string(),
    }
}

/// `path:line (locator): text`.
fn evidence_line(e: &Evidence) -> String {
    let mut line = clean_text(&e.location());
    if let Some(l) = &e.locator {
        let _ = write!(line, " ({})", clean_text(l));
    }
    let text = clean_text(&e.text);
    if !text.is_empty() {
        let _ = write!(line, ": {text}");
    }
    line
}

/// Seconds with millisecond precision and no thousands separator (the
/// Surefire time pattern rejects `1,234.5`-style grouping of fewer digits).
fn fmt_time(seconds: f64) -> String {
    // `> 0`, not `>= 0`: an empty f64 sum is -0.0, which prints as `-0.000`.
    if seconds.is_finite() && seconds > 0.0 {
        format!("{seconds:.3}")
    } else {
        "0.000".to_string()
    }
}

/// Escape `s` for XML text or a double- or single-quoted attribute, and drop
/// the characters XML 1.0 forbids (C0 controls other than tab, newline and
/// carriage return, and U+FFFE/U+FFFF); surrogates cannot occur in a `str`.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_covers_markup_and_invalid_characters() {
        assert_eq!(
            xml_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("a\u{0}b\u{7}c\u{1b}d\u{fffe}e\u{ffff}"), "abcde");
        assert_eq!(xml_escape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
        assert_eq!(xml_escape("]]> é 😀"), "]]&gt; é 😀");
    }

    #[test]
    fn times_match_the_surefire_pattern() {
        assert_eq!(fmt_time(0.255106), "0.255");
        assert_eq!(fmt_time(12345.0), "12345.000");
        assert_eq!(fmt_time(f64::NAN), "0.000");
        assert_eq!(fmt_time(-1.0), "0.000");
        assert_eq!(fmt_time(-0.0), "0.000");
        assert_eq!(fmt_time(std::iter::empty::<f64>().sum()), "0.000");
    }
}
