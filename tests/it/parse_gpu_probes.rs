//! nvidia-smi `--query-gpu` CSV, plain `nvidia-smi -q` text and DCGM
//! diagnostics: one YAML snapshot per fixture (named after its path), content
//! sniffing under unhelpful names, flat memory on long series, the hand-made
//! DCGM 4.x example against the real schema, and the signals, score and
//! report section end to end.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use mlperf_health::discover::sniff_bytes;
use mlperf_health::model::{ArtifactKind, GpuCsv, Metric, ParseWarning, TIMELINE_BUCKETS};
use mlperf_health::parse::{Parsed, dcgm, nvidia_smi_csv, nvidia_smi_text};
use serde::Serialize;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn open(rel: &str) -> BufReader<File> {
    let p = fixtures().join(rel);
    BufReader::new(File::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// Snapshot name from a fixture path: `probes/dcgm/x.json` → `probes__dcgm__x.json`.
fn snap_name(kind: &str, rel: &str) -> String {
    format!("{kind}@{}", rel.replace('/', "__"))
}

#[derive(Serialize)]
struct Snap<T: Serialize> {
    warnings: Vec<ParseWarning>,
    value: T,
}

fn snapshot<T: Serialize>(kind: &str, rel: &str, p: Parsed<T>) {
    insta::assert_yaml_snapshot!(
        snap_name(kind, rel),
        Snap {
            warnings: p.warnings,
            value: p.value,
        }
    );
}

const CSV: &[&str] = &[
    "probes/nvidia-smi-csv/nvidia_gpu_exporter-2gpu-query.csv",
    "probes/nvidia-smi-csv/h100-capture-idle.csv",
    "probes/nvidia-smi-csv/h100-capture-load.csv",
    "probes/nvidia-smi-csv/h100-capture-idle-then-load.csv",
];
const CSV_BAD: &[&str] = &[
    "bad-input/nvidia-smi-csv/handmade-ragged.csv",
    "bad-input/nvidia-smi-csv/handmade-non-utf8.csv",
    "bad-input/nvidia-smi-csv/handmade-wrong-header.csv",
    "bad-input/nvidia-smi-csv/handmade-noheader.csv",
    "bad-input/nvidia-smi-csv/handmade-truncated.csv",
    "bad-input/nvidia-smi-csv/handmade-empty.csv",
];
const TEXT: &[&str] = &[
    "probes/nvidia-smi-text/azurehpc-8gpu-page-retirement-ok.txt",
    "probes/nvidia-smi-text/azurehpc-8gpu-page-retirement-bad.txt",
    "probes/nvidia-smi-text/h100-capture-q-idle.txt",
    "probes/nvidia-smi-text/h100-capture-q-load.txt",
];
const TEXT_BAD: &[&str] = &[
    "bad-input/nvidia-smi-text/handmade-truncated.txt",
    "bad-input/nvidia-smi-text/handmade-bad-values.txt",
    "bad-input/nvidia-smi-text/handmade-default-table.txt",
];
const DCGM: &[&str] = &[
    "probes/dcgm/virtualclient-dcgmi-diag-r3.json",
    "probes/dcgm/glimmer-dcgm423-gb10-level2-partial-skip.json",
    "handmade/dcgm/handmade-dcgm4-diag-fail.json",
];
const DCGM_BAD: &[&str] = &[
    "bad-input/dcgm/handmade-truncated.json",
    "bad-input/dcgm/handmade-unknown-root.json",
    "bad-input/dcgm/handmade-version-9.json",
    "bad-input/dcgm/handmade-odd-types.json",
    "bad-input/dcgm/handmade-text-not-json.txt",
];

/// Every fixture of these formats is listed above (so none goes untested).
#[test]
fn every_fixture_is_snapshotted() {
    let listed: Vec<&str> = [CSV, CSV_BAD, TEXT, TEXT_BAD, DCGM, DCGM_BAD].concat();
    for dir in [
        "probes/nvidia-smi-csv",
        "probes/nvidia-smi-text",
        "probes/dcgm",
        "handmade/dcgm",
        "bad-input/nvidia-smi-csv",
        "bad-input/nvidia-smi-text",
        "bad-input/dcgm",
    ] {
        for e in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let rel = format!("{dir}/{name}");
            let exempt = name.ends_with(".md")
                // The whole capture is the source of the extracted files,
                // and the schema is not tool output.
                || name == "nvidia_gpu_exporter-h100-capture.txt"
                || name == "dcgm4-diag-schema.json";
            assert!(
                exempt || listed.contains(&rel.as_str()),
                "{rel} not snapshotted"
            );
        }
    }
}

#[test]
fn nvidia_smi_csv_fixtures() {
    for rel in CSV.iter().chain(CSV_BAD) {
        snapshot("csv", rel, nvidia_smi_csv::parse(rel, open(rel)));
    }
}

#[test]
fn nvidia_smi_text_fixtures() {
    for rel in TEXT.iter().chain(TEXT_BAD) {
        snapshot("text", rel, nvidia_smi_text::parse(rel, open(rel)));
    }
}

#[test]
fn dcgm_fixtures() {
    for rel in DCGM.iter().chain(DCGM_BAD) {
        snapshot("dcgm", rel, dcgm::parse(rel, open(rel)));
    }
}

/// Real files are recognised by content under names that say nothing.
#[test]
fn sniffing_recognises_real_fixtures_under_unhelpful_names() {
    let head = |rel: &str| {
        let mut b = Vec::new();
        open(rel).take(4096).read_to_end(&mut b).unwrap();
        b
    };
    let expect = |rels: &[&str], kind: ArtifactKind| {
        for rel in rels {
            assert_eq!(sniff_bytes("data.out", &head(rel)), kind, "{rel}");
        }
    };
    expect(CSV, ArtifactKind::NvidiaSmiCsv);
    expect(TEXT, ArtifactKind::NvidiaSmiText);
    expect(DCGM, ArtifactKind::DcgmDiag);
    expect(
        &[
            "bad-input/nvidia-smi-csv/handmade-ragged.csv",
            "bad-input/nvidia-smi-csv/handmade-non-utf8.csv",
            "bad-input/nvidia-smi-csv/handmade-truncated.csv",
        ],
        ArtifactKind::NvidiaSmiCsv,
    );
    expect(
        &[
            "bad-input/nvidia-smi-text/handmade-truncated.txt",
            "bad-input/nvidia-smi-text/handmade-bad-values.txt",
        ],
        ArtifactKind::NvidiaSmiText,
    );
    expect(
        &[
            "bad-input/dcgm/handmade-truncated.json",
            "bad-input/dcgm/handmade-unknown-root.json",
            "bad-input/dcgm/handmade-version-9.json",
            "bad-input/dcgm/handmade-odd-types.json",
        ],
        ArtifactKind::DcgmDiag,
    );
    for rel in [
        "bad-input/nvidia-smi-csv/handmade-wrong-header.csv",
        "bad-input/nvidia-smi-csv/handmade-noheader.csv",
        "bad-input/nvidia-smi-csv/handmade-empty.csv",
        "bad-input/nvidia-smi-text/handmade-default-table.txt",
        "bad-input/dcgm/handmade-text-not-json.txt",
        "probes/dcgm/dcgm4-diag-schema.json",
        "probes/nvidia-smi-xml/hadoop-2x-p100-v8.xml",
    ] {
        let k = sniff_bytes("data.out", &head(rel));
        assert!(
            !matches!(
                k,
                ArtifactKind::NvidiaSmiCsv | ArtifactKind::NvidiaSmiText | ArtifactKind::DcgmDiag
            ),
            "{rel}: {k:?}"
        );
    }
}

/// A generated `-lms` series, produced row by row so the test itself does
/// not hold it: 8 GPUs, one row each per 100 ms.
struct Series {
    rows: u64,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Series {
    fn new(rows: u64) -> Self {
        let header = "timestamp, index, pci.bus_id, utilization.gpu [%], memory.used [MiB], power.draw [W], temperature.gpu, clocks.current.sm [MHz], clocks_event_reasons.active\n";
        Series {
            rows,
            next: 0,
            buf: header.as_bytes().to_vec(),
            pos: 0,
        }
    }
}

impl Read for Series {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            let ms = (i / 8) * 100;
            let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
            let gpu = i % 8;
            self.buf = format!(
                "2026/07/14 {h:02}:{m:02}:{s:02}.{f:03}, {gpu}, 00000000:{:02X}:00.0, {} %, {} MiB, {}.5 W, {}, 1980 MHz, 0x0000000000000000\n",
                0x10 + gpu,
                (i * 7) % 101,
                (i * 13) % 80000,
                300 + i % 400,
                40 + (i / 8) % 40
            )
            .into_bytes();
            self.pos = 0;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn series(rows: u64) -> GpuCsv {
    let p = nvidia_smi_csv::parse("series.csv", BufReader::new(Series::new(rows)));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    p.value
}

/// What a parse holds does not grow with the number of rows: 10× the rows
/// give the same number of GPUs and at most the same number of buckets.
#[test]
fn telemetry_size_does_not_grow_with_rows() {
    let small = series(8 * 2_000);
    let large = series(8 * 20_000);
    assert_eq!(large.rows, 160_000);
    assert_eq!(small.gpus.len(), 8);
    assert_eq!(large.gpus.len(), 8);
    for (s, l) in small.gpus.iter().zip(&large.gpus) {
        assert!(s.timeline.buckets.len() <= TIMELINE_BUCKETS);
        assert!(l.timeline.buckets.len() <= TIMELINE_BUCKETS);
        assert_eq!(l.samples, 20_000);
        assert_eq!(l.temperature_c.max, Some(79.0));
        assert_eq!(l.duration_s, Some(1999.9));
        let total: u64 = l.timeline.buckets.iter().map(|b| b.samples).sum();
        assert_eq!(total, 20_000);
        // The bucket means average back to the overall mean.
        let weighted: f64 = l
            .timeline
            .buckets
            .iter()
            .filter_map(|b| b.metric(Metric::Temperature))
            .map(|(m, n)| m * n as f64)
            .sum();
        let mean = l.temperature_c.mean.unwrap();
        assert!((weighted / 20_000.0 - mean).abs() < 1e-6);
    }
    let size = |v: &GpuCsv| serde_json::to_vec(v).unwrap().len();
    assert!(
        size(&large) < size(&small) * 2,
        "{} vs {}",
        size(&large),
        size(&small)
    );
}

/// A subset of JSON Schema (type, properties, required, items): enough for
/// the DCGM schema, which uses nothing else.
fn schema_errors(schema: &Value, doc: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => doc.is_object(),
            "array" => doc.is_array(),
            "string" => doc.is_string(),
            "integer" => doc.is_i64() || doc.is_u64(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: not {t}"));
            return;
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for k in req.iter().filter_map(Value::as_str) {
            if doc.get(k).is_none() {
                out.push(format!("{at}: missing {k}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        doc.as_object(),
    ) {
        for (k, sub) in props {
            if let Some(v) = obj.get(k) {
                schema_errors(sub, v, &format!("{at}/{k}"), out);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), doc.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            schema_errors(items, v, &format!("{at}[{i}]"), out);
        }
    }
}

#[test]
fn dcgm_handmade_4x_validates_against_the_schema() {
    let read = |rel: &str| -> Value { serde_json::from_reader(open(rel)).unwrap() };
    let schema = read("probes/dcgm/dcgm4-diag-schema.json");
    let mut errors = Vec::new();
    schema_errors(
        &schema,
        &read("handmade/dcgm/handmade-dcgm4-diag-fail.json"),
        "",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    // The checker does reject: the real 3.x file has the other root.
    let mut errors = Vec::new();
    schema_errors(
        &schema,
        &read("probes/dcgm/virtualclient-dcgmi-diag-r3.json"),
        "",
        &mut errors,
    );
    assert_eq!(errors, [": missing DCGM Diagnostic"]);
}

/// A real DCGM 4.2.3 capture fails only on persistence mode (CONFIG): that
/// is a node setting, so it is a medium finding and a warning-sized
/// deduction, not a failed GPU.
#[test]
fn dcgm_config_failure_is_a_node_setting_not_a_broken_gpu() {
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("nodes/spark/probes/diag.json");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(
        fixtures().join("probes/dcgm/glimmer-dcgm423-gb10-level2-partial-skip.json"),
        &dest,
    )
    .unwrap();
    let report = mlperf_health::pipeline::build_report(&mlperf_health::pipeline::ReportOptions {
        root: root.path().to_path_buf(),
        out_dir: root.path().join("out"),
        ..Default::default()
    })
    .unwrap();
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.severity.as_str()))
        .collect();
    assert_eq!(rules, [("gpu.dcgm_test_failed_config", "medium")]);
    let ev = &report.findings[0].evidence[0];
    assert_eq!(ev.line, Some(14));
    assert!(
        ev.text.contains("error_id 29, SOFTWARE_OTHER, CONFIG"),
        "{ev:?}"
    );
    let hw = report
        .components
        .iter()
        .find(|c| c.id == "hardware")
        .unwrap();
    let check = hw
        .checks
        .iter()
        .find(|c| c.id == "hardware.gpu_probes")
        .unwrap();
    assert_eq!(check.deduction, 10.0, "{check:?}");
    assert!(
        check.detail.contains("node setting (CONFIG)"),
        "{}",
        check.detail
    );
}

/// Findings, the hardware component and the report section for a campaign
/// of these probes under names that say nothing about their format.
#[test]
fn signals_score_and_report_end_to_end() {
    let root = tempfile::tempdir().unwrap();
    let put = |to: &str, from: &str| {
        let dest = root.path().join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(from), dest).unwrap();
    };
    put(
        "nodes/node-a/probes/diag.json",
        "handmade/dcgm/handmade-dcgm4-diag-fail.json",
    );
    put(
        "nodes/node-a/probes/pages.txt",
        "probes/nvidia-smi-text/azurehpc-8gpu-page-retirement-bad.txt",
    );
    put(
        "nodes/node-b/probes/query.log",
        "probes/nvidia-smi-csv/h100-capture-idle-then-load.csv",
    );
    put(
        "nodes/node-b/probes/diag-r3",
        "probes/dcgm/virtualclient-dcgmi-diag-r3.json",
    );
    put(
        "nodes/node-b/probes/q.txt",
        "probes/nvidia-smi-text/h100-capture-q-load.txt",
    );
    let opts = mlperf_health::pipeline::ReportOptions {
        root: root.path().to_path_buf(),
        out_dir: root.path().join("out"),
        ..Default::default()
    };
    let report = mlperf_health::pipeline::build_report(&opts).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let kinds = &json["inputs"]["by_kind"];
    assert_eq!(kinds["dcgm_diag"], 2);
    assert_eq!(kinds["nvidia_smi_text"], 2);
    assert_eq!(kinds["nvidia_smi_csv"], 1);
    let findings: Vec<Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!({
                "rule": f["rule"], "severity": f["severity"], "count": f["count"],
                "nodes": f["nodes"], "evidence": f["evidence"],
            })
        })
        .collect();
    let hardware = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hardware")
        .cloned()
        .unwrap();
    let probes = &json["gpu_probes"];
    let telemetry: Vec<Value> = probes["telemetry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            serde_json::json!({
                "node": t["node"], "path": t["path"], "telemetry": t["telemetry"],
                "samples": t["samples"], "duration_s": t["duration_s"],
                "utilization_pct": t["utilization_pct"], "power_draw_w": t["power_draw_w"],
                "timeline": t["timeline"],
            })
        })
        .collect();
    let dcgm: Vec<Value> = probes["dcgm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            serde_json::json!({
                "node": d["node"], "path": d["path"], "layout": d["layout"],
                "version": d["version"], "status_counts": d["status_counts"],
            })
        })
        .collect();
    let text: Vec<Value> = probes["text_dumps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            serde_json::json!({
                "node": d["node"], "path": d["path"], "driver_version": d["driver_version"],
                "gpus": d["gpus"].as_array().map(Vec::len),
            })
        })
        .collect();
    insta::assert_yaml_snapshot!(
        "gpu_probes_end_to_end",
        serde_json::json!({
            "warnings": json["inputs"]["warnings"],
            "findings": findings,
            "hardware": hardware,
            "telemetry": telemetry,
            "dcgm": dcgm,
            "text_dumps": text,
        })
    );
}
