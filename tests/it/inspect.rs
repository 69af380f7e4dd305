//! `mlperf-health inspect`: the inventory a user reads when a report looks
//! wrong.

use crate::util::bin;

#[test]
fn inspect_lists_every_demo_file_with_its_kind_and_attribution() {
    let out = bin()
        .args(["inspect", "fixtures/campaigns/demo"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("inspect_demo_table", String::from_utf8(out).unwrap());
}

#[test]
fn inspect_json_names_bad_files_and_their_warnings() {
    let out = bin()
        .args(["inspect", "fixtures/bad-input", "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let files = v["files"].as_array().unwrap();
    let truncated = files
        .iter()
        .find(|f| f["path"] == "nvidia-smi-xml/handmade-truncated.xml")
        .expect("truncated XML listed");
    assert_eq!(truncated["kind"], "nvidia_smi_xml");
    let w = &truncated["warnings"][0];
    assert_eq!(w["path"], "nvidia-smi-xml/handmade-truncated.xml");
    assert!(w["line"].as_u64().is_some(), "warning names the line: {w}");
}

#[test]
fn inspect_of_a_missing_root_is_exit_2() {
    bin().args(["inspect", "no/such/dir"]).assert().code(2);
}
