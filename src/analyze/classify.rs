//! Classification: the [`LineSink`] that every parser streams log text into,
//! and the structured signals the analyzer raises. Matches are folded into
//! de-duplicated events with bounded memory.
//!
//! De-duplication: an event is identified by (rule, node, step, fingerprint),
//! where the fingerprint is the matched line with numbers and hex masked, so
//! the 16 `Xid 13` lines of one burst with different register values are one
//! error. Within one source file, matches of the same identity that are at
//! most [`BURST_GAP`] lines apart are one event; the event count of an
//! identity is the largest count in any one source, so the same error seen in
//! both a step's `stderr.log` and the harness record is counted once. Raw
//! line counts are kept beside event counts.
//!
//! Time window: when matched lines carry a timestamp (ISO 8601, `dmesg -T`
//! ctime, `dmesg` seconds since boot, syslog), repeats of one identity whose
//! time is within the window (default 60 s, `[scoring] dedup_window_s`) of
//! the event's first line are one event, however many lines lie between;
//! lines without a timestamp keep the line-gap rule. The device (PCI bus id
//! or GPU index named in the line) is part of the identity, so the same Xid
//! on two GPUs is two events.

use std::collections::{BTreeMap, VecDeque};
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Evidence, Stream};
use crate::parse::{LineOrigin, LineSink};

use super::rules::RuleSet;

/// Matches of one identity this many lines apart or closer are one event.
pub const BURST_GAP: u64 = 5;

/// Most fingerprints kept per (rule, node, step); beyond it, matches merge
/// into one overflow identity so hostile input cannot grow memory.
pub const FINGERPRINTS_PER_CONTEXT: usize = 32;

/// Sources tracked per identity; beyond it the rest are counted as one.
const SOURCES_PER_KEY: usize = 16;

/// Non-empty lines remembered per (node, step), for evidence of failures
/// that no rule explains.
const TAIL_LINES: usize = 3;

/// Default de-duplication window, seconds.
pub const DEFAULT_WINDOW_S: f64 = 60.0;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    rule: usize,
    node: Option<String>,
    step: Option<String>,
    device: Option<String>,
    fingerprint: String,
}

/// Where the current event of one identity stands in one source.
#[derive(Debug, Clone, Copy)]
struct SourceState {
    last_line: u64,
    bursts: u64,
    /// Time of the current event's first line, when it had one.
    event_start: Option<Stamp>,
}

#[derive(Debug, Default)]
struct KeyState {
    raw: u64,
    first_seen: u64,
    sources: BTreeMap<String, SourceState>,
    evidence: Vec<Evidence>,
    first_time: Option<f64>,
    last_time: Option<f64>,
}

/// A time read from a log line, in seconds. `absolute` times (with a date)
/// compare across files; relative ones (seconds since boot, syslog without a
/// year) only within one file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// Seconds (since the Unix epoch when `absolute`).
    pub secs: f64,
    /// Whether the time has a date and so compares across files.
    pub absolute: bool,
}

/// What the classifier knows about one (node, step).
#[derive(Debug, Default, Clone)]
pub struct StepContext {
    /// Rule ids matched for this step, with their severities.
    pub matched: BTreeMap<String, crate::model::Severity>,
    /// The first `Traceback (most recent call last):` line.
    pub traceback: Option<Evidence>,
    /// The last exception line after a traceback (`XError: …`).
    pub exception: Option<Evidence>,
    /// The last few non-empty lines, oldest first.
    pub tail: VecDeque<Evidence>,
    in_traceback: bool,
}

/// One de-duplicated event identity, as handed to the analyzer.
#[derive(Debug, Clone)]
pub struct EventGroup {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Node.
    pub node: Option<String>,
    /// Step.
    pub step: Option<String>,
    /// Device (normalised PCI bus id, or `GPU n`) named in the lines.
    pub device: Option<String>,
    /// Earliest absolute time of a matched line, seconds since the epoch.
    pub first_time: Option<f64>,
    /// Latest absolute time of a matched line.
    pub last_time: Option<f64>,
    /// De-duplicated events.
    pub events: u64,
    /// Raw matches.
    pub raw: u64,
    /// Order of first sight, for stable evidence order.
    pub first_seen: u64,
    /// Up to three evidence lines.
    pub evidence: Vec<Evidence>,
}

/// The streaming classifier.
pub struct Classifier<'r> {
    rules: &'r RuleSet,
    keys: BTreeMap<Key, KeyState>,
    per_context: BTreeMap<(usize, Option<String>, Option<String>), usize>,
    contexts: BTreeMap<(String, String), StepContext>,
    seq: u64,
    window_s: f64,
    /// Lines seen, by stream.
    pub lines_seen: BTreeMap<Stream, u64>,
    /// The context of the last (node, step) a line or signal had, kept out
    /// of `contexts`: consecutive lines nearly always share it, and this
    /// spares a map lookup (and a key allocation) per line.
    current: Option<((String, String), StepContext)>,
}

impl<'r> Classifier<'r> {
    /// A classifier over `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        Classifier {
            rules,
            keys: BTreeMap::new(),
            per_context: BTreeMap::new(),
            contexts: BTreeMap::new(),
            seq: 0,
            window_s: DEFAULT_WINDOW_S,
            lines_seen: BTreeMap::new(),
            current: None,
        }
    }

    /// Use a de-duplication window of `secs` seconds.
    pub fn with_window(mut self, secs: f64) -> Self {
        self.window_s = if secs.is_finite() && secs >= 0.0 {
            secs
        } else {
            DEFAULT_WINDOW_S
        };
        self
    }

    /// The rules in use.
    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// Raise a structured signal (`step_timed_out`, `loadgen_invalid`, …).
    /// Unknown signal names are ignored: a user config may remove a rule.
    pub fn signal(
        &mut self,
        signal: &str,
        node: Option<&str>,
        step: Option<&str>,
        evidence: Evidence,
    ) {
        let Some(rule) = self.rules.for_signal(signal) else {
            return;
        };
        let idx = self.rule_index(&rule.id);
        let fingerprint = fingerprint(&format!("{signal} {}", evidence.text));
        if let (Some(n), Some(s)) = (node, step) {
            self.context_mut(n, s)
                .matched
                .insert(rule.id.clone(), rule.severity);
        }
        self.record(idx, node, step, None, None, fingerprint, evidence);
    }

    /// The per-step contexts seen so far.
    pub fn context(&self, node: &str, step: &str) -> Option<&StepContext> {
        match &self.current {
            Some(((n, s), ctx)) if n == node && s == step => Some(ctx),
            _ => self.contexts.get(&(node.to_string(), step.to_string())),
        }
    }

    /// The context of (`node`, `step`), created empty when new: the
    /// current one, or the stored one made current.
    fn context_mut(&mut self, node: &str, step: &str) -> &mut StepContext {
        let same = self
            .current
            .as_ref()
            .is_some_and(|((n, s), _)| n == node && s == step);
        if !same {
            if let Some((key, ctx)) = self.current.take() {
                self.contexts.insert(key, ctx);
            }
            let key = (node.to_string(), step.to_string());
            let ctx = self.contexts.remove(&key).unwrap_or_default();
            self.current = Some((key, ctx));
        }
        let (_, ctx) = self
            .current
            .get_or_insert_with(|| ((node.to_string(), step.to_string()), StepContext::default()));
        ctx
    }

    /// Finish: every event identity, in first-seen order.
    pub fn finish(self) -> Vec<EventGroup> {
        let mut out: Vec<EventGroup> = self
            .keys
            .into_iter()
            .map(|(k, s)| EventGroup {
                rule: k.rule,
                node: k.node,
                step: k.step,
                device: k.device,
                first_time: s.first_time,
                last_time: s.last_time,
                events: s.sources.values().map(|st| st.bursts).max().unwrap_or(0),
                raw: s.raw,
                first_seen: s.first_seen,
                evidence: s.evidence,
            })
            .collect();
        out.sort_by_key(|g| g.first_seen);
        out
    }

    fn rule_index(&self, id: &str) -> usize {
        self.rules
            .rules
            .iter()
            .position(|r| r.id == id)
            .unwrap_or(usize::MAX)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        rule: usize,
        node: Option<&str>,
        step: Option<&str>,
        device: Option<String>,
        stamp: Option<Stamp>,
        mut fingerprint: String,
        evidence: Evidence,
    ) {
        let ctx = (rule, node.map(str::to_string), step.map(str::to_string));
        let mut device = device;
        let known = self.keys.contains_key(&Key {
            rule,
            node: ctx.1.clone(),
            step: ctx.2.clone(),
            device: device.clone(),
            fingerprint: fingerprint.clone(),
        });
        if !known {
            let n = self.per_context.entry(ctx.clone()).or_default();
            if *n >= FINGERPRINTS_PER_CONTEXT {
                fingerprint = "(further distinct messages merged)".into();
                device = None;
            } else {
                *n += 1;
            }
        }
        let key = Key {
            rule,
            node: ctx.1,
            step: ctx.2,
            device,
            fingerprint,
        };
        let window = self.window_s;
        self.seq += 1;
        let seq = self.seq;
        let state = self.keys.entry(key).or_insert_with(|| KeyState {
            first_seen: seq,
            ..KeyState::default()
        });
        state.raw += 1;
        let line = evidence.line.unwrap_or(0);
        let source = if state.sources.len() >= SOURCES_PER_KEY
            && !state.sources.contains_key(&evidence.path)
        {
            "(other sources)".to_string()
        } else {
            evidence.path.clone()
        };
        if let Some(t) = stamp.filter(|t| t.absolute) {
            state.first_time = Some(state.first_time.map_or(t.secs, |f| f.min(t.secs)));
            state.last_time = Some(state.last_time.map_or(t.secs, |l| l.max(t.secs)));
        }
        match state.sources.get_mut(&source) {
            Some(st) => {
                let new_event = match (st.event_start, stamp) {
                    // Both timed on the same clock: the window decides.
                    (Some(start), Some(t)) if start.absolute == t.absolute => {
                        t.secs - start.secs > window || t.secs < start.secs
                    }
                    _ => line.saturating_sub(st.last_line) > BURST_GAP || line < st.last_line,
                };
                if new_event {
                    st.bursts += 1;
                    st.event_start = stamp;
                }
                st.last_line = line;
            }
            None => {
                state.sources.insert(
                    source,
                    SourceState {
                        last_line: line,
                        bursts: 1,
                        event_start: stamp,
                    },
                );
            }
        }
        if state.evidence.len() < 3 && !state.evidence.contains(&evidence) {
            state.evidence.push(evidence);
        }
    }
}

/// Make `e` what `Evidence::new(o.path, Some(o.line), text)` with `o`'s
/// locator makes, reusing its strings.
fn refill_evidence(e: &mut Evidence, o: &LineOrigin<'_>, text: &str) {
    e.path.clear();
    e.path.push_str(o.path);
    e.line = Some(o.line);
    let trimmed = text.trim_end_matches(['\r', '\n']);
    if trimmed.len() <= crate::model::EVIDENCE_TEXT_MAX {
        e.text.clear();
        e.text.push_str(trimmed);
    } else {
        e.text = crate::model::cap_text(text, crate::model::EVIDENCE_TEXT_MAX);
    }
    match o.locator {
        Some(l) => {
            let locator = e.locator.get_or_insert_with(String::new);
            locator.clear();
            locator.push_str(l);
        }
        None => e.locator = None,
    }
}

impl LineSink for Classifier<'_> {
    fn line(&mut self, o: &LineOrigin<'_>, raw: &str) {
        *self.lines_seen.entry(o.stream).or_default() += 1;
        let cleaned = crate::text::clean_cow(raw);
        let text = cleaned.trim();
        let make_evidence = || {
            let e = Evidence::new(o.path, Some(o.line), text);
            match o.locator {
                Some(l) => e.with_locator(l),
                None => e,
            }
        };
        let hit = self
            .rules
            .match_line(text)
            .map(|r| (r.id.clone(), r.severity));
        if let (Some(node), Some(step)) = (o.node, o.step) {
            let ctx = self.context_mut(node, step);
            if text.starts_with("Traceback (most recent call last)") {
                ctx.traceback.get_or_insert_with(make_evidence);
                ctx.in_traceback = true;
            } else if ctx.in_traceback && !raw.starts_with(' ') && !text.is_empty() {
                // The first unindented line after the frames is the exception.
                ctx.exception = Some(make_evidence());
                ctx.in_traceback = false;
            }
            if !text.is_empty() && o.stream != Stream::Log {
                // A full tail's oldest line is rewritten in place: one
                // allocation fewer (or three) per step-log line.
                let e = match ctx.tail.len() {
                    TAIL_LINES => ctx.tail.pop_front().map(|mut e| {
                        refill_evidence(&mut e, o, text);
                        e
                    }),
                    _ => None,
                };
                ctx.tail.push_back(e.unwrap_or_else(make_evidence));
            }
            if let Some((id, sev)) = &hit {
                ctx.matched.insert(id.clone(), *sev);
            }
        }
        if let Some((id, _)) = hit {
            let idx = self.rule_index(&id);
            self.record(
                idx,
                o.node,
                o.step,
                device_of(text),
                line_time(text),
                fingerprint(text),
                make_evidence(),
            );
        }
    }
}

/// Compile the rules' regex set and this module's regexes on a background
/// thread, while files are read: together they are most of the start-up
/// of a report whose logs have lines to classify. The thread is not
/// waited for; whatever it has not finished is compiled on first use.
pub fn prepare_in_background(rules: &RuleSet) {
    let compile_set = rules.set_compiler();
    let job = move || {
        compile_set();
        for re in [
            &ISO_TIME,
            &CTIME,
            &BOOT_TIME,
            &SYSLOG_TIME,
            &PCI_ID,
            &GPU_INDEX,
        ] {
            LazyLock::force(re);
        }
    };
    // Without a thread, everything is compiled on first use as before.
    let _ = std::thread::Builder::new()
        .name("prepare-rules".into())
        .spawn(job);
}

static ISO_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?").expect("static regex")
});
static CTIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\[?(?:[A-Z][a-z]{2}) ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\]?",
    )
    .expect("static regex")
});
static BOOT_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\S+: )?\[\s*(\d+\.\d+)\]").expect("static regex"));
static SYSLOG_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ").expect("static regex")
});
static PCI_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:PCI:)?([0-9A-Fa-f]{4,8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})(?:\.[0-7])?\b")
        .expect("static regex")
});
static GPU_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:GPU ?|cuda:|device )(\d{1,3})\b").expect("static regex"));

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn num(c: Option<regex::Match<'_>>) -> Option<i64> {
    c?.as_str().parse().ok()
}

fn civil_secs(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<f64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some((crate::time::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) as f64)
}

/// An ISO 8601 date-time (`2026-11-27T03:30:21.112228Z`, `2026-11-27
/// 03:30:21`) as seconds since the epoch; the zone offset is ignored, as
/// times are only compared with each other.
pub fn parse_time(text: &str) -> Option<f64> {
    let c = ISO_TIME.captures(text)?;
    let secs = civil_secs(
        num(c.get(1))?,
        num(c.get(2))?,
        num(c.get(3))?,
        num(c.get(4))?,
        num(c.get(5))?,
        num(c.get(6))?,
    )?;
    let frac = c
        .get(7)
        .and_then(|f| f.as_str().parse::<f64>().ok())
        .unwrap_or(0.0);
    Some(secs + frac)
}

/// The time a log line carries at its start, if any.
pub fn line_time(text: &str) -> Option<Stamp> {
    // Only the head of a line holds its time; a date inside a message is data.
    let head = match text.char_indices().nth(64) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    if let Some(c) = CTIME.captures(head) {
        let mo = MONTHS
            .iter()
            .position(|m| Some(*m) == c.get(1).map(|x| x.as_str()))? as i64
            + 1;
        let secs = civil_secs(
            num(c.get(6))?,
            mo,
            num(c.get(2))?,
            num(c.get(3))?,
            num(c.get(4))?,
            num(c.get(5))?,
        )?;
        return Some(Stamp {
            secs,
            absolute: true,
        });
    }
    if let Some(secs) = parse_time(head) {
        return Some(Stamp {
            secs,
            absolute: true,
        });
    }
    if let Some(c) = BOOT_TIME.captures(head) {
        let secs = c.get(1)?.as_str().parse::<f64>().ok()?;
        return Some(Stamp {
            secs,
            absolute: false,
        });
    }
    if let Some(c) = SYSLOG_TIME.captures(head) {
        let mo = MONTHS
            .iter()
            .position(|m| Some(*m) == c.get(1).map(|x| x.as_str()))? as i64
            + 1;
        // No year: seconds within a fixed year, comparable inside one file.
        let secs = civil_secs(
            2000,
            mo,
            num(c.get(2))?,
            num(c.get(3))?,
            num(c.get(4))?,
            num(c.get(5))?,
        )?;
        return Some(Stamp {
            secs,
            absolute: false,
        });
    }
    None
}

/// The device a line names: a PCI bus id (normalised to `dddd:bb:dd`,
/// lower case, as `nvidia-smi` and the kernel print it differently) or a GPU
/// index.
pub fn device_of(text: &str) -> Option<String> {
    if let Some(c) = PCI_ID.captures(text) {
        let domain = c.get(1)?.as_str().trim_start_matches('0');
        let domain = format!("{:0>4}", domain.to_ascii_lowercase());
        return Some(format!(
            "{domain}:{}:{}",
            c.get(2)?.as_str().to_ascii_lowercase(),
            c.get(3)?.as_str().to_ascii_lowercase()
        ));
    }
    GPU_INDEX
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| format!("GPU {}", m.as_str()))
}

/// The identity of a message: digits and hex runs masked, whitespace folded,
/// capped, so messages that differ only in numbers are the same error.
pub fn fingerprint(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(160));
    let mut prev_masked = false;
    let mut prev_space = false;
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() && out.len() < 160 {
        let c = bytes[i];
        if c.is_ascii_digit() || (c == 'x' && prev_masked) {
            if !prev_masked {
                out.push('#');
            }
            prev_masked = true;
            prev_space = false;
        } else if c.is_ascii_hexdigit() && prev_masked {
            // hex digits continuing a masked number
        } else if c.is_whitespace() {
            if !prev_space {
                out.push(' ');
            }
            prev_space = true;
            prev_masked = false;
        } else {
            out.push(c);
            prev_masked = false;
            prev_space = false;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin<'a>(path: &'a str, line: u64) -> LineOrigin<'a> {
        LineOrigin {
            path,
            line,
            node: Some("n1"),
            step: Some("s1"),
            stream: Stream::Stderr,
            locator: None,
        }
    }

    #[test]
    fn a_burst_of_similar_lines_is_one_event() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        for i in 0..16 {
            let line =
                format!("NVRM: Xid (PCI:0000:38:00): 13, pid='<unknown>', ESR 0x{i:x}=0x11f");
            c.line(&origin("k.log", 10 + i), &line);
        }
        let groups = c.finish();
        assert_eq!(groups.len(), 1);
        assert_eq!((groups[0].events, groups[0].raw), (1, 16));
    }

    #[test]
    fn separate_bursts_are_separate_events() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(
            &origin("a.log", 1),
            "ConnectionRefusedError: [Errno 111] Connection refused",
        );
        c.line(
            &origin("a.log", 100),
            "ConnectionRefusedError: [Errno 111] Connection refused",
        );
        let g = c.finish();
        assert_eq!((g[0].events, g[0].raw), (2, 2));
    }

    #[test]
    fn the_same_error_in_two_sources_counts_once() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(
            &origin("stderr.log", 3),
            "ModuleNotFoundError: No module named 'x'",
        );
        c.line(
            &origin("ansible.json", 40),
            "ModuleNotFoundError: No module named 'x'",
        );
        let g = c.finish();
        assert_eq!((g[0].events, g[0].raw), (1, 2));
        assert_eq!(g[0].evidence.len(), 2);
    }

    #[test]
    fn a_traceback_is_remembered_with_its_exception_line() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(&origin("e.log", 1), "Traceback (most recent call last):");
        c.line(&origin("e.log", 2), "  File \"x.py\", line 1, in <module>");
        c.line(&origin("e.log", 3), "ValueError: bad");
        let ctx = c.context("n1", "s1").unwrap();
        assert_eq!(ctx.traceback.as_ref().unwrap().line, Some(1));
        assert_eq!(ctx.exception.as_ref().unwrap().text, "ValueError: bad");
    }

    #[test]
    fn refilled_evidence_equals_new_evidence() {
        let long = "x".repeat(crate::model::EVIDENCE_TEXT_MAX + 10);
        let mut e = Evidence::new("old/path.log", Some(99), "old text").with_locator("old");
        for (text, locator) in [
            ("short line", None),
            ("with locator", Some("task \"a\" on n1, stderr line 3")),
            ("ends with CR\r", None),
            (long.as_str(), Some("l")),
            ("é".repeat(1000).as_str(), None),
            ("again short", None),
        ] {
            let o = LineOrigin {
                locator,
                ..origin("nodes/n1/steps/s1/stderr.log", 7)
            };
            refill_evidence(&mut e, &o, text);
            let want = Evidence::new(o.path, Some(o.line), text);
            let want = match locator {
                Some(l) => want.with_locator(l),
                None => want,
            };
            assert_eq!(e, want);
        }
    }

    #[test]
    fn step_contexts_survive_switching_between_steps() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        let at = |step: &'static str, line: u64| LineOrigin {
            step: Some(step),
            ..origin("e.log", line)
        };
        for i in 0..10u64 {
            c.line(&at("a", i), &format!("a line {i}"));
            c.line(&at("b", i), &format!("b line {i}"));
        }
        c.line(&at("a", 50), "Traceback (most recent call last):");
        c.signal(
            "step_timed_out",
            Some("n1"),
            Some("b"),
            Evidence::new("x", None, "t"),
        );
        let a = c.context("n1", "a").unwrap();
        let b = c.context("n1", "b").unwrap();
        let texts = |ctx: &StepContext| ctx.tail.iter().map(|e| e.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(a).len(), TAIL_LINES);
        assert_eq!(
            texts(a).last().unwrap(),
            "Traceback (most recent call last):"
        );
        assert_eq!(texts(b).last().unwrap(), "b line 9");
        assert!(a.traceback.is_some() && b.traceback.is_none());
        assert_eq!(b.matched.len(), 1);
        assert!(c.context("n1", "c").is_none());
    }

    #[test]
    fn ansi_codes_do_not_hide_errors() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(
            &origin("a.log", 1),
            "\u{1b}[31mModuleNotFoundError: No module named 'x'\u{1b}[0m",
        );
        let g = c.finish();
        assert_eq!(g.len(), 1);
        assert!(!g[0].evidence[0].text.contains('\u{1b}'));
    }

    #[test]
    fn hostile_input_cannot_grow_identities_without_bound() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        for i in 0..1000 {
            let line = format!(
                "ModuleNotFoundError: No module named 'pkg_{}'",
                "abcdefghij".repeat(i % 50 + 1)
            );
            c.line(&origin("a.log", i as u64 * 10), &line);
        }
        assert!(c.finish().len() <= FINGERPRINTS_PER_CONTEXT + 1);
    }

    #[test]
    fn timestamped_repeats_within_the_window_are_one_event() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        let line = |t: &str| {
            format!(
                "kern  :err   : 2024-08-30T11:{t},000000+00:00 NVRM: Xid (PCI:0000:cb:00): 31, pid=626486, name=pt_main_thread, Ch 00000008"
            )
        };
        // 100 lines apart but 30 s apart: one event; 90 s later: a second.
        c.line(&origin("k.log", 1), &line("43:00"));
        c.line(&origin("k.log", 101), &line("43:30"));
        c.line(&origin("k.log", 201), &line("44:30"));
        let g = c.finish();
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].events, g[0].raw), (2, 3));
        assert_eq!(g[0].device.as_deref(), Some("0000:cb:00"));
        assert_eq!(
            g[0].last_time.zip(g[0].first_time).map(|(l, f)| l - f),
            Some(90.0)
        );
    }

    #[test]
    fn the_window_is_configurable() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules).with_window(10.0);
        c.line(
            &origin("a.log", 1),
            "2026-01-02 10:00:00 ConnectionRefusedError: [Errno 111] Connection refused",
        );
        c.line(
            &origin("a.log", 2),
            "2026-01-02 10:00:30 ConnectionRefusedError: [Errno 111] Connection refused",
        );
        assert_eq!(c.finish()[0].events, 2);
    }

    #[test]
    fn the_same_error_on_two_devices_is_two_events() {
        let rules = RuleSet::builtin().unwrap();
        let mut c = Classifier::new(&rules);
        c.line(
            &origin("k.log", 1),
            "NVRM: Xid (PCI:0000:38:00): 43, pid=2924364, name=pt_main_thread, Ch 00000008",
        );
        c.line(
            &origin("k.log", 2),
            "NVRM: Xid (PCI:0000:3b:00): 43, pid=2924364, name=pt_main_thread, Ch 00000008",
        );
        let g = c.finish();
        assert_eq!(g.len(), 2);
        assert_eq!(g.iter().map(|g| g.events).sum::<u64>(), 2);
    }

    #[test]
    fn line_times_in_the_usual_log_formats() {
        let iso = line_time("2026-11-27T03:30:21.5Z x").unwrap();
        assert!(iso.absolute);
        assert_eq!(iso.secs, 1_795_750_221.5);
        let ctime = line_time("[Fri Aug 30 11:43:09 2024] NVRM: Xid").unwrap();
        assert_eq!(ctime.secs, parse_time("2024-08-30T11:43:09").unwrap());
        let boot = line_time("[ 4254.197860] NVRM: Xid").unwrap();
        assert_eq!((boot.secs, boot.absolute), (4254.19786, false));
        assert!(
            !line_time("Aug 10 15:36:05 gpu-node-a kernel: NVRM")
                .unwrap()
                .absolute
        );
        // A date deep inside a message is data, not the line's time.
        let late = format!("{} 2026-01-01T00:00:00", "x".repeat(70));
        assert_eq!(line_time(&late), None);
        assert_eq!(line_time("ModuleNotFoundError: x"), None);
    }

    #[test]
    fn devices_are_normalised() {
        assert_eq!(
            device_of("NVRM: Xid (PCI:0000:3B:00): 79,").as_deref(),
            Some("0000:3b:00")
        );
        assert_eq!(
            device_of("GPU 00000000:3B:00.0: x").as_deref(),
            Some("0000:3b:00")
        );
        assert_eq!(
            device_of("Tried to allocate 2 MiB on GPU 3").as_deref(),
            Some("GPU 3")
        );
        assert_eq!(device_of("nothing"), None);
    }

    #[test]
    fn fingerprints_mask_numbers_and_hex() {
        assert_eq!(
            fingerprint("ESR 0x546fb0=0x11f000e pid 123"),
            "ESR #=# pid #"
        );
    }
}
