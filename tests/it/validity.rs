//! MLPerf validity explained, checked against every real LoadGen summary in
//! the fixtures: the requirements this tool finds failed must reproduce
//! LoadGen's own VALID/INVALID verdict, and each INVALID run must be
//! explained with numbers.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use mlperf_health::analyze::validity;
use mlperf_health::model::{LoadGenRun, RunValidity};
use mlperf_health::parse::{NullSink, loadgen_detail, loadgen_summary};

use crate::util::{files_below, repo};

fn run_at(root: &str, dir: &str) -> LoadGenRun {
    let base = repo().join(root).join(dir);
    let open = |name: &str| {
        let p = base.join(name);
        File::open(&p).ok().map(BufReader::new)
    };
    let id = format!("{root}/{dir}");
    let summary = open("mlperf_log_summary.txt").map(|r| {
        (
            format!("{id}/mlperf_log_summary.txt"),
            loadgen_summary::parse(&id, r).value,
        )
    });
    let detail = open("mlperf_log_detail.txt").map(|r| {
        let p = loadgen_detail::parse(&id, r, None, None, &mut NullSink);
        (format!("{id}/mlperf_log_detail.txt"), p.value)
    });
    LoadGenRun {
        id: id.clone(),
        node: None,
        step: None,
        summary,
        detail,
        trace: None,
        accuracy: None,
        accuracy_result: None,
        // As the pipeline fills it: the submission path decides the
        // benchmark where it names one.
        submission: mlperf_health::parse::submission::path_info(&id),
    }
}

fn all_runs() -> Vec<(LoadGenRun, RunValidity)> {
    let mut out = Vec::new();
    for root in ["fixtures/loadgen", "fixtures/mlperf-submission-amd"] {
        for f in files_below(&repo().join(root)) {
            let Some(dir) = f.strip_suffix("/mlperf_log_summary.txt") else {
                continue;
            };
            let run = run_at(root, dir);
            let v = validity::explain(&run).expect("summary present");
            out.push((run, v));
        }
    }
    out
}

#[test]
fn the_explained_requirements_reproduce_loadgen_verdicts() {
    let runs = all_runs();
    assert!(runs.len() >= 20, "{} runs", runs.len());
    let mut invalid = 0;
    for (run, v) in &runs {
        let Some((_, s)) = &run.summary else { continue };
        let loadgen_failed: Vec<_> = v
            .checks
            .iter()
            .filter(|c| c.source == "loadgen" && !c.met)
            .collect();
        match s.valid {
            Some(true) => assert!(
                loadgen_failed.is_empty(),
                "{}: VALID but {loadgen_failed:?}",
                run.id
            ),
            Some(false) => {
                invalid += 1;
                assert!(
                    !loadgen_failed.is_empty(),
                    "{}: INVALID without a failed requirement",
                    run.id
                );
                assert_eq!(v.verdict, "INVALID", "{}", run.id);
                assert!(!validity::invalid_reasons(run).is_empty());
            }
            None => assert_eq!(v.loadgen_result, "UNKNOWN", "{}", run.id),
        }
        // The real submission's performance runs meet their benchmark's
        // published constraints too.
        if run.id.contains("llama2-70b-99/") && run.id.contains("/performance/") {
            assert_eq!(v.benchmark.as_deref(), Some("llama2-70b-99"), "{}", run.id);
            assert_eq!(v.verdict, "VALID", "{}: {}", run.id, v.summary);
            assert!(
                v.checks.iter().any(|c| c.source == "benchmark"),
                "{}",
                run.id
            );
        }
    }
    assert!(invalid >= 6, "{invalid} INVALID runs");
}

#[test]
fn invalid_runs_are_explained_with_numbers_and_fixes() {
    let runs = all_runs();
    let get = |suffix: &str| {
        runs.iter()
            .find(|(r, _)| r.id.ends_with(suffix))
            .map(|(_, v)| v.summary.clone())
            .unwrap_or_else(|| panic!("no run {suffix}"))
    };
    let s = get("loadgen/singlestream_early_stopping");
    assert!(s.contains("early stopping needs 34 more queries"), "{s}");
    let s = get("loadgen/server_token_llm_invalid_ttft");
    assert!(
        s.contains("TTFT p99") && s.contains("over the 40.0 ms limit by"),
        "{s}"
    );
    assert!(s.contains("lower the target QPS"), "{s}");
    let s = get("loadgen/offline_invalid_min_duration");
    assert!(
        s.contains("of the required 2000 ms minimum duration"),
        "{s}"
    );
    assert!(s.contains("raise the expected QPS"), "{s}");
    let s = get("loadgen/singlestream_invalid_min_queries");
    assert!(s.contains("of the required 1000"), "{s}");
    let s = get("loadgen/server_invalid_latency");
    assert!(
        s.contains("p99 latency") && s.contains("over the 10.0 ms target by"),
        "{s}"
    );
    let s = get("8xMI300X_2xEPYC_9575F/llama2-70b-99/Interactive/performance/run_1");
    assert!(s.starts_with("Interactive run VALID"), "{s}");
}

#[test]
fn validity_of_every_real_run() {
    let snap: Vec<(String, String, String)> = all_runs()
        .into_iter()
        .map(|(r, v)| (r.id, v.verdict, v.summary))
        .collect();
    insta::assert_yaml_snapshot!(snap);
}

#[test]
fn the_interactive_run_is_checked_against_the_interactive_limits() {
    let run = run_at(
        "fixtures/mlperf-submission-amd",
        "8xMI300X_2xEPYC_9575F/llama2-70b-99/Interactive/performance/run_1",
    );
    let v = validity::explain(&run).unwrap();
    let ttft = v
        .checks
        .iter()
        .find(|c| c.id == "benchmark_ttft_p99")
        .unwrap();
    assert_eq!(ttft.limit, Some(450.0));
    assert!(ttft.met);
    let _ = Path::new("");
}
