//! `mlperf_log_detail.txt`: one `:::MLLOG {json}` record per line (format
//! notes, §2).
//!
//! The marker is searched anywhere in the line because wrappers (srun,
//! container runtimes) prefix log lines; `:::ENDPTS` lines written by the
//! endpoints variant of LoadGen carry the same JSON and are read alike.
//! Records are looked up by key, never by position, and only the first
//! occurrence of a key is kept: accuracy runs repeat the per-set keys, and the
//! submission checker also reads the first one.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::io::BufRead;

use memchr::memmem;
use serde::Deserialize;
use serde_json::Value;

use super::fastjson::{Cursor, to_f64};
use super::lines::LineReader;
use super::shapes::{self, Shape, Shapes};
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{
    Capped, DetailMessage, EVIDENCE_TEXT_MAX, LoadGenDetail, ParseWarning, Scenario, Stream,
    cap_text,
};

/// Record markers: LoadGen's own, and the endpoints variant.
const MARKERS: [&str; 2] = [":::MLLOG", ":::ENDPTS"];

/// Keys whose values are bulk data (every loaded sample index, every source
/// file hash). Real logs routinely exceed the line cap on these, and nothing
/// here needs their value, so a cut line with one of these keys is normal.
const BULK_KEYS: [&str; 3] = [
    "loaded_qsl_set",
    "loadgen_file_sha1",
    "loadgen_git_log_message",
];

/// `time_ms` counts from LoadGen's log origin; records logged before the
/// origin wrap around to ~1.8e13 ms (an unsigned underflow), which would turn
/// a 10-minute run into a 584-year one. Anything this large is not a time.
const MAX_PLAUSIBLE_TIME_MS: f64 = 1e13;

/// Most distinct keys kept per settings/results map. Real logs have under a
/// hundred; the cap only bounds memory on garbage input.
const MAX_KEYS: usize = 512;

/// The fields of a record this parser uses; unknown fields are ignored.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    time_ms: Option<f64>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Metadata {
    #[serde(default)]
    is_error: bool,
    #[serde(default)]
    is_warning: bool,
}

/// A record's value: parsed by serde, raw JSON text (validated by the fast
/// path) parsed only if a key keeps it, or missing from a cut line.
enum RecordValue<'v> {
    Parsed(Value),
    Raw(&'v [u8], OnceCell<Value>),
    Missing,
}

impl RecordValue<'_> {
    fn get(&self) -> Option<&Value> {
        match self {
            RecordValue::Parsed(v) => Some(v),
            // The fast path only accepts values serde accepts, so the
            // fallback to null is never taken.
            RecordValue::Raw(raw, cell) => {
                Some(cell.get_or_init(|| serde_json::from_slice(raw).unwrap_or(Value::Null)))
            }
            RecordValue::Missing => None,
        }
    }
}

/// What [`fast_record`] reads from a record.
struct FastRecord<'a> {
    key: &'a str,
    value: &'a [u8],
    time_ms: Option<f64>,
    /// The text of `time_ms` when it is a number.
    time_raw: Option<&'a [u8]>,
    meta: Metadata,
}

/// What a record shape stands for: its key and flags (the rest of a
/// record of that shape is its value and numbers).
type ShapeData = (Box<str>, Metadata);

/// Fields of a record that a shape stores: the value, then `time_ms`.
const SHAPE_VALUE: usize = 0;
const SHAPE_TIME: usize = 1;

/// A record in LoadGen's exact layout (`{"key": …, "value": …, "time_ms": …,
/// "namespace": …, "event_type": …, "metadata": {"is_error": …,
/// "is_warning": …, …}}`), read without allocating; `None` for anything
/// else, which serde then reads (see [`super::fastjson`]).
fn fast_record(json: &str) -> Option<FastRecord<'_>> {
    fn field(c: &mut Cursor<'_>, name: &[u8], first: bool) -> Option<()> {
        if !first {
            c.eat(b',')?;
        }
        c.expect_key(name)
    }
    let mut c = Cursor::new(json.as_bytes());
    c.eat(b'{')?;
    field(&mut c, b"key", true)?;
    let key = c.string()?;
    field(&mut c, b"value", false)?;
    let value = c.value()?;
    field(&mut c, b"time_ms", false)?;
    c.ws();
    let time_start = c.pos();
    let time_ms = c.opt_f64()?;
    let time_raw = time_ms.and_then(|_| json.as_bytes().get(time_start..c.pos()));
    field(&mut c, b"namespace", false)?;
    c.string()?;
    field(&mut c, b"event_type", false)?;
    c.string()?;
    field(&mut c, b"metadata", false)?;
    c.eat(b'{')?;
    field(&mut c, b"is_error", true)?;
    let is_error = c.boolean()?;
    field(&mut c, b"is_warning", false)?;
    let is_warning = c.boolean()?;
    while c.comma_or_close()? {
        // A repeated flag is an error for serde; leave it to serde.
        if matches!(c.key()?, b"is_error" | b"is_warning") {
            return None;
        }
        c.skip()?;
    }
    c.eat(b'}')?;
    c.at_end().then_some(FastRecord {
        key,
        value,
        time_ms,
        time_raw,
        meta: Metadata {
            is_error,
            is_warning,
        },
    })
}

/// A record of a shape seen before (see [`learn_shape`]), read like
/// [`fast_record`] would read it.
fn shaped_record<'a>(shapes: &'a mut Shapes<ShapeData>, json: &'a str) -> Option<FastRecord<'a>> {
    let bytes = json.as_bytes();
    let mut fields: [&[u8]; 2] = [&[]; 2];
    let hit = shapes.find(shapes::bucket(bytes)?, bytes, &mut fields)?;
    // `fast_record` reads to the end of the line.
    if hit.len != bytes.len() {
        return None;
    }
    let (key, meta) = hit.data;
    let [value, time] = fields;
    Some(FastRecord {
        key,
        value,
        // A shape without a `time_ms` number has `null` there.
        time_ms: if time.is_empty() { None } else { to_f64(time) },
        time_raw: None,
        meta: *meta,
    })
}

/// Keep the shape of a record [`fast_record`] read, for [`shaped_record`].
fn learn_shape(shapes: &mut Shapes<ShapeData>, json: &str, f: &FastRecord<'_>) {
    let bytes = json.as_bytes();
    let Some(bucket) = shapes::bucket(bytes).filter(|_| shapes.wants_more()) else {
        return;
    };
    let mut nums = [None; 2];
    if let Some(cell) = nums.get_mut(SHAPE_TIME) {
        *cell = f.time_raw;
    }
    let data: ShapeData = (f.key.into(), f.meta);
    if let Some(shape) = Shape::build(bytes, &nums, Some((SHAPE_VALUE, f.value)), data) {
        shapes.insert(bucket, shape);
    }
}

/// Parse a detail log. LoadGen errors and warnings also go to `sink` (with
/// `node`/`step` context) so rules can classify them.
pub fn parse<R: BufRead>(
    path: &str,
    reader: R,
    node: Option<&str>,
    step: Option<&str>,
    sink: &mut dyn LineSink,
) -> Parsed<LoadGenDetail> {
    let finders: Vec<memmem::Finder<'static>> = MARKERS
        .iter()
        .map(|m| memmem::Finder::new(m.as_bytes()))
        .collect();
    let mut lines = LineReader::new(reader);
    let mut d = DetailParser {
        path,
        node,
        step,
        out: LoadGenDetail::default(),
        first_ms: None,
        last_ms: None,
        first_malformed: None,
        text_lines: 0,
        unexpected_long: 0,
        first_unexpected_long: None,
        requested_scenario: None,
        dropped_keys: 0,
        first_dropped: None,
    };
    let mut shapes = Shapes::default();
    let mut warnings = Vec::new();
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                let bytes = line.text.as_bytes();
                let found = finders
                    .iter()
                    .zip(MARKERS)
                    .find_map(|(f, m)| f.find(bytes).map(|at| at + m.len()));
                match found {
                    Some(start) => {
                        let json = line.text.get(start..).unwrap_or("").trim();
                        d.record(line.number, json, line.truncated, &mut shapes, sink);
                    }
                    None if !line.text.trim().is_empty() => d.text_lines += 1,
                    None => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    // Cut bulk lines are expected (see BULK_KEYS); report only the others.
    lines.long_lines = d.unexpected_long;
    lines.first_long_line = d.first_unexpected_long;
    warnings.extend(lines.warnings(path));
    d.finish(lines.lines_read(), &mut warnings);
    Parsed {
        value: d.out,
        warnings,
    }
}

struct DetailParser<'p> {
    path: &'p str,
    node: Option<&'p str>,
    step: Option<&'p str>,
    out: LoadGenDetail,
    first_ms: Option<f64>,
    last_ms: Option<f64>,
    /// First malformed record line and why it failed.
    first_malformed: Option<(u64, String)>,
    /// Non-blank lines without a record marker.
    text_lines: u64,
    /// Lines cut at the line cap that were not bulk records.
    unexpected_long: u64,
    /// The first of them, for the warning's line number.
    first_unexpected_long: Option<u64>,
    /// Fallback when `effective_scenario` is missing.
    requested_scenario: Option<Scenario>,
    /// Keys refused because their map was full, and the first such line.
    dropped_keys: u64,
    first_dropped: Option<u64>,
}

impl DetailParser<'_> {
    fn record(
        &mut self,
        number: u64,
        json: &str,
        truncated: bool,
        shapes: &mut Shapes<ShapeData>,
        sink: &mut dyn LineSink,
    ) {
        // Most records repeat the shape of an earlier one (see
        // `super::shapes`): only their value and numbers are read.
        if let Some(f) = shaped_record(shapes, json) {
            let value = RecordValue::Raw(f.value, OnceCell::new());
            self.accepted(number, f.key, &value, f.time_ms, f.meta, sink);
            return;
        }
        // Most others have LoadGen's exact layout and are read without
        // building a `Value`; anything else goes through serde below.
        if let Some(f) = fast_record(json) {
            learn_shape(shapes, json, &f);
            let value = RecordValue::Raw(f.value, OnceCell::new());
            self.accepted(number, f.key, &value, f.time_ms, f.meta, sink);
            return;
        }
        match serde_json::from_str::<Record<'_>>(json) {
            Ok(rec) => {
                let meta = rec.metadata.unwrap_or_default();
                let value = RecordValue::Parsed(rec.value);
                self.accepted(number, &rec.key, &value, rec.time_ms, meta, sink);
            }
            Err(e) => {
                // A line cut at the cap is not valid JSON, but LoadGen writes
                // the key first, so the record can still be counted.
                if truncated {
                    if let Some(key) = leading_key(json) {
                        self.out.records += 1;
                        if !BULK_KEYS.contains(&key.as_str()) {
                            self.unexpected_long += 1;
                            self.first_unexpected_long.get_or_insert(number);
                        }
                        self.keyed(number, &key, &RecordValue::Missing, false, false, sink);
                        return;
                    }
                    self.unexpected_long += 1;
                    self.first_unexpected_long.get_or_insert(number);
                }
                self.out.malformed_lines += 1;
                self.first_malformed
                    .get_or_insert_with(|| (number, json_error(&e)));
            }
        }
    }

    /// A record that parsed: count it, track its time, route it by key.
    fn accepted(
        &mut self,
        number: u64,
        key: &str,
        value: &RecordValue<'_>,
        time_ms: Option<f64>,
        meta: Metadata,
        sink: &mut dyn LineSink,
    ) {
        self.out.records += 1;
        if let Some(t) = time_ms.filter(|t| t.is_finite() && *t >= 0.0) {
            if t < MAX_PLAUSIBLE_TIME_MS {
                self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
                self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
            }
        }
        self.keyed(number, key, value, meta.is_error, meta.is_warning, sink);
    }

    /// Route one record by key. The value is parsed only when it is kept.
    fn keyed(
        &mut self,
        number: u64,
        key: &str,
        value: &RecordValue<'_>,
        is_error: bool,
        is_warning: bool,
        sink: &mut dyn LineSink,
    ) {
        let text = || match value.get() {
            Some(v) => value_text(v),
            None => "(value not read: line longer than the line cap)".to_string(),
        };
        let is_error = is_error || key.starts_with("error");
        let is_warning = !is_error && (is_warning || key.starts_with("warning"));
        if is_error || is_warning {
            let text = text();
            let origin = LineOrigin {
                path: self.path,
                line: number,
                node: self.node,
                step: self.step,
                stream: Stream::Log,
                locator: None,
            };
            sink.line(&origin, &format!("{key}: {text}"));
            let msg = DetailMessage {
                line: number,
                key: key.to_string(),
                text,
            };
            let list: &mut Capped<DetailMessage> = if is_error {
                &mut self.out.errors
            } else {
                &mut self.out.warnings
            };
            list.push(msg);
            return;
        }
        match key {
            "loadgen_version" => {
                if self.out.loadgen_version.is_none() {
                    self.out.loadgen_version = Some(text());
                }
                return;
            }
            "effective_scenario" if self.out.scenario.is_none() => {
                self.out.scenario = value
                    .get()
                    .and_then(Value::as_str)
                    .and_then(Scenario::parse);
            }
            "requested_scenario" if self.requested_scenario.is_none() => {
                self.requested_scenario = value
                    .get()
                    .and_then(Value::as_str)
                    .and_then(Scenario::parse);
            }
            "effective_test_mode" if self.out.mode.is_none() => {
                self.out.mode = Some(text());
            }
            _ => {}
        }
        let map = if let Some(k) = key.strip_prefix("requested_") {
            Some((&mut self.out.requested_settings, k))
        } else if let Some(k) = key.strip_prefix("effective_") {
            Some((&mut self.out.effective_settings, k))
        } else if is_result_key(key) {
            Some((&mut self.out.results, key))
        } else {
            None
        };
        if let Some((map, k)) = map {
            if !insert_first(map, k, text) {
                self.dropped_keys += 1;
                self.first_dropped.get_or_insert(number);
            }
        }
    }

    fn finish(&mut self, lines_read: u64, warnings: &mut Vec<ParseWarning>) {
        if self.out.scenario.is_none() {
            self.out.scenario = self.requested_scenario;
        }
        if let (Some(first), Some(last)) = (self.first_ms, self.last_ms) {
            // Rounded to the microsecond: the subtraction of two 6-decimal
            // millisecond stamps otherwise leaks float noise into reports.
            self.out.duration_s = Some(((last - first) * 1000.0).round() / 1e6);
        }
        if let Some((line, why)) = &self.first_malformed {
            warnings.push(ParseWarning::new(
                self.path,
                Some(*line),
                format!(
                    "{} record line(s) could not be parsed and were skipped; first: {}",
                    self.out.malformed_lines,
                    cap_text(why, 160)
                ),
            ));
        }
        if let Some(first) = self.first_dropped {
            warnings.push(ParseWarning::new(
                self.path,
                Some(first),
                format!(
                    "{} record(s) with new keys beyond the {MAX_KEYS}-key cap per map were ignored",
                    self.dropped_keys
                ),
            ));
        }
        if lines_read == 0 {
            warnings.push(ParseWarning::new(
                self.path,
                None,
                "file is empty; no LoadGen detail read",
            ));
        } else if self.out.records == 0 && self.out.malformed_lines == 0 {
            warnings.push(ParseWarning::new(
                self.path,
                None,
                format!(
                    "no `:::MLLOG` records in {} non-blank line(s); not a LoadGen detail log \
                     (or a pre-1.0 text-format one)",
                    self.text_lines
                ),
            ));
        } else if self.is_performance_run() && !self.out.results.contains_key("result_validity") {
            // LoadGen writes the results last, so a performance run without
            // them stopped (or was cut) before the end of the test.
            warnings.push(ParseWarning::new(
                self.path,
                Some(lines_read),
                "performance run without `result_validity`: the log ends before LoadGen \
                 wrote its results (run aborted or file truncated)",
            ));
        }
    }

    fn is_performance_run(&self) -> bool {
        matches!(
            self.out.mode.as_deref(),
            Some("PerformanceOnly" | "SubmissionRun" | "Performance")
        )
    }
}

/// Result-level keys kept in [`LoadGenDetail::results`].
fn is_result_key(key: &str) -> bool {
    key.starts_with("result_")
        || key.starts_with("early_stopping_")
        || key.starts_with("generated_")
        || matches!(key, "num_errors" | "power_begin" | "power_end")
}

/// Keep the first value of `key`; false when the map is full and a new key
/// was refused.
fn insert_first(
    map: &mut BTreeMap<String, String>,
    key: &str,
    text: impl FnOnce() -> String,
) -> bool {
    if map.contains_key(key) {
        return true;
    }
    if map.len() >= MAX_KEYS {
        return false;
    }
    map.insert(key.to_string(), text());
    true
}

/// serde_json's message without its "line 1": the JSON is one file line,
/// whose number the warning already gives.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) if e.line() == 1 => {
            format!(
                "{} (column {})",
                text.get(..at).unwrap_or(&text),
                e.column()
            )
        }
        _ => text,
    }
}

/// A value as text: strings without quotes, everything else as compact JSON,
/// capped like evidence text.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => cap_text(s, EVIDENCE_TEXT_MAX),
        other => cap_text(&other.to_string(), EVIDENCE_TEXT_MAX),
    }
}

/// The `"key"` of a record whose line was cut: `{"key": "…", …` up to
/// wherever the cut fell.
fn leading_key(json: &str) -> Option<String> {
    let rest = json.strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"key\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let mut de = serde_json::Deserializer::from_str(rest);
    String::deserialize(&mut de).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CollectSink;

    fn rec(key: &str, value: &str, time_ms: f64, err: bool, warn: bool) -> String {
        format!(
            ":::MLLOG {{\"key\": \"{key}\", \"value\": {value}, \"time_ms\": {time_ms:.6}, \
             \"namespace\": \"mlperf::logging\", \"event_type\": \"POINT_IN_TIME\", \
             \"metadata\": {{\"is_error\": {err}, \"is_warning\": {warn}, \
             \"file\": \"loadgen.cc\", \"line_no\": 1, \"pid\": 1, \"tid\": 1}}}}\n"
        )
    }

    fn run(input: &str) -> (Parsed<LoadGenDetail>, CollectSink) {
        let mut sink = CollectSink::default();
        let p = parse(
            "run/mlperf_log_detail.txt",
            input.as_bytes(),
            Some("node-a"),
            Some("bench"),
            &mut sink,
        );
        (p, sink)
    }

    #[test]
    fn settings_results_and_version() {
        let input = [
            rec(
                "loadgen_version",
                "\"5.1.0 @ b9ed3c7fec\"",
                0.007,
                false,
                false,
            ),
            rec("requested_scenario", "\"Server\"", 0.02, false, false),
            rec("requested_server_target_qps", "1e+06", 0.02, false, false),
            rec("effective_scenario", "\"Server\"", 0.021, false, false),
            rec(
                "effective_test_mode",
                "\"PerformanceOnly\"",
                0.021,
                false,
                false,
            ),
            rec(
                "effective_sample_concatenate_permutation",
                "true",
                0.021,
                false,
                false,
            ),
            rec("result_validity", "\"INVALID\"", 1500.5, false, false),
            rec("result_invalid_reason", "\"\"", 1500.5, false, false),
            rec("early_stopping_met", "false", 1500.5, false, false),
            rec("generated_samples_per_query", "735240", 3.0, false, false),
            rec("generated_samples_per_query", "1", 4.0, false, false),
            rec("num_errors", "0", 1500.5, false, false),
        ]
        .concat();
        let (p, sink) = run(&input);
        let d = &p.value;
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(d.loadgen_version.as_deref(), Some("5.1.0 @ b9ed3c7fec"));
        assert_eq!(d.scenario, Some(Scenario::Server));
        assert_eq!(d.mode.as_deref(), Some("PerformanceOnly"));
        assert_eq!(d.requested_settings["server_target_qps"], "1000000.0");
        assert_eq!(
            d.effective_settings["sample_concatenate_permutation"],
            "true"
        );
        assert_eq!(d.results["result_validity"], "INVALID");
        assert_eq!(d.results["result_invalid_reason"], "");
        assert_eq!(d.results["early_stopping_met"], "false");
        assert_eq!(d.results["generated_samples_per_query"], "735240");
        assert_eq!(d.records, 12);
        assert_eq!(d.duration_s, Some(1.500493));
        assert!(sink.lines.is_empty());
    }

    #[test]
    fn errors_and_warnings_reach_lists_and_sink() {
        let input = [
            rec(
                "error_runtime",
                "\"Attempted to complete a sample twice.\"",
                2.0,
                true,
                false,
            ),
            rec(
                "warning_generic_message",
                "\"CAS failed.\"",
                3.0,
                false,
                true,
            ),
            // Flagged only by its key.
            rec(
                "error_invalid_config",
                "\"Multiple conf files are used.\"",
                4.0,
                false,
                false,
            ),
        ]
        .concat();
        let (p, sink) = run(&input);
        let d = &p.value;
        assert_eq!(d.errors.total, 2);
        assert_eq!(d.warnings.total, 1);
        assert_eq!(d.errors.items[1].line, 3);
        assert_eq!(d.errors.items[1].key, "error_invalid_config");
        assert_eq!(sink.lines.len(), 3);
        assert_eq!(
            sink.lines[0].4,
            "error_runtime: Attempted to complete a sample twice."
        );
        assert_eq!(sink.lines[1].1, 2);
        assert_eq!(sink.lines[1].2.as_deref(), Some("node-a"));
        assert_eq!(sink.lines[1].3.as_deref(), Some("bench"));
    }

    #[test]
    fn prefixed_and_endpts_lines_are_records() {
        let input = format!(
            "0: {}[rank 3] {}",
            rec("effective_scenario", "\"Single Stream\"", 1.0, false, false),
            rec("effective_test_mode", "\"AccuracyOnly\"", 2.0, false, false)
                .replace(":::MLLOG", ":::ENDPTS"),
        );
        let (p, _) = run(&input);
        assert_eq!(p.value.records, 2);
        assert_eq!(p.value.scenario, Some(Scenario::SingleStream));
        assert_eq!(p.value.mode.as_deref(), Some("AccuracyOnly"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn malformed_lines_give_one_warning_with_the_first_line() {
        let input = format!(
            "{}:::MLLOG {{\"key\": \"x\", \"value\": \n{}:::MLLOG not json\n",
            rec("effective_test_mode", "\"AccuracyOnly\"", 1.0, false, false),
            rec("sut_name", "\"PySUT\"", 2.0, false, false),
        );
        let (p, _) = run(&input);
        assert_eq!(p.value.records, 2);
        assert_eq!(p.value.malformed_lines, 2);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(2));
        assert!(p.warnings[0].message.starts_with("2 record line(s)"));
    }

    #[test]
    fn pre_origin_times_do_not_stretch_the_duration() {
        let input = [
            rec(
                "error_invalid_config",
                "\"Multiple conf files are used.\"",
                18446744001380.097,
                true,
                false,
            ),
            rec(
                "effective_test_mode",
                "\"AccuracyOnly\"",
                10.0,
                false,
                false,
            ),
            rec(
                "power_end",
                "\"07-28-2025 18:54:12.432\"",
                2010.0,
                false,
                false,
            ),
        ]
        .concat();
        let (p, _) = run(&input);
        assert_eq!(p.value.duration_s, Some(2.0));
        assert_eq!(p.value.results["power_end"], "07-28-2025 18:54:12.432");
    }

    #[test]
    fn cut_bulk_lines_are_counted_without_warning() {
        let mut big = String::from(":::MLLOG {\"key\": \"loaded_qsl_set\", \"value\": [");
        while big.len() <= crate::parse::lines::MAX_LINE {
            big.push_str("12345,");
        }
        big.push_str("1], \"time_ms\": 1.0, \"metadata\": {}}\n");
        let input = format!(
            "{big}{}",
            rec("effective_test_mode", "\"AccuracyOnly\"", 2.0, false, false)
        );
        let (p, _) = run(&input);
        assert_eq!(p.value.records, 2);
        assert_eq!(p.value.malformed_lines, 0);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn performance_run_without_results_is_flagged() {
        let input = rec(
            "effective_test_mode",
            "\"PerformanceOnly\"",
            1.0,
            false,
            false,
        );
        let (p, _) = run(&input);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("result_validity"));
    }

    #[test]
    fn text_without_records_is_one_warning() {
        let (p, _) = run("\"pid\": 1, \"tid\": 1, \"ts\": 5ns : loadgen_version: 0.5\n\n");
        assert_eq!(p.value.records, 0);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("1 non-blank line"));
    }

    #[test]
    fn fast_path_reads_records_like_serde() {
        // Every record line of every LoadGen fixture, plus hand-made
        // variants: where the fast path answers, serde must agree exactly.
        let mut lines: Vec<String> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/loadgen");
        for dir in std::fs::read_dir(root).unwrap() {
            let path = dir.unwrap().path().join("mlperf_log_detail.txt");
            if let Ok(text) = std::fs::read_to_string(path) {
                lines.extend(text.lines().map(str::to_string));
            }
        }
        let base = rec("k", "1", 1.5, false, false);
        lines.extend([
            base.replace("\"value\": 1", "\"value\": 1e400"),
            base.replace("\"time_ms\": 1.500000", "\"time_ms\": null"),
            base.replace("\"time_ms\": 1.500000", "\"time_ms\": 1e999"),
            base.replace("\"is_warning\": false", "\"is_warning\": 0"),
            base.replace("\"tid\": 1", "\"is_error\": true"),
            base.replace("\"value\": 1", "\"value\": [1,2,[3],{\"a\":\"b\"}]"),
            base.replace("\"value\": 1", "\"value\": \"tab\there\""),
            base.replace("\"value\": 1", "\"value\": \"esc\\\"aped\""),
            base.replace("}}", "}, \"extra\": 1}"),
            base.replace("}}", "} }  "),
            base.replace("}}", "}"),
        ]);
        let mut fast = 0;
        for line in &lines {
            let Some(at) = line.find(":::MLLOG") else {
                continue;
            };
            let json = line[at + 8..].trim();
            let serde = serde_json::from_str::<Record<'_>>(json);
            if let Some(f) = fast_record(json) {
                fast += 1;
                let s = serde.unwrap_or_else(|e| panic!("serde rejects {json}: {e}"));
                let m = s.metadata.unwrap_or_default();
                let v: Value = serde_json::from_slice(f.value).unwrap();
                assert_eq!(f.key, s.key, "{json}");
                assert_eq!(v, s.value, "{json}");
                assert_eq!(f.time_ms, s.time_ms, "{json}");
                assert_eq!(
                    (f.meta.is_error, f.meta.is_warning),
                    (m.is_error, m.is_warning)
                );
            }
        }
        // The fast path must be the common case, or it is not worth having.
        assert!(fast * 10 > lines.len() * 9, "{fast} of {}", lines.len());
    }

    #[test]
    fn shaped_records_read_like_serde() {
        // A record teaches its shape; records that match it must read as
        // serde reads them, and the others must not match.
        // (The key is long enough that the first bytes, which choose the
        // shape's bucket, do not reach the value, as with LoadGen's keys.)
        let base = rec("result_validity", "1", 1.5, false, false);
        let json = |line: &str| {
            line[line.find(":::MLLOG").unwrap() + 8..]
                .trim()
                .to_string()
        };
        let mut shapes = Shapes::default();
        let first = json(&base);
        learn_shape(&mut shapes, &first, &fast_record(&first).unwrap());
        let variants = [
            (base.clone(), true),
            (base.replace("\"value\": 1", "\"value\": 22"), true),
            (base.replace("\"value\": 1", "\"value\": [1,2,3]"), true),
            (base.replace("\"value\": 1", "\"value\": \"s\""), true),
            (
                base.replace("\"value\": 1", "\"value\": {\"a\": [1]}"),
                true,
            ),
            (base.replace("\"value\": 1", "\"value\": -0.5"), true),
            (base.replace("\"value\": 1", "\"value\": 1e400"), false),
            (base.replace("\"value\": 1", "\"value\": 01"), false),
            (
                base.replace("\"value\": 1", "\"value\": \"esc\\\"aped\""),
                false,
            ),
            (base.replace("\"value\": 1", "\"value\": [1,]"), false),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": 2.25"),
                true,
            ),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": 0"),
                true,
            ),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": 1e3"),
                false,
            ),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": null"),
                false,
            ),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": 1."),
                false,
            ),
            (
                base.replace("\"time_ms\": 1.500000", "\"time_ms\": 01.5"),
                false,
            ),
            (
                base.replace("\"is_error\": false", "\"is_error\": true"),
                false,
            ),
            (base.replace("\"line_no\": 1", "\"line_no\": 123456"), true),
            (base.replace("\"line_no\": 1", "\"line_no\": 1e2"), false),
            (base.replace("\"line_no\": 1", "\"line_no\": \"1\""), false),
            (base.replace("result_validity", "result_validitx"), false),
            (base.replace("}}", "}"), false),
            (base.replace("}}", "}},"), false),
            (base.replace(", \"pid\"", ",\"pid\""), false),
        ];
        for (line, matches) in &variants {
            let json = json(line);
            let f = shaped_record(&mut shapes, &json);
            assert_eq!(f.is_some(), *matches, "{json}");
            let Some(f) = f else { continue };
            let s = serde_json::from_str::<Record<'_>>(&json).unwrap();
            let m = s.metadata.unwrap_or_default();
            let v: Value = serde_json::from_slice(f.value).unwrap();
            assert_eq!(
                (f.key, &v, f.time_ms),
                (&*s.key, &s.value, s.time_ms),
                "{json}"
            );
            assert_eq!(
                (f.meta.is_error, f.meta.is_warning),
                (m.is_error, m.is_warning)
            );
        }
        // A `null` time is part of the shape.
        let null_time = json(&base.replace("\"time_ms\": 1.500000", "\"time_ms\": null"));
        learn_shape(&mut shapes, &null_time, &fast_record(&null_time).unwrap());
        let f = shaped_record(&mut shapes, &null_time).unwrap();
        assert_eq!(f.time_ms, None);
    }

    #[test]
    fn result_keys_are_capped() {
        let input: String = (0..MAX_KEYS + 3)
            .map(|i| rec(&format!("result_k{i}"), "1", 1.0, false, false))
            .collect();
        let (p, _) = run(&input);
        assert_eq!(p.value.results.len(), MAX_KEYS);
        assert_eq!(p.value.records, MAX_KEYS as u64 + 3);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(MAX_KEYS as u64 + 1));
    }
}
