//! Generic harness run records (`*.run.json`): one step per record, the file
//! holding one record object or an array of them. Schema:
//! `docs/run-record.schema.json`, described in `docs/run-record.md`.
//!
//! An array is streamed: each record is read, turned into a step and its
//! output fed to the sink before the next one is read, so a file of many
//! records never needs more than one record in memory. A truncated file
//! still yields every record before the cut.
//!
//! This module also holds the two helpers the Kubernetes parser shares: the
//! line-counting reader under `serde_json` and a small RFC 3339 parser.

use std::cell::Cell;
use std::fmt;
use std::io::BufRead;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json_lines::CountingReader;
use super::lines::MAX_LINE;
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{
    EVIDENCE_TEXT_MAX, Evidence, HarnessRun, Outcome, ParseWarning, StepResult, Stream, cap_text,
};

/// Most records kept from one file; the rest are counted in a warning.
pub const MAX_RECORDS: usize = 100_000;

/// The record version this parser reads.
pub const RECORD_VERSION: i64 = 1;

/// Node name used when neither the record nor its path names one.
const NO_NODE: &str = "(unattributed)";

/// Parse a run record; its stdout/stderr lines go to `sink`.
pub fn parse<R: BufRead>(path: &str, reader: R, sink: &mut dyn LineSink) -> Parsed<HarnessRun> {
    let newlines = Rc::new(Cell::new(0u64));
    let counting = CountingReader::new(reader, Rc::clone(&newlines));
    let mut state = State {
        path,
        newlines,
        sink,
        path_node: node_from_path(path),
        run: HarnessRun {
            harness: "run_record".to_string(),
            ..HarnessRun::default()
        },
        warnings: Vec::new(),
        records: 0,
        dropped: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let result = TopSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        let kept = state.run.steps.len();
        state.warnings.push(json_warning(
            path,
            &e,
            "not a run record (one object or an array of objects)",
            &format!("kept the {kept} record(s) read before it"),
        ));
    } else if state.records == 0 {
        state
            .warnings
            .push(ParseWarning::new(path, None, "no run records in the file"));
    }
    if state.dropped > 0 {
        state.warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} record(s) beyond the first {MAX_RECORDS} were counted but not kept",
                state.dropped
            ),
        ));
    }
    let State {
        mut run, warnings, ..
    } = state;
    let mut hosts: Vec<String> = run
        .steps
        .iter()
        .map(|s| s.node.clone())
        .filter(|n| !n.starts_with('('))
        .collect();
    hosts.sort();
    hosts.dedup();
    run.hosts = hosts;
    Parsed {
        value: run,
        warnings,
    }
}

/// Everything the visitors share.
struct State<'a> {
    path: &'a str,
    newlines: Rc<Cell<u64>>,
    sink: &'a mut dyn LineSink,
    path_node: Option<String>,
    run: HarnessRun,
    warnings: Vec<ParseWarning>,
    records: u64,
    dropped: u64,
}

/// The top-level value: one record object, or an array of them.
struct TopSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a run record object or an array of run records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some((start, value)) = seq.next_element_seed(LineSeed {
            newlines: Rc::clone(&state.newlines),
        })? {
            match value {
                Value::Object(map) => emit_record(state, start, &map),
                other => state.warnings.push(ParseWarning::new(
                    state.path,
                    Some(start),
                    format!(
                        "array element is {} rather than a record object; skipped",
                        kind_of(&other)
                    ),
                )),
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let state = self.0;
        let value: Map<String, Value> =
            de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        emit_record(state, 1, &value);
        Ok(())
    }
}

/// Deserializes one value and notes the line it starts on.
pub(crate) struct LineSeed {
    /// Newlines read so far by the counting reader.
    pub newlines: Rc<Cell<u64>>,
}

impl<'de> DeserializeSeed<'de> for LineSeed {
    type Value = (u64, Value);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // serde_json has skipped the whitespace and peeked at the value's
        // first byte, so the newlines counted so far end just before it.
        let line = self.newlines.get() + 1;
        let value: Value = de::Deserialize::deserialize(d)?;
        Ok((line, value))
    }
}

/// Turn one record into a step and feed its output to the sink.
fn emit_record(state: &mut State<'_>, line: u64, r: &Map<String, Value>) {
    state.records += 1;
    let path = state.path;
    let mut warn = |msg: String| {
        state
            .warnings
            .push(ParseWarning::new(path, Some(line), msg));
    };
    if let Some(v) = r.get("record_version") {
        match v.as_i64() {
            Some(RECORD_VERSION) => {}
            _ => warn(format!(
                "unexpected record_version {v}; read as version {RECORD_VERSION}"
            )),
        }
    }
    let name = match text_field(r, "name", &mut warn) {
        Some(n) => n,
        None => {
            warn("record has no `name`; named after its position".into());
            format!("record {}", state.records)
        }
    };
    let node = match text_field(r, "node", &mut warn) {
        Some(n) => n,
        None => match &state.path_node {
            Some(n) => n.clone(),
            None => {
                warn(format!(
                    "record \"{name}\" has no `node` and its path names none; kept as {NO_NODE}"
                ));
                NO_NODE.to_string()
            }
        },
    };
    let exit_code = match r.get("exit_code") {
        None | Some(Value::Null) => None,
        Some(v) => match as_int(v) {
            Some(n) => Some(n),
            None => {
                warn(format!(
                    "`exit_code` is {} rather than an integer; ignored",
                    kind_of(v)
                ));
                None
            }
        },
    };
    let timed_out = match r.get("timed_out") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            warn(format!(
                "`timed_out` is {} rather than true/false; read as false",
                kind_of(v)
            ));
            false
        }
    };
    let timeout_s = r.get("timeout_s").and_then(Value::as_f64);
    let started_at = text_field(r, "started_at", &mut warn);
    let ended_at = text_field(r, "ended_at", &mut warn);
    let duration_s = match (started_at.as_deref(), ended_at.as_deref()) {
        (Some(s), Some(e)) => match (parse_rfc3339_us(s), parse_rfc3339_us(e)) {
            (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e6),
            (Some(_), Some(_)) => {
                warn("`ended_at` is before `started_at`; no duration".into());
                None
            }
            _ => {
                warn("`started_at`/`ended_at` are not RFC 3339 times; no duration".into());
                None
            }
        },
        _ => None,
    };
    let command = match r.get("command") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), shell_quote))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    };
    let outcome = if timed_out || exit_code == Some(124) {
        Outcome::TimedOut
    } else {
        match exit_code {
            Some(0) => Outcome::Ok,
            Some(_) => Outcome::Failed,
            None => {
                warn(format!(
                    "record \"{name}\" has no exit_code and did not time out; counted as failed"
                ));
                Outcome::Failed
            }
        }
    };
    let stdout = stream_text(r.get("stdout"));
    let stderr = stream_text(r.get("stderr"));
    let message = match outcome {
        Outcome::TimedOut => Some(match (timed_out, timeout_s) {
            (true, Some(t)) => format!("timed out after {t}s"),
            (true, None) => "timed out".to_string(),
            _ => "exit code 124 (killed by `timeout`)".to_string(),
        }),
        // The last line a failed command printed usually says why.
        Outcome::Failed => stderr
            .as_deref()
            .and_then(last_non_empty)
            .or_else(|| stdout.as_deref().and_then(last_non_empty))
            .map(|l| cap_text(l, EVIDENCE_TEXT_MAX)),
        _ => None,
    };
    let rc = exit_code.map(|c| format!(" rc={c}")).unwrap_or_default();
    let cmd = command
        .as_deref()
        .map(|c| format!(" ($ {c})"))
        .unwrap_or_default();
    let evidence = Evidence::new(
        path,
        Some(line),
        &format!("run \"{name}\" on {node}: {}{rc}{cmd}", outcome.as_str()),
    );
    for (stream, text) in [(Stream::Stdout, &stdout), (Stream::Stderr, &stderr)] {
        if let Some(text) = text {
            let key = if stream == Stream::Stdout {
                "stdout"
            } else {
                "stderr"
            };
            feed_text(state.sink, path, line, &node, &name, stream, key, text);
        }
    }
    let step = StepResult {
        name,
        node,
        group: text_field(r, "group", &mut |_| {}),
        outcome,
        exit_code,
        duration_s,
        timed_out: outcome == Outcome::TimedOut,
        started_at,
        ended_at,
        message,
        evidence,
    };
    if state.run.steps.len() < MAX_RECORDS {
        state.run.steps.push(step);
    } else {
        state.dropped += 1;
    }
}

/// A string field; other JSON types are named in a warning.
fn text_field(r: &Map<String, Value>, key: &str, warn: &mut dyn FnMut(String)) -> Option<String> {
    match r.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::String(_) | Value::Null => None,
        other => {
            warn(format!(
                "`{key}` is {} rather than a string; ignored",
                kind_of(other)
            ));
            None
        }
    }
}

/// `stdout`/`stderr`: one string, or an array of lines.
fn stream_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(
            a.iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// An argv element as a POSIX shell would need it, so the command in the
/// evidence can be pasted back into a shell.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

fn last_non_empty(text: &str) -> Option<&str> {
    text.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

/// Feed embedded output to the sink, one line at a time, each cut at
/// [`MAX_LINE`] like file lines are.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site shape, all context"
)]
pub(crate) fn feed_text(
    sink: &mut dyn LineSink,
    path: &str,
    line: u64,
    node: &str,
    step: &str,
    stream: Stream,
    key: &str,
    text: &str,
) {
    for (i, l) in text.lines().enumerate() {
        let locator = format!("{key} line {}", i + 1);
        let origin = LineOrigin {
            path,
            line,
            node: Some(node),
            step: Some(step),
            stream,
            locator: Some(&locator),
        };
        let mut end = l.len().min(MAX_LINE);
        while !l.is_char_boundary(end) {
            end -= 1;
        }
        sink.line(&origin, l.get(..end).unwrap_or(""));
    }
}

/// The JSON type of a value, for warnings.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integer from a JSON number (or a float with no fraction).
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// Node from a `nodes/<name>/` folder on the path.
fn node_from_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .windows(3)
        .find(|w| w[0] == "nodes")
        .map(|w| w[1].to_string())
}

/// A `ParseWarning` for a JSON error, with serde_json's line in the line
/// field rather than repeated in the message.
pub(crate) fn json_warning(
    path: &str,
    e: &serde_json::Error,
    wrong_shape: &str,
    kept: &str,
) -> ParseWarning {
    let line = (e.line() > 0).then_some(e.line() as u64);
    let full = e.to_string();
    let bare = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full);
    let what = match e.classify() {
        serde_json::error::Category::Eof => "file ends inside the JSON document (truncated?)",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => wrong_shape,
        serde_json::error::Category::Io => "read error",
    };
    let column = if e.column() > 0 {
        format!(" (column {})", e.column())
    } else {
        String::new()
    };
    ParseWarning::new(path, line, format!("{what}: {bare}{column}; {kept}"))
}

/// An RFC 3339 time (`2026-11-27T03:45:01.123456+00:00`, `…Z`) → µs since
/// the epoch, UTC. Also accepted, because harnesses write them: a space
/// instead of `T`, an offset without a colon (`+0000`), and no offset at
/// all (read as UTC). Anything else is `None`.
pub fn parse_rfc3339_us(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 19
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut micros = 0i64;
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for i in 0..6 {
            let digit = frac.as_bytes().get(i).filter(|_| i < digits);
            micros = micros * 10 + digit.map_or(0, |c| i64::from(c - b'0'));
        }
        rest = frac.get(digits..)?;
    }
    let offset_s = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let body = rest.get(1..)?;
            let (oh, om) = match body.len() {
                5 if body.as_bytes().get(2) == Some(&b':') => (body.get(0..2)?, body.get(3..5)?),
                4 => (body.get(0..2)?, body.get(2..4)?),
                _ => return None,
            };
            let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = crate::time::days_from_civil(y, mo, d);
    let secs = ((days * 24 + h) * 60 + mi) * 60 + sec - offset_s;
    Some(secs * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CollectSink;

    fn run(input: &str) -> (Parsed<HarnessRun>, CollectSink) {
        let mut sink = CollectSink::default();
        let p = parse("nodes/n1/runs/x.run.json", input.as_bytes(), &mut sink);
        (p, sink)
    }

    #[test]
    fn rfc3339_times_parse_with_offsets_and_fractions() {
        assert_eq!(parse_rfc3339_us("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_us("1970-01-01T01:00:00.5+01:00"),
            Some(500_000)
        );
        assert_eq!(
            parse_rfc3339_us("1970-01-01 00:00:01-0000"),
            Some(1_000_000)
        );
        assert_eq!(
            parse_rfc3339_us("2023-11-14T22:13:20.000001Z"),
            Some(1_700_000_000_000_001)
        );
        for bad in [
            "",
            "2023-11-14",
            "2023-13-01T00:00:00Z",
            "2023-11-14T22:13:20+5",
            "x023-11-14T22:13:20Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20Zjunk",
        ] {
            assert_eq!(parse_rfc3339_us(bad), None, "{bad}");
        }
    }

    #[test]
    fn outcomes_follow_timed_out_then_exit_code() {
        let (p, _) = run(r#"[{"name":"a","node":"n","exit_code":0},
                {"name":"b","node":"n","exit_code":2,"stderr":"x\nboom\n"},
                {"name":"c","node":"n","exit_code":124},
                {"name":"d","node":"n","exit_code":null,"timed_out":true,"timeout_s":1}]"#);
        let got: Vec<(Outcome, Option<&str>)> = p
            .value
            .steps
            .iter()
            .map(|s| (s.outcome, s.message.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Outcome::Ok, None),
                (Outcome::Failed, Some("boom")),
                (
                    Outcome::TimedOut,
                    Some("exit code 124 (killed by `timeout`)")
                ),
                (Outcome::TimedOut, Some("timed out after 1s")),
            ]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.value.hosts, ["n"]);
    }

    #[test]
    fn output_lines_reach_the_sink_with_locators_and_the_record_line() {
        let (p, sink) =
            run("[\n  {\"name\":\"a\",\"exit_code\":1,\n   \"stdout\":[\"one\",\"two\"]}\n]");
        assert_eq!(p.value.steps[0].node, "n1", "node from the path");
        assert_eq!(p.value.steps[0].evidence.line, Some(2));
        let texts: Vec<(&str, u64)> = sink.lines.iter().map(|l| (l.4.as_str(), l.1)).collect();
        assert_eq!(texts, [("one", 2), ("two", 2)]);
    }

    #[test]
    fn bad_types_and_truncation_warn_and_keep_what_was_read() {
        let (p, _) =
            run(r#"[{"name":"a","node":"n","exit_code":"1","timed_out":"no"},{"name":"b","#);
        assert_eq!(p.value.steps.len(), 1);
        let msgs: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("`exit_code` is a string")),
            "{msgs:?}"
        );
        assert!(msgs.iter().any(|m| m.contains("truncated")), "{msgs:?}");
    }

    #[test]
    fn argv_commands_are_shell_quoted_in_the_evidence() {
        assert_eq!(shell_quote("import missing_mod"), "'import missing_mod'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("--scenario=Offline"), "--scenario=Offline");
    }

    #[test]
    fn a_duration_comes_from_the_two_times() {
        let (p, _) = run(
            r#"{"name":"a","node":"n","exit_code":0,"started_at":"2026-01-01T00:00:00+00:00","ended_at":"2026-01-01T01:00:01.5+01:00"}"#,
        );
        assert_eq!(p.value.steps[0].duration_s, Some(1.5));
    }
}
