//! The fuzz targets, shared by the `cargo fuzz` crate (`tests/fuzz/`) and the
//! stable in-tree fuzzer (`tests/it/fuzz.rs`), so both exercise exactly the
//! same calls. Each target feeds arbitrary bytes to one parser and checks
//! the promises every parser makes beyond "does not panic": warnings and
//! sink lines name the file they were given, and line numbers are 1-based.
//!
//! Targets and their seed corpora are listed in `tests/fuzz/targets.txt`;
//! `docs/fuzzing.md` says how to run them.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use mlperf_health::analyze::classify::Classifier;
use mlperf_health::analyze::rules::RuleSet;
use mlperf_health::model::{ParseWarning, Stream};
use mlperf_health::parse::{self, LineOrigin, LineSink};

/// Runs one input; panics only on a bug.
pub type Run = fn(&[u8]);

/// Every target: its name (as in `targets.txt` and `fuzz_targets/`) and
/// the function that runs one input.
pub const TARGETS: &[(&str, Run)] = &[
    ("loadgen_summary", loadgen_summary),
    ("loadgen_detail", loadgen_detail),
    ("loadgen_trace", loadgen_trace),
    ("loadgen_accuracy", loadgen_accuracy),
    ("accuracy_result", accuracy_result),
    ("loadgen_config", loadgen_config),
    ("submission", submission),
    ("verify", verify),
    ("training", training),
    ("ansible", ansible),
    ("nvidia_smi_xml", nvidia_smi_xml),
    ("nvidia_smi_csv", nvidia_smi_csv),
    ("nvidia_smi_text", nvidia_smi_text),
    ("kernel_log", kernel_log),
    ("dcgm", dcgm),
    ("kubectl", kubectl),
    ("run_record", run_record),
    ("software", software),
    ("step_log", step_log),
    ("sniff", sniff),
    ("escape", escape),
];

const PATH: &str = "nodes/n1/fuzz/input";

/// A sink that checks what parsers hand it, and drops the text.
struct CheckSink<'p> {
    path: &'p str,
}

impl LineSink for CheckSink<'_> {
    fn line(&mut self, o: &LineOrigin<'_>, _text: &str) {
        assert_eq!(o.path, self.path, "a sink line names another file");
        assert!(o.line >= 1, "sink line numbers are 1-based, got {}", o.line);
    }
}

fn check(path: &str, warnings: &[ParseWarning]) {
    for w in warnings {
        assert_eq!(w.path, path, "a warning names another file: {w:?}");
        assert_ne!(w.line, Some(0), "warning line numbers are 1-based: {w:?}");
        assert!(!w.message.is_empty(), "a warning without a message: {w:?}");
    }
}

/// One input for the `loadgen_summary` parser.
pub fn loadgen_summary(data: &[u8]) {
    let p = parse::loadgen_summary::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `loadgen_detail` parser.
pub fn loadgen_detail(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let p =
        parse::loadgen_detail::parse(PATH, data, Some("n1"), Some("loadgen_offline"), &mut sink);
    check(PATH, &p.warnings);
}

/// One input for the `loadgen_trace` parser.
pub fn loadgen_trace(data: &[u8]) {
    let p = parse::loadgen_trace::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `loadgen_accuracy` parser.
pub fn loadgen_accuracy(data: &[u8]) {
    let p = parse::loadgen_accuracy::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `accuracy_result` parser.
pub fn accuracy_result(data: &[u8]) {
    let p = parse::accuracy_result::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `loadgen_config` parser.
pub fn loadgen_config(data: &[u8]) {
    let p = parse::loadgen_config::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// The file name decides between system description and measurements, so
/// the first byte picks one.
pub fn submission(data: &[u8]) {
    let (path, data) = match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => ("sub/systems/S.json", rest),
        Some((_, rest)) => ("sub/closed/x/measurements.json", rest),
        None => ("sub/systems/S.json", data),
    };
    let p = parse::submission::parse(path, data);
    check(path, &p.warnings);
}

/// The file name gives the check (accuracy or performance), so the first
/// byte picks one; both sit in a test folder, as in a submission tree.
pub fn verify(data: &[u8]) {
    let (path, data) = match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => ("sys/bench/Offline/TEST01/verify_accuracy.txt", rest),
        Some((_, rest)) => ("sys/bench/Server/TEST04/verify_performance.txt", rest),
        None => ("sys/bench/Offline/TEST06/verify_accuracy.txt", data),
    };
    let p = parse::verify::parse(path, data);
    check(path, &p.warnings);
}

/// One input for the MLPerf Training parser; lines that are not
/// `:::MLLOG` events go to the sink.
pub fn training(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let p = parse::training::parse(PATH, data, Some("n1"), &mut sink);
    check(PATH, &p.warnings);
}

/// One input for the `ansible` parser.
pub fn ansible(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let mut logged = BTreeSet::new();
    logged.insert(("node-a".to_string(), "warmup".to_string()));
    let p = parse::ansible::parse(PATH, data, &logged, &mut sink);
    check(PATH, &p.warnings);
}

/// One input for the `nvidia_smi_xml` parser.
pub fn nvidia_smi_xml(data: &[u8]) {
    let p = parse::nvidia_smi_xml::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `nvidia_smi_csv` parser.
pub fn nvidia_smi_csv(data: &[u8]) {
    let p = parse::nvidia_smi_csv::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `nvidia_smi_text` parser.
pub fn nvidia_smi_text(data: &[u8]) {
    let p = parse::nvidia_smi_text::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `kernel_log` parser.
pub fn kernel_log(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let p = parse::kernel_log::parse(PATH, data, Some("n1"), &mut sink);
    check(PATH, &p.warnings);
}

/// One input for the `dcgm` parser.
pub fn dcgm(data: &[u8]) {
    let p = parse::dcgm::parse(PATH, data);
    check(PATH, &p.warnings);
}

/// One input for the `kubectl` parser.
pub fn kubectl(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let p = parse::kubectl::parse(PATH, data, &mut sink);
    check(PATH, &p.warnings);
}

/// One input for the `run_record` parser.
pub fn run_record(data: &[u8]) {
    let mut sink = CheckSink { path: PATH };
    let p = parse::run_record::parse(PATH, data, &mut sink);
    check(PATH, &p.warnings);
}

/// The software parser picks its format from the file name, so the first
/// byte picks one of the names it knows (or none).
pub fn software(data: &[u8]) {
    const NAMES: &[&str] = &[
        "n/collect_env.txt",
        "n/pip-list.json",
        "n/pip-freeze.txt",
        "n/nvcc-version.txt",
        "n/uname.txt",
        "n/os-release",
        "n/lscpu.txt",
        "n/meminfo",
        "n/unknown.dat",
    ];
    let (path, data) = match data.split_first() {
        Some((b, rest)) => (NAMES[usize::from(*b) % NAMES.len()], rest),
        None => (NAMES[0], data),
    };
    let p = parse::software::parse(path, data);
    check(path, &p.warnings);
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| mlperf_health::pipeline::load_rules(&[]).expect("the built-in rules load"))
}

/// A step log through the production sink: every rule's regex and field
/// extraction sees the input.
pub fn step_log(data: &[u8]) {
    let mut classifier = Classifier::new(rules());
    let p = parse::step_log::parse(
        PATH,
        data,
        Some("n1"),
        Some("s1"),
        Stream::Stderr,
        &mut classifier,
    );
    check(PATH, &p.warnings);
    for group in classifier.finish() {
        let _ = format!("{group:?}");
    }
}

/// Content sniffing of a file's head (discovery runs it on every file).
pub fn sniff(data: &[u8]) {
    let head = &data[..data.len().min(4096)];
    let _ = mlperf_health::discover::sniff_bytes("input.log", head);
}

/// Text hygiene and Markdown escaping: whatever the input, the cleaned text
/// has no control characters and the Markdown cell cannot break a table
/// row or open an HTML tag.
pub fn escape(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let cleaned = mlperf_health::text::clean_text(&s);
    assert!(
        !cleaned.chars().any(char::is_control),
        "control character left in {cleaned:?}"
    );
    let cell = mlperf_health::render::escape::md_cell(&s);
    assert!(
        !cell.contains('<') && !cell.contains('>'),
        "raw angle bracket in {cell:?}"
    );
    assert!(!cell.contains('\n'), "line break in {cell:?}");
    let mut prev_backslash = false;
    for c in cell.chars() {
        assert!(
            c != '|' || prev_backslash,
            "unescaped table pipe in {cell:?}"
        );
        prev_backslash = c == '\\' && !prev_backslash;
    }
}
