//! The rule catalogue against real error text: every line of
//! `fixtures/error-corpus/<rule>.txt` (produced by really running failing
//! commands, see `fixtures/generators/error-corpus/generate.sh`) must be
//! classified by `<rule>`, and every example that names a fixture file as its
//! source must really be in that file.

use std::fs::File;
use std::io::BufReader;

use mlperf_health::analyze::rules::RuleSet;
use mlperf_health::parse::{CollectSink, loadgen_detail};

use crate::util::{files_below, repo};

#[test]
fn the_catalogue_has_at_least_sixty_rules_each_with_a_source() {
    let rules = RuleSet::builtin().unwrap();
    assert!(rules.rules.len() >= 60, "{} rules", rules.rules.len());
    for r in &rules.rules {
        let src = r.example_source.as_deref().unwrap_or("");
        assert!(
            !src.trim().is_empty(),
            "rule {} has no example_source",
            r.id
        );
        assert!(
            !src.contains("hand-written"),
            "rule {} still has a hand-written example",
            r.id
        );
    }
}

#[test]
fn every_corpus_line_is_classified_by_its_rule() {
    let rules = RuleSet::builtin().unwrap();
    let dir = repo().join("fixtures/error-corpus");
    let mut checked = 0;
    for f in files_below(&dir).iter().filter(|f| f.ends_with(".txt")) {
        let want = f.trim_end_matches(".txt");
        assert!(rules.get(want).is_some(), "{f}: no rule `{want}`");
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let got = rules.match_line(line.trim()).map(|r| r.id.as_str());
            assert_eq!(got, Some(want), "{f}:{}: {line:?}", i + 1);
            checked += 1;
        }
    }
    assert!(checked >= 25, "corpus unexpectedly small ({checked} lines)");
}

/// What a detail log streams to the classifier (`key: value` lines).
fn detail_lines(path: &std::path::Path) -> Vec<String> {
    let mut sink = CollectSink::default();
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    loadgen_detail::parse("d", BufReader::new(file), None, None, &mut sink);
    sink.lines.into_iter().map(|l| l.4).collect()
}

#[test]
fn examples_sourced_from_fixtures_are_in_those_fixtures() {
    let rules = RuleSet::builtin().unwrap();
    let mut checked = 0;
    for r in rules.rules.iter().filter(|r| r.pattern.is_some()) {
        let Some(src) = r.example_source.as_deref() else {
            continue;
        };
        let Some(path) = src.strip_prefix("fixtures/") else {
            continue;
        };
        let path = path.split_whitespace().next().unwrap_or("");
        let full = repo().join("fixtures").join(path);
        let found = if path.ends_with("mlperf_log_detail.txt") {
            detail_lines(&full).iter().any(|l| l == &r.example)
        } else {
            let text = std::fs::read_to_string(&full)
                .unwrap_or_else(|e| panic!("rule {}: {}: {e}", r.id, full.display()));
            text.lines().any(|l| l.trim() == r.example)
        };
        assert!(found, "rule {}: example not found in {path}", r.id);
        checked += 1;
    }
    assert!(checked >= 18, "only {checked} fixture-sourced examples");
}

#[test]
fn no_rule_matches_the_summaries_of_valid_real_runs() {
    let rules = RuleSet::builtin().unwrap();
    let mut checked = 0;
    for root in ["fixtures/loadgen", "fixtures/mlperf-submission-amd"] {
        let dir = repo().join(root);
        for f in files_below(&dir)
            .iter()
            .filter(|f| f.ends_with("mlperf_log_summary.txt"))
        {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            if !text.contains("Result is : VALID") {
                continue;
            }
            for (i, line) in text.lines().enumerate() {
                if let Some(r) = rules.match_line(line.trim()) {
                    panic!("{root}/{f}:{}: rule {} matched {line:?}", i + 1, r.id);
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked > 200,
        "benign corpus unexpectedly small ({checked})"
    );
}
