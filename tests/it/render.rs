//! Render stage: a hand-built report through every renderer.
//!
//! The sample report has assessed and not-assessed components, two nodes with
//! GPUs, a VALID and an INVALID run, a step of every outcome, and findings
//! whose evidence is hostile (HTML, Markdown table syntax, template syntax,
//! ANSI escapes, a `javascript:` URL). The empty report has nothing assessed.

use std::collections::BTreeMap;

use mlperf_health::model::*;
use mlperf_health::render::view::{ReportView, SECTIONS, Target};
use mlperf_health::render::{Format, OutputFile, render_all};

const HOSTILE_SCRIPT: &str = "<script>alert(1)</script>";
const HOSTILE_LINE: &str = "\x1b[31mERROR\x1b[0m | pipe | `rm -rf` {{ x }} {% raw %} [click](javascript:alert(1)) <script>alert(1)</script> & *bold* _it_";

fn ev(path: &str, line: u64, text: &str) -> Evidence {
    Evidence::new(path, Some(line), text)
}

fn gpu(node: &str, index: u32, temp: f64, ecc: u64, throttle: &[&str]) -> GpuReport {
    GpuReport {
        index,
        name: Some("NVIDIA A100-SXM4-40GB".to_string()),
        uuid: Some(format!("GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd")),
        pci_bus_id: Some(format!("00000000:0{index}:00.0")),
        memory_total_mib: Some(40960.0),
        memory_used_mib: Some(12345.0),
        driver_version: Some("535.104.05".to_string()),
        cuda_version: Some("12.2".to_string()),
        temperature_c: Some(temp),
        temperature_slowdown_c: Some(90.0),
        power_draw_w: Some(250.5),
        power_limit_w: Some(400.0),
        sm_clock_mhz: Some(1410.0),
        ecc_mode: Some("Enabled".to_string()),
        ecc_uncorrectable: Some(ecc),
        retired_pages: Some(0),
        remapped_rows_uncorrectable: Some(ecc),
        throttle_reasons_active: throttle.iter().map(|s| s.to_string()).collect(),
        evidence: Some(Evidence::new(
            format!("probes/{node}/nvidia-smi.xml"),
            None,
            "",
        )),
    }
}

fn step(name: &str, node: &str, outcome: Outcome, rc: Option<i64>, line: u64) -> StepReport {
    StepReport {
        name: name.to_string(),
        node: node.to_string(),
        outcome,
        exit_code: rc,
        duration_s: Some(1.5),
        timed_out: outcome == Outcome::TimedOut,
        message: (outcome != Outcome::Ok).then(|| format!("{name} {}", outcome.as_str())),
        category: outcome.is_failure().then(|| "harness".to_string()),
        evidence: ev("ansible/playbook.json", line, ""),
    }
}

fn check(id: &str, passed: bool, deduction: f64, evidence: Vec<Evidence>) -> Check {
    Check {
        id: id.to_string(),
        title: format!("Check {id}"),
        passed,
        deduction,
        detail: if passed {
            "nothing found".to_string()
        } else {
            format!("{deduction} points off")
        },
        evidence,
    }
}

fn component(id: &str, name: &str, score: Option<f64>, checks: Vec<Check>) -> Component {
    Component {
        id: id.to_string(),
        name: name.to_string(),
        score,
        status: Status::from_score(score),
        weight: 0.2,
        coverage: if score.is_some() { 0.75 } else { 0.0 },
        coverage_note: "probe files per node".to_string(),
        not_assessed_reason: score
            .is_none()
            .then(|| "no nvidia-smi dump was found".to_string()),
        checks,
    }
}

fn run(id: &str, node: &str, valid: bool, sps: f64, p50_ms: f64) -> RunReport {
    RunReport {
        id: id.to_string(),
        node: Some(node.to_string()),
        scenario: Some(Scenario::Offline),
        mode: Some("PerformanceOnly".to_string()),
        result: if valid { "VALID" } else { "INVALID" }.to_string(),
        exit_code: Some(0),
        duration_s: Some(612.25),
        metrics: RunMetrics {
            samples_per_second: Some(sps),
            tokens_per_second: Some(sps * 120.5),
            latency_ns: LatencySummary {
                min: Some(p50_ms * 0.5e6),
                mean: Some(p50_ms * 1.1e6),
                p50: Some(p50_ms * 1e6),
                p90: Some(p50_ms * 1.4e6),
                p99: Some(p50_ms * 1.9e6),
                max: Some(p50_ms * 3e6),
            },
            ttft_ns: LatencySummary {
                p99: Some(850_123_456.0),
                ..LatencySummary::default()
            },
            tpot_ns: LatencySummary {
                p99: Some(42_345_678.0),
                ..LatencySummary::default()
            },
            ..RunMetrics::default()
        },
        invalid_reasons: if valid {
            Vec::new()
        } else {
            vec!["Min duration not satisfied: ran 61 s of 600 s".to_string()]
        },
        loadgen_errors: 0,
        loadgen_warnings: u64::from(!valid),
        settings_changed: if valid {
            BTreeMap::new()
        } else {
            BTreeMap::from([(
                "min_duration_ms".to_string(),
                ("600000".to_string(), "60000".to_string()),
            )])
        },
        settings: BTreeMap::from([("target_qps".to_string(), "200".to_string())]),
        step: Some("run benchmark".to_string()),
        evidence: vec![ev(
            &format!("{id}/mlperf_log_summary.txt"),
            7,
            "Result is : INVALID",
        )],
    }
}

pub fn sample_report() -> Report {
    let hostile = vec![
        ev("logs/node-a/run.stderr", 12, HOSTILE_LINE),
        ev("logs/node-a/run.stderr", 13, HOSTILE_SCRIPT),
        Evidence::new("ansible/playbook.json", Some(40), "Traceback | `x`")
            .with_locator("task \"run benchmark\" on node-b, stderr line 3"),
    ];
    let mut report = Report {
        loadgen_extra: Default::default(),
        gpu_probes: Default::default(),
        platform: Default::default(),
        software_inventory: Default::default(),
        training: Default::default(),
        baseline: None,
        causes: Vec::new(),
        validity: Vec::new(),
        scaling: Vec::new(),
        consistency: Vec::new(),
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mlperf-health".to_string(),
            version: "0.1.0".to_string(),
        },
        title: "Campaign health | test".to_string(),
        generated_at: None,
        inputs: Inputs {
            root: "artifacts".to_string(),
            files_total: 12,
            files_recognized: 9,
            files_unrecognized: 3,
            unreadable: vec![Unreadable {
                path: "logs/locked.txt".to_string(),
                reason: "permission denied".to_string(),
            }],
            unreadable_total: 1,
            by_kind: BTreeMap::from([
                ("ansible_json".to_string(), 1),
                ("loadgen_summary".to_string(), 2),
                ("nvidia_smi_xml".to_string(), 2),
            ]),
            unrecognized: vec!["notes/readme.txt".to_string(), "x_<b>.bin".to_string()],
            warnings: vec![ParseWarning::new(
                "probes/node-b/nvidia-smi.xml",
                Some(88),
                "unexpected element <foo> skipped",
            )],
            warnings_total: 4,
        },
        overall: Overall {
            score: Some(58.6),
            status: Status::Poor,
            weighted_mean: Some(71.25),
            cap: Some(60.0),
            worst_severity: Some(Severity::Critical),
            components_assessed: 4,
            coverage: 0.8333,
            verdict: "Degraded: one run is INVALID and a step failed on both nodes.".to_string(),
        },
        components: vec![
            component(
                "network",
                "Network",
                Some(100.0),
                vec![check("network.reachable", true, 0.0, Vec::new())],
            ),
            component("hardware", "Hardware", None, Vec::new()),
            component(
                "software",
                "Software",
                Some(80.0),
                vec![check(
                    "software.drift",
                    false,
                    20.0,
                    vec![ev("probes/node-b/versions.txt", 2, "driver 535.54.03")],
                )],
            ),
            component(
                "reliability",
                "Reliability",
                Some(33.4),
                vec![check(
                    "reliability.step_failures",
                    false,
                    66.6,
                    hostile.clone(),
                )],
            ),
            component(
                "performance",
                "Performance",
                Some(72.5),
                vec![check("performance.invalid_runs", false, 27.5, Vec::new())],
            ),
        ],
        nodes: vec![
            NodeReport {
                name: "node-a".to_string(),
                verdict: "unhealthy".to_string(),
                probes: vec!["probes/node-a/nvidia-smi.xml".to_string()],
                reachable: Some(true),
                steps_ok: 2,
                steps_failed: 2,
                worst_severity: Some(Severity::Critical),
                gpus: vec![
                    gpu("node-a", 1, 91.0, 2, &["HwSlowdown"]),
                    gpu("node-a", 0, 62.0, 0, &[]),
                ],
            },
            NodeReport {
                name: "node-b".to_string(),
                verdict: "degraded".to_string(),
                probes: vec!["probes/node-b/nvidia-smi.xml".to_string()],
                reachable: Some(false),
                steps_ok: 1,
                steps_failed: 2,
                worst_severity: Some(Severity::High),
                gpus: vec![gpu("node-b", 0, 55.0, 0, &[])],
            },
            NodeReport {
                name: "node-c".to_string(),
                verdict: "not_assessed".to_string(),
                probes: Vec::new(),
                reachable: None,
                steps_ok: 0,
                steps_failed: 0,
                worst_severity: None,
                gpus: Vec::new(),
            },
        ],
        runs: vec![
            run(
                "results/node-a/Offline/performance/run_1",
                "node-a",
                true,
                190.0312,
                980.123,
            ),
            run(
                "results/node-b/Offline/performance/run_1",
                "node-b",
                false,
                172.5,
                1610.0,
            ),
        ],
        steps: vec![
            step("gather facts", "node-a", Outcome::Ok, Some(0), 3),
            step("gather facts", "node-b", Outcome::Unreachable, None, 4),
            step("run benchmark", "node-a", Outcome::Failed, Some(2), 10),
            step("run benchmark", "node-b", Outcome::TimedOut, Some(124), 11),
            step("collect results", "node-a", Outcome::Ok, Some(0), 20),
            step("collect results", "node-b", Outcome::Skipped, None, 21),
            step("cleanup", "node-a", Outcome::Failed, Some(1), 30),
            step("cleanup", "node-b", Outcome::Ok, Some(0), 31),
        ],
        findings: vec![
            Finding {
                rule: "gpu.ecc_uncorrectable".to_string(),
                category: "gpu_hardware".to_string(),
                severity: Severity::Critical,
                title: "Uncorrectable ECC errors".to_string(),
                count: 1,
                raw_count: 1,
                nodes: vec!["node-a".to_string()],
                steps: Vec::new(),
                evidence: vec![ev(
                    "probes/node-a/nvidia-smi.xml",
                    210,
                    "<volatile><total>2</total>",
                )],
                remediation: "Drain node-a and run `dcgmi diag -r 3`.".to_string(),
                status: "active".to_string(),
                impact: "GPU results cannot be trusted".to_string(),
                caused_by: Vec::new(),
                root_cause: false,
            },
            Finding {
                rule: "harness.python_traceback".to_string(),
                category: "software_env".to_string(),
                severity: Severity::High,
                title: "Python traceback | in <benchmark>".to_string(),
                count: 3,
                raw_count: 7,
                nodes: vec!["node-a".to_string(), "node-b".to_string()],
                steps: vec!["run benchmark".to_string()],
                evidence: hostile,
                remediation: "Check the environment: see [docs](javascript:alert(1)).".to_string(),
                status: "active".to_string(),
                impact: "Benchmark step fails".to_string(),
                caused_by: Vec::new(),
                root_cause: false,
            },
            Finding {
                rule: "loadgen.min_duration".to_string(),
                category: "performance".to_string(),
                severity: Severity::Medium,
                title: "Run shorter than the minimum duration".to_string(),
                count: 1,
                raw_count: 1,
                nodes: vec!["node-b".to_string()],
                steps: Vec::new(),
                evidence: Vec::new(),
                remediation: "Restore min_duration to 600000 ms.".to_string(),
                status: "active".to_string(),
                impact: "Result is INVALID".to_string(),
                caused_by: Vec::new(),
                root_cause: false,
            },
        ],
        categories: vec![
            CategoryRow {
                category: "gpu_hardware".to_string(),
                name: "GPU hardware".to_string(),
                events: 1,
                severity: Some(Severity::Critical),
                status: "active".to_string(),
                impact: "GPU results cannot be trusted".to_string(),
            },
            CategoryRow {
                category: "software_env".to_string(),
                name: "Software environment".to_string(),
                events: 3,
                severity: Some(Severity::High),
                status: "active".to_string(),
                impact: "Benchmark step fails".to_string(),
            },
            CategoryRow {
                category: "network".to_string(),
                name: "Network connectivity".to_string(),
                events: 0,
                severity: None,
                status: "not_observed".to_string(),
                impact: "No impact seen".to_string(),
            },
            CategoryRow {
                category: "kernel".to_string(),
                name: "Kernel and driver (Xid)".to_string(),
                events: 0,
                severity: None,
                status: "not_assessed".to_string(),
                impact: "Unknown: no kernel log was read".to_string(),
            },
        ],
        performance: Performance {
            groups: vec![PerfGroup {
                key: "Offline PerformanceOnly".to_string(),
                runs: vec![
                    "results/node-a/Offline/performance/run_1".to_string(),
                    "results/node-b/Offline/performance/run_1".to_string(),
                ],
                nodes: vec!["node-a".to_string(), "node-b".to_string()],
                throughput_mean: Some(181.2656),
                throughput_stddev: Some(8.7656),
                throughput_cv: Some(0.04836),
                throughput_spread: Some(0.0922),
                slowest_node: Some("node-b".to_string()),
                latency_p99_cv: Some(0.2432),
            }],
        },
        software: vec![
            SoftwareRow {
                component: "NVIDIA driver".to_string(),
                versions: BTreeMap::from([
                    ("node-a".to_string(), "535.104.05".to_string()),
                    ("node-b".to_string(), "535.54.03".to_string()),
                ]),
                consistent: false,
                evidence: vec![ev("probes/node-b/versions.txt", 2, "driver 535.54.03")],
            },
            SoftwareRow {
                component: "LoadGen".to_string(),
                versions: BTreeMap::from([
                    ("node-a".to_string(), "5.0.0".to_string()),
                    ("node-b".to_string(), "5.0.0".to_string()),
                ]),
                consistent: true,
                evidence: Vec::new(),
            },
        ],
        recommendations: vec![
            Recommendation {
                severity: Severity::High,
                category: "software_env".to_string(),
                text: "Fix the Python environment on both nodes.".to_string(),
                rules: vec!["harness.python_traceback".to_string()],
                nodes: vec!["node-a".to_string(), "node-b".to_string()],
            },
            Recommendation {
                severity: Severity::Critical,
                category: "gpu_hardware".to_string(),
                text: "Drain node-a and replace GPU 1.".to_string(),
                rules: vec!["gpu.ecc_uncorrectable".to_string()],
                nodes: vec!["node-a".to_string()],
            },
        ],
    };
    crate::render_sections::fill(&mut report);
    report
}

pub fn empty_report() -> Report {
    let none = |id: &str, name: &str| Component {
        id: id.to_string(),
        name: name.to_string(),
        score: None,
        status: Status::NotAssessed,
        weight: 0.2,
        coverage: 0.0,
        coverage_note: "nothing read".to_string(),
        not_assessed_reason: None,
        checks: Vec::new(),
    };
    Report {
        loadgen_extra: Default::default(),
        gpu_probes: Default::default(),
        platform: Default::default(),
        software_inventory: Default::default(),
        training: Default::default(),
        baseline: None,
        causes: Vec::new(),
        validity: Vec::new(),
        scaling: Vec::new(),
        consistency: Vec::new(),
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mlperf-health".to_string(),
            version: "0.1.0".to_string(),
        },
        title: String::new(),
        generated_at: None,
        inputs: Inputs {
            root: "empty".to_string(),
            files_total: 0,
            files_recognized: 0,
            files_unrecognized: 0,
            unreadable: Vec::new(),
            unreadable_total: 0,
            by_kind: BTreeMap::new(),
            unrecognized: Vec::new(),
            warnings: Vec::new(),
            warnings_total: 0,
        },
        overall: Overall {
            score: None,
            status: Status::NotAssessed,
            weighted_mean: None,
            cap: None,
            worst_severity: None,
            components_assessed: 0,
            coverage: 0.0,
            verdict: "Nothing could be assessed: no recognised inputs.".to_string(),
        },
        components: vec![
            none("network", "Network"),
            none("hardware", "Hardware"),
            none("software", "Software"),
            none("reliability", "Reliability"),
            none("performance", "Performance"),
        ],
        nodes: Vec::new(),
        runs: Vec::new(),
        steps: Vec::new(),
        findings: Vec::new(),
        categories: Vec::new(),
        performance: Performance::default(),
        software: Vec::new(),
        recommendations: Vec::new(),
    }
}

const ALL: [Format; 3] = [Format::Markdown, Format::Html, Format::Json];

fn render(report: &Report, formats: &[Format]) -> Vec<OutputFile> {
    match render_all(report, formats) {
        Ok(files) => files,
        Err(e) => panic!("render failed: {e}"),
    }
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    let Some(f) = files.iter().find(|f| f.path == path) else {
        panic!("{path} not rendered");
    };
    match std::str::from_utf8(&f.bytes) {
        Ok(s) => s,
        Err(e) => panic!("{path} is not UTF-8: {e}"),
    }
}

fn paths(files: &[OutputFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn files_come_in_fixed_order() {
    let r = sample_report();
    let charts = [
        "charts/scores.svg",
        "charts/throughput.svg",
        "charts/latency.svg",
        "charts/findings.svg",
        "charts/trace_latency_1.svg",
        "charts/trace_timeline_1.svg",
        "charts/trace_latency_2.svg",
        "charts/trace_timeline_2.svg",
        "charts/gpu_1.svg",
    ];
    let mut want = vec!["report.md", "report.html", "report.json"];
    want.extend(charts);
    // Order of the request does not matter; duplicates are written once.
    let files = render(
        &r,
        &[Format::Json, Format::Html, Format::Markdown, Format::Json],
    );
    assert_eq!(paths(&files), want);

    assert_eq!(paths(&render(&r, &[Format::Json])), vec!["report.json"]);
    assert_eq!(paths(&render(&r, &[Format::Junit])), vec!["junit.xml"]);
    let mut with_junit = vec!["report.md", "report.html", "report.json", "junit.xml"];
    with_junit.extend(charts);
    assert_eq!(
        paths(&render(
            &r,
            &[Format::Junit, Format::Json, Format::Html, Format::Markdown]
        )),
        with_junit
    );
    let mut md_only = vec!["report.md"];
    md_only.extend(charts);
    assert_eq!(paths(&render(&r, &[Format::Markdown])), md_only);
    assert!(render(&r, &[]).is_empty());
    // An empty report still gets every fixed chart file, and only those.
    let mut fixed = vec!["report.md", "report.html", "report.json"];
    fixed.extend(&charts[..4]);
    assert_eq!(paths(&render(&empty_report(), &ALL)), fixed);
}

#[test]
fn output_is_deterministic() {
    for r in [sample_report(), empty_report()] {
        let a = render(&r, &ALL);
        let b = render(&r, &ALL);
        assert_eq!(a, b);
    }
}

#[test]
fn markdown_snapshot() {
    let files = render(&sample_report(), &[Format::Markdown]);
    insta::assert_snapshot!("report_sample_md", file(&files, "report.md"));
}

#[test]
fn markdown_snapshot_empty() {
    let files = render(&empty_report(), &[Format::Markdown]);
    insta::assert_snapshot!("report_empty_md", file(&files, "report.md"));
}

#[test]
fn view_model_snapshot() {
    insta::assert_yaml_snapshot!(
        "view_sample",
        ReportView::new(&sample_report(), Target::Html)
    );
}

#[test]
fn view_model_snapshot_empty() {
    insta::assert_yaml_snapshot!("view_empty", ReportView::new(&empty_report(), Target::Html));
}

/// Count `|` that are table separators (not backslash-escaped).
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

#[test]
fn markdown_tables_survive_hostile_text() {
    let files = render(&sample_report(), &[Format::Markdown]);
    let md = file(&files, "report.md");
    assert!(!md.contains('\x1b'));
    assert!(!md.contains("<script"));
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains("\\| pipe \\|"));
    assert!(md.contains("\\`rm -rf\\`"));
    assert!(md.contains("\\[click\\](javascript:alert(1))"));
    assert!(md.contains("{{ x }} {% raw %}"));
    // Every row of a table has as many cell separators as its header.
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = unescaped_pipes(line);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "broken table row: {line}"),
            }
        } else {
            header = None;
        }
    }
    for s in SECTIONS {
        assert!(
            md.contains(&format!("<a id=\"{}\"></a>", s.id)),
            "missing {}",
            s.id
        );
        assert!(
            md.contains(&format!("](#{})", s.id)),
            "no contents link to {}",
            s.id
        );
    }
    for chart in ["scores", "throughput", "latency", "findings"] {
        assert!(md.contains(&format!("](charts/{chart}.svg)")));
    }
}

#[test]
fn markdown_renders_to_safe_html() {
    use pulldown_cmark::{Options, Parser, html};
    let files = render(&sample_report(), &[Format::Markdown]);
    let md = file(&files, "report.md");
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
    assert!(!out.contains("<script"));
    assert!(!out.contains("href=\"javascript:"));
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The hostile line stays inside its cell: the escaped pipe is text.
    assert!(out.contains("ERROR | pipe | `rm -rf` {{ x }} {% raw %} [click](javascript:alert(1))"));
}

/// Every `javascript:` in the page must be in text content, never inside a
/// tag (attribute values are where it would run).
fn assert_only_in_text(html: &str, needle: &str) {
    for (i, _) in html.match_indices(needle) {
        let before = &html[..i];
        let last_open = before.rfind('<');
        let last_close = before.rfind('>');
        assert!(
            last_close >= last_open,
            "`{needle}` inside a tag at byte {i}: {}",
            &html[last_open.unwrap_or(0)..(i + needle.len()).min(html.len())]
        );
    }
}

#[test]
fn html_is_self_contained_and_escaped() {
    let files = render(&sample_report(), &ALL);
    let html = file(&files, "report.html");
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<style>"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script element in HTML");
    assert!(!lower.contains("http://") && !lower.contains("https://"));
    assert!(!lower.contains("url("));
    assert!(!lower.contains("@import"));
    assert!(!lower.contains("<link"));
    assert!(!lower.contains(" src="));
    assert!(!html.contains('\x1b'));
    assert_only_in_text(html, "javascript:");
    for (i, _) in html.match_indices("href=\"") {
        let rest = &html[i + 6..];
        assert!(
            rest.starts_with('#'),
            "non-anchor link: {}",
            &rest[..rest.len().min(40)]
        );
    }
    // Hostile text appears escaped, template syntax appears literally.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(html.contains("| pipe |"));
    assert!(html.contains("{{ x }} {% raw %}"));
    assert!(html.contains("&lt;benchmark&gt;"));
    for s in SECTIONS {
        assert!(
            html.contains(&format!("<section class=\"card\" id=\"{}\">", s.id)),
            "missing {}",
            s.id
        );
        assert!(
            html.contains(&format!("<a href=\"#{}\">", s.id)),
            "no contents link to {}",
            s.id
        );
    }
    // Every chart is inlined, without a namespace URL (the new sections'
    // charts are checked in render_sections).
    let charts = files
        .iter()
        .filter(|f| f.path.starts_with("charts/"))
        .count();
    assert_eq!(html.matches("<svg ").count(), charts);
    for title in [
        "Component scores",
        "Throughput per run",
        "Latency percentiles per run",
        "Events per error category",
    ] {
        assert!(html.contains(title), "chart {title} not inlined");
    }
    // Status words are present, not only colours.
    for word in [
        "not assessed",
        "not observed",
        "timed out (rc 124)",
        "failed (rc 2)",
        "unreachable",
        "skipped",
        "not run",
        "INVALID",
        "drift",
    ] {
        assert!(html.contains(word), "status word {word} missing");
    }
    assert!(!lower.contains("resolved"));
}

#[test]
fn chart_labels_are_escaped() {
    let mut r = sample_report();
    r.runs[0].node = Some("<script>&".to_string());
    r.components[0].name = "<b>net</b> & \"co\"".to_string();
    let files = render(&r, &ALL);
    for path in [
        "charts/throughput.svg",
        "charts/latency.svg",
        "charts/scores.svg",
    ] {
        let svg = file(&files, path);
        assert!(!svg.contains("<script"), "{path}");
        assert!(!svg.contains("<b>"), "{path}");
    }
    assert!(file(&files, "charts/throughput.svg").contains("@ &lt;script&gt;&amp;"));
    assert!(
        file(&files, "charts/scores.svg").contains("&lt;b&gt;net&lt;/b&gt; &amp; &quot;co&quot;")
    );
    let html = file(&files, "report.html");
    assert!(!html.to_ascii_lowercase().contains("<script"));
}

#[test]
fn missing_data_is_never_zero_or_healthy() {
    let files = render(&sample_report(), &ALL);
    let scores = file(&files, "charts/scores.svg");
    assert!(scores.contains("not assessed"));
    let findings = file(&files, "charts/findings.svg");
    assert!(findings.contains("not assessed"));
    assert!(findings.contains("not observed"));
    let md = file(&files, "report.md");
    assert!(md.contains("| Hardware | not assessed | not assessed |"));
    assert!(!md.contains("Hardware | 0"));

    let empty = render(&empty_report(), &ALL);
    let md = file(&empty, "report.md");
    assert!(md.contains("**Overall score: not assessed**."));
    assert!(md.contains("this is not evidence of health"));
    assert!(!md.contains("0/100"));
    for chart in ["scores", "throughput", "latency", "findings"] {
        let svg = file(&empty, &format!("charts/{chart}.svg"));
        if chart == "scores" {
            assert!(svg.contains("not assessed"));
        } else {
            assert!(svg.contains("no data: "), "{chart}");
        }
    }
}

#[test]
fn json_is_the_report() {
    let r = sample_report();
    let files = render(&r, &[Format::Json]);
    let text = file(&files, "report.json");
    assert!(text.ends_with("}\n"));
    let parsed: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("report.json does not parse: {e}"),
    };
    let direct = match serde_json::to_value(&r) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(parsed, direct);
    assert_eq!(parsed["schema_version"], 1);
    // Raw text is kept verbatim in JSON; escaping is the renderers' job.
    assert!(text.contains("\\u001b[31mERROR"));
}
