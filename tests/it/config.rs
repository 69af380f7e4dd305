//! `--config` with a `[scoring]` table: overrides reach the report, and a
//! bad key is a clear error naming the file.

use crate::util::bin;

#[test]
fn expected_gpu_count_from_the_config_becomes_a_finding_and_a_deduction() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("health.toml");
    std::fs::write(
        &cfg,
        "[scoring]\nexpected_gpus_per_node = 2\nmissing_gpu_points = 25.0\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--format",
            "json",
            "--quiet",
            "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "gpu.count_below_expected")
        .expect("missing-GPU finding");
    // node-a's probe lists 2 GPUs, node-b's 1.
    assert_eq!(finding["nodes"], serde_json::json!(["node-b"]));
    let hardware = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hardware")
        .unwrap();
    let check = hardware["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hardware.gpu_count")
        .expect("gpu count check");
    assert_eq!(check["deduction"], 25.0);
    assert_eq!(
        check["detail"],
        "node-b: 1 of 2 GPUs; deduction = 25 × 1 missing"
    );
}

#[test]
fn an_unknown_scoring_key_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("typo.toml");
    std::fs::write(&cfg, "[scoring]\nexpected_gpu_per_node = 8\n").unwrap();
    let assert = bin()
        .args(["report", "fixtures/campaigns/demo", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("typo.toml") && err.contains("expected_gpu_per_node"),
        "{err}"
    );
}

#[test]
fn rules_accepts_a_config_with_a_scoring_table() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("health.toml");
    std::fs::write(&cfg, "[scoring]\nlatency_cv_threshold = 0.3\n").unwrap();
    bin().args(["rules", "--config"]).arg(&cfg).assert().code(0);
}
