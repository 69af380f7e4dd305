//! `verify_accuracy.txt` and `verify_performance.txt`: what the MLPerf
//! compliance scripts (`compliance/nvidia/TEST0N/run_verification.py`)
//! print into a submission's `TEST0N` folder.
//!
//! Three shapes are known, all made of the lines `accuracy.txt` also has,
//! so each line is read by [`accuracy_result::read_line`]:
//!
//! * TEST01 accuracy: `num_acc_log_entries = 5000`-style counters, then
//!   `TEST PASS` or `TEST FAIL`;
//! * TEST01/TEST04 performance: `Reference score = X`, `Test score = Y`
//!   (either case), then `TEST PASS` or `TEST FAIL`;
//! * TEST06 accuracy: `First token check pass: True|False|Skipped`,
//!   `EOS check pass: …`, `Sample length check pass: …`, then
//!   `TEST06 verification complete` — no `TEST PASS` line.
//!
//! The verdict follows the submission checker: a `TEST PASS`/`TEST FAIL`
//! line decides; otherwise a failing check line fails (the checker accepts
//! `Skipped` only for the first-token check), and so does the script's own
//! `TEST06 verification failed` line; otherwise the checks pass once the
//! script wrote its `verification complete` line, provided all three TEST06
//! check lines are there (the checker fails a file missing one). A file with none of
//! these is `incomplete`: the script did not finish.

use std::io::BufRead;

use super::Parsed;
use super::accuracy_result::{self, LineItem, MAX_METRICS};
use crate::model::{AccuracyMetric, ComplianceVerdict, ComplianceVerify, ParseWarning, cap_text};

/// The file names this parser reads; discovery recognises them by name.
pub const FILE_NAMES: [&str; 2] = ["verify_accuracy.txt", "verify_performance.txt"];

/// Parse one verification output. `path` (relative to the root) also gives
/// the check (`accuracy`/`performance`) and, through its folder, the test.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<ComplianceVerify> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut out = ComplianceVerify {
        check: if name.contains("performance") {
            "performance"
        } else {
            "accuracy"
        }
        .to_string(),
        ..ComplianceVerify::default()
    };
    let mut dropped = 0u64;
    // (line, passed) of the first TEST PASS/FAIL line, and of a later one
    // that disagrees with it.
    let mut word: Option<(u64, bool)> = None;
    let mut conflict: Option<u64> = None;
    let mut first_failed_check: Option<u64> = None;
    let mut complete: Option<(u64, String)> = None;
    let mut failed_line: Option<(u64, String)> = None;
    // TEST06's three check lines, in the order the script prints them; the
    // submission checker requires every one of them to be present.
    let mut seen_checks = [false; 3];
    let mut unexpected: Option<(u64, u64)> = None;
    let (lines, mut warnings) = accuracy_result::for_each_line(path, reader, |n, t| {
        match accuracy_result::read_line(t) {
            LineItem::Metric(k, v) => {
                let slot = match k.to_ascii_lowercase().as_str() {
                    "reference score" => Some(&mut out.reference_score),
                    "test score" => Some(&mut out.test_score),
                    _ => None,
                };
                match slot {
                    Some(s) if s.is_none() && v.is_finite() => {
                        *s = Some(AccuracyMetric { value: v, line: n })
                    }
                    Some(_) => {}
                    None => accuracy_result::add_metric(&mut out.counters, k, v, n, &mut dropped),
                }
            }
            LineItem::BoolCheck(passed) => {
                // The checker accepts `Skipped` for the first-token check
                // only (Offline runs have no first token).
                let lower = t.to_ascii_lowercase();
                let skip_ok = lower.starts_with("first token");
                for (seen, prefix) in seen_checks.iter_mut().zip(TEST06_CHECKS) {
                    *seen |= lower.starts_with(prefix);
                }
                let failed = passed == Some(false) || (passed.is_none() && !skip_ok);
                if failed && first_failed_check.is_none() {
                    first_failed_check = Some(n);
                }
                out.checks.push(accuracy_result::check(n, t, passed));
            }
            LineItem::WordCheck(passed) => {
                match word {
                    None => word = Some((n, passed)),
                    Some((_, p)) if p != passed && conflict.is_none() => conflict = Some(n),
                    Some(_) => {}
                }
                out.checks.push(accuracy_result::check(n, t, Some(passed)));
            }
            LineItem::Other if is_completion(t) => {
                if complete.is_none() {
                    complete = Some((n, cap_text(t, 200)));
                }
            }
            LineItem::Other if is_failure(t) => {
                failed_line.get_or_insert_with(|| (n, cap_text(t, 200)));
            }
            LineItem::Other if is_progress(t) => {}
            LineItem::Hash(_) | LineItem::Dict(_) | LineItem::BadDict | LineItem::Other => {
                let e = unexpected.get_or_insert((n, 0));
                e.1 += 1;
            }
        }
    });
    out.lines = lines;
    // A TEST FAIL anywhere fails the test, whatever else the file says.
    let word_verdict = match (word, conflict) {
        (Some((n, false)), _) => Some((ComplianceVerdict::Fail, n)),
        (Some(_), Some(n)) => Some((ComplianceVerdict::Fail, n)),
        (Some((n, true)), None) => Some((ComplianceVerdict::Pass, n)),
        (None, _) => None,
    };
    let missing: Vec<&str> = TEST06_CHECKS
        .iter()
        .zip(seen_checks)
        .filter(|(_, seen)| !seen)
        .map(|(name, _)| *name)
        .collect();
    // A `… verification complete` file passes only with all three TEST06
    // check lines: the checker looks for each one and fails a file without it.
    let complete_verdict = complete
        .as_ref()
        .filter(|_| out.checks.total > 0)
        .map(|(n, _)| {
            if missing.is_empty() {
                (ComplianceVerdict::Pass, *n)
            } else {
                (ComplianceVerdict::Fail, *n)
            }
        });
    let verdict = word_verdict
        .or_else(|| first_failed_check.map(|n| (ComplianceVerdict::Fail, n)))
        .or_else(|| {
            failed_line
                .as_ref()
                .map(|(n, _)| (ComplianceVerdict::Fail, *n))
        })
        .or(complete_verdict);
    if let (Some(_), Some((n, _))) = (
        complete_verdict.filter(|_| word_verdict.is_none()),
        &complete,
    ) && !missing.is_empty()
    {
        warnings.push(ParseWarning::new(
            path,
            Some(*n),
            format!(
                "the verification says it completed but has no `{}` check line; the submission checker fails such a file",
                missing.join("`, `")
            ),
        ));
    }
    if let Some((v, n)) = verdict {
        out.verdict = v;
        out.verdict_line = Some(n);
        out.verdict_text = match &complete {
            Some((c, text)) if *c == n => Some(text.clone()),
            _ if failed_line.as_ref().is_some_and(|(c, _)| *c == n) => {
                failed_line.as_ref().map(|(_, text)| text.clone())
            }
            _ => out
                .checks
                .items
                .iter()
                .find(|c| c.line == n)
                .map(|c| c.text.clone()),
        };
    }
    if let Some(n) = conflict {
        warnings.push(ParseWarning::new(
            path,
            Some(n),
            "this verdict contradicts an earlier TEST PASS/TEST FAIL line; the test counts as failed",
        ));
    }
    if let Some((n, count)) = unexpected {
        warnings.push(ParseWarning::new(
            path,
            Some(n),
            format!(
                "{count} line(s) are not what the compliance scripts print (counters, scores, check lines, a verdict); ignored"
            ),
        ));
    }
    if dropped > 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!("{dropped} counter(s) beyond the {MAX_METRICS}-counter cap were ignored"),
        ));
    }
    match (&out.reference_score, &out.test_score) {
        (Some(r), Some(t)) => {
            out.relative_difference = (r.value != 0.0)
                .then(|| (t.value - r.value) / r.value)
                .filter(|d| d.is_finite());
        }
        (Some(s), None) | (None, Some(s)) => warnings.push(ParseWarning::new(
            path,
            Some(s.line),
            "only one of `reference score` and `test score` was found",
        )),
        (None, None) => {}
    }
    if out.lines == 0 {
        warnings.push(ParseWarning::new(path, None, "file is empty"));
    } else if out.verdict_line.is_none() {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "no verdict (`TEST PASS`, `TEST FAIL` or TEST06's check lines and `verification complete`) in {} line(s): the verification did not finish",
                out.lines
            ),
        ));
    }
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    if test_folder(dir).is_none() {
        warnings.push(ParseWarning::new(
            path,
            None,
            "not inside a `<scenario>/TEST0N` folder of a submission tree: the test, benchmark and scenario are unknown",
        ));
    }
    Parsed {
        value: out,
        warnings,
    }
}

/// TEST06's check lines, lower-cased prefixes, as `run_verification.py`
/// prints them.
const TEST06_CHECKS: [&str; 3] = ["first token check", "eos check", "sample length check"];

/// `TEST06 verification failed`: what the script prints when a check fails.
fn is_failure(t: &str) -> bool {
    t.to_ascii_lowercase().ends_with("verification failed")
}

/// `TEST06 verification complete`.
fn is_completion(t: &str) -> bool {
    t.to_ascii_lowercase().ends_with("verification complete")
}

/// `Verifying accuracy. This might take a while...`, `Reading accuracy
/// mode results...`, `Verifying performance.`
fn is_progress(t: &str) -> bool {
    t.starts_with("Verifying ") || t.starts_with("Reading ")
}

/// The `TEST0N` folder a file's folder is (or is inside of), with what its
/// path says: `…/Offline/TEST01` for `…/Offline/TEST01/performance/run_1`.
pub fn test_folder(dir: &str) -> Option<(String, crate::model::SubmissionPath)> {
    let mut d = dir;
    for _ in 0..3 {
        if let Some(info) = super::submission::path_info(d) {
            let is_test = info.kind.as_deref().is_some_and(|k| k.starts_with("TEST"));
            if is_test && info.mode.is_none() && info.run.is_none() {
                return Some((d.to_string(), info));
            }
        }
        d = d.rsplit_once('/')?.0;
    }
    None
}

/// The verification files the submission checker reads for a test:
/// `check_compliance_perf_dir` for TEST01 and TEST04,
/// `check_compliance_acc_dir` for TEST01 and TEST06. Other tests: none known.
pub fn expected_files(test: &str) -> &'static [&'static str] {
    match test {
        "TEST01" => &["verify_accuracy.txt", "verify_performance.txt"],
        "TEST04" => &["verify_performance.txt"],
        "TEST06" => &["verify_accuracy.txt"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T01: &str = "sys/sdxl/Offline/TEST01";

    fn p(name: &str, s: &str) -> Parsed<ComplianceVerify> {
        parse(&format!("{T01}/{name}"), s.as_bytes())
    }

    #[test]
    fn test01_accuracy_counters_and_verdict() {
        let r = p(
            "verify_accuracy.txt",
            "Verifying accuracy. This might take a while...\nReading accuracy mode results...\nnum_acc_log_entries = 5000\nnum_perf_log_data_mismatch = 0\nTEST PASS\n\n",
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let v = &r.value;
        assert_eq!(v.check, "accuracy");
        assert_eq!(
            (v.verdict, v.verdict_line),
            (ComplianceVerdict::Pass, Some(5))
        );
        assert_eq!(v.counters["num_acc_log_entries"].value, 5000.0);
        assert_eq!(v.counters["num_perf_log_data_mismatch"].line, 4);
        assert_eq!(v.checks.total, 1);
    }

    #[test]
    fn performance_scores_in_either_case() {
        let r = p(
            "verify_performance.txt",
            "Verifying performance.\nreference score = 16.20\ntest score = 16.23\nTEST PASS\n",
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let v = &r.value;
        assert_eq!(v.check, "performance");
        assert_eq!(
            v.reference_score.as_ref().map(|s| (s.value, s.line)),
            Some((16.2, 2))
        );
        assert_eq!(v.test_score.as_ref().map(|s| s.value), Some(16.23));
        let d = v.relative_difference.unwrap();
        assert!((d - 0.03 / 16.2).abs() < 1e-12, "{d}");
        assert!(v.counters.is_empty());
        let r = p(
            "verify_performance.txt",
            "Reference score = 18.5856\nTest score = 12.0\nTEST FAIL\n",
        );
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Fail, Some(3))
        );
    }

    #[test]
    fn test06_needs_every_check_line_and_reads_its_failure_line() {
        let path = "s/llama/Offline/TEST06/verify_accuracy.txt";
        let short =
            "First token check pass: True\nEOS check pass: True\nTEST06 verification complete\n";
        let r = parse(path, short.as_bytes());
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Fail, Some(3))
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.line == Some(3) && w.message.contains("sample length check")),
            "{:?}",
            r.warnings
        );
        // The script's own failure line fails the file even when every
        // check line it printed was cut off.
        let r = parse(path, "TEST06 verification failed\n".as_bytes());
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Fail, Some(1))
        );
        assert_eq!(
            r.value.verdict_text.as_deref(),
            Some("TEST06 verification failed")
        );
    }

    #[test]
    fn test06_checks_decide() {
        let path = "s/llama/Offline/TEST06/verify_accuracy.txt";
        let ok = "First token check pass: Skipped\nEOS check pass: True\nSample length check pass: True\nTEST06 verification complete\n";
        let r = parse(path, ok.as_bytes());
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Pass, Some(4))
        );
        assert_eq!(r.value.checks.total, 3);
        let bad = "First token check pass: True\nEOS check pass: False\nSample length check pass: True\nTEST06 verification complete\n";
        let r = parse(path, bad.as_bytes());
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Fail, Some(2))
        );
        // The checker wants `EOS check pass: True`; only the first-token
        // check may be skipped.
        let skipped =
            "First token check pass: True\nEOS check pass: Skipped\nTEST06 verification complete\n";
        let r = parse(path, skipped.as_bytes());
        assert_eq!(r.value.verdict, ComplianceVerdict::Fail);
        // Cut before the completion line: no verdict.
        let cut = "First token check pass: True\nEOS check pass: True\n";
        let r = parse(path, cut.as_bytes());
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Incomplete, None)
        );
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].message.contains("no verdict"));
    }

    #[test]
    fn unexpected_content_warns_with_the_line() {
        let r = p(
            "verify_performance.txt",
            "Verifying performance.\nTraceback (most recent call last):\n  File \"x.py\"\nReference score = 3\n",
        );
        let v = &r.value;
        assert_eq!(v.verdict, ComplianceVerdict::Incomplete);
        let msgs: Vec<(Option<u64>, &str)> = r
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert_eq!(msgs[0].0, Some(2));
        assert!(msgs[0].1.starts_with("2 line(s)"));
        assert_eq!(msgs[1].0, Some(4));
        assert!(msgs[2].1.contains("no verdict"));
        assert!(
            r.warnings
                .iter()
                .all(|w| w.path.ends_with("verify_performance.txt"))
        );
    }

    #[test]
    fn contradicting_verdicts_fail_and_empty_files_warn() {
        let r = p("verify_accuracy.txt", "TEST PASS\nTEST FAIL\n");
        assert_eq!(
            (r.value.verdict, r.value.verdict_line),
            (ComplianceVerdict::Fail, Some(2))
        );
        assert_eq!(r.warnings[0].line, Some(2));
        let r = p("verify_accuracy.txt", "");
        assert_eq!(r.value.verdict, ComplianceVerdict::Incomplete);
        assert_eq!(r.warnings[0].message, "file is empty");
        let r = parse("loose/verify_accuracy.txt", &b"TEST PASS\n"[..]);
        assert_eq!(r.value.verdict, ComplianceVerdict::Pass);
        assert!(r.warnings[0].message.contains("not inside"));
    }

    #[test]
    fn test_folders_and_expected_files() {
        let (d, i) = test_folder("a/sdxl/Offline/TEST01/performance/run_1").unwrap();
        assert_eq!(d, "a/sdxl/Offline/TEST01");
        assert_eq!(i.kind.as_deref(), Some("TEST01"));
        assert_eq!(
            test_folder("a/sdxl/Offline/TEST06").unwrap().0,
            "a/sdxl/Offline/TEST06"
        );
        assert_eq!(test_folder("a/sdxl/Offline/performance/run_1"), None);
        assert_eq!(test_folder(""), None);
        assert_eq!(expected_files("TEST04"), ["verify_performance.txt"]);
        assert!(expected_files("TEST05").is_empty());
    }
}
