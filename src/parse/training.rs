//! MLPerf Training / HPC `result_*.txt` logs: `:::MLLOG {json}` events
//! written by the `mlperf-logging` package (format notes, §5).
//!
//! Real files are not clean. Like the official parser
//! (`compliance_checker/mlp_parser`), a line counts when it holds
//! `:::MLLOG ` anywhere and everything before the last marker is dropped,
//! so srun rank prefixes (`0: `, ` 7: `) do not matter; `\r\n` endings are
//! stripped by the line reader; other harness output (`:::SYSJSON`,
//! `:::DLPAL`, `+ srun …` traces, Python warnings) is counted and streamed to
//! the sink so the error rules see it. Lines from several ranks may repeat a
//! key and are not strictly time-ordered: lifecycle keys keep their first
//! and last occurrence, in file order.

use std::io::BufRead;

use memchr::memmem;
use serde::Deserialize;
use serde_json::Value;

use super::lines::LineReader;
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{
    EVAL_POINTS_KEPT, EVIDENCE_TEXT_MAX, EvalPoint, EventMark, EventSpan, HYPERPARAMETERS_KEPT,
    KEYS_KEPT, LoggedValue, ParseWarning, SEEDS_KEPT, SeedRecord, Stream, TrainingLog, VALUE_MAX,
    cap_text,
};

/// The record marker (with its trailing space, as the official parser).
pub const MARKER: &str = ":::MLLOG ";

/// Keys only training logs write. LoadGen detail logs use `:::MLLOG` too,
/// but never these names.
const TRAINING_KEYS: &[&str] = &[
    "\"run_start\"",
    "\"init_start\"",
    "\"cache_clear\"",
    "\"submission_benchmark\"",
    "\"submission_org\"",
    "\"submission_division\"",
    "\"global_batch_size\"",
    "\"eval_accuracy\"",
];

/// Strings only LoadGen detail logs write (`loadgen_version`,
/// `effective_*` settings, its `line_no` metadata and namespace).
const LOADGEN_MARKS: &[&str] = &[
    "loadgen_version",
    "\"effective_",
    "\"line_no\"",
    "mlperf::logging",
];

/// Malformed `:::MLLOG` lines reported one by one; the rest are counted in
/// one warning.
const BAD_LINES_REPORTED: usize = 5;

/// Keys besides `opt_*` kept as hyperparameters: the run-defining values
/// the closed-division compliance files check.
const HYPERPARAMETER_KEYS: &[&str] = &[
    "gradient_accumulation_steps",
    "train_samples",
    "eval_samples",
    "max_steps",
    "max_sequence_length",
    "init_checkpoint_step",
    "evaluation_frequency",
    "num_warmup_steps",
    "start_warmup_step",
    "lora_alpha",
    "lora_rank",
    "micro_batch_size",
    "tensor_parallelism",
    "pipeline_parallelism",
    "context_parallelism",
    "expert_parallelism",
];

/// True when the head of a file is a training log: it has `:::MLLOG`, a
/// key only training logs use, and nothing only LoadGen writes.
pub fn sniff(head: &[u8]) -> bool {
    let has = |s: &str| memmem::find(head, s.as_bytes()).is_some();
    has(":::MLLOG") && TRAINING_KEYS.iter().any(|k| has(k)) && !LOADGEN_MARKS.iter().any(|k| has(k))
}

/// True for a file name the result_summarizer globs (`result_*.txt`).
pub fn is_result_name(name: &str) -> bool {
    name.len() > "result_.txt".len() && name.starts_with("result_") && name.ends_with(".txt")
}

/// The fields of one event this parser uses; unknown fields are ignored.
#[derive(Deserialize)]
struct Record {
    key: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    time_ms: Value,
    #[serde(default)]
    metadata: Value,
}

/// Parse a training log. Lines that are not `:::MLLOG` events go to `sink`
/// (with `node`), so NCCL errors or tracebacks in the harness output are
/// classified like any other log.
pub fn parse<R: BufRead>(
    path: &str,
    reader: R,
    node: Option<&str>,
    sink: &mut dyn LineSink,
) -> Parsed<TrainingLog> {
    let finder = memmem::FinderRev::new(MARKER.as_bytes());
    let forward = memmem::Finder::new(MARKER.as_bytes());
    let mut lines = LineReader::new(reader);
    let mut p = TrainingParser {
        path,
        out: TrainingLog::default(),
        warnings: Vec::new(),
    };
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                // The last marker, as `re.sub(".*" + TOKEN, TOKEN, line)`.
                match finder.rfind(line.text.as_bytes()) {
                    Some(at) => {
                        if forward
                            .find(line.text.as_bytes())
                            .is_some_and(|first| first < at)
                        {
                            p.merged(line.number);
                        }
                        let prefix = line.text.get(..at).unwrap_or("");
                        let event = line.text.get(at..).unwrap_or("");
                        p.event(line.number, event, !prefix.trim().is_empty());
                    }
                    None => {
                        if !line.text.trim().is_empty() {
                            p.out.other_lines += 1;
                        }
                        let origin = LineOrigin {
                            path,
                            line: line.number,
                            node,
                            step: None,
                            stream: Stream::Log,
                            locator: None,
                        };
                        sink.line(&origin, line.text);
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                p.warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    let mut warnings = lines.warnings(path);
    warnings.append(&mut p.warnings);
    let mut out = p.out;
    out.lines = lines.lines_read();
    let bad = usize::try_from(out.bad_lines).unwrap_or(usize::MAX);
    if bad > BAD_LINES_REPORTED {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} more malformed :::MLLOG line(s) skipped",
                bad - BAD_LINES_REPORTED
            ),
        ));
    }
    let merged = usize::try_from(out.merged_lines).unwrap_or(usize::MAX);
    if merged > BAD_LINES_REPORTED {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} more line(s) with several :::MLLOG events",
                merged - BAD_LINES_REPORTED
            ),
        ));
    }
    if out.mllog_lines == 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            "no :::MLLOG events: not an MLPerf training log, or empty",
        ));
    }
    warnings.sort();
    Parsed {
        value: out,
        warnings,
    }
}

struct TrainingParser<'p> {
    path: &'p str,
    out: TrainingLog,
    warnings: Vec<ParseWarning>,
}

impl TrainingParser<'_> {
    fn bad(&mut self, line: u64, why: String) {
        self.out.bad_lines += 1;
        if self.out.bad_lines <= BAD_LINES_REPORTED as u64 {
            self.warnings.push(ParseWarning::new(
                self.path,
                Some(line),
                format!("malformed :::MLLOG line skipped: {why}"),
            ));
        }
    }

    fn merged(&mut self, line: u64) {
        self.out.merged_lines += 1;
        if self.out.merged_lines <= BAD_LINES_REPORTED as u64 {
            self.warnings.push(ParseWarning::new(
                self.path,
                Some(line),
                "several :::MLLOG events on one line (ranks writing at once): only the last was read",
            ));
        }
    }

    /// One `:::MLLOG {json}` event; `text` starts at the marker.
    fn event(&mut self, line: u64, text: &str, prefixed: bool) {
        let json = text.get(MARKER.len()..).unwrap_or("").trim();
        let rec: Record = match serde_json::from_str(json) {
            Ok(r) => r,
            Err(e) => {
                // serde's own "at line 1 column N" would read as a file line.
                let msg = e.to_string();
                let what = msg.split(" at line ").next().unwrap_or("invalid JSON");
                return self.bad(line, format!("{what} (JSON column {})", e.column()));
            }
        };
        self.out.mllog_lines += 1;
        if prefixed {
            self.out.prefixed_lines += 1;
        }
        let out = &mut self.out;
        let key = rec.key.as_str();
        if let Some(n) = out.key_counts.get_mut(key) {
            *n += 1;
        } else if out.key_counts.len() < KEYS_KEPT {
            out.key_counts.insert(cap_text(key, VALUE_MAX), 1);
        } else {
            out.keys_dropped += 1;
        }
        let time_ms = number(&rec.time_ms);
        let mark = || EventMark {
            time_ms,
            line,
            text: cap_text(text, EVIDENCE_TEXT_MAX),
        };
        let logged = || LoggedValue {
            value: value_text(&rec.value),
            line,
        };
        match key {
            "submission_benchmark" => set_once(&mut out.benchmark, logged),
            "submission_org" => set_once(&mut out.org, logged),
            "submission_division" => set_once(&mut out.division, logged),
            "submission_platform" => set_once(&mut out.platform, logged),
            "submission_status" => set_once(&mut out.submission_status, logged),
            "global_batch_size" => set_once(&mut out.global_batch_size, logged),
            "target_accuracy" => set_once(&mut out.target_accuracy, logged),
            "init_start" => span(&mut out.init_start, mark()),
            "init_stop" => span(&mut out.init_stop, mark()),
            "run_start" => span(&mut out.run_start, mark()),
            "run_stop" => {
                if out.run_stop.is_none() {
                    out.run_stop_status = rec
                        .metadata
                        .get("status")
                        .map(|s| cap_text(&value_text(s), VALUE_MAX));
                }
                span(&mut out.run_stop, mark());
            }
            "epoch_start" => out.epoch_starts += 1,
            "block_start" => out.block_starts += 1,
            "eval_accuracy" => {
                out.eval_total += 1;
                match number(&rec.value) {
                    Some(value) => {
                        if out.eval.len() < EVAL_POINTS_KEPT {
                            out.eval.push(EvalPoint {
                                value,
                                epoch_num: rec.metadata.get("epoch_num").and_then(number),
                                samples_count: rec.metadata.get("samples_count").and_then(number),
                                time_ms,
                                line,
                            });
                        }
                    }
                    None => out.eval_non_numeric += 1,
                }
            }
            "seed" => {
                out.seeds_total += 1;
                let rec = SeedRecord {
                    value: value_text(&rec.value),
                    file: rec
                        .metadata
                        .get("file")
                        .map(|f| cap_text(&value_text(f), VALUE_MAX)),
                    lineno: rec.metadata.get("lineno").and_then(Value::as_u64),
                    line,
                };
                let seen = out
                    .seeds
                    .iter()
                    .any(|s| s.value == rec.value && s.file == rec.file && s.lineno == rec.lineno);
                if !seen && out.seeds.len() < SEEDS_KEPT {
                    out.seeds.push(rec);
                }
            }
            k if is_hyperparameter(k)
                && !out.hyperparameters.contains_key(k)
                && out.hyperparameters.len() < HYPERPARAMETERS_KEPT =>
            {
                out.hyperparameters.insert(cap_text(k, VALUE_MAX), logged());
            }
            _ => {}
        }
    }
}

fn is_hyperparameter(key: &str) -> bool {
    key.starts_with("opt_") || HYPERPARAMETER_KEYS.contains(&key)
}

fn set_once(slot: &mut Option<LoggedValue>, value: impl FnOnce() -> LoggedValue) {
    if slot.is_none() {
        *slot = Some(value());
    }
}

fn span(slot: &mut Option<EventSpan>, mark: EventMark) {
    match slot {
        Some(s) => s.last = mark,
        None => {
            *slot = Some(EventSpan {
                first: mark.clone(),
                last: mark,
            })
        }
    }
}

/// A JSON number, or a string holding one (some harnesses quote `time_ms`);
/// never NaN or infinite.
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|x| x.is_finite())
}

/// A value as text: strings unquoted, everything else as compact JSON,
/// capped.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => cap_text(s, VALUE_MAX),
        Value::Null => String::new(),
        other => cap_text(&other.to_string(), VALUE_MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{CollectSink, NullSink};

    fn keys(log: &TrainingLog) -> Vec<&str> {
        log.key_counts.keys().map(String::as_str).collect()
    }

    fn run(text: &[u8]) -> Parsed<TrainingLog> {
        parse("r/result_0.txt", text, None, &mut NullSink)
    }

    const OK: &str = concat!(
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 1000, \"event_type\": \"INTERVAL_START\", \"key\": \"init_start\", \"value\": null, \"metadata\": {\"file\": \"t.py\", \"lineno\": 1}}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 1001, \"event_type\": \"POINT_IN_TIME\", \"key\": \"submission_benchmark\", \"value\": \"dlrm_dcnv2\", \"metadata\": {\"file\": \"t.py\", \"lineno\": 2}}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 1001, \"event_type\": \"POINT_IN_TIME\", \"key\": \"seed\", \"value\": 7, \"metadata\": {\"file\": \"t.py\", \"lineno\": 3}}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 1001, \"event_type\": \"POINT_IN_TIME\", \"key\": \"opt_base_learning_rate\", \"value\": 0.0034, \"metadata\": {\"file\": \"t.py\", \"lineno\": 4}}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 2000, \"event_type\": \"INTERVAL_END\", \"key\": \"init_stop\", \"value\": null, \"metadata\": {\"file\": \"t.py\", \"lineno\": 5}}\n",
        "0: :::MLLOG {\"namespace\": \"\", \"time_ms\": 2000, \"event_type\": \"INTERVAL_START\", \"key\": \"run_start\", \"value\": null, \"metadata\": {\"file\": \"t.py\", \"lineno\": 6}}\r\n",
        ":::SYSJSON {\"submitter\": \"x\"}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 62000, \"event_type\": \"POINT_IN_TIME\", \"key\": \"eval_accuracy\", \"value\": 0.81, \"metadata\": {\"file\": \"t.py\", \"lineno\": 7, \"epoch_num\": 0.5}}\n",
        ":::MLLOG {\"namespace\": \"\", \"time_ms\": 122000, \"event_type\": \"INTERVAL_END\", \"key\": \"run_stop\", \"value\": null, \"metadata\": {\"file\": \"t.py\", \"lineno\": 8, \"status\": \"success\"}}\n",
    );

    #[test]
    fn reads_events_with_prefixes_crlf_and_noise() {
        let mut sink = CollectSink::default();
        let p = parse("r/result_0.txt", OK.as_bytes(), Some("n1"), &mut sink);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let v = p.value;
        assert_eq!(v.mllog_lines, 8);
        assert_eq!(v.prefixed_lines, 1);
        assert_eq!(v.other_lines, 1);
        assert_eq!(sink.lines.len(), 1);
        assert_eq!(sink.lines[0].1, 7);
        assert_eq!(sink.lines[0].2.as_deref(), Some("n1"));
        assert_eq!(
            v.benchmark.as_ref().map(|b| b.value.as_str()),
            Some("dlrm_dcnv2")
        );
        let rs = v.run_start.clone().expect("run_start");
        assert_eq!(rs.first.line, 6);
        assert_eq!(rs.first.time_ms, Some(2000.0));
        assert!(rs.first.text.starts_with(":::MLLOG {"));
        assert!(!rs.first.text.ends_with('\r'));
        assert_eq!(v.run_stop_status.as_deref(), Some("success"));
        assert_eq!(v.eval.len(), 1);
        assert_eq!(v.eval[0].epoch_num, Some(0.5));
        assert_eq!(v.seeds[0].value, "7");
        assert_eq!(v.seeds[0].lineno, Some(3));
        assert_eq!(v.hyperparameters["opt_base_learning_rate"].value, "0.0034");
        assert_eq!(v.count("init_start"), 1);
        assert_eq!(
            keys(&v),
            [
                "eval_accuracy",
                "init_start",
                "init_stop",
                "opt_base_learning_rate",
                "run_start",
                "run_stop",
                "seed",
                "submission_benchmark"
            ]
        );
    }

    #[test]
    fn malformed_lines_warn_with_line_numbers_and_are_capped() {
        let mut text = String::from(OK);
        for _ in 0..8 {
            text.push_str(":::MLLOG {\"key\": \"eval_accuracy\", \"value\": 0.9\n");
        }
        text.push_str(":::MLLOG [1, 2]\n");
        let p = run(text.as_bytes());
        assert_eq!(p.value.bad_lines, 9);
        assert_eq!(p.value.mllog_lines, 8);
        let located: Vec<Option<u64>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            located,
            [None, Some(10), Some(11), Some(12), Some(13), Some(14)]
        );
        assert!(p.warnings[0].message.starts_with("4 more"));
    }

    #[test]
    fn empty_and_garbage_inputs_do_not_panic() {
        for input in [
            &b""[..],
            b"\xff\xfe\x00garbage",
            b":::MLLOG ",
            b":::MLLOG {\"key\": 5}",
            b":::MLLOG {\"key\": \"eval_accuracy\", \"value\": \"NaN\", \"time_ms\": \"x\"}",
            b":::MLLOG {\"key\": \"seed\", \"value\": {\"a\": [1]}, \"metadata\": 3}",
        ] {
            let p = run(input);
            assert!(!p.warnings.is_empty() || p.value.mllog_lines > 0);
        }
        let p = run(b":::MLLOG {\"key\": \"eval_accuracy\", \"value\": {\"FID\": 80}}");
        assert_eq!(p.value.eval_non_numeric, 1);
        assert!(p.value.eval.is_empty());
    }

    #[test]
    fn caps_hold_on_hostile_input() {
        let mut text = String::new();
        for i in 0..(KEYS_KEPT + 10) {
            text.push_str(&format!(":::MLLOG {{\"key\": \"k{i}\", \"value\": {i}}}\n"));
            text.push_str(&format!(
                ":::MLLOG {{\"key\": \"seed\", \"value\": {i}, \"metadata\": {{\"lineno\": 1}}}}\n"
            ));
        }
        for i in 0..(EVAL_POINTS_KEPT + 3) {
            text.push_str(&format!(
                ":::MLLOG {{\"key\": \"eval_accuracy\", \"value\": {i}}}\n"
            ));
        }
        let v = run(text.as_bytes()).value;
        assert_eq!(v.key_counts.len(), KEYS_KEPT);
        assert!(v.keys_dropped > 0);
        assert_eq!(v.seeds.len(), SEEDS_KEPT);
        assert_eq!(v.seeds_total, (KEYS_KEPT + 10) as u64);
        assert_eq!(v.eval.len(), EVAL_POINTS_KEPT);
        assert_eq!(v.eval_total, (EVAL_POINTS_KEPT + 3) as u64);
    }

    #[test]
    fn sniff_tells_training_from_loadgen() {
        assert!(sniff(OK.as_bytes()));
        let loadgen = b":::MLLOG {\"key\": \"loadgen_version\", \"value\": \"5.1\", \"time_ms\": 0.01, \"namespace\": \"mlperf::logging\", \"event_type\": \"POINT_IN_TIME\", \"metadata\": {\"is_error\": false, \"line_no\": 1}}";
        assert!(!sniff(loadgen));
        assert!(!sniff(b"\"run_start\" but no marker"));
        assert!(is_result_name("result_0.txt"));
        assert!(is_result_name("result_12.txt"));
        assert!(!is_result_name("result_.txt"));
        assert!(!is_result_name("results.txt"));
    }
}
