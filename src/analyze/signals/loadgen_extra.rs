//! Signals and report section for LoadGen traces, accuracy logs, accuracy
//! results, settings files and submission metadata.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;
use crate::parse::{submission, verify};

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, _s: &Settings) {
    for run in &c.runs {
        let (Some(check), Some((path, _))) = (accuracy_count(run), &run.accuracy) else {
            continue;
        };
        if check.matches {
            continue;
        }
        let relation = if check.exact {
            "the detail log says"
        } else {
            "the detail log says at least"
        };
        let text = format!(
            "{} entries in the accuracy log, but {relation} {} samples were issued ({})",
            check.entries, check.expected, check.source
        );
        cl.signal(
            "accuracy_log_mismatch",
            run.node.as_deref(),
            run.step.as_deref(),
            Evidence::new(path.clone(), None, &text),
        );
    }
    compliance_signals(c, cl);
}

/// A failed compliance test, a verification file without a verdict, and a
/// test folder without the verification file the submission checker reads.
fn compliance_signals(c: &Campaign, cl: &mut Classifier<'_>) {
    for t in compliance_tests(c) {
        let who = compliance_label(&t);
        for f in &t.files {
            let v = &f.value;
            let name = file_name(&f.path);
            match v.verdict {
                ComplianceVerdict::Pass => {}
                ComplianceVerdict::Fail => {
                    let mut text = format!(
                        "{who}: {name} says `{}`",
                        v.verdict_text.as_deref().unwrap_or("FAIL")
                    );
                    let detail = compliance_detail(v);
                    if !detail.is_empty() {
                        text.push_str(&format!(" ({detail})"));
                    }
                    // The checker lets a TEST01 accuracy mismatch through
                    // when the accuracy of both runs is close enough, so
                    // it is a separate, lower-severity rule.
                    let signal = if t.test.as_deref() == Some("TEST01") && v.check == "accuracy" {
                        "compliance_test01_accuracy_failed"
                    } else {
                        "compliance_test_failed"
                    };
                    cl.signal(
                        signal,
                        None,
                        None,
                        Evidence::new(f.path.clone(), v.verdict_line, &text),
                    );
                }
                ComplianceVerdict::Incomplete => {
                    let text = format!(
                        "{who}: {name} has no verdict ({} line(s); no `TEST PASS`/`TEST FAIL`{})",
                        v.lines,
                        if v.check == "accuracy" {
                            ", no TEST06 `verification complete`"
                        } else {
                            ""
                        }
                    );
                    cl.signal(
                        "compliance_verify_incomplete",
                        None,
                        None,
                        Evidence::new(f.path.clone(), None, &text),
                    );
                }
            }
        }
        if !t.missing.is_empty() {
            let text = format!(
                "{who}: {} not found in {}",
                t.missing.join(" and "),
                t.folder
            );
            cl.signal(
                "compliance_verify_missing",
                None,
                None,
                Evidence::new(t.folder.clone(), None, &text),
            );
        }
    }
}

/// `stable-diffusion-xl Offline TEST04 (8xMI325x_2xEPYC-9655)`.
fn compliance_label(t: &ComplianceTest) -> String {
    let test = t.test.as_deref().unwrap_or("compliance test");
    match &t.scope {
        Some(s) => {
            let scenario = s.scenario.map_or(s.scenario_dir.as_str(), |sc| sc.as_str());
            match &s.system {
                Some(sys) => format!("{} {scenario} {test} ({sys})", s.benchmark),
                None => format!("{} {scenario} {test}", s.benchmark),
            }
        }
        None => format!("{test} in {}", t.folder),
    }
}

/// The numbers behind a verdict: the two scores and their difference, or
/// the counters that are not zero.
fn compliance_detail(v: &ComplianceVerify) -> String {
    if let (Some(r), Some(t)) = (&v.reference_score, &v.test_score) {
        let mut s = format!("reference score {}, test score {}", r.value, t.value);
        if let Some(d) = v.relative_difference {
            s.push_str(&format!(", {:+.1}%", d * 100.0));
        }
        return s;
    }
    let nonzero: Vec<String> = v
        .counters
        .iter()
        .filter(|(k, m)| {
            m.value != 0.0
                && (k.contains("mismatch") || k.contains("missing") || k.contains("duplicate"))
        })
        .map(|(k, m)| format!("{k} = {}", m.value))
        .collect();
    nonzero.join(", ")
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Every compliance test folder seen (through any file in it, so a folder
/// whose verification file is missing is still known), with its
/// verification outputs, by folder. Verification files outside a test
/// folder form a "test" of their own folder, without a test id.
pub fn compliance_tests(c: &Campaign) -> Vec<ComplianceTest> {
    let new = |folder: String, scope: Option<SubmissionPath>| ComplianceTest {
        folder,
        test: scope.as_ref().and_then(|s| s.kind.clone()),
        scope,
        verdict: ComplianceVerdict::Incomplete,
        files: Vec::new(),
        missing: Vec::new(),
    };
    let mut tests: BTreeMap<String, ComplianceTest> = BTreeMap::new();
    for f in &c.files {
        if let Some((folder, info)) = verify::test_folder(parent(&f.path)) {
            tests
                .entry(folder.clone())
                .or_insert_with(|| new(folder, Some(info)));
        }
    }
    for (path, v) in &c.compliance {
        let (folder, info) = match verify::test_folder(parent(path)) {
            Some((folder, info)) => (folder, Some(info)),
            None => (parent(path).to_string(), None),
        };
        tests
            .entry(folder.clone())
            .or_insert_with(|| new(folder, info))
            .files
            .push(Located {
                path: path.clone(),
                value: v.clone(),
            });
    }
    let mut out: Vec<ComplianceTest> = tests.into_values().collect();
    for t in &mut out {
        t.files.sort_by(|a, b| a.path.cmp(&b.path));
        let found: BTreeSet<&str> = t.files.iter().map(|f| file_name(&f.path)).collect();
        t.missing = t
            .test
            .as_deref()
            .map_or(&[][..], verify::expected_files)
            .iter()
            .filter(|n| !found.contains(**n))
            .map(|n| n.to_string())
            .collect();
        let worst = t.files.iter().map(|f| f.value.verdict).max();
        t.verdict = match worst {
            Some(v) if t.missing.is_empty() => v,
            Some(v) => v.max(ComplianceVerdict::Incomplete),
            None => ComplianceVerdict::Incomplete,
        };
    }
    out
}

/// For an accuracy-mode run with a complete (not truncated) accuracy log:
/// its entry count against the samples the detail log says were issued.
///
/// The issued count is `effective_accuracy_sample_count` where LoadGen
/// logs it (6.0 and later). Older logs only record the first loadable
/// set's `generated_query_count × generated_samples_per_query` (the detail
/// parser keeps a key's first value, and accuracy mode logs one set per
/// `performance_sample_count` samples), which is a lower bound.
pub fn accuracy_count(run: &LoadGenRun) -> Option<AccuracyCountCheck> {
    let (_, log) = run.accuracy.as_ref()?;
    let (_, detail) = run.detail.as_ref()?;
    let accuracy_mode = detail.mode.as_deref() == Some("AccuracyOnly")
        || run
            .summary
            .as_ref()
            .is_some_and(|(_, s)| s.mode.as_deref() == Some("AccuracyOnly"));
    if !accuracy_mode || log.truncated {
        return None;
    }
    let num = |m: &BTreeMap<String, String>, k: &str| m.get(k).and_then(|v| v.parse::<u64>().ok());
    let (expected, source, exact) =
        match num(&detail.effective_settings, "accuracy_sample_count").filter(|n| *n > 0) {
            Some(n) => (n, "effective_accuracy_sample_count".to_string(), true),
            None => {
                let q = num(&detail.results, "generated_query_count")?;
                let s = num(&detail.results, "generated_samples_per_query")?;
                (
                    q.checked_mul(s)?,
                    "generated_query_count × generated_samples_per_query of the first \
                     loadable set (a lower bound)"
                        .to_string(),
                    false,
                )
            }
        };
    let matches = if exact {
        log.entries == expected
    } else {
        log.entries >= expected
    };
    let coverage = match (exact, log.distinct_qsl_idx) {
        (true, Some(d)) if expected > 0 => Some((d as f64 / expected as f64 * 1e4).round() / 1e4),
        _ => None,
    };
    Some(AccuracyCountCheck {
        expected,
        source,
        exact,
        entries: log.entries,
        coverage,
        matches,
    })
}

/// This family's report section.
pub fn report(c: &Campaign) -> LoadGenExtraReport {
    let systems: Vec<SystemEntry> = {
        let mut v: Vec<SystemEntry> = c
            .submission_meta
            .iter()
            .filter_map(|(path, m)| {
                let description = m.system.clone()?;
                let name = path
                    .rsplit('/')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches(".json")
                    .to_string();
                Some(SystemEntry {
                    name,
                    path: path.clone(),
                    description,
                })
            })
            .collect();
        v.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));
        v
    };
    let system_file = |name: &str| {
        systems
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.path.clone())
    };
    let mut runs: Vec<RunExtra> = c
        .runs
        .iter()
        .filter_map(|run| {
            let trace = run
                .trace
                .as_ref()
                .filter(|(_, t)| t.events > 0 || t.layout.is_some())
                .map(|(path, t)| Located {
                    path: path.clone(),
                    value: t.clone(),
                });
            let accuracy_count = accuracy_count(run);
            let accuracy_log = run
                .accuracy
                .as_ref()
                .filter(|(_, a)| {
                    a.entries > 0
                        || a.truncated
                        || a.malformed_lines > 0
                        || accuracy_count.is_some()
                })
                .map(|(path, a)| Located {
                    path: path.clone(),
                    value: a.clone(),
                });
            let accuracy_result = run.accuracy_result.as_ref().map(|(path, r)| Located {
                path: path.clone(),
                value: r.clone(),
            });
            let submission = run.submission.clone();
            if trace.is_none()
                && accuracy_log.is_none()
                && accuracy_result.is_none()
                && submission.is_none()
            {
                return None;
            }
            Some(RunExtra {
                run: run.id.clone(),
                node: run.node.clone(),
                system_file: submission
                    .as_ref()
                    .and_then(|s| s.system.as_deref())
                    .and_then(system_file),
                submission,
                trace,
                accuracy_log,
                accuracy_count,
                accuracy_result,
            })
        })
        .collect();
    runs.sort_by(|a, b| a.run.cmp(&b.run));
    let mut measurements: Vec<MeasurementsEntry> = c
        .submission_meta
        .iter()
        .filter_map(|(path, m)| {
            Some(MeasurementsEntry {
                path: path.clone(),
                scope: submission::scope(parent(path)),
                measurements: m.measurements.clone()?,
            })
        })
        .collect();
    measurements.sort_by(|a, b| a.path.cmp(&b.path));
    let mut configs: Vec<ConfigSummary> = c
        .loadgen_configs
        .iter()
        .map(|(path, cfg)| {
            let models: BTreeSet<&str> = cfg.entries.iter().map(|e| e.model.as_str()).collect();
            let is_user = path.rsplit('/').next() == Some("user.conf");
            ConfigSummary {
                path: path.clone(),
                scope: submission::scope(parent(path)),
                entries: cfg.total_entries,
                models: models.into_iter().map(str::to_string).collect(),
                malformed_lines: cfg.malformed_lines,
                overrides: if is_user {
                    cfg.entries
                        .iter()
                        .take(CONFIG_ENTRIES_REPORTED)
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    configs.sort_by(|a, b| a.path.cmp(&b.path));
    LoadGenExtraReport {
        runs,
        systems,
        measurements,
        configs,
        compliance: compliance_tests(c),
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}
