//! Render stage, the sections built from the extra artifact families:
//! LoadGen traces and submissions (`loadgen_extra`), GPU probes
//! (`gpu_probes`), kernel and Kubernetes facts (`platform`) and software
//! dumps (`software_inventory`).
//!
//! [`fill`] puts data in all four into a report, with hostile text (HTML,
//! Markdown table syntax, backticks, template syntax, ANSI escapes) in every
//! free-text field; `render::sample_report` uses it, so the sample snapshots
//! and safety tests there cover these sections too. The tests here check
//! the charts these sections add, their caps, and their empty notes.

use std::collections::{BTreeMap, BTreeSet};

use mlperf_health::model::*;
use mlperf_health::render::timecharts::{MAX_GPU_CHARTS, MAX_TRACE_RUNS};
use mlperf_health::render::view::{ReportView, Target};
use mlperf_health::render::{Format, OutputFile, render_all};

use crate::render::{empty_report, sample_report};

/// Hostile text for free-text fields: HTML, a table pipe, backticks,
/// template syntax, an ANSI escape and Markdown emphasis.
pub const H: &str = "<script>alert(2)</script>|`tick`{{ y }}{% if %}\x1b[31m*em*_u_";
/// A hostile node name (only in the new sections: the step matrix and
/// cluster tables keep their own names).
pub const HOSTILE_NODE: &str = "node-<b>|`n`{{ n }}\x1b[1m";

fn ev(path: &str, line: u64, text: &str) -> Evidence {
    Evidence::new(path, Some(line), text)
}

fn dist(scale_ns: u64, count_per: &[u64]) -> Distribution {
    let mut buckets = Vec::new();
    let mut lower = scale_ns;
    for c in count_per {
        let upper = lower + lower / 4;
        if *c > 0 {
            buckets.push(HistogramBucket {
                lower_ns: lower,
                upper_ns: upper,
                count: *c,
            });
        }
        lower = upper;
    }
    let count = count_per.iter().sum();
    Distribution {
        count,
        min_ns: scale_ns,
        max_ns: lower,
        mean_ns: scale_ns * 2,
        p50_ns: scale_ns * 2,
        p90_ns: scale_ns * 3,
        p99_ns: scale_ns * 4,
        buckets,
        ..Distribution::default()
    }
}

fn trace(path: &str, complete: bool, ttft: bool) -> Located<LoadGenTrace> {
    Located {
        path: path.to_string(),
        value: LoadGenTrace {
            layout: Some("traceEvents".to_string()),
            events: 600,
            event_names: BTreeMap::from([("Sample".to_string(), 200)]),
            samples: 100,
            latency: Some(dist(20_000_000, &[2, 5, 9, 20, 30, 18, 9, 4, 2, 1])),
            ttft: ttft.then(|| dist(8_000_000, &[10, 30, 40, 15, 5])),
            ttft_source: ttft.then(|| "Token".to_string()),
            timeline: Some(TraceTimeline {
                bin_us: 2000,
                issued: vec![100, 0, 0, 0, 0, 0],
                completed: vec![0, 10, 30, 30, 20, 10],
            }),
            last_completion_s: Some(0.012),
            defective_events: 3,
            malformed_events: u64::from(!complete),
            oversized_events: 0,
            complete,
        },
    }
}

fn submission_path(kind: &str, run: Option<&str>) -> SubmissionPath {
    SubmissionPath {
        division: Some("closed".to_string()),
        org: Some(format!("Org{H}")),
        system: Some(format!("sys{H}")),
        benchmark: format!("llama2-70b-99{H}"),
        scenario: Some(Scenario::Offline),
        scenario_dir: "Offline".to_string(),
        kind: Some(kind.to_string()),
        mode: None,
        run: run.map(str::to_string),
    }
}

/// `loadgen_extra`: two traced runs (one cut short, one with TTFT), an
/// accuracy run with a mismatching log and an `accuracy.txt`, a system, a
/// `measurements.json` and a `user.conf`.
pub fn loadgen_extra() -> LoadGenExtraReport {
    LoadGenExtraReport {
        runs: vec![
            RunExtra {
                run: "results/node-a/Offline/performance/run_1".to_string(),
                node: Some("node-a".to_string()),
                submission: Some(submission_path("performance", Some("run_1"))),
                system_file: Some(format!("systems/{H}.json")),
                trace: Some(trace(
                    &format!("results/node-a/{H}/mlperf_log_trace.json"),
                    true,
                    true,
                )),
                accuracy_log: None,
                accuracy_count: None,
                accuracy_result: None,
            },
            RunExtra {
                run: format!("results/{H}/Offline/accuracy"),
                node: Some(HOSTILE_NODE.to_string()),
                submission: Some(submission_path("accuracy", None)),
                system_file: None,
                trace: Some(trace("results/x/mlperf_log_trace.json", false, false)),
                accuracy_log: Some(Located {
                    path: format!("results/{H}/mlperf_log_accuracy.json"),
                    value: AccuracyLog {
                        entries: 9,
                        distinct_qsl_idx: Some(8),
                        duplicates: Some(1),
                        min_qsl_idx: Some(0),
                        max_qsl_idx: Some(44),
                        dedup_checked: true,
                        token_count: Some(CountStats {
                            count: 9,
                            sum: 900,
                            min: 50,
                            max: 150,
                        }),
                        truncated: false,
                        complete: false,
                        malformed_lines: 2,
                    },
                }),
                accuracy_count: Some(AccuracyCountCheck {
                    expected: 24_576,
                    source: "effective_accuracy_sample_count".to_string(),
                    exact: true,
                    entries: 9,
                    coverage: Some(8.0 / 24_576.0),
                    matches: false,
                }),
                accuracy_result: Some(Located {
                    path: format!("results/{H}/accuracy.txt"),
                    value: AccuracyResult {
                        metrics: BTreeMap::from([
                            (
                                "rouge1".to_string(),
                                AccuracyMetric {
                                    value: 44.4312,
                                    line: 2,
                                },
                            ),
                            (
                                format!("metric{H}"),
                                AccuracyMetric {
                                    value: 4_165_860.0,
                                    line: 3,
                                },
                            ),
                        ]),
                        checks: Capped {
                            items: vec![
                                AccuracyCheck {
                                    line: 5,
                                    text: format!("TEST FAIL {H}"),
                                    passed: Some(false),
                                },
                                AccuracyCheck {
                                    line: 6,
                                    text: "First token check pass: True".to_string(),
                                    passed: Some(true),
                                },
                            ],
                            total: 3,
                        },
                        hash: Some(format!("abc{H}")),
                        lines: 7,
                    },
                }),
            },
        ],
        systems: vec![SystemEntry {
            name: format!("sys{H}"),
            path: format!("systems/sys{H}.json"),
            description: SystemDescription {
                system_name: Some(format!("Box {H}")),
                submitter: Some(format!("Org {H}")),
                division: Some("closed".to_string()),
                status: Some("available".to_string()),
                system_type: Some("datacenter".to_string()),
                number_of_nodes: Some(2),
                accelerator_model_name: Some(format!("GPU {H}")),
                accelerators_per_node: Some(8),
                accelerator_memory_capacity: Some("80 GB".to_string()),
                host_processor_model_name: Some(format!("CPU {H}")),
                host_processors_per_node: Some(2),
                host_processor_core_count: Some(64),
                host_memory_capacity: Some("2 TB".to_string()),
                framework: Some(format!("vLLM {H}")),
                operating_system: Some(format!("Linux {H}")),
                other_software_stack: None,
            },
        }],
        measurements: vec![MeasurementsEntry {
            path: format!("results/{H}/measurements.json"),
            scope: Some(submission_path("", None)),
            measurements: Measurements {
                input_data_types: Some(format!("fp16{H}")),
                retraining: Some("No".to_string()),
                starting_weights_filename: None,
                weight_data_types: Some("fp8".to_string()),
                weight_transformations: None,
                missing: vec![
                    "starting_weights_filename".to_string(),
                    format!("weight_transformations{H}"),
                ],
            },
        }],
        configs: vec![ConfigSummary {
            path: format!("results/{H}/user.conf"),
            scope: None,
            entries: 2,
            models: vec!["*".to_string(), format!("llama{H}")],
            malformed_lines: 1,
            overrides: vec![ConfigEntry {
                line: 1,
                model: format!("llama{H}"),
                scenario: "Offline".to_string(),
                key: "target_qps".to_string(),
                value: format!("93{H}"),
            }],
        }],
        compliance: vec![ComplianceTest {
            folder: format!("results/{H}/Offline/TEST04"),
            test: Some("TEST04".to_string()),
            scope: Some(submission_path("TEST04", None)),
            verdict: ComplianceVerdict::Fail,
            files: vec![Located {
                path: format!("results/{H}/Offline/TEST04/verify_performance.txt"),
                value: ComplianceVerify {
                    check: "performance".to_string(),
                    verdict: ComplianceVerdict::Fail,
                    verdict_line: Some(4),
                    verdict_text: Some(format!("TEST FAIL {H}")),
                    counters: BTreeMap::from([(
                        format!("num_{H}"),
                        AccuracyMetric {
                            value: 3.0,
                            line: 2,
                        },
                    )]),
                    reference_score: Some(AccuracyMetric {
                        value: 18.5856,
                        line: 2,
                    }),
                    test_score: Some(AccuracyMetric {
                        value: 21.2001,
                        line: 3,
                    }),
                    relative_difference: Some((21.2001 - 18.5856) / 18.5856),
                    checks: Capped {
                        items: vec![AccuracyCheck {
                            line: 4,
                            text: format!("TEST FAIL {H}"),
                            passed: Some(false),
                        }],
                        total: 1,
                    },
                    lines: 4,
                },
            }],
            missing: vec![format!("verify_accuracy{H}.txt")],
        }],
    }
}

/// A GPU series with `n` one-second samples ramping up to load.
pub fn series(index: u32, n: u32) -> GpuSeries {
    let mut g = GpuSeries {
        key: format!("index={index}"),
        index: Some(index),
        uuid: Some(format!("GPU-{index}")),
        pci_bus_id: Some(format!("00000000:0{index}:00.0{H}")),
        name: Some(format!("NVIDIA H100 {H}")),
        driver_version: Some("550.90.07".to_string()),
        memory_total_mib: Some(81_559.0),
        power_limit_w: Some(700.0),
        first_timestamp: Some("2026/07/14 08:12:38.696".to_string()),
        last_timestamp: Some("2026/07/14 08:13:08.696".to_string()),
        duration_s: Some(f64::from(n.saturating_sub(1))),
        busy_samples: u64::from(n - n / 3),
        thermal_throttle_samples: u64::from(n / 10),
        power_capped_busy_samples: u64::from(n / 8),
        throttle_reasons_seen: BTreeSet::from(["sw_power_cap".to_string(), format!("r{H}")]),
        ecc_uncorrectable_max: Some(0),
        retired_pages_pending: None,
        remapped_rows_pending: Some(false),
        remapping_failure: Some(true),
        evidence: Some(ev(&format!("probes/{H}/gpu.csv"), 2, "first row")),
        ..GpuSeries::default()
    };
    for i in 0..n {
        let t = f64::from(i);
        let util = if i < n / 3 { 0.0 } else { 98.0 };
        // Every fifth sample lacks a power reading: a gap, not a zero.
        let power = (i % 5 != 4).then_some(70.0 + 20.0 * t);
        g.add_sample(
            t,
            [
                Some(util),
                Some(1000.0 * t),
                power,
                Some(40.0 + t),
                Some(1980.0),
            ],
        );
    }
    g
}

/// `gpu_probes`: a telemetry series (charted), a snapshot on a hostile
/// node (not charted), a `nvidia-smi -q` text dump and a failing DCGM run.
pub fn gpu_probes() -> GpuProbesReport {
    let mut snapshot = series(1, 1);
    snapshot.name = None;
    GpuProbesReport {
        telemetry: vec![
            TelemetryRow {
                node: "node-a".to_string(),
                path: format!("probes/node-a/{H}.csv"),
                telemetry: true,
                gpu: series(0, 30),
            },
            TelemetryRow {
                node: HOSTILE_NODE.to_string(),
                path: "probes/x/gpu.csv".to_string(),
                telemetry: false,
                gpu: snapshot,
            },
        ],
        dcgm: vec![DcgmRow {
            node: HOSTILE_NODE.to_string(),
            path: format!("dcgm/{H}.json"),
            diag: DcgmDiag {
                root: Some("DCGM Diagnostic".to_string()),
                layout: Some("4.x".to_string()),
                version: Some(format!("4.1.1{H}")),
                driver_version: Some("550.90.07".to_string()),
                runtime_error: None,
                overall_result: None,
                tests: vec![
                    DcgmTest {
                        category: Some("Hardware".to_string()),
                        name: format!("Memory{H}"),
                        summary_status: None,
                        summary_info: Some(format!("whole-test note{H}")),
                        results: vec![
                            DcgmResult {
                                entity_group: Some("GPU".to_string()),
                                entity: Some("1".to_string()),
                                status: "Fail".to_string(),
                                // No note of its own: the test's summary
                                // note is shown instead, escaped the same.
                                info: None,
                                warnings: vec![DcgmWarning {
                                    warning: format!("DBE on GPU 1 {H}"),
                                    error_id: Some(95),
                                    error_category: Some(10),
                                    category_name: Some("HARDWARE_MEMORY".to_string()),
                                    error_severity: Some(2),
                                    severity_name: Some("ISOLATE".to_string()),
                                }],
                                evidence: ev(&format!("dcgm/{H}.json"), 40, "Memory: Fail"),
                            },
                            DcgmResult {
                                entity_group: Some("GPU".to_string()),
                                entity: Some("0".to_string()),
                                status: "Pass".to_string(),
                                info: None,
                                warnings: Vec::new(),
                                evidence: ev("dcgm/x.json", 30, "Memory: Pass"),
                            },
                        ],
                    },
                    DcgmTest {
                        category: Some("Deployment".to_string()),
                        name: "Denylist".to_string(),
                        summary_status: Some("Pass".to_string()),
                        summary_info: None,
                        results: Vec::new(),
                    },
                ],
                entities: Vec::new(),
                status_counts: BTreeMap::from([("Fail".to_string(), 1), ("Pass".to_string(), 2)]),
            },
        }],
        text_dumps: vec![TextDumpRow {
            node: "node-b".to_string(),
            path: format!("probes/node-b/{H}.txt"),
            dump: NvidiaSmiText {
                logs: 1,
                timestamp: Some(format!("Thu Mar 14 {H}")),
                driver_version: Some(format!("535{H}")),
                cuda_version: Some("12.2".to_string()),
                attached_gpus: Some(8),
                gpus: vec![TextGpu {
                    probe: GpuProbe {
                        index: 3,
                        pci_bus_id: Some(format!("00000004:00:00.0{H}")),
                        name: Some(format!("A100{H}")),
                        temperature_c: Some(61.0),
                        power_draw_w: Some(250.5),
                        power_limit_w: Some(400.0),
                        ecc_mode: Some("Enabled".to_string()),
                        ecc_volatile_uncorrectable: Some(0),
                        retired_pages: Some(65),
                        retired_pages_pending: Some(true),
                        throttle_reasons_active: vec![format!("hw_slowdown{H}")],
                        evidence: Some(ev(&format!("probes/node-b/{H}.txt"), 27, "GPU")),
                        ..GpuProbe::default()
                    },
                    retired_pages_sbe: Some(60),
                    retired_pages_dbe: Some(5),
                    performance_state: Some(format!("P0{H}")),
                    temperature_tlimit_c: Some(26.0),
                    temperature_slowdown_tlimit_c: None,
                    lines: BTreeMap::new(),
                }],
                driver_evidence: None,
                cuda_evidence: None,
            },
        }],
        ..GpuProbesReport::default()
    }
}

fn fact(key: &str, path: &str, line: u64, text: &str) -> KernelFact {
    KernelFact {
        key: key.to_string(),
        count: 2,
        first_timestamp: Some(format!("7211.4{H}")),
        last_timestamp: Some("7300.1".to_string()),
        first: ev(path, line, text),
    }
}

/// `platform`: a kernel log with Xid, SXid and every other event kind, a
/// clean log, two Kubernetes nodes (one not ready, with pressure and a
/// hostile name), and pods, jobs and run records by outcome.
pub fn platform() -> PlatformReport {
    let log = format!("nodes/node-b/{H}/dmesg.log");
    PlatformReport {
        kernel_logs: vec![
            KernelLogRow {
                node: HOSTILE_NODE.to_string(),
                path: log.clone(),
                lines: 1200,
                formats: vec![KernelLogFormat::DmesgRaw, KernelLogFormat::Syslog],
                first_timestamp: Some(format!("7000.0{H}")),
                last_timestamp: Some("7700.2".to_string()),
                xids: vec![
                    XidFact {
                        pci: format!("0000:3b:00{H}"),
                        code: 79,
                        lines: 3,
                        first_timestamp: Some("7600.1".to_string()),
                        last_timestamp: Some("7600.2".to_string()),
                        first: ev(&log, 8, &format!("NVRM: Xid (PCI:0000:3b:00): 79, {H}")),
                    },
                    XidFact {
                        pci: "0000:3b:00".to_string(),
                        code: 13,
                        lines: 16,
                        first_timestamp: None,
                        last_timestamp: None,
                        first: ev(&log, 1, "NVRM: Xid (PCI:0000:3b:00): 13, pid=1"),
                    },
                    XidFact {
                        pci: "0000:3b:00".to_string(),
                        code: 999,
                        lines: 1,
                        first_timestamp: None,
                        last_timestamp: None,
                        first: ev(&log, 2, "NVRM: Xid (PCI:0000:3b:00): 999"),
                    },
                ],
                sxids: vec![XidFact {
                    pci: "0000:06:00.0".to_string(),
                    code: 12028,
                    lines: 1,
                    first_timestamp: Some("7500.0".to_string()),
                    last_timestamp: Some("7500.0".to_string()),
                    first: ev(&log, 7, &format!("nvidia-nvswitch1: SXid {H}")),
                }],
                oom_kills: vec![fact(
                    &format!("python{H}"),
                    &log,
                    9,
                    &format!("oom-kill {H}"),
                )],
                hung_tasks: vec![fact("python3", &log, 1, "INFO: task python3:1 blocked")],
                soft_lockups: vec![fact("pt_main_thread", &log, 4, "soft lockup")],
                readonly_remounts: vec![fact("nvme0n1p1", &log, 6, "Remounting read-only")],
                nccl_segfaults: vec![fact("pt_main_thread", &log, 10, "segfault in libnccl.so")],
            },
            KernelLogRow {
                node: "node-a".to_string(),
                path: "nodes/node-a/dmesg.log".to_string(),
                lines: 200,
                formats: Vec::new(),
                first_timestamp: None,
                last_timestamp: None,
                xids: Vec::new(),
                sxids: Vec::new(),
                oom_kills: Vec::new(),
                hung_tasks: Vec::new(),
                soft_lockups: Vec::new(),
                readonly_remounts: Vec::new(),
                nccl_segfaults: Vec::new(),
            },
        ],
        kubernetes_nodes: vec![
            KubeNodeRow {
                source: "kubernetes/nodes.json".to_string(),
                node: KubeNode {
                    name: HOSTILE_NODE.to_string(),
                    ready: Some("False".to_string()),
                    ready_detail: Some(format!("KubeletNotReady: {H}")),
                    pressures: vec!["MemoryPressure".to_string(), format!("X{H}")],
                    unschedulable: true,
                    gpu_capacity: Some(8),
                    gpu_allocatable: Some(7),
                    mig_capacity: None,
                    gpu_product: Some(format!("NVIDIA-H100{H}")),
                    gpu_count_label: Some(8),
                    gpu_memory_mib: Some(81_559),
                    gpu_present: Some(true),
                    driver_version: Some(format!("550{H}")),
                    cuda_version: Some("12.4".to_string()),
                    mig_capable: Some(false),
                    kubelet_version: Some(format!("v1.31{H}")),
                    container_runtime: Some("containerd://1.7".to_string()),
                    os_image: Some(format!("Ubuntu{H}")),
                    kernel_version: Some("5.15".to_string()),
                    conditions: vec![
                        KubeCondition {
                            kind: "Ready".to_string(),
                            status: "False".to_string(),
                            reason: Some("KubeletNotReady".to_string()),
                            message: Some(format!("cni {H}")),
                        },
                        KubeCondition {
                            kind: "MemoryPressure".to_string(),
                            status: "True".to_string(),
                            reason: None,
                            message: None,
                        },
                        KubeCondition {
                            kind: format!("Custom{H}"),
                            status: "True".to_string(),
                            reason: None,
                            message: None,
                        },
                    ],
                    evidence: ev("kubernetes/nodes.json", 8, "node"),
                },
            },
            KubeNodeRow {
                source: "kubernetes/nodes.json".to_string(),
                node: KubeNode {
                    name: "node-a".to_string(),
                    ready: Some("True".to_string()),
                    ready_detail: None,
                    pressures: Vec::new(),
                    unschedulable: false,
                    gpu_capacity: None,
                    gpu_allocatable: None,
                    mig_capacity: None,
                    gpu_product: Some("NVIDIA-A100".to_string()),
                    gpu_count_label: None,
                    gpu_memory_mib: None,
                    gpu_present: Some(true),
                    driver_version: None,
                    cuda_version: None,
                    mig_capable: None,
                    kubelet_version: None,
                    container_runtime: None,
                    os_image: None,
                    kernel_version: None,
                    conditions: Vec::new(),
                    evidence: ev("kubernetes/nodes.json", 90, "node"),
                },
            },
        ],
        pods_by_outcome: BTreeMap::from([(Outcome::Ok, 1), (Outcome::Failed, 7)]),
        jobs_by_outcome: BTreeMap::from([(Outcome::Ok, 2)]),
        run_records_by_outcome: BTreeMap::new(),
    }
}

/// `software_inventory`: two nodes' dumps (one with hostile keys and
/// values), torch drift, and a capped package diff.
pub fn software_inventory() -> SoftwareReport {
    let versions = |torch: &str| {
        BTreeMap::from([
            ("python".to_string(), "3.11.7".to_string()),
            ("torch".to_string(), torch.to_string()),
            ("cuda.runtime".to_string(), "12.4".to_string()),
            ("os".to_string(), "Debian GNU/Linux 12".to_string()),
            ("kernel".to_string(), "6.1.0".to_string()),
        ])
    };
    let mut b = versions(&format!("2.4.0{H}"));
    b.insert(format!("key{H}"), format!("value{H}"));
    SoftwareReport {
        nodes: vec![
            NodeSoftware {
                node: "node-a".to_string(),
                dumps: vec![
                    DumpRef {
                        path: "nodes/node-a/pip-list.json".to_string(),
                        kind: DumpKind::PipList,
                        packages: 120,
                    },
                    DumpRef {
                        path: "nodes/node-a/uname.txt".to_string(),
                        kind: DumpKind::Uname,
                        packages: 0,
                    },
                ],
                versions: versions("2.3.0"),
                packages: 120,
            },
            NodeSoftware {
                node: HOSTILE_NODE.to_string(),
                dumps: vec![DumpRef {
                    path: format!("nodes/b/{H}/collect_env.txt"),
                    kind: DumpKind::CollectEnv,
                    packages: 80,
                }],
                versions: b,
                packages: 80,
            },
        ],
        drift: vec![SoftwareDrift {
            key: "torch".to_string(),
            component: "PyTorch".to_string(),
            versions: BTreeMap::from([
                ("node-a".to_string(), "2.3.0".to_string()),
                (HOSTILE_NODE.to_string(), format!("2.4.0{H}")),
            ]),
            evidence: vec![
                ev("nodes/node-a/pip-list.json", 40, "torch = 2.3.0"),
                ev(
                    &format!("nodes/b/{H}/collect_env.txt"),
                    7,
                    &format!("torch = {H}"),
                ),
            ],
        }],
        package_nodes: vec!["node-a".to_string(), HOSTILE_NODE.to_string()],
        package_diff: vec![
            PackageDiff {
                package: format!("evil{H}"),
                versions: BTreeMap::from([
                    ("node-a".to_string(), Some("1.0".to_string())),
                    (HOSTILE_NODE.to_string(), None),
                ]),
            },
            PackageDiff {
                package: "numpy".to_string(),
                versions: BTreeMap::from([
                    ("node-a".to_string(), Some("1.26.4".to_string())),
                    (HOSTILE_NODE.to_string(), Some(format!("2.0{H}"))),
                ]),
            },
        ],
        package_diff_total: 250,
    }
}

/// Put data in all four sections of `r`.
pub fn fill(r: &mut Report) {
    r.loadgen_extra = loadgen_extra();
    r.gpu_probes = gpu_probes();
    r.platform = platform();
    r.software_inventory = software_inventory();
}

fn render(report: &Report) -> Vec<OutputFile> {
    match render_all(report, &[Format::Markdown, Format::Html, Format::Json]) {
        Ok(files) => files,
        Err(e) => panic!("render failed: {e}"),
    }
}

fn text(f: &OutputFile) -> &str {
    std::str::from_utf8(&f.bytes).unwrap_or_else(|e| panic!("{}: {e}", f.path))
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    match files.iter().find(|f| f.path == path) {
        Some(f) => text(f),
        None => panic!("{path} not rendered"),
    }
}

fn chart_names(files: &[OutputFile]) -> Vec<&str> {
    files
        .iter()
        .filter_map(|f| f.path.strip_prefix("charts/"))
        .collect()
}

/// The text of the first `<text>` element: the chart's title.
fn first_text(svg: &str) -> &str {
    let Some(start) = svg.find("<text") else {
        return "";
    };
    let rest = &svg[start..];
    let Some(open) = rest.find('>') else {
        return "";
    };
    let body = &rest[open + 1..];
    body.split("</text>").next().unwrap_or("").trim()
}

#[test]
fn the_new_charts_are_written_titled_labelled_and_inlined() {
    let files = render(&sample_report());
    assert_eq!(
        chart_names(&files),
        [
            "scores.svg",
            "throughput.svg",
            "latency.svg",
            "findings.svg",
            "trace_latency_1.svg",
            "trace_timeline_1.svg",
            "trace_latency_2.svg",
            "trace_timeline_2.svg",
            "gpu_1.svg",
        ]
    );
    let html = file(&files, "report.html");
    let md = file(&files, "report.md");
    for f in files.iter().filter(|f| f.path.starts_with("charts/")) {
        let svg = text(f);
        let title = first_text(svg);
        assert!(!title.is_empty(), "{} has no title", f.path);
        let labels: &[&str] = if f.path.contains("trace_latency") {
            &["latency (ms, log scale)", "samples per bucket"]
        } else if f.path.contains("trace_timeline") {
            &["seconds since the test started", "samples (cumulative)"]
        } else if f.path.contains("gpu_") {
            &[
                "seconds since the first sample",
                "utilisation (%)",
                "power (W)",
                "temperature (°C)",
            ]
        } else {
            &[]
        };
        for l in labels {
            assert!(svg.contains(l), "{} lacks axis label {l}", f.path);
        }
        // Inlined in the page, without the namespace URL; referenced from
        // the Markdown.
        let inline = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        assert!(html.contains(&inline), "{} is not inlined", f.path);
        assert!(
            md.contains(&format!("]({})", f.path)),
            "{} not in report.md",
            f.path
        );
        assert!(
            !svg.contains("<script") && !svg.contains('\x1b'),
            "{}",
            f.path
        );
    }
    assert_eq!(html.matches("<svg ").count(), chart_names(&files).len());
    // Hostile text from the inputs reaches chart titles only escaped.
    let t2 = file(&files, "charts/trace_latency_2.svg");
    assert!(
        first_text(t2).starts_with("Latency: …"),
        "{}",
        first_text(t2)
    );
    assert!(t2.contains("@ node-&lt;b&gt;|`n`{{"), "{}", first_text(t2));
    // Figures are linked from the telemetry table.
    assert!(html.contains("<a href=\"#chart-gpu_1\">chart</a>"));
    assert!(html.contains("<figure class=\"chart\" id=\"chart-gpu_1\">"));
}

#[test]
fn chart_counts_are_capped_with_a_note() {
    let mut r = sample_report();
    let extra = loadgen_extra();
    let traced = extra.runs[0].clone();
    r.loadgen_extra.runs = (0..MAX_TRACE_RUNS + 3)
        .map(|i| RunExtra {
            run: format!("results/run_{i}"),
            ..traced.clone()
        })
        .collect();
    let row = gpu_probes().telemetry[0].clone();
    r.gpu_probes.telemetry = (0..MAX_GPU_CHARTS as u32 + 4)
        .map(|i| TelemetryRow {
            gpu: series(i % 8, 12),
            node: format!("node-{}", i / 8),
            ..row.clone()
        })
        .collect();
    let files = render(&r);
    let names = chart_names(&files);
    let count = |p: &str| names.iter().filter(|n| n.starts_with(p)).count();
    assert_eq!(count("trace_latency_"), MAX_TRACE_RUNS);
    assert_eq!(count("trace_timeline_"), MAX_TRACE_RUNS);
    assert_eq!(count("gpu_"), MAX_GPU_CHARTS);
    let md = file(&files, "report.md");
    assert!(md.contains(&format!(
        "Charts for the first {MAX_TRACE_RUNS} of {} traced runs; the table lists every run.",
        MAX_TRACE_RUNS + 3
    )));
    assert!(md.contains(&format!(
        "Charts for the first {MAX_GPU_CHARTS} of {} GPU series; the table lists every GPU.",
        MAX_GPU_CHARTS + 4
    )));
    // Every run and GPU is still in the tables.
    assert!(md.contains(&format!("results/run\\_{}", MAX_TRACE_RUNS + 2)));
    let html = file(&files, "report.html");
    assert_eq!(html.matches("<svg ").count(), names.len());
}

#[test]
fn empty_sections_say_what_would_fill_them() {
    let files = render(&empty_report());
    let md = file(&files, "report.md");
    for note in [
        "No LoadGen trace (mlperf\\_log\\_trace.json) was read",
        "No submission tree, accuracy log with entries, accuracy.txt",
        "No nvidia-smi --query-gpu CSV was read",
        "No plain nvidia-smi -q text dump was read.",
        "No DCGM diagnostic (dcgmi diag -r 3 -j) was read",
        "No kernel log (dmesg or syslog), Kubernetes object list",
        "No software dump was read (python -m torch.utils.collect\\_env",
    ] {
        assert!(md.contains(note), "missing empty note: {note}");
    }
    // Only the four fixed charts without data.
    assert_eq!(chart_names(&files).len(), 4);
}

#[test]
fn not_observed_is_not_not_assessed() {
    // Kernel logs read and clean: "not observed"; none read: not assessed.
    let mut r = empty_report();
    r.platform = platform();
    r.platform.kernel_logs.truncate(1);
    r.platform.kernel_logs[0].xids.clear();
    r.platform.kernel_logs[0].sxids.clear();
    let v = ReportView::new(&r, Target::Html);
    assert_eq!(
        v.platform.xids_empty_note,
        "No NVIDIA Xid or SXid line in the 1 kernel log read (not observed)."
    );
    let v = ReportView::new(&empty_report(), Target::Html);
    assert!(!v.platform.has_data);
    assert!(v.platform.xids_empty_note.contains("not assessed"));
}

#[test]
fn status_words_stand_next_to_colours() {
    let v = ReportView::new(&sample_report(), Target::Html);
    let words: Vec<(&str, &str)> = v
        .platform
        .xids
        .iter()
        .map(|x| (x.code.as_str(), x.tone.as_str()))
        .collect();
    assert_eq!(
        words,
        [
            ("Xid 79", "crit"),
            ("Xid 13", "warn"),
            ("Xid 999", "bad"),
            ("SXid 12028", "bad")
        ]
    );
    assert_eq!(v.platform.xids[0].meaning, "GPU has fallen off the bus");
    assert!(v.platform.kube_nodes[0].ready.starts_with("NOT ready"));
    assert_eq!(v.platform.kube_nodes[0].ready_tone, "crit");
    assert_eq!(
        v.platform.kube_nodes[1].gpus,
        "labelled, but none advertised"
    );
    let custom = v
        .platform
        .kube_conditions
        .iter()
        .find(|c| c.kind.starts_with("Custom"));
    assert_eq!(custom.map(|c| c.tone.as_str()), Some("na"));
    assert_eq!(v.hardware.probes.dcgm[0].result, "Fail");
    assert_eq!(v.hardware.probes.dcgm_problems.len(), 1);
    assert_eq!(v.submission.accuracy_logs[0].count_status, "MISMATCH");
    assert_eq!(
        v.performance.traces.runs[1].state,
        "cut short: no LastTrace event"
    );
    // Missing readings are said, never zero.
    let snapshot = &v.hardware.probes.telemetry[1];
    assert_eq!(snapshot.samples, "1 snapshot");
    assert_eq!(snapshot.chart, "");
    assert_eq!(v.performance.traces.runs[1].ttft.p99, "—");
}

#[test]
fn hostile_text_in_the_new_sections_is_escaped_everywhere() {
    let files = render(&sample_report());
    let md = file(&files, "report.md");
    let html = file(&files, "report.html");
    for (name, out) in [("md", md), ("html", html)] {
        assert!(!out.contains('\x1b'), "{name}: ANSI escape kept");
        assert!(!out.contains("<script"), "{name}: raw script element");
        assert!(!out.contains("<b>|"), "{name}: raw HTML from a node name");
        // Template syntax from the inputs is text, never evaluated.
        assert!(
            out.contains("{{ y }}{% if %}"),
            "{name}: template text lost"
        );
    }
    assert!(html.contains("&lt;script&gt;alert(2)&lt;&#x2F;script&gt;|`tick`{{ y }}"));
    assert!(md.contains("&lt;script&gt;alert(2)&lt;/script&gt;\\|\\`tick\\`{{ y }}"));
    // Markdown is not processed inside an HTML block, so a summary line must
    // hold no Markdown escapes (they would show as backslashes).
    for line in md.lines().filter(|l| l.contains("<summary>")) {
        assert!(!line.contains('\\'), "escaped text in a summary: {line}");
    }
    // Every section of the sample report has its data, not its empty note.
    let v = ReportView::new(&sample_report(), Target::Markdown);
    assert!(v.platform.has_data && v.submission.has_data);
    assert!(!v.software.inventory.nodes.is_empty());
    assert!(!v.hardware.probes.telemetry.is_empty());
    assert!(!v.performance.traces.runs.is_empty());
}
