//! Per-run spread and goodput from real LoadGen traces, accuracy targets
//! against the real AMD `accuracy.txt` files, benchmark detection from the
//! submission path, and GPU telemetry per harness step on the real H100
//! series (issue 4).

use std::path::Path;

use mlperf_health::analyze::{perf, scaling, signals};
use mlperf_health::model::*;

use crate::util::repo;

fn report_for(root: &Path) -> Report {
    let opts = mlperf_health::pipeline::ReportOptions {
        root: root.to_path_buf(),
        out_dir: root.join("out"),
        ..Default::default()
    };
    mlperf_health::pipeline::build_report(&opts).unwrap()
}

fn run<'r>(report: &'r Report, id: &str) -> &'r RunReport {
    report
        .runs
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no run {id}"))
}

fn validity<'r>(report: &'r Report, id: &str) -> &'r RunValidity {
    report
        .validity
        .iter()
        .find(|v| v.run == id)
        .unwrap_or_else(|| panic!("no validity for {id}"))
}

/// Per-event values of a real trace, read independently of the parser: one
/// event per line; the events with LoadGen's doubled-quote defect fail to
/// parse and are skipped, as they carry no sample.
fn trace_values(dir: &str) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(repo().join(dir).join("mlperf_log_trace.json")).unwrap();
    let (mut latency, mut ttft) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let Ok(ev) = serde_json::from_str::<serde_json::Value>(line.trim_end_matches(',')) else {
            continue;
        };
        let args = &ev["args"];
        match (ev["name"].as_str(), ev["ph"].as_str()) {
            (Some("Sample"), Some("b")) => latency.push(args["complete_ns"].as_f64().unwrap()),
            (Some("Token_Latency"), Some("C")) => ttft.push(
                args["issue_delay"].as_f64().unwrap() + args["issue_to_done"].as_f64().unwrap(),
            ),
            _ => {}
        }
    }
    (latency, ttft)
}

fn population_stddev(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

#[test]
fn run_spread_comes_from_the_trace_or_says_it_needs_one() {
    let report = report_for(&repo().join("fixtures/loadgen"));
    let (latency, ttft) = trace_values("fixtures/loadgen/server_token_trace");
    assert_eq!((latency.len(), ttft.len()), (80, 80));
    let m = &run(&report, "server_token_trace").metrics;
    // Welford over every value, rounded to the nanosecond.
    assert_eq!(
        m.latency_stddev_ns,
        Some(population_stddev(&latency).round())
    );
    assert_eq!(m.ttft_stddev_ns, Some(population_stddev(&ttft).round()));
    let mean = latency.iter().sum::<f64>() / 80.0;
    let cv = m.latency_cv.unwrap();
    assert!(
        (cv - population_stddev(&latency) / mean).abs() < 1e-4,
        "{cv}"
    );
    assert!(m.ttft_cv.is_some());
    assert_eq!(
        m.stddev_source.as_deref(),
        Some(
            "trace server_token_trace/mlperf_log_trace.json (latency over 80 samples; \
             TTFT over 80 values from `Token_Latency` events)"
        )
    );
    // Offline traces give the spread too, but no goodput (no latency bound).
    let m = &run(&report, "offline_trace").metrics;
    assert!(m.latency_stddev_ns.is_some() && m.goodput.is_none());
    // No trace: no invented number.
    let m = &run(&report, "server_valid").metrics;
    assert_eq!(m.latency_stddev_ns, None);
    assert_eq!(m.stddev_source.as_deref(), Some(perf::NEEDS_THE_TRACE));
}

#[test]
fn goodput_of_the_real_token_server_trace() {
    let report = report_for(&repo().join("fixtures/loadgen"));
    let g = run(&report, "server_token_trace")
        .metrics
        .goodput
        .clone()
        .expect("a Server trace has goodput");
    // Every TTFT (50–76 ms) is under the run's 2 s bound: exact.
    assert_eq!((g.queries, g.within_min, g.within_max), (80, 80, 80));
    assert_eq!(g.share, 1.0);
    assert_eq!(g.limit_source, "the run's ttft_latency setting");
    assert_eq!(
        g.text,
        "goodput 100.0 % of 80 queries within TTFT ≤ 2 s; TPOT ≤ 200 ms not counted per query: \
         the trace has no per-query token counts; the summary's TPOT p99 8.3 ms is within it"
    );
    assert_eq!(
        validity(&report, "server_token_trace").goodput.as_deref(),
        Some(g.text.as_str())
    );
    assert!(run(&report, "offline_trace").metrics.goodput.is_none());
}

#[test]
fn goodput_inside_the_distribution_is_bounded_by_one_bucket() {
    let dir = repo().join("fixtures/loadgen/server_token_trace");
    let open = |n: &str| std::io::BufReader::new(std::fs::File::open(dir.join(n)).unwrap());
    let mut summary =
        mlperf_health::parse::loadgen_summary::parse("s", open("mlperf_log_summary.txt")).value;
    // The real trace against a bound inside its TTFT range (50–76 ms).
    summary
        .settings
        .insert("ttft_latency (ns)".into(), "52000000".into());
    let trace =
        mlperf_health::parse::loadgen_trace::parse("t", open("mlperf_log_trace.json")).value;
    let r = LoadGenRun {
        id: "server_token_trace".into(),
        node: None,
        step: None,
        summary: Some(("s".into(), summary)),
        detail: None,
        trace: Some(("t".into(), trace)),
        accuracy: None,
        accuracy_result: None,
        submission: None,
    };
    let g = perf::goodput(&r).unwrap();
    let (_, ttft) = trace_values("fixtures/loadgen/server_token_trace");
    let truth = ttft.iter().filter(|v| **v <= 52e6).count() as u64;
    assert!(
        g.within_min <= truth && truth <= g.within_max,
        "{truth} not in {g:?}"
    );
    assert!(
        g.within_min < g.within_max,
        "the bound is one bucket wide: {g:?}"
    );
    assert!(g.resolution.starts_with("between "), "{}", g.resolution);
    assert!(
        g.text.starts_with("goodput ") && g.text.contains(" of 80 queries within TTFT ≤ 52 ms ("),
        "{}",
        g.text
    );
}

#[test]
fn real_amd_accuracy_results_meet_their_targets() {
    let report = report_for(&repo().join("fixtures/mlperf-submission-amd"));
    let cases = [
        (
            "8xMI300X_2xEPYC_9575F/llama2-70b-99/Offline/accuracy",
            "llama2-70b-99",
            "ROUGE1 44.4465 ≥ 43.9869 (99% of 44.4312) passes",
        ),
        (
            "8xMI325X_2xEPYC_9575F_2/llama2-70b-99/Offline/accuracy",
            "llama2-70b-99",
            "ROUGE1 44.7452 ≥ 43.9869 (99% of 44.4312) passes",
        ),
        (
            "8xMI325X_2xEPYC_9575F_2/llama2-70b-99.9/Interactive/accuracy",
            "llama2-70b-99.9",
            "ROUGEL 28.5959 ≥ 28.5876 (99.9% of 28.6162) passes",
        ),
    ];
    for (id, bench, text) in cases {
        let v = validity(&report, id);
        assert_eq!(v.benchmark.as_deref(), Some(bench), "{id}");
        let acc: Vec<&RequirementCheck> =
            v.checks.iter().filter(|c| c.source == "accuracy").collect();
        assert_eq!(acc.len(), 4, "{id}: {acc:?}");
        assert!(acc.iter().all(|c| c.met), "{id}: {acc:?}");
        assert!(acc.iter().any(|c| c.text == text), "{id}: {acc:?}");
        assert_eq!(v.verdict, "VALID", "{id}: {}", v.summary);
    }
    let v = validity(
        &report,
        "8xMI325X_2xEPYC_9575F_2/llama2-70b-99.9/Interactive/accuracy",
    );
    assert_eq!(v.scenario.as_deref(), Some("Interactive"));
    assert_eq!(
        v.summary,
        "Interactive accuracy run VALID: every accuracy target is met."
    );
    // mixtral and SDXL are not in the constraint table: not judged.
    assert!(
        !report
            .validity
            .iter()
            .any(|v| v.run.contains("mixtral") && v.run.ends_with("/accuracy"))
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule == "loadgen.accuracy_target_missed")
    );
}

#[test]
fn a_missed_accuracy_target_is_a_benchmark_invalid_finding() {
    // Test-made input (not tool output): the real MI300X result with ROUGE1
    // lowered below 99 % of the reference, in a submission-shaped tree.
    let real = std::fs::read_to_string(repo().join(
        "fixtures/mlperf-submission-amd/8xMI300X_2xEPYC_9575F/llama2-70b-99/Offline/accuracy/accuracy.txt",
    ))
    .unwrap();
    let low = real.replace("'rouge1': 44.4465", "'rouge1': 43.5");
    assert_ne!(low, real);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp
        .path()
        .join("results/sys/llama2-70b-99/Offline/accuracy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("accuracy.txt"), low).unwrap();
    let report = report_for(tmp.path());
    let v = validity(&report, "results/sys/llama2-70b-99/Offline/accuracy");
    assert_eq!(v.verdict, "INVALID");
    assert!(
        v.summary.starts_with(
            "Offline accuracy run INVALID — ROUGE1 43.5 is below 43.9869 (99% of 44.4312) by 0.4869 (1.11% short)"
        ),
        "{}",
        v.summary
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "loadgen.accuracy_target_missed")
        .expect("finding raised");
    assert_eq!(f.category, "benchmark_invalid");
    assert_eq!(f.count, 1);
    let ev = &f.evidence[0];
    assert_eq!(
        ev.path,
        "results/sys/llama2-70b-99/Offline/accuracy/accuracy.txt"
    );
    assert_eq!(ev.line, Some(4));
    let cat = report
        .categories
        .iter()
        .find(|c| c.category == "benchmark_invalid")
        .unwrap();
    assert_eq!(cat.status, "active");
}

#[test]
fn the_submission_path_decides_benchmark_and_size() {
    let root = repo().join("fixtures/mlperf-submission-amd");
    let campaign =
        mlperf_health::pipeline::collect(&root, None, &mut mlperf_health::parse::NullSink);
    let mut seen = 0;
    for r in &campaign.runs {
        let Some(p) = &r.submission else { continue };
        let Some(sys) = &p.system else { continue };
        if r.summary.is_none() {
            continue;
        }
        seen += 1;
        assert_eq!(
            scaling::units_of(r, &campaign),
            Some((8, "GPUs", format!("submission system `{sys}`"))),
            "{}",
            r.id
        );
        let (bench, interactive) = mlperf_health::analyze::validity::benchmark_of(r);
        if p.benchmark.starts_with("llama2-70b") {
            assert_eq!(bench.map(|b| b.name.as_str()), Some(p.benchmark.as_str()));
        } else {
            assert!(bench.is_none(), "{}", r.id);
        }
        assert_eq!(
            interactive,
            p.scenario == Some(Scenario::Interactive),
            "{}",
            r.id
        );
    }
    assert!(seen >= 8, "{seen}");
}

fn step(name: &str, node: &str, start: &str, end: &str) -> StepResult {
    StepResult {
        name: name.into(),
        node: node.into(),
        group: None,
        outcome: Outcome::Ok,
        exit_code: Some(0),
        duration_s: None,
        timed_out: false,
        started_at: Some(start.into()),
        ended_at: Some(end.into()),
        message: None,
        evidence: Evidence::new("ansible/campaign.json", Some(1), ""),
    }
}

#[test]
fn telemetry_of_the_real_h100_series_per_step() {
    // The real series: idle at 08:12:38.696, under load 14.657 s later.
    let path = "fixtures/probes/nvidia-smi-csv/h100-capture-idle-then-load.csv";
    let file = std::io::BufReader::new(std::fs::File::open(repo().join(path)).unwrap());
    let csv = mlperf_health::parse::nvidia_smi_csv::parse(path, file).value;
    let mut c = Campaign::default();
    c.nodes.entry("node-a".into()).or_default().gpu_csv = vec![(path.into(), csv)];
    // Step times as Ansible's command results print them (node-local).
    let steps = vec![
        step(
            "warmup",
            "node-a",
            "2026-07-14 08:12:30.000000",
            "2026-07-14 08:12:40.000000",
        ),
        step(
            "loadgen_offline",
            "node-a",
            "2026-07-14 08:12:50.000000",
            "2026-07-14 08:13:00.000000",
        ),
        // The callback's UTC times are not compared with local timestamps.
        step(
            "utc",
            "node-a",
            "2026-07-14T08:12:30Z",
            "2026-07-14T08:13:00Z",
        ),
        // Another node's step, and a step after the series: no rows.
        step(
            "other_node",
            "node-b",
            "2026-07-14 08:12:30.000000",
            "2026-07-14 08:13:00.000000",
        ),
        step(
            "later",
            "node-a",
            "2026-07-14 09:00:00.000000",
            "2026-07-14 09:01:00.000000",
        ),
    ];
    c.harness.push((
        "ansible/campaign.json".into(),
        HarnessRun {
            harness: "ansible".into(),
            steps,
            ..HarnessRun::default()
        },
    ));
    let section = signals::gpu_probes::report(&c);
    type Row<'a> = (&'a str, &'a str, u64, Option<f64>, Option<f64>, Option<f64>);
    let got: Vec<Row<'_>> = section
        .steps
        .iter()
        .flat_map(|s| {
            s.gpus.iter().map(move |g| {
                (
                    s.step.as_str(),
                    g.gpu.as_str(),
                    g.samples,
                    g.utilization_pct,
                    g.power_draw_w,
                    g.temperature_c,
                )
            })
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "warmup",
                "GPU 00000000:00:09.0",
                1,
                Some(0.0),
                Some(69.9),
                Some(41.0)
            ),
            (
                "loadgen_offline",
                "GPU 00000000:00:09.0",
                1,
                Some(100.0),
                Some(632.0),
                Some(59.0)
            ),
        ]
    );
    let load = &section.steps[1].gpus[0];
    assert_eq!((load.series_from_s, load.series_to_s), (14.0, 15.0));
    assert_eq!(load.memory_used_mib, Some(19818.0));
    assert_eq!(load.sm_clock_mhz, Some(1980.0));
    assert_eq!(load.paths, [path]);
    assert_eq!(section.steps_omitted, 0);
    let json = serde_json::to_value(&section).unwrap();
    assert_eq!(json["steps"][1]["step"], "loadgen_offline");
}
