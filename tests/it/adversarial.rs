//! Adversarial inputs, end to end (issue 8): the whole `fixtures/bad-input/`
//! tree as one campaign, bad files under the names that say what they are,
//! deep nesting in every JSON and XML parser, unreadable files, a huge
//! single line, a tree of thousands of tiny files, and a failing output
//! write. Each must give a warning naming the file (and the line where the
//! format has lines), leave the rest of the report intact, and never touch
//! the input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mlperf_health::parse::{self, NullSink};

use crate::util::{bin, repo};

fn report_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// What a run could change about one path.
#[derive(Debug, PartialEq)]
struct Entry {
    bytes: Vec<u8>,
    modified: Option<std::time::SystemTime>,
    readonly: bool,
}

/// Every file and folder below `dir` with its bytes (folders: empty),
/// modification time and permissions, so a run that writes, deletes,
/// renames or touches anything is caught.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let meta = e.metadata().unwrap();
            let bytes = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            let entry = Entry {
                bytes,
                modified: meta.modified().ok(),
                readonly: meta.permissions().readonly(),
            };
            (e.path().to_path_buf(), entry)
        })
        .collect()
}

/// Files below `dir`, relative, `/`-separated (names may be any bytes).
fn files(dir: &Path) -> Vec<String> {
    crate::util::files_below(dir)
}

/// Warnings by path: (line, message).
fn warnings(json: &serde_json::Value) -> BTreeMap<String, Vec<(Option<u64>, String)>> {
    let mut out: BTreeMap<String, Vec<(Option<u64>, String)>> = BTreeMap::new();
    for w in json["inputs"]["warnings"].as_array().unwrap() {
        out.entry(w["path"].as_str().unwrap().to_string())
            .or_default()
            .push((
                w["line"].as_u64(),
                w["message"].as_str().unwrap().to_string(),
            ));
    }
    out
}

fn strings(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Bad files whose warnings carry no line, and why none applies.
const NO_LINE: &[(&str, &str)] = &[
    (
        "software/handmade-empty-meminfo.txt",
        "an empty file has no line",
    ),
    (
        "dcgm/handmade-unknown-root.json",
        "the whole document has the wrong root",
    ),
    (
        "dcgm/handmade-version-9.json",
        "the version applies to the whole document",
    ),
    (
        "kubectl/handmade-wrong-kind.json",
        "a count over the whole list",
    ),
];

#[test]
fn the_bad_input_tree_as_one_campaign() {
    let root = repo().join("fixtures/bad-input");
    assert!(
        root.join("regressions").is_dir() && root.join("adversarial").is_dir(),
        "fixture folders moved?"
    );
    let before = snapshot(&root);
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "--quiet", "--format", "md,html,json", "--out"])
        .arg(out.path())
        .arg(&root)
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .code(0);
    for f in ["report.md", "report.html", "report.json"] {
        let len = std::fs::metadata(out.path().join(f)).unwrap().len();
        assert!(len > 1000, "{f} is only {len} bytes");
    }
    assert!(snapshot(&root) == before, "the artifacts tree changed");

    let json = report_json(out.path());
    let total = json["inputs"]["warnings_total"].as_u64().unwrap();
    assert!(
        total <= 200,
        "{total} warnings: more than the report lists, the checks below would miss some"
    );
    let warned = warnings(&json);
    let unrecognized = strings(&json["inputs"]["unrecognized"]);
    let unreadable: BTreeSet<String> = json["inputs"]["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["path"].as_str().unwrap().to_string())
        .collect();
    let all = files(&root);
    assert_eq!(
        json["inputs"]["files_total"].as_u64(),
        Some(all.len() as u64)
    );
    // Every warning names a file of the tree, with a line inside it.
    for (path, list) in &warned {
        let bytes = std::fs::read(root.join(path))
            .unwrap_or_else(|_| panic!("a warning names `{path}`, which is not in the tree"));
        let lines = bytes.split(|b| *b == b'\n').count() as u64;
        for (line, msg) in list {
            if let Some(l) = line {
                assert!(
                    (1..=lines).contains(l),
                    "{path}:{l} is outside the file ({lines} lines): {msg}"
                );
            }
        }
    }
    // Every bad file is named somewhere; one that was recognised gets a
    // warning, with a line where the format has lines.
    let hand_made_bad = all.iter().filter(|p| {
        let name = p.rsplit('/').next().unwrap_or(p);
        !matches!(name, "README.md" | "SOURCES.md")
            && !p.starts_with("hostile-campaign/")
            && !p.starts_with("regressions/")
    });
    for p in hand_made_bad {
        if unrecognized.contains(p.as_str()) || unreadable.contains(p.as_str()) {
            continue;
        }
        let list = warned
            .get(p.as_str())
            .unwrap_or_else(|| panic!("`{p}` was read without any warning"));
        let no_line = NO_LINE.iter().any(|(f, _)| f == p);
        assert!(
            no_line || list.iter().any(|(l, _)| l.is_some()),
            "`{p}`: no warning names a line: {list:?}"
        );
    }
    // The new adversarial files in particular.
    for (p, needle) in [
        ("adversarial/handmade-deep-nesting-ansible.json", ""),
        (
            "adversarial/handmade-deep-nesting-kubectl.json",
            "recursion limit",
        ),
        ("adversarial/handmade-deep-nesting-dcgm.json", ""),
        (
            "adversarial/handmade-deep-nesting.run.json",
            "recursion limit",
        ),
        ("adversarial/handmade-deep-nesting-pip-list.json", ""),
        (
            "adversarial/handmade-deep-nesting-nvidia-smi.xml",
            "nested deeper",
        ),
        (
            "adversarial/nodes/handmade-node/steps/nul-bytes/stderr.log",
            "NUL",
        ),
        (
            "adversarial/nodes/handmade-node/steps/long-line/stdout.log",
            "longer than 64 KiB",
        ),
        ("adversarial/handmade-nul-bytes-dmesg.log", "NUL"),
    ] {
        let list = warned
            .get(p)
            .unwrap_or_else(|| panic!("no warning for {p}"));
        assert!(
            list.iter().any(|(l, m)| l.is_some() && m.contains(needle)),
            "{p}: {list:?}"
        );
    }
    // The rest of the report is intact: errors after the bad bytes are
    // still classified, from the files that hold them.
    for (path, line) in [
        (
            "adversarial/nodes/handmade-node/steps/long-line/stdout.log",
            3,
        ),
        (
            "adversarial/nodes/handmade-node/steps/nul-bytes/stderr.log",
            3,
        ),
        ("adversarial/handmade-nul-bytes-dmesg.log", 4),
    ] {
        assert!(
            has_evidence(&json, path, line),
            "no finding cites {path}:{line}"
        );
    }
}

/// True when some finding's evidence cites `path` at `line`.
fn has_evidence(json: &serde_json::Value, path: &str, line: u64) -> bool {
    json["findings"].as_array().unwrap().iter().any(|f| {
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == path && e["line"].as_u64() == Some(line))
    })
}

/// Where a file's name tells the tool what it is, the same bad content
/// must be warned about under that name (in the tree above, many are
/// unrecognisable and only listed).
#[test]
fn bad_files_under_the_names_that_say_what_they_are() {
    let src = repo().join("fixtures/bad-input");
    let root = tempfile::tempdir().unwrap();
    let layout = [
        (
            "loadgen/handmade-empty.txt",
            "nodes/n1/loadgen/empty/mlperf_log_summary.txt",
        ),
        (
            "loadgen/handmade-invalid-utf8-summary.txt",
            "nodes/n1/loadgen/utf8/mlperf_log_summary.txt",
        ),
        (
            "loadgen/handmade-truncated-summary.txt",
            "nodes/n1/loadgen/cut/mlperf_log_summary.txt",
        ),
        (
            "loadgen/handmade-malformed-detail.txt",
            "nodes/n1/loadgen/cut/mlperf_log_detail.txt",
        ),
        (
            "loadgen-extra/handmade-not-a-trace.json",
            "nodes/n1/loadgen/cut/mlperf_log_trace.json",
        ),
        (
            "loadgen-extra/handmade-unreadable-accuracy.txt",
            "nodes/n1/loadgen/cut/accuracy.txt",
        ),
        (
            "loadgen-extra/handmade-truncated-accuracy.json",
            "nodes/n1/loadgen/utf8/mlperf_log_accuracy.json",
        ),
        (
            "loadgen-extra/handmade-malformed-user.conf",
            "sub/user.conf",
        ),
        (
            "loadgen-extra/handmade-array-measurements.json",
            "sub/measurements.json",
        ),
        (
            "loadgen-extra/handmade-truncated-system.json",
            "sub/systems/S.json",
        ),
        (
            "run-record/handmade-not-json.run.json",
            "records/bad.run.json",
        ),
    ];
    for (from, to) in layout {
        let to = root.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(from), &to).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(out.path())
        .arg(root.path())
        .assert()
        .code(0);
    let json = report_json(out.path());
    let warned = warnings(&json);
    for (from, to) in layout {
        let list = warned
            .get(to)
            .unwrap_or_else(|| panic!("{from} as {to}: no warning; got {warned:#?}"));
        let empty = std::fs::metadata(src.join(from)).unwrap().len() == 0;
        assert!(
            empty || list.iter().any(|(l, _)| l.is_some()),
            "{from} as {to}: no line named: {list:?}"
        );
    }
}

/// 100 000 opening brackets after a prefix each parser recognises: serde's
/// recursion limit (or an iterative skip) and the XML depth cap must turn
/// it into a warning with a line, on a 2 MiB stack (the main thread has 8).
#[test]
fn deep_nesting_is_a_warning_in_every_structured_parser() {
    const DEPTH: usize = 100_000;
    let deep = |prefix: &str, unit: &str| {
        let mut s = prefix.to_string();
        s.push_str(&unit.repeat(DEPTH));
        s.into_bytes()
    };
    type Run = fn(&str, &[u8]) -> Vec<mlperf_health::model::ParseWarning>;
    let cases: Vec<(&str, Vec<u8>, Run)> = vec![
        ("ansible.json", deep("{\"plays\": ", "["), |p, d| {
            parse::ansible::parse(p, d, &BTreeSet::new(), &mut NullSink).warnings
        }),
        (
            "ansible-obj.json",
            deep("{\"plays\": [{\"tasks\": [", "{\"a\":"),
            |p, d| parse::ansible::parse(p, d, &BTreeSet::new(), &mut NullSink).warnings,
        ),
        (
            "kubectl.json",
            deep("{\"kind\": \"List\", \"items\": ", "["),
            |p, d| parse::kubectl::parse(p, d, &mut NullSink).warnings,
        ),
        (
            "dcgm.json",
            deep("{\"DCGM Diagnostic\": ", "{\"a\":"),
            |p, d| parse::dcgm::parse(p, d).warnings,
        ),
        (
            "x.run.json",
            deep("{\"record_version\": 1, \"stdout\": ", "["),
            |p, d| parse::run_record::parse(p, d, &mut NullSink).warnings,
        ),
        (
            "pip-list.json",
            deep("[{\"name\": \"a\", \"x\": ", "["),
            |p, d| parse::software::parse(p, d).warnings,
        ),
        ("systems/S.json", deep("{\"a\": ", "["), |p, d| {
            parse::submission::parse(p, d).warnings
        }),
        (
            "mlperf_log_trace.json",
            deep("{\"traceEvents\": [\n", "["),
            |p, d| parse::loadgen_trace::parse(p, d).warnings,
        ),
        (
            "mlperf_log_accuracy.json",
            deep("[\n{\"qsl_idx\": 0, \"data\": ", "["),
            |p, d| parse::loadgen_accuracy::parse(p, d).warnings,
        ),
        (
            "mlperf_log_detail.txt",
            deep(":::MLLOG {\"key\": \"x\", \"value\": ", "["),
            |p, d| parse::loadgen_detail::parse(p, d, None, None, &mut NullSink).warnings,
        ),
        (
            "nvidia-smi.xml",
            deep("<nvidia_smi_log><gpu id=\"1\">", "<a>"),
            |p, d| parse::nvidia_smi_xml::parse(p, d).warnings,
        ),
    ];
    for (path, data, run) in cases {
        let path = path.to_string();
        let shown = path.clone();
        let warnings = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || run(&path, &data))
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{shown}: the parser panicked"));
        assert!(
            warnings.iter().any(|w| w.path == shown && w.line.is_some()),
            "{shown}: no warning with a line: {warnings:?}"
        );
    }
}

/// chmod 000 does not stop root (CAP_DAC_OVERRIDE), and CI runs as root: the
/// tool then runs as `nobody` through `setpriv`. Without either (root and
/// no setpriv), the test says so and skips.
#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for d in [
        "nodes/n1/steps/locked",
        "nodes/n1/steps/open",
        "nodes/n2/steps/s",
    ] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    std::fs::write(
        r.join("nodes/n1/steps/locked/stderr.log"),
        "ModuleNotFoundError: No module named 'hidden'\n",
    )
    .unwrap();
    std::fs::write(
        r.join("nodes/n1/steps/open/stderr.log"),
        "ModuleNotFoundError: No module named 'visible'\n",
    )
    .unwrap();
    std::fs::write(r.join("nodes/n2/steps/s/stderr.log"), "x\n").unwrap();
    std::fs::write(r.join("gpu0.xml"), "<nvidia_smi_log></nvidia_smi_log>\n").unwrap();
    let set = |p: &str, mode: u32| {
        std::fs::set_permissions(r.join(p), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    // Everyone may walk the tree and write the output (for `nobody`)…
    set(".", 0o755);
    let out = tempfile::tempdir().unwrap();
    std::fs::set_permissions(out.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // …but not read these.
    set("nodes/n1/steps/locked/stderr.log", 0o000);
    set("gpu0.xml", 0o000);
    set("nodes/n2", 0o000);

    let denied = std::fs::read(r.join("gpu0.xml")).is_err();
    let exe = env!("CARGO_BIN_EXE_mlperf-health");
    let mut cmd = if denied {
        std::process::Command::new(exe)
    } else {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let exe_reachable = Path::new(exe).ancestors().all(|a| {
            a.metadata()
                .is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
        });
        match setpriv {
            Some(sp) if exe_reachable => {
                let mut c = std::process::Command::new(sp);
                c.args(["--reuid=65534", "--regid=65534", "--clear-groups", exe]);
                c
            }
            _ => {
                for p in ["nodes/n1/steps/locked/stderr.log", "gpu0.xml", "nodes/n2"] {
                    set(p, 0o755);
                }
                eprintln!(
                    "SKIPPED unreadable_files_and_folders_are_named: running with \
                     CAP_DAC_OVERRIDE (root), where chmod 000 does not deny reading, and \
                     setpriv (or a path `nobody` can reach the binary by) is missing"
                );
                return;
            }
        }
    };
    let status = cmd
        .args(["report", "--quiet", "--format", "json,md", "--out"])
        .arg(out.path())
        .arg(r)
        .status()
        .unwrap();
    for p in ["nodes/n1/steps/locked/stderr.log", "gpu0.xml", "nodes/n2"] {
        set(p, 0o755);
    }
    assert_eq!(status.code(), Some(0));
    let json = report_json(out.path());
    let unreadable: BTreeMap<String, String> = json["inputs"]["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for p in ["nodes/n1/steps/locked/stderr.log", "gpu0.xml", "nodes/n2"] {
        assert_eq!(
            unreadable.get(p).map(String::as_str),
            Some("permission denied"),
            "{p}: {unreadable:?}"
        );
    }
    // The rest is read: the open step's error is classified.
    let findings = json["findings"].to_string();
    assert!(findings.contains("visible") && !findings.contains("hidden"));
    assert!(out.path().join("report.md").is_file());
}

/// A tree of thousands of tiny files, node folders and step folders: the
/// Markdown and HTML stay bounded (lists are cut with a note), the JSON
/// grows only linearly.
#[test]
fn thousands_of_tiny_files_do_not_blow_up_the_report() {
    let root = tempfile::tempdir().unwrap();
    let mut harness_hosts = serde_json::Map::new();
    for i in 0..1500 {
        let d = root
            .path()
            .join(format!("nodes/node-{i:04}/steps/step-{i}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("stderr.log"),
            format!("ModuleNotFoundError: No module named 'mod_{i}'\nRuntimeError: CUDA error: out of memory {i}\n"),
        )
        .unwrap();
        harness_hosts.insert(
            format!("node-{i:04}"),
            serde_json::json!({"rc": 0, "changed": true, "stdout": "", "stderr": ""}),
        );
    }
    for i in 0..1500 {
        std::fs::write(root.path().join(format!("junk-{i}.bin")), [i as u8; 3]).unwrap();
    }
    // One task per host, each with its own name: a steps × nodes matrix of
    // 1500² cells if nothing cut it.
    let tasks: Vec<serde_json::Value> = harness_hosts
        .into_iter()
        .enumerate()
        .map(|(i, (h, r))| {
            serde_json::json!({"task": {"name": format!("task-{i}"), "id": format!("t{i}")},
                               "hosts": {h: r}})
        })
        .collect();
    let ansible = serde_json::json!({"custom_stats": {}, "plays": [{"play": {"name": "p", "id": "p"}, "tasks": tasks}], "stats": {}});
    std::fs::create_dir_all(root.path().join("ansible")).unwrap();
    std::fs::write(root.path().join("ansible/run.json"), ansible.to_string()).unwrap();
    let input_bytes: u64 = snapshot(root.path())
        .values()
        .map(|e| e.bytes.len() as u64)
        .sum();

    let out = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "--quiet",
            "--format",
            "md,html,json,junit",
            "--out",
        ])
        .arg(out.path())
        .arg(root.path())
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .code(0);
    let size = |f: &str| std::fs::metadata(out.path().join(f)).unwrap().len();
    let json = report_json(out.path());
    assert_eq!(json["inputs"]["files_total"].as_u64(), Some(3001));
    assert_eq!(
        json["inputs"]["unrecognized"].as_array().unwrap().len(),
        200
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("The matrix shows the first 64 of 1,500 nodes and 200 of 1,500 steps"));
    // A finding on every node names 20 of them.
    assert!(md.contains(" and 1,480 more"), "node lists are not cut");
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        eprintln!("{f}: {} bytes for {input_bytes} bytes of input", size(f));
    }
    // Linear in the input at worst, whatever the format.
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        assert!(
            size(f) < 12 * input_bytes + 1_000_000,
            "{f}: {} bytes for {input_bytes} bytes of input",
            size(f)
        );
    }
}

/// If one output cannot be written (here `report.html` is a folder), the
/// others still are, and the exit code says so.
#[test]
fn one_failed_write_does_not_lose_the_others() {
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir(out.path().join("report.html")).unwrap();
    std::fs::write(out.path().join("report.html/keep"), "not ours").unwrap();
    let run = bin()
        .args(["report", "--format", "md,html,json", "--out"])
        .arg(out.path())
        .arg("fixtures/campaigns/demo")
        .assert();
    let o = run.get_output();
    let code = o.status.code();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        code,
        Some(2),
        "exit {code:?} after a failed write (2: no complete report)"
    );
    assert!(
        stderr.contains("report.html"),
        "the failed file is not named: {stderr}"
    );
    for f in ["report.md", "report.json"] {
        assert!(out.path().join(f).is_file(), "{f} was not written");
    }
    assert_eq!(
        std::fs::read_to_string(out.path().join("report.html/keep")).unwrap(),
        "not ours"
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The 200 MB single-line file of the issue, written to a temp folder at
/// run time (about 2 s and 20 MiB of memory for the debug build, so it runs
/// in every `cargo test`).
#[test]
fn a_200_mb_line_is_cut_with_a_warning_and_bounded_memory() {
    use std::io::Write;
    let root = tempfile::tempdir().unwrap();
    let steps = root.path().join("nodes/n1/steps/s1");
    std::fs::create_dir_all(&steps).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(steps.join("stdout.log")).unwrap());
    f.write_all(b"first line\n").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\nModuleNotFoundError: No module named 'after'\n")
        .unwrap();
    f.flush().unwrap();
    drop(f);
    let out = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    // python3 reports the child's peak memory (no libc here); without it,
    // only the output is checked.
    let exe = env!("CARGO_BIN_EXE_mlperf-health");
    let measured = std::process::Command::new("python3")
        .args([
            "-c",
            "import resource,subprocess,sys; r=subprocess.run(sys.argv[1:]).returncode; \
             print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r)",
            exe,
            "report",
            "--quiet",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .arg(root.path())
        .output();
    let peak_kib: Option<u64> = match measured {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().parse().ok(),
        _ => {
            bin()
                .args(["report", "--quiet", "--format", "json", "--out"])
                .arg(out.path())
                .arg(root.path())
                .assert()
                .code(0);
            None
        }
    };
    eprintln!(
        "200 MB line: {:?}, peak RSS {peak_kib:?} KiB",
        start.elapsed()
    );
    if let Some(kib) = peak_kib {
        assert!(kib < 100 * 1024, "peak memory {kib} KiB for a 200 MB line");
    }
    let json = report_json(out.path());
    let w = json["inputs"]["warnings"].to_string();
    assert!(w.contains("longer than 64 KiB"), "{w}");
    assert!(w.contains("\"line\":2"), "{w}");
    assert!(has_evidence(&json, "nodes/n1/steps/s1/stdout.log", 3));
    let size = std::fs::metadata(out.path().join("report.json"))
        .unwrap()
        .len();
    assert!(size < 200_000, "report.json is {size} bytes");
}
