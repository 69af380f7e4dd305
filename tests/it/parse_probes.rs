//! Ansible callback JSON and nvidia-smi XML parsers over the real and
//! hand-made fixtures in `fixtures/`: one YAML snapshot per file (parsed
//! value, warnings and, for Ansible, every line handed to the sink).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mlperf_health::model::{HarnessRun, NvidiaSmiDump, Outcome, ParseWarning, Stream};
use mlperf_health::parse::{LineOrigin, LineSink, Parsed, ansible, nvidia_smi_xml};
use serde::Serialize;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
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

#[derive(Serialize)]
struct AnsibleSnapshot {
    value: HarnessRun,
    warnings: Vec<ParseWarning>,
    sink: Vec<SinkLine>,
}

fn run_ansible(
    path: &Path,
    logged: &BTreeSet<(String, String)>,
) -> (Parsed<HarnessRun>, Vec<SinkLine>) {
    let mut sink = RecordingSink::default();
    let parsed = ansible::parse(&rel(path), open(path), logged, &mut sink);
    (parsed, sink.0)
}

fn snapshot_ansible(name: &str, path: &Path) {
    let (parsed, sink) = run_ansible(path, &BTreeSet::new());
    insta::assert_yaml_snapshot!(
        name,
        AnsibleSnapshot {
            value: parsed.value,
            warnings: parsed.warnings,
            sink,
        }
    );
}

#[derive(Serialize)]
struct XmlSnapshot {
    value: NvidiaSmiDump,
    warnings: Vec<ParseWarning>,
}

fn snapshot_xml(name: &str, path: &Path) {
    let parsed = nvidia_smi_xml::parse(&rel(path), open(path));
    insta::assert_yaml_snapshot!(
        name,
        XmlSnapshot {
            value: parsed.value,
            warnings: parsed.warnings,
        }
    );
}

#[test]
fn ansible_fixture() {
    insta::glob!("../../fixtures/ansible", "*.json", |path| {
        snapshot_ansible("ansible", path)
    });
}

#[test]
fn ansible_bad_input() {
    insta::glob!("../../fixtures/bad-input/ansible", "handmade-*", |path| {
        snapshot_ansible("ansible_bad", path)
    });
}

#[test]
fn nvidia_smi_xml_fixture() {
    insta::glob!("../../fixtures/probes/nvidia-smi-xml", "*.xml", |path| {
        snapshot_xml("nvidia_smi_xml", path)
    });
}

#[test]
fn nvidia_smi_xml_bad_input() {
    insta::glob!(
        "../../fixtures/bad-input/nvidia-smi-xml",
        "handmade-*",
        |path| { snapshot_xml("nvidia_smi_xml_bad", path) }
    );
}

/// Each step's evidence line must be the line of its host key in the real
/// file: this is what the counting reader under serde_json promises.
#[test]
fn ansible_evidence_lines_point_at_the_host_result() {
    let path = fixtures().join("ansible/outcomes.json");
    let text: Vec<String> = open(&path).lines().map(Result::unwrap).collect();
    let (parsed, _) = run_ansible(&path, &BTreeSet::new());
    assert_eq!(parsed.value.steps.len(), 19);
    for step in &parsed.value.steps {
        let line = step.evidence.line.expect("line") as usize;
        let at = &text[line - 1];
        assert_eq!(at.trim(), format!("\"{}\": {{", step.node), "{step:?}");
    }
}

#[test]
fn ansible_outcomes_match_the_playbook() {
    let (parsed, _) = run_ansible(&fixtures().join("ansible/outcomes.json"), &BTreeSet::new());
    let got: Vec<(&str, &str, Outcome, Option<i64>)> = parsed
        .value
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.node.as_str(), s.outcome, s.exit_code))
        .collect();
    use Outcome::*;
    let want = [
        ("print banner", "node-a", Ok, None),
        ("print banner", "node-b", Ok, None),
        ("skipped step", "node-a", Skipped, None),
        ("skipped step", "node-b", Skipped, None),
        ("loop with one failing item", "node-a", Failed, Some(4)),
        ("loop with one failing item", "node-b", Failed, Some(4)),
        ("ignored failure", "node-a", Failed, Some(1)),
        ("ignored failure", "node-b", Failed, Some(1)),
        ("failed_when on output", "node-a", Ok, Some(0)),
        ("failed_when on output", "node-b", Failed, Some(0)),
        ("tolerated non-zero rc", "node-a", Ok, Some(2)),
        ("tolerated non-zero rc", "node-b", Ok, Some(2)),
        ("task timeout", "node-a", TimedOut, None),
        ("task timeout", "node-b", TimedOut, None),
        ("coreutils timeout", "node-a", TimedOut, Some(124)),
        ("coreutils timeout", "node-b", TimedOut, Some(124)),
        ("non-zero rc", "node-a", Ok, Some(0)),
        ("non-zero rc", "node-b", Failed, Some(3)),
        ("after failure", "node-a", Ok, None),
    ];
    assert_eq!(got, want);
    assert!(
        parsed
            .value
            .steps
            .iter()
            .all(|s| s.timed_out == (s.outcome == TimedOut))
    );

    let (parsed, _) = run_ansible(
        &fixtures().join("ansible/unreachable.json"),
        &BTreeSet::new(),
    );
    let got: Vec<_> = parsed
        .value
        .steps
        .iter()
        .map(|s| (s.node.as_str(), s.outcome))
        .collect();
    assert_eq!(got, [("node-a", Ok), ("node-ghost", Unreachable)]);
}

#[test]
fn ansible_logged_elsewhere_keeps_only_msg_lines() {
    let path = fixtures().join("ansible/outcomes.json");
    let key = ("node-a".to_string(), "ignored failure".to_string());
    let (_, all) = run_ansible(&path, &BTreeSet::new());
    let (_, some) = run_ansible(&path, &BTreeSet::from([key.clone()]));
    let of = |lines: &[SinkLine], stream: Stream| {
        lines
            .iter()
            .filter(|l| {
                l.node.as_deref() == Some(&key.0)
                    && l.step.as_deref() == Some(&key.1)
                    && l.stream == stream
            })
            .count()
    };
    assert_eq!(of(&all, Stream::Stderr), 1);
    assert_eq!(of(&all, Stream::Stdout), 1);
    assert_eq!(of(&some, Stream::Stderr), 0);
    assert_eq!(of(&some, Stream::Stdout), 0);
    assert_eq!(of(&some, Stream::Message), of(&all, Stream::Message));
    assert_eq!(of(&some, Stream::Message), 1);
    // Other pairs are untouched.
    assert_eq!(all.len() - some.len(), 2);
}

/// A billion-laughs DOCTYPE must cost nothing: no expansion, no recursion.
#[test]
fn billion_laughs_is_not_expanded() {
    let path = fixtures().join("bad-input/nvidia-smi-xml/handmade-billion-laughs.xml");
    let started = Instant::now();
    let parsed = nvidia_smi_xml::parse(&rel(&path), open(&path));
    assert!(started.elapsed() < Duration::from_secs(2));
    let dump = format!("{:?}", parsed.value);
    assert!(!dump.contains("lollol"), "{dump}");
    assert!(!dump.contains("root:"), "external entity was read: {dump}");
    assert!(dump.len() < 4096, "output grew: {} bytes", dump.len());
    let gpu = &parsed.value.gpus[0];
    assert_eq!(
        gpu.name.as_deref(),
        Some("NVIDIA H100 80GB HBM3 &lol9;&lol9;")
    );
    assert_eq!(gpu.temperature_c, Some(35.0));
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.message.contains("internal subset"))
    );
}

#[test]
fn sniffers_recognise_their_own_fixtures_only() {
    let head = |p: &Path| {
        let mut b = std::fs::read(p).expect("fixture reads");
        b.truncate(512);
        b
    };
    for name in ["ansible/outcomes.json", "ansible/unreachable.json"] {
        let h = head(&fixtures().join(name));
        assert!(ansible::sniff(&h), "{name}");
        assert!(!nvidia_smi_xml::sniff(&h), "{name}");
    }
    for name in [
        "probes/nvidia-smi-xml/hadoop-2x-p100-v8.xml",
        "probes/nvidia-smi-xml/telegraf-dual_a5000-v13.xml",
        "probes/nvidia-smi-xml/telegraf-rtx-4000-sff-ada-v13.xml",
        "bad-input/nvidia-smi-xml/handmade-truncated.xml",
        "bad-input/nvidia-smi-xml/handmade-non-utf8.xml",
    ] {
        let h = head(&fixtures().join(name));
        assert!(nvidia_smi_xml::sniff(&h), "{name}");
        assert!(!ansible::sniff(&h), "{name}");
    }
    for name in [
        "bad-input/nvidia-smi-xml/handmade-wrong-root.xml",
        "bad-input/nvidia-smi-xml/handmade-empty.xml",
        "bad-input/ansible/handmade-wrong-top-level.json",
        "bad-input/ansible/handmade-not-json.txt",
    ] {
        let h = head(&fixtures().join(name));
        assert!(!nvidia_smi_xml::sniff(&h), "{name}");
        assert!(!ansible::sniff(&h), "{name}");
    }
}

/// The demo campaign's real Ansible output (branch `fixtures`), parsed as the
/// pipeline would: path relative to the campaign root, and the steps whose
/// logs exist under `nodes/<node>/steps/<step>/` marked as logged elsewhere.
#[test]
fn ansible_demo_campaign() {
    let root = fixtures().join("campaigns/demo");
    let mut logged = BTreeSet::new();
    for node in std::fs::read_dir(root.join("nodes")).expect("nodes dir") {
        let node = node.expect("entry").path();
        let Ok(steps) = std::fs::read_dir(node.join("steps")) else {
            continue;
        };
        for step in steps {
            let step = step.expect("entry").path();
            let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
            logged.insert((name(&node), name(&step)));
        }
    }
    assert!(!logged.is_empty());
    let path = root.join("ansible/campaign.json");
    let mut sink = RecordingSink::default();
    let parsed = ansible::parse("ansible/campaign.json", open(&path), &logged, &mut sink);
    insta::assert_yaml_snapshot!(
        "ansible_demo_campaign",
        AnsibleSnapshot {
            value: parsed.value,
            warnings: parsed.warnings,
            sink: sink.0,
        }
    );
}
