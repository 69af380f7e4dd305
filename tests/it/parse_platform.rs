//! Kernel-log, kubectl and run-record parsers over the real, generated and
//! hand-made fixtures in `fixtures/`: one YAML snapshot per file (parsed
//! value, warnings, and what reached the sink), content sniffing under
//! unhelpful names, the benign dmesg corpus, and the platform signals and
//! report section end to end.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use mlperf_health::analyze::rules::RuleSet;
use mlperf_health::discover::sniff_bytes;
use mlperf_health::model::{
    ArtifactKind, HarnessRun, KernelLog, Kubectl, Outcome, ParseWarning, Stream,
};
use mlperf_health::parse::{LineOrigin, LineSink, kernel_log, kubectl, run_record};
use mlperf_health::pipeline::{ReportOptions, build_report};
use serde::Serialize;

use crate::util::{files_below, repo};

fn fixtures() -> PathBuf {
    repo().join("fixtures")
}

/// The fixture's path relative to `fixtures/`, as the parsers would get it
/// relative to an artifacts root.
fn rel(path: &Path) -> String {
    path.strip_prefix(fixtures())
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn open(path: &Path) -> BufReader<File> {
    BufReader::new(File::open(path).expect("fixture opens"))
}

fn head(path: &Path) -> Vec<u8> {
    let mut buf = Vec::new();
    File::open(path)
        .expect("fixture opens")
        .take(4096)
        .read_to_end(&mut buf)
        .expect("fixture reads");
    buf
}

#[derive(Debug, Serialize)]
struct SinkLine {
    line: u64,
    node: Option<String>,
    step: Option<String>,
    stream: Stream,
    locator: Option<String>,
    text: String,
}

#[derive(Debug, Default)]
struct RecordingSink(Vec<SinkLine>);

impl LineSink for RecordingSink {
    fn line(&mut self, o: &LineOrigin<'_>, text: &str) {
        self.0.push(SinkLine {
            line: o.line,
            node: o.node.map(str::to_string),
            step: o.step.map(str::to_string),
            stream: o.stream,
            locator: o.locator.map(str::to_string),
            text: text.to_string(),
        });
    }
}

/// A sink line a built-in rule matched: kernel logs hand every line to the
/// sink, so the snapshot keeps only what the rules made of them.
#[derive(Debug, Serialize)]
struct RuleHit {
    line: u64,
    rule: String,
}

#[derive(Serialize)]
struct KernelSnapshot {
    value: KernelLog,
    warnings: Vec<ParseWarning>,
    lines_to_sink: usize,
    rule_hits: Vec<RuleHit>,
}

fn snapshot_kernel(name: &str, path: &Path) {
    let rules = RuleSet::builtin().unwrap();
    let mut sink = RecordingSink::default();
    let p = kernel_log::parse(&rel(path), open(path), Some("node-a"), &mut sink);
    assert!(sink.0.iter().all(|l| l.stream == Stream::Log
        && l.node.as_deref() == Some("node-a")
        && l.step.is_none()));
    let rule_hits = sink
        .0
        .iter()
        .filter_map(|l| {
            rules.match_line(&l.text).map(|r| RuleHit {
                line: l.line,
                rule: r.id.clone(),
            })
        })
        .collect();
    insta::assert_yaml_snapshot!(
        name,
        KernelSnapshot {
            value: p.value,
            warnings: p.warnings,
            lines_to_sink: sink.0.len(),
            rule_hits,
        }
    );
}

#[test]
fn kernel_log_fixture() {
    insta::glob!("../../fixtures/probes/kernel-log", "*.log", |path| {
        snapshot_kernel("kernel_log", path)
    });
}

#[test]
fn kernel_log_bad_input() {
    insta::glob!(
        "../../fixtures/bad-input/kernel-log",
        "handmade-*",
        |path| { snapshot_kernel("kernel_log_bad", path) }
    );
}

/// A healthy boot log is real text no rule may fire on.
#[test]
fn no_rule_fires_on_the_generated_dmesg_corpus() {
    let rules = RuleSet::builtin().unwrap();
    let dir = fixtures().join("probes/kernel-log");
    let mut checked = 0;
    for f in files_below(&dir)
        .into_iter()
        .filter(|f| f.starts_with("vm-dmesg-"))
    {
        let text = std::fs::read_to_string(dir.join(&f)).unwrap();
        for (i, line) in text.lines().enumerate() {
            checked += 1;
            if let Some(r) = rules.match_line(line) {
                panic!("{f}:{}: rule {} matched benign line {line:?}", i + 1, r.id);
            }
        }
    }
    assert_eq!(checked, 600, "three 200-line captures expected");
}

/// The same real gpud lines, whatever prefix they carry, give the same
/// facts and the same rule hits.
#[test]
fn every_prefix_format_yields_the_same_facts() {
    let dir = fixtures().join("probes/kernel-log");
    let facts = |name: &str| {
        let path = dir.join(name);
        let p = kernel_log::parse(name, open(&path), None, &mut mlperf_health::parse::NullSink);
        assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
        let v = p.value;
        let keys = |f: &[mlperf_health::model::KernelFact]| -> Vec<(String, u64)> {
            f.iter().map(|f| (f.key.clone(), f.count)).collect()
        };
        (
            v.xids
                .iter()
                .map(|x| (x.pci.clone(), x.code, x.lines))
                .collect::<Vec<_>>(),
            keys(&v.oom_kills),
            keys(&v.nccl_segfaults),
            v.untimed_lines,
        )
    };
    let want = facts("handmade-gpud-lines-raw.log");
    for fmt in ["ctime", "syslog", "journal-iso", "rfc5424"] {
        assert_eq!(
            facts(&format!("handmade-gpud-lines-{fmt}.log")),
            want,
            "{fmt}"
        );
    }
    let (xids, oom, _, _) = facts("gpud-dmesg-xid13-43-oom.log");
    assert_eq!((xids, oom), (want.0.clone(), want.1.clone()));
    assert_eq!(facts("gpud-dmesg-nccl-segfault.log").2, want.2);
}

#[derive(Serialize)]
struct KubectlSnapshot {
    value: Kubectl,
    warnings: Vec<ParseWarning>,
    sink: Vec<SinkLine>,
}

fn snapshot_kubectl(name: &str, path: &Path) {
    let mut sink = RecordingSink::default();
    let p = kubectl::parse(&rel(path), open(path), &mut sink);
    insta::assert_yaml_snapshot!(
        name,
        KubectlSnapshot {
            value: p.value,
            warnings: p.warnings,
            sink: sink.0,
        }
    );
}

#[test]
fn kubectl_fixture() {
    insta::glob!("../../fixtures/probes/kubernetes", "*.json", |path| {
        snapshot_kubectl("kubectl", path)
    });
}

#[test]
fn kubectl_bad_input() {
    insta::glob!("../../fixtures/bad-input/kubectl", "handmade-*", |path| {
        snapshot_kubectl("kubectl_bad", path)
    });
}

#[derive(Serialize)]
struct RunRecordSnapshot {
    value: HarnessRun,
    warnings: Vec<ParseWarning>,
    sink: Vec<SinkLine>,
}

fn snapshot_run_record(name: &str, path: &Path) {
    let mut sink = RecordingSink::default();
    let p = run_record::parse(&rel(path), open(path), &mut sink);
    insta::assert_yaml_snapshot!(
        name,
        RunRecordSnapshot {
            value: p.value,
            warnings: p.warnings,
            sink: sink.0,
        }
    );
}

#[test]
fn run_record_fixture() {
    insta::glob!("../../fixtures/run-records", "*.run.json", |path| {
        snapshot_run_record("run_record", path)
    });
}

#[test]
fn run_record_bad_input() {
    insta::glob!(
        "../../fixtures/bad-input/run-record",
        "handmade-*",
        |path| { snapshot_run_record("run_record_bad", path) }
    );
}

#[test]
fn the_generated_run_records_have_the_outcomes_of_their_commands() {
    let dir = fixtures().join("run-records");
    let outcomes = |name: &str| -> Vec<(String, Outcome, Option<i64>)> {
        let path = dir.join(name);
        let p = run_record::parse(name, open(&path), &mut mlperf_health::parse::NullSink);
        assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
        p.value
            .steps
            .into_iter()
            .map(|s| (s.name, s.outcome, s.exit_code))
            .collect()
    };
    assert_eq!(
        outcomes("ok-uname.run.json"),
        [("kernel_version".into(), Outcome::Ok, Some(0))]
    );
    assert_eq!(
        outcomes("fail-import.run.json"),
        [("import_backend".into(), Outcome::Failed, Some(1))]
    );
    assert_eq!(
        outcomes("timeouts.run.json"),
        [
            (
                "warmup_coreutils_timeout".into(),
                Outcome::TimedOut,
                Some(124)
            ),
            ("warmup_harness_timeout".into(), Outcome::TimedOut, None),
        ]
    );
}

/// Real and generated fixtures are recognised by content under names that
/// say nothing; run records are recognised by their `.run.json` name.
#[test]
fn sniffing_recognises_the_fixtures_under_unhelpful_names() {
    let kernel = fixtures().join("probes/kernel-log");
    for f in files_below(&kernel).iter().filter(|f| f.ends_with(".log")) {
        assert_eq!(
            sniff_bytes("capture-7.txt", &head(&kernel.join(f))),
            ArtifactKind::KernelLog,
            "{f}"
        );
    }
    let kube = fixtures().join("probes/kubernetes");
    for f in files_below(&kube).iter().filter(|f| f.ends_with(".json")) {
        assert_eq!(
            sniff_bytes("out.json", &head(&kube.join(f))),
            ArtifactKind::Kubectl,
            "{f}"
        );
    }
    // A kernel log's usual names work whatever the content looks like.
    assert_eq!(sniff_bytes("dmesg", b"hello"), ArtifactKind::KernelLog);
    assert_eq!(sniff_bytes("kern.log.1", b""), ArtifactKind::KernelLog);
    assert_eq!(sniff_bytes("journal-k.log", b"x"), ArtifactKind::KernelLog);
}

/// Neither sniffer claims any other fixture, whatever it is called.
#[test]
fn the_sniffers_leave_other_formats_alone() {
    let root = fixtures();
    let mine = [
        "probes/kernel-log/",
        "probes/kubernetes/",
        "bad-input/kernel-log/",
        "bad-input/kubectl/",
        // Adversarial copies of these two formats (tests/it/adversarial.rs,
        // tests/it/injection.rs, fuzz regressions).
        "bad-input/adversarial/handmade-nul-bytes-dmesg.log",
        "bad-input/adversarial/handmade-deep-nesting-kubectl.json",
        "bad-input/hostile-campaign/nodes/node|--- |x*:?/probes/dmesg.log",
        "bad-input/regressions/kernel_log/",
        "bad-input/regressions/kubectl/",
    ];
    let mut checked = 0;
    for f in files_below(&root) {
        if mine.iter().any(|m| f.starts_with(m)) {
            continue;
        }
        let h = head(&root.join(&f));
        assert!(!kernel_log::sniff("file.txt", &h), "kernel_log sniffs {f}");
        assert!(!kubectl::sniff(&h), "kubectl sniffs {f}");
        checked += 1;
    }
    assert!(checked > 50, "only {checked} files checked");
}

/// Kernel logs, kubectl output and run records in one campaign: the
/// signals fire, the categories are assessed, and the report section holds
/// the kernel facts, the node table and the outcome counts.
#[test]
fn platform_signals_and_report_section_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("campaign");
    let copy = |from: &str, to: &str| {
        let to = root.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(from), to).unwrap();
    };
    copy(
        "probes/kernel-log/gpud-dmesg-xid13-43-oom.log",
        "nodes/gpu-node-2/probes/dmesg.log",
    );
    copy(
        "probes/kernel-log/handmade-kernel-events-raw.log",
        "nodes/gpu-node-3/probes/kern.log",
    );
    copy(
        "probes/kubernetes/handmade-nodes-unhealthy.json",
        "k8s/nodes.json",
    );
    copy("probes/kubernetes/handmade-pods.json", "k8s/pods.json");
    copy("probes/kubernetes/handmade-jobs.json", "k8s/jobs.json");
    copy(
        "run-records/fail-import.run.json",
        "runs/fail-import.run.json",
    );
    let report = build_report(&ReportOptions {
        root: root.clone(),
        out_dir: tmp.path().join("out"),
        ..ReportOptions::default()
    })
    .unwrap();
    let by_kind = &report.inputs.by_kind;
    assert_eq!(by_kind.get("kernel_log"), Some(&2), "{by_kind:?}");
    assert_eq!(by_kind.get("kubectl"), Some(&3), "{by_kind:?}");
    assert_eq!(by_kind.get("run_record"), Some(&1), "{by_kind:?}");
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    for want in [
        "k8s.oomkilled",
        "k8s.node_not_ready",
        "k8s.node_pressure",
        "k8s.gpu_unallocatable",
        "k8s.crashloop",
        "k8s.unschedulable",
        "k8s.evicted",
        "k8s.container_config_error",
        "k8s.job_backoff_limit",
        "gpu.xid_application",
        "gpu.xid_fallen_off_bus",
        "gpu.sxid",
        "host.oom_killer",
        "kernel.hung_task",
        "kernel.fs_readonly",
        "deps.module_not_found",
    ] {
        assert!(rules.contains(&want), "no {want} finding in {rules:?}");
    }
    let status = |id: &str| {
        report
            .categories
            .iter()
            .find(|c| c.category == id)
            .map(|c| c.status.clone())
    };
    assert_eq!(status("kernel_os").as_deref(), Some("active"));
    assert_eq!(status("kubernetes").as_deref(), Some("active"));
    let gpu_unalloc = report
        .findings
        .iter()
        .find(|f| f.rule == "k8s.gpu_unallocatable")
        .unwrap();
    assert_eq!(gpu_unalloc.nodes, ["gpu-node-3", "gpu-node-4"]);
    insta::assert_yaml_snapshot!("platform_report", report.platform);
}

/// Read but clean inputs make the two categories `not_observed`, not
/// `not_assessed`.
#[test]
fn clean_kernel_and_kubectl_inputs_make_their_categories_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("campaign");
    std::fs::create_dir_all(root.join("nodes/vm")).unwrap();
    std::fs::copy(
        fixtures().join("probes/kernel-log/vm-dmesg-raw.log"),
        root.join("nodes/vm/dmesg.txt"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("probes/kubernetes/edgexr-aks-nodes.json"),
        root.join("nodes.json"),
    )
    .unwrap();
    let report = build_report(&ReportOptions {
        root: root.clone(),
        out_dir: tmp.path().join("out"),
        ..ReportOptions::default()
    })
    .unwrap();
    for id in ["kernel_os", "kubernetes"] {
        let row = report.categories.iter().find(|c| c.category == id).unwrap();
        assert_eq!(row.status, "not_observed", "{id}");
    }
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}
