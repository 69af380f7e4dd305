//! Ansible `ansible.posix.json` stdout-callback output: plays → tasks →
//! per-host results, each task × host becoming a harness step.
//!
//! The callback prints one JSON document at the end of a run, and it can be
//! large (every host's stdout is inside it). It is read with a streaming
//! `serde_json` deserializer: the top-level map, `plays` and each play's
//! `tasks` are walked by hand-written visitors, and only one task (its meta
//! and its per-host results) is held in memory at a time. A task is turned
//! into steps and sink lines as soon as it has been read, so a truncated file
//! still yields every task before the cut.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::io::BufRead;
use std::rc::Rc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json_lines::CountingReader;
use super::lines::MAX_LINE;
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{
    EVIDENCE_TEXT_MAX, Evidence, HarnessRun, Outcome, ParseWarning, StepResult, Stream, cap_text,
};

/// Most task × host results kept from one file; a run beyond this is either
/// not a benchmark campaign or a runaway loop, and the rest is only counted.
pub const MAX_STEPS: usize = 100_000;

/// Keys the callback writes at the top level (it sorts keys, so
/// `custom_stats` comes first; unsorted writers start with `plays`).
const TOP_KEYS: [&str; 2] = ["\"custom_stats\"", "\"plays\""];

/// True when the first bytes of a file look like this format.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let Some(rest) = head.get(start..).and_then(|h| h.strip_prefix(b"{")) else {
        return false;
    };
    // Look for one of the top-level keys used as a key (followed by `:`),
    // anywhere in the head: pretty or compact printing, sorted or not.
    TOP_KEYS.iter().any(|key| {
        let key = key.as_bytes();
        rest.windows(key.len())
            .enumerate()
            .filter(|(_, w)| *w == key)
            .any(|(i, _)| {
                rest.get(i + key.len()..)
                    .and_then(|after| after.iter().find(|b| !b.is_ascii_whitespace()))
                    == Some(&b':')
            })
    })
}

/// Parse the callback output. Each result's `stdout`, `stderr` and `msg`
/// lines go to `sink` with the host as node and the task as step, except
/// `stdout`/`stderr` of (node, step) pairs in `logged_elsewhere`, whose step
/// logs on disk are read instead (so a line is not counted twice).
pub fn parse<R: BufRead>(
    path: &str,
    reader: R,
    logged_elsewhere: &BTreeSet<(String, String)>,
    sink: &mut dyn LineSink,
) -> Parsed<HarnessRun> {
    let newlines = Rc::new(Cell::new(0u64));
    let counting = CountingReader::new(reader, Rc::clone(&newlines));
    let mut state = State {
        path,
        newlines,
        logged_elsewhere,
        sink,
        run: HarnessRun {
            harness: "ansible".to_string(),
            ..HarnessRun::default()
        },
        hosts: BTreeSet::new(),
        warnings: Vec::new(),
        dropped_steps: 0,
        saw_plays: false,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let result = TopSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match result {
        Ok(()) => {
            if !state.saw_plays {
                state.warnings.push(ParseWarning::new(
                    path,
                    None,
                    "no `plays` key: not ansible.posix.json callback output, or an empty run",
                ));
            }
        }
        Err(e) => {
            let steps = state.run.steps.len();
            state.warnings.push(json_warning(path, &e, steps));
        }
    }
    if state.dropped_steps > 0 {
        state.warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} task result(s) beyond the first {MAX_STEPS} were counted but not kept",
                state.dropped_steps
            ),
        ));
    }
    let State {
        mut run,
        hosts,
        warnings,
        ..
    } = state;
    run.hosts = hosts.into_iter().collect();
    Parsed {
        value: run,
        warnings,
    }
}

/// A `ParseWarning` for a JSON error, with serde_json's line in the line
/// field rather than repeated in the message.
fn json_warning(path: &str, e: &serde_json::Error, steps_kept: usize) -> ParseWarning {
    let line = (e.line() > 0).then_some(e.line() as u64);
    let full = e.to_string();
    let bare = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full);
    let what = match e.classify() {
        serde_json::error::Category::Eof => "file ends inside the JSON document (truncated?)",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "not ansible.posix.json callback output",
        serde_json::error::Category::Io => "read error",
    };
    let column = if e.column() > 0 {
        format!(" (column {})", e.column())
    } else {
        String::new()
    };
    ParseWarning::new(
        path,
        line,
        format!("{what}: {bare}{column}; kept the {steps_kept} task result(s) read before it"),
    )
}

/// Everything the visitors share while they walk the document.
struct State<'a> {
    path: &'a str,
    newlines: Rc<Cell<u64>>,
    logged_elsewhere: &'a BTreeSet<(String, String)>,
    sink: &'a mut dyn LineSink,
    run: HarnessRun,
    hosts: BTreeSet<String>,
    warnings: Vec<ParseWarning>,
    dropped_steps: u64,
    saw_plays: bool,
}

/// The top-level object.
struct TopSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with `plays` and `stats` (ansible.posix.json callback)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "plays" => {
                    self.0.saw_plays = true;
                    map.next_value_seed(PlaysSeed(self.0))?;
                }
                "stats" => {
                    let stats: Option<std::collections::BTreeMap<String, IgnoredAny>> =
                        map.next_value()?;
                    self.0.hosts.extend(stats.unwrap_or_default().into_keys());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `plays`: a list of plays.
struct PlaysSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for PlaysSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PlaysSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of plays")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(PlaySeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// `{"play": {...}, "tasks": [...]}`.
struct PlaySeed<'s, 'a>(&'s mut State<'a>);

/// The part of `play` and `task` objects this parser uses.
#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    duration: Option<Span>,
}

/// `duration: {start, end}` in the callback's UTC ISO format.
#[derive(Debug, Default, Clone, Deserialize)]
struct Span {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

impl<'de> DeserializeSeed<'de> for PlaySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PlaySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a play object with `play` and `tasks`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let first_step = state.run.steps.len();
        let mut name: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "play" => {
                    let meta: Option<Meta> = map.next_value()?;
                    let n = meta.and_then(|m| m.name).unwrap_or_default();
                    state.run.plays.push(n.clone());
                    name = Some(n);
                }
                "tasks" => {
                    map.next_value_seed(TasksSeed {
                        state: &mut *state,
                        play: name.clone(),
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Writers that do not sort keys may put `tasks` before `play`.
        if let Some(name) = name {
            for step in state.run.steps.iter_mut().skip(first_step) {
                step.group.get_or_insert_with(|| name.clone());
            }
        }
        Ok(())
    }
}

/// A play's `tasks` list, each task read whole and handed on at once.
struct TasksSeed<'s, 'a> {
    state: &'s mut State<'a>,
    play: Option<String>,
}

impl<'de> DeserializeSeed<'de> for TasksSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TasksSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tasks")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(task) = seq.next_element_seed(TaskSeed {
            newlines: Rc::clone(&self.state.newlines),
        })? {
            emit_task(self.state, self.play.as_deref(), task);
        }
        Ok(())
    }
}

/// One task as read: its meta and each host's result with the line the
/// host's key sits on.
#[derive(Debug, Default)]
struct RawTask {
    meta: Meta,
    hosts: Vec<(String, u64, Value)>,
}

/// Reads one `{"hosts": {...}, "task": {...}}` object.
struct TaskSeed {
    newlines: Rc<Cell<u64>>,
}

impl<'de> DeserializeSeed<'de> for TaskSeed {
    type Value = RawTask;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RawTask, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TaskSeed {
    type Value = RawTask;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a task object with `task` and `hosts`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTask, A::Error> {
        let mut task = RawTask::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "task" => task.meta = map.next_value::<Option<Meta>>()?.unwrap_or_default(),
                "hosts" => {
                    task.hosts = map.next_value_seed(HostsSeed {
                        newlines: Rc::clone(&self.newlines),
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(task)
    }
}

/// `hosts: {"<host>": {result}}`, noting the line of each host key.
struct HostsSeed {
    newlines: Rc<Cell<u64>>,
}

impl<'de> DeserializeSeed<'de> for HostsSeed {
    type Value = Vec<(String, u64, Value)>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HostsSeed {
    type Value = Vec<(String, u64, Value)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of host name to result")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(host) = map.next_key::<String>()? {
            // The key has just been read and the value starts on its line.
            let line = self.newlines.get() + 1;
            let result: Value = map.next_value()?;
            out.push((host, line, result));
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// Turn one task into steps and sink lines.
fn emit_task(state: &mut State<'_>, play: Option<&str>, task: RawTask) {
    let RawTask { meta, hosts } = task;
    let name = meta.name.unwrap_or_default();
    let span = meta.duration.unwrap_or_default();
    for (host, line, result) in hosts {
        state.hosts.insert(host.clone());
        let empty = Map::new();
        let r = result.as_object().unwrap_or(&empty);
        let summary = summarize(r);
        feed_lines(state, &host, &name, line, r);
        let rc = summary
            .exit_code
            .map(|rc| format!(" rc={rc}"))
            .unwrap_or_default();
        let evidence = Evidence::new(
            state.path,
            Some(line),
            &format!(
                "task \"{name}\" on {host}: {}{rc}",
                summary.outcome.as_str()
            ),
        );
        let started_at = summary.started_at.or_else(|| span.start.clone());
        let ended_at = summary.ended_at.or_else(|| span.end.clone());
        let duration_s = summary
            .duration_us
            .or_else(|| span_us(span.start.as_deref(), span.end.as_deref()))
            .map(micros_to_secs);
        let step = StepResult {
            name: name.clone(),
            node: host,
            group: play.map(str::to_string),
            outcome: summary.outcome,
            exit_code: summary.exit_code,
            duration_s,
            timed_out: summary.outcome == Outcome::TimedOut,
            started_at,
            ended_at,
            message: summary.message,
            evidence,
        };
        if state.run.steps.len() < MAX_STEPS {
            state.run.steps.push(step);
        } else {
            state.dropped_steps += 1;
        }
    }
}

/// What one host result says, loop items folded in.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    outcome: Outcome,
    exit_code: Option<i64>,
    duration_us: Option<i64>,
    started_at: Option<String>,
    ended_at: Option<String>,
    message: Option<String>,
}

/// Fold a host result (and its loop items, if any) into an outcome.
fn summarize(r: &Map<String, Value>) -> Summary {
    let items: Vec<&Map<String, Value>> = r
        .get("results")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let own = classify(r);
    let mut outcome = own.outcome;
    let mut exit_code = own.rc;
    let mut duration_us = delta_us(r);
    let mut started_at = str_field(r, "start");
    let mut ended_at = str_field(r, "end");
    if !items.is_empty() {
        let classes: Vec<Class> = items.iter().map(|i| classify(i)).collect();
        // The worst item decides, unless the result itself says more (an
        // unreachable host, or every item skipped).
        if !matches!(outcome, Outcome::Unreachable | Outcome::Skipped) {
            let worst = classes
                .iter()
                .map(|c| c.outcome)
                .filter(|o| *o != Outcome::Skipped)
                .max_by_key(|o| o.rank())
                .unwrap_or(Outcome::Ok);
            if worst.rank() > outcome.rank() {
                outcome = worst;
            }
        }
        if exit_code.is_none() {
            let rcs: Vec<i64> = classes.iter().filter_map(|c| c.rc).collect();
            exit_code = rcs
                .iter()
                .copied()
                .find(|rc| *rc != 0)
                .or(rcs.first().copied());
        }
        if started_at.is_none() {
            started_at = items.iter().find_map(|i| str_field(i, "start"));
        }
        if ended_at.is_none() {
            ended_at = items.iter().rev().find_map(|i| str_field(i, "end"));
        }
        // Wall time of a loop is first start to last end; the items' deltas
        // leave out Ansible's own time between items.
        if duration_us.is_none() {
            duration_us = span_us(started_at.as_deref(), ended_at.as_deref()).or_else(|| {
                let deltas: Vec<i64> = items.iter().filter_map(|i| delta_us(i)).collect();
                (!deltas.is_empty()).then(|| deltas.iter().fold(0i64, |a, d| a.saturating_add(*d)))
            });
        }
    }
    if duration_us.is_none() {
        duration_us = span_us(started_at.as_deref(), ended_at.as_deref());
    }
    // Results without a `msg` still say why in other keys.
    let message = r
        .get("msg")
        .and_then(value_text)
        .filter(|m| !m.trim().is_empty())
        .or_else(|| match outcome {
            Outcome::Skipped => str_field(r, "skip_reason"),
            Outcome::Failed if r.get("failed_when_result") == Some(&Value::Bool(true)) => {
                Some("failed_when condition was true".to_string())
            }
            _ => None,
        })
        .map(|m| cap_text(&m, EVIDENCE_TEXT_MAX));
    Summary {
        outcome,
        exit_code,
        duration_us,
        started_at,
        ended_at,
        message,
    }
}

/// The outcome of one result object, ignoring any loop items.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Class {
    outcome: Outcome,
    rc: Option<i64>,
}

/// Map one result object to an outcome.
///
/// `failed_when` writes `failed_when_result`; when it is there the user's
/// condition decides and a non-zero `rc` alone is not a failure
/// (`failed_when: false` on a `grep`). `ignore_errors` leaves no trace in the
/// callback output, so an ignored failure is reported as failed.
fn classify(r: &Map<String, Value>) -> Class {
    let rc = r.get("rc").and_then(as_int);
    let flag = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
    let outcome = if flag("unreachable") {
        Outcome::Unreachable
    } else if flag("skipped") {
        Outcome::Skipped
    } else {
        let failed = if r.contains_key("failed_when_result") {
            flag("failed")
        } else {
            flag("failed") || rc.is_some_and(|rc| rc != 0)
        };
        if !failed {
            Outcome::Ok
        } else if is_timeout(r, rc) {
            Outcome::TimedOut
        } else {
            Outcome::Failed
        }
    };
    Class { outcome, rc }
}

/// Messages Ansible prints when it kills a task for running too long:
/// ansible-core ≤ 2.18 `timeout:` ("The command action failed to execute in
/// the expected time frame (5) and was terminated"), 2.19+ ("Task failed:
/// Timed out after 2 second(s).", with a `timedout` object), and `async`
/// tasks that outlive their budget.
const TIMEOUT_MESSAGES: [&str; 3] = [
    "failed to execute in the expected time frame",
    "Timed out after ",
    "async task did not complete within the requested time",
];

/// A failed result that was a timeout: Ansible's own task timeout, or the
/// exit status 124 of coreutils `timeout`.
fn is_timeout(r: &Map<String, Value>, rc: Option<i64>) -> bool {
    if rc == Some(124) {
        return true;
    }
    if r.get("timedout").is_some_and(|v| !v.is_null()) {
        return true;
    }
    let msg = r.get("msg").and_then(Value::as_str).unwrap_or("");
    TIMEOUT_MESSAGES.iter().any(|m| msg.contains(m))
}

/// An integer from a JSON number (or a float with no fraction).
fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// A non-empty string field.
fn str_field(r: &Map<String, Value>, key: &str) -> Option<String> {
    r.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A value as text: strings as they are, lists of strings joined by
/// newlines, anything else as compact JSON.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) if a.iter().all(Value::is_string) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        other => Some(other.to_string()),
    }
}

/// `delta` of a command result, in microseconds.
fn delta_us(r: &Map<String, Value>) -> Option<i64> {
    r.get("delta").and_then(Value::as_str).and_then(parse_delta)
}

/// Python `timedelta` text (`0:00:03.012345`, `1 day, 2:00:00`) → µs.
pub fn parse_delta(s: &str) -> Option<i64> {
    let s = s.trim();
    let (days, clock) = match s.split_once(", ") {
        Some((d, rest)) => {
            let n = d
                .trim_end_matches("days")
                .trim_end_matches("day")
                .trim()
                .parse::<i64>()
                .ok()?;
            (n, rest)
        }
        None => (0, s),
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next()?.trim().parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec = parse_seconds(parts.next()?)?;
    // Bounds keep the arithmetic below far from overflow on hostile input.
    if parts.next().is_some()
        || !(0..60).contains(&m)
        || !(0..100_000).contains(&days)
        || !(0..100_000).contains(&h)
    {
        return None;
    }
    Some(((days * 24 + h) * 60 + m) * 60_000_000 + sec)
}

/// `SS` or `SS.ffffff` → µs.
fn parse_seconds(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut micros: i64 = 0;
    for i in 0..6 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        micros = micros * 10 + digit;
    }
    Some(secs * 1_000_000 + micros)
}

/// A timestamp as Ansible prints it (`2026-11-27 03:31:02.643084` in command
/// results, `2026-11-27T03:31:08.398323Z` in the callback's durations) → µs
/// since the epoch. Only differences are used, so the time zone (results are
/// local time, durations UTC) never mixes: both ends come from one source.
pub fn parse_timestamp_us(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let mo: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let sec = parse_seconds(t.next()?)?;
    if t.next().is_some() || !(0..24).contains(&h) || !(0..60).contains(&mi) {
        return None;
    }
    let days = crate::time::days_from_civil(y, mo, day);
    Some(((days * 24 + h) * 60 + mi) * 60_000_000 + sec)
}

/// `end - start` in µs, when both parse and the span is not negative.
fn span_us(start: Option<&str>, end: Option<&str>) -> Option<i64> {
    let d = parse_timestamp_us(end?)? - parse_timestamp_us(start?)?;
    (d >= 0).then_some(d)
}

fn micros_to_secs(us: i64) -> f64 {
    us as f64 / 1e6
}

/// Push a result's text to the sink: `msg` always, `stdout`/`stderr` unless
/// the step's own log files are read elsewhere. Loop items are fed the same
/// way, with the item number in the locator.
fn feed_lines(state: &mut State<'_>, host: &str, task: &str, line: u64, r: &Map<String, Value>) {
    let logged = state
        .logged_elsewhere
        .contains(&(host.to_string(), task.to_string()));
    feed_one(state, host, task, line, r, "", logged);
    if let Some(items) = r.get("results").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            if let Some(item) = item.as_object() {
                let prefix = format!("item {} ", i + 1);
                feed_one(state, host, task, line, item, &prefix, logged);
            }
        }
    }
}

fn feed_one(
    state: &mut State<'_>,
    host: &str,
    task: &str,
    line: u64,
    r: &Map<String, Value>,
    prefix: &str,
    logged: bool,
) {
    if let Some(msg) = r.get("msg").and_then(value_text) {
        emit_text(
            state,
            host,
            task,
            line,
            Stream::Message,
            prefix,
            "msg",
            &msg,
        );
    }
    if logged {
        return;
    }
    for (key, stream) in [("stdout", Stream::Stdout), ("stderr", Stream::Stderr)] {
        let text = match r.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => r.get(&format!("{key}_lines")).and_then(value_text),
        };
        if let Some(text) = text {
            emit_text(state, host, task, line, stream, prefix, key, &text);
        }
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site shape, all context"
)]
fn emit_text(
    state: &mut State<'_>,
    host: &str,
    task: &str,
    line: u64,
    stream: Stream,
    prefix: &str,
    key: &str,
    text: &str,
) {
    for (i, l) in text.lines().enumerate() {
        let locator = format!("{prefix}{key} line {}", i + 1);
        let origin = LineOrigin {
            path: state.path,
            line,
            node: Some(host),
            step: Some(task),
            stream,
            locator: Some(&locator),
        };
        if l.len() > MAX_LINE {
            let mut end = MAX_LINE;
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            state.sink.line(&origin, l.get(..end).unwrap_or(""));
        } else {
            state.sink.line(&origin, l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn class(v: Value) -> Outcome {
        classify(v.as_object().unwrap()).outcome
    }

    #[test]
    fn outcome_mapping() {
        assert_eq!(class(json!({"changed": false})), Outcome::Ok);
        assert_eq!(class(json!({"rc": 0})), Outcome::Ok);
        assert_eq!(class(json!({"rc": 2})), Outcome::Failed);
        assert_eq!(class(json!({"failed": true, "rc": 1})), Outcome::Failed);
        assert_eq!(class(json!({"skipped": true})), Outcome::Skipped);
        assert_eq!(
            class(json!({"unreachable": true, "msg": "Failed to connect"})),
            Outcome::Unreachable
        );
        assert_eq!(class(json!({"failed": true, "rc": 124})), Outcome::TimedOut);
        assert_eq!(
            class(
                json!({"failed": true, "msg": "The command action failed to execute in the expected time frame (3) and was terminated"})
            ),
            Outcome::TimedOut
        );
        assert_eq!(
            class(
                json!({"failed": true, "msg": "Task failed: Timed out after 2 second(s).", "timedout": {"period": 2}})
            ),
            Outcome::TimedOut
        );
        // failed_when decides over rc, both ways.
        assert_eq!(
            class(json!({"rc": 2, "failed_when_result": false})),
            Outcome::Ok
        );
        assert_eq!(
            class(json!({"rc": 0, "failed": true, "failed_when_result": true})),
            Outcome::Failed
        );
        // rc 124 on a result the user declared fine is not a timeout.
        assert_eq!(
            class(json!({"rc": 124, "failed_when_result": false})),
            Outcome::Ok
        );
    }

    #[test]
    fn loop_items_fold_into_the_worst_outcome() {
        let r = json!({"failed": true, "msg": "One or more items failed", "results": [
            {"rc": 0, "failed": false, "delta": "0:00:00.5", "start": "2026-01-01 00:00:00.000000", "end": "2026-01-01 00:00:00.500000"},
            {"rc": 4, "failed": true, "delta": "0:00:01.25"},
            {"rc": 5, "failed": true, "delta": "0:00:00.000001", "end": "2026-01-01 00:00:02.000000"}
        ]});
        let s = summarize(r.as_object().unwrap());
        assert_eq!(s.outcome, Outcome::Failed);
        assert_eq!(s.exit_code, Some(4));
        assert_eq!(s.duration_us, Some(2_000_000));
        assert_eq!(s.started_at.as_deref(), Some("2026-01-01 00:00:00.000000"));
        assert_eq!(s.ended_at.as_deref(), Some("2026-01-01 00:00:02.000000"));
        assert_eq!(s.message.as_deref(), Some("One or more items failed"));

        let all_ok =
            json!({"results": [{"rc": 0, "delta": "0:00:01"}, {"rc": 0, "delta": "0:00:02"}]});
        let s = summarize(all_ok.as_object().unwrap());
        assert_eq!((s.outcome, s.exit_code), (Outcome::Ok, Some(0)));
        assert_eq!(s.duration_us, Some(3_000_000));

        let timed = json!({"failed": true, "results": [{"rc": 0}, {"rc": 124, "failed": true}]});
        assert_eq!(
            summarize(timed.as_object().unwrap()).outcome,
            Outcome::TimedOut
        );

        let skipped = json!({"skipped": true, "results": [{"skipped": true}]});
        assert_eq!(
            summarize(skipped.as_object().unwrap()).outcome,
            Outcome::Skipped
        );
    }

    #[test]
    fn time_parsers() {
        assert_eq!(parse_delta("0:00:03.012345"), Some(3_012_345));
        assert_eq!(parse_delta("1:02:03"), Some(3_723_000_000));
        assert_eq!(parse_delta("2 days, 0:00:01.5"), Some(172_801_500_000));
        assert_eq!(parse_delta("1 day, 0:00:00"), Some(86_400_000_000));
        assert_eq!(parse_delta("soon"), None);
        assert_eq!(parse_delta("0:99:00"), None);
        assert_eq!(parse_delta("99999999999999 days, 0:00:00"), None);
        assert_eq!(parse_delta("99999999999999:00:00"), None);
        assert_eq!(parse_timestamp_us("99999999999999-01-01 00:00:00"), None);
        assert_eq!(
            parse_timestamp_us("1970-01-01T00:00:01.5Z"),
            Some(1_500_000)
        );
        assert_eq!(
            parse_timestamp_us("2026-11-27 03:31:02.643084"),
            parse_timestamp_us("2026-11-27T03:31:02.643084Z")
        );
        assert_eq!(
            span_us(Some("2024-02-28 23:59:59"), Some("2024-03-01 00:00:00")),
            Some(86_401_000_000)
        );
        assert_eq!(
            span_us(Some("2024-01-01 00:00:01"), Some("2024-01-01 00:00:00")),
            None
        );
        assert_eq!(parse_timestamp_us("2024-13-01 00:00:00"), None);
        assert_eq!(parse_timestamp_us("garbage"), None);
    }

    #[test]
    fn sniff_accepts_pretty_and_compact_output() {
        assert!(sniff(b"{\n    \"custom_stats\": {},\n"));
        assert!(sniff(b"\xef\xbb\xbf  {\"plays\":[{\"play\""));
        assert!(sniff(
            b"{\"custom_stats\" : {}, \"global_custom_stats\": {}, \"plays\": ["
        ));
        assert!(!sniff(b"[{\"plays\": []}]"));
        assert!(!sniff(b"{\"foo\": \"plays\"}"));
        assert!(!sniff(b""));
        assert!(!sniff(b"PLAY [all] ****"));
    }

    #[test]
    fn counting_reader_gives_the_line_of_each_host_key() {
        let doc = "{\n \"plays\": [\n  {\"play\": {\"name\": \"p\"},\n   \"tasks\": [\n    {\"hosts\": {\n      \"a\": {\"rc\": 0},\n\n      \"b\": {\n        \"rc\": 1}},\n     \"task\": {\"name\": \"t\"}}]}],\n \"stats\": {\"c\": {}}}\n";
        let mut sink = crate::parse::NullSink;
        let p = parse("x.json", doc.as_bytes(), &BTreeSet::new(), &mut sink);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let lines: Vec<_> = p
            .value
            .steps
            .iter()
            .map(|s| (s.node.as_str(), s.evidence.line))
            .collect();
        assert_eq!(lines, [("a", Some(6)), ("b", Some(8))]);
        assert_eq!(p.value.hosts, ["a", "b", "c"]);
        assert_eq!(p.value.steps[0].group.as_deref(), Some("p"));
        assert_eq!(p.value.steps[1].outcome, Outcome::Failed);
    }

    #[test]
    fn bad_input_warns_with_a_line_and_keeps_what_was_read() {
        let mut sink = crate::parse::NullSink;
        let doc = "{\"plays\": [{\"play\": {\"name\": \"p\"}, \"tasks\": [\n{\"task\": {\"name\": \"t\"}, \"hosts\": {\"a\": {}}},\n{\"task\": {\"name\": \"u\"}, \"hosts\": {\"a\": {\"rc\":";
        let p = parse("x.json", doc.as_bytes(), &BTreeSet::new(), &mut sink);
        assert_eq!(p.value.steps.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(3));
        assert!(
            p.warnings[0].message.contains("truncated"),
            "{}",
            p.warnings[0].message
        );

        for bad in ["[1, 2]", "not json", "", "\"plays\""] {
            let p = parse("x.json", bad.as_bytes(), &BTreeSet::new(), &mut sink);
            assert!(p.value.steps.is_empty());
            assert_eq!(p.warnings.len(), 1, "{bad}: {:?}", p.warnings);
            assert_eq!(p.warnings[0].line, Some(1));
        }
    }
}
