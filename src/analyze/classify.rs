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

use std::collections::{BTreeMap, VecDeque};

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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    rule: usize,
    node: Option<String>,
    step: Option<String>,
    fingerprint: String,
}

#[derive(Debug, Default)]
struct KeyState {
    raw: u64,
    first_seen: u64,
    /// source path → (last line, bursts)
    sources: BTreeMap<String, (u64, u64)>,
    evidence: Vec<Evidence>,
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
    /// Lines seen, by stream.
    pub lines_seen: BTreeMap<Stream, u64>,
    /// The (node, step) key of the last line that had both.
    last_context: Option<(String, String)>,
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
            lines_seen: BTreeMap::new(),
            last_context: None,
        }
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
            self.contexts
                .entry((n.to_string(), s.to_string()))
                .or_default()
                .matched
                .insert(rule.id.clone(), rule.severity);
        }
        self.record(idx, node, step, fingerprint, evidence);
    }

    /// The per-step contexts seen so far.
    pub fn context(&self, node: &str, step: &str) -> Option<&StepContext> {
        self.contexts.get(&(node.to_string(), step.to_string()))
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
                events: s.sources.values().map(|(_, b)| *b).max().unwrap_or(0),
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

    fn record(
        &mut self,
        rule: usize,
        node: Option<&str>,
        step: Option<&str>,
        mut fingerprint: String,
        evidence: Evidence,
    ) {
        let ctx = (rule, node.map(str::to_string), step.map(str::to_string));
        let known = self.keys.contains_key(&Key {
            rule,
            node: ctx.1.clone(),
            step: ctx.2.clone(),
            fingerprint: fingerprint.clone(),
        });
        if !known {
            let n = self.per_context.entry(ctx.clone()).or_default();
            if *n >= FINGERPRINTS_PER_CONTEXT {
                fingerprint = "(further distinct messages merged)".into();
            } else {
                *n += 1;
            }
        }
        let key = Key {
            rule,
            node: ctx.1,
            step: ctx.2,
            fingerprint,
        };
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
        match state.sources.get_mut(&source) {
            Some((last, bursts)) => {
                if line.saturating_sub(*last) > BURST_GAP || line < *last {
                    *bursts += 1;
                }
                *last = line;
            }
            None => {
                state.sources.insert(source, (line, 1));
            }
        }
        if state.evidence.len() < 3 && !state.evidence.contains(&evidence) {
            state.evidence.push(evidence);
        }
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
            // Consecutive lines nearly always share their (node, step):
            // reusing the last key spares two allocations per line.
            if self
                .last_context
                .as_ref()
                .is_none_or(|(n, s)| n != node || s != step)
            {
                self.last_context = Some((node.to_string(), step.to_string()));
            }
            let mut scratch = StepContext::default();
            let ctx = match &self.last_context {
                Some(key) => {
                    if !self.contexts.contains_key(key) {
                        self.contexts.insert(key.clone(), StepContext::default());
                    }
                    self.contexts.get_mut(key).unwrap_or(&mut scratch)
                }
                None => &mut scratch,
            };
            if text.starts_with("Traceback (most recent call last)") {
                ctx.traceback.get_or_insert_with(make_evidence);
                ctx.in_traceback = true;
            } else if ctx.in_traceback && !raw.starts_with(' ') && !text.is_empty() {
                // The first unindented line after the frames is the exception.
                ctx.exception = Some(make_evidence());
                ctx.in_traceback = false;
            }
            if !text.is_empty() && o.stream != Stream::Log {
                if ctx.tail.len() == TAIL_LINES {
                    ctx.tail.pop_front();
                }
                ctx.tail.push_back(make_evidence());
            }
            if let Some((id, sev)) = &hit {
                ctx.matched.insert(id.clone(), *sev);
            }
        }
        if let Some((id, _)) = hit {
            let idx = self.rule_index(&id);
            self.record(idx, o.node, o.step, fingerprint(text), make_evidence());
        }
    }
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
    fn fingerprints_mask_numbers_and_hex() {
        assert_eq!(
            fingerprint("ESR 0x546fb0=0x11f000e pid 123"),
            "ESR #=# pid #"
        );
    }
}
