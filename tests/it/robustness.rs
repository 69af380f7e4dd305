//! Hostile trees: links, special files, empty and binary files, and an
//! output directory inside the input. The report must still be written, and
//! every skipped path must be named with its reason.

use std::path::Path;

use crate::util::bin;

fn report_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn reasons(json: &serde_json::Value) -> Vec<(String, String)> {
    json["inputs"]["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn links_and_special_files_are_named_and_never_followed() {
    use std::os::unix::fs::symlink;
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.txt"),
        "ModuleNotFoundError: No module named 'x'\n",
    )
    .unwrap();
    let steps = root.path().join("nodes/n1/steps/s1");
    std::fs::create_dir_all(&steps).unwrap();
    std::fs::write(steps.join("stderr.log"), "ok\n").unwrap();
    symlink(outside.path(), root.path().join("escape")).unwrap();
    symlink(root.path(), root.path().join("nodes/loop")).unwrap();
    let fifo = root.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(out.path())
        .arg(root.path())
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(0);
    let json = report_json(out.path());
    let r = reasons(&json);
    assert!(
        r.iter()
            .any(|(p, why)| p == "escape" && why.contains("not followed")),
        "{r:?}"
    );
    assert!(
        r.iter()
            .any(|(p, why)| p == "nodes/loop" && why.contains("not followed")),
        "{r:?}"
    );
    if made.is_ok_and(|s| s.success()) {
        assert!(
            r.iter()
                .any(|(p, why)| p == "pipe" && why.contains("not a regular file")),
            "{r:?}"
        );
    }
    // Nothing from outside the root was read.
    assert_eq!(
        json["findings"].as_array().unwrap().len(),
        0,
        "{}",
        json["findings"]
    );
}

#[test]
fn an_output_directory_inside_the_input_is_not_read_back() {
    let root = tempfile::tempdir().unwrap();
    let steps = root.path().join("nodes/n1/steps/s1");
    std::fs::create_dir_all(&steps).unwrap();
    std::fs::write(steps.join("stderr.log"), "all good\n").unwrap();
    let out = root.path().join("report");
    for _ in 0..2 {
        bin()
            .args(["report", "--quiet", "--out"])
            .arg(&out)
            .arg(root.path())
            .assert()
            .code(0);
    }
    let json = report_json(&out);
    assert!(
        !json["inputs"]["unrecognized"]
            .to_string()
            .contains("report/"),
        "the previous report was read as input: {}",
        json["inputs"]["unrecognized"]
    );
}

#[test]
fn empty_binary_and_non_utf8_files_give_warnings_not_failures() {
    let root = tempfile::tempdir().unwrap();
    let run = root.path().join("nodes/n1/loadgen/offline");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("mlperf_log_summary.txt"), b"").unwrap();
    std::fs::write(
        run.join("mlperf_log_detail.txt"),
        b"\x00\x01\x02\xff\xfe:::MLLOG {broken\n",
    )
    .unwrap();
    let steps = root.path().join("nodes/n1/steps/s1");
    std::fs::create_dir_all(&steps).unwrap();
    std::fs::write(
        steps.join("stderr.log"),
        b"\xffModuleNotFoundError: No module named 'x'\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "--quiet", "--out"])
        .arg(out.path())
        .arg(root.path())
        .assert()
        .code(0);
    let json = report_json(out.path());
    let warnings = json["inputs"]["warnings"].to_string();
    assert!(warnings.contains("mlperf_log_summary.txt"), "{warnings}");
    assert!(warnings.contains("mlperf_log_detail.txt"), "{warnings}");
    assert!(warnings.contains("stderr.log"), "{warnings}");
    // The error behind the invalid byte is still classified.
    assert!(
        json["findings"]
            .to_string()
            .contains("deps.module_not_found")
    );
    // And --strict turns the warnings into a gate failure, after writing.
    bin()
        .args(["report", "--quiet", "--strict", "--out"])
        .arg(out.path())
        .arg(root.path())
        .assert()
        .code(1);
}

#[test]
fn a_long_single_line_file_is_read_with_bounded_lines() {
    let root = tempfile::tempdir().unwrap();
    let steps = root.path().join("nodes/n1/steps/s1");
    std::fs::create_dir_all(&steps).unwrap();
    // 8 MiB on one line: large enough to cross the 64 KiB line cap many
    // times (the 200 MB case, with a memory bound, is
    // `adversarial::a_200_mb_line_is_cut_with_a_warning_and_bounded_memory`).
    let mut big = vec![b'x'; 8 << 20];
    big.extend_from_slice(b"\nModuleNotFoundError: No module named 'y'\n");
    std::fs::write(steps.join("stdout.log"), &big).unwrap();
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(out.path())
        .arg(root.path())
        .assert()
        .code(0);
    let json = report_json(out.path());
    assert!(
        json["inputs"]["warnings"]
            .to_string()
            .contains("longer than 64 KiB")
    );
    assert!(
        json["findings"]
            .to_string()
            .contains("deps.module_not_found")
    );
    let size = std::fs::metadata(out.path().join("report.json"))
        .unwrap()
        .len();
    assert!(size < 200_000, "report grew with the input: {size} bytes");
}
