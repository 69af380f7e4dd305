//! The rule catalogue against real text: no rule may fire on the output of
//! steps that succeeded (benign warnings, deprecation notices, LoadGen
//! summaries printed to stdout), and the failing steps' real errors must be
//! classified.

use mlperf_health::analyze::rules::RuleSet;

use crate::util::{files_below, repo};

/// Steps of the demo campaign that exited 0 on every node.
const SUCCESSFUL_STEPS: &[&str] = &[
    "check_env",
    "loadgen_offline",
    "loadgen_server",
    "loadgen_llm_server",
];

#[test]
fn no_rule_matches_the_output_of_successful_steps() {
    let rules = RuleSet::builtin().unwrap();
    let root = repo().join("fixtures/campaigns/demo");
    let mut checked = 0;
    for f in files_below(&root) {
        let parts: Vec<&str> = f.split('/').collect();
        let benign =
            parts.len() == 5 && parts[2] == "steps" && SUCCESSFUL_STEPS.contains(&parts[3]);
        if !benign {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&f)).unwrap();
        for (i, line) in text.lines().enumerate() {
            checked += 1;
            if let Some(r) = rules.match_line(line) {
                panic!("{f}:{}: rule {} matched benign line {line:?}", i + 1, r.id);
            }
        }
    }
    assert!(
        checked > 20,
        "benign corpus unexpectedly small ({checked} lines)"
    );
}

#[test]
fn the_demo_failures_are_classified_by_the_expected_rules() {
    let rules = RuleSet::builtin().unwrap();
    let root = repo().join("fixtures/campaigns/demo/nodes");
    let expect = [
        (
            "node-a/steps/run_benchmark_bad_arg/stderr.log",
            "config.argparse_usage",
        ),
        (
            "node-a/steps/import_inference_backend/stderr.log",
            "deps.module_not_found",
        ),
        (
            "node-b/steps/warmup_model/stderr.log",
            "host.allocation_failed",
        ),
    ];
    for (file, rule) in expect {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let hits: Vec<&str> = text
            .lines()
            .filter_map(|l| rules.match_line(l).map(|r| r.id.as_str()))
            .collect();
        assert!(
            hits.contains(&rule),
            "{file}: expected {rule}, got {hits:?}"
        );
    }
}
