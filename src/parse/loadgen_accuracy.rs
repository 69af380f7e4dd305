//! `mlperf_log_accuracy.json`, streamed (format notes, §3.1).
//!
//! LoadGen writes a JSON array with one entry per line,
//! `{ "seq_id" : 0, "qsl_idx" : 27, "data" : "1B00…", "token_count" : 5 },`,
//! in completion order. The file is read line by line and only the numbers
//! after `"qsl_idx"`, `"seq_id"` and `"token_count"` are picked out: the
//! `data` hex (the bulk of the file) is never decoded, and a line cut at the
//! line cap still yields its `qsl_idx`, which LoadGen writes first.
//!
//! Published submissions cut accuracy-mode logs to their first and last
//! 4 KiB around a `...` line (`truncate_accuracy_log.py`); that shape is
//! recognised, the two half-entries next to the cut are not counted as
//! errors, and the result says the counts cover only what survived.
//!
//! Duplicates are found with a bitset over `qsl_idx`, sized by the largest
//! index seen but never past [`MAX_TRACKED_IDX`] (2 MiB).

use std::io::BufRead;

use memchr::memmem;

use super::Parsed;
use super::lines::LineReader;
use crate::model::{AccuracyLog, CountStats, ParseWarning, cap_text};

/// Indices tracked for duplicates: 16 Mi (a 2 MiB bitset). Datasets are far
/// smaller (the largest, R-GAT, has 788,379 samples); past this, distinct and
/// duplicate counts are reported as not checked.
pub const MAX_TRACKED_IDX: u64 = 1 << 24;

/// Does `head` look like an accuracy log (`[` then an entry with
/// `"qsl_idx"`)? The 4-byte empty log `[\n]\n` is not claimed: it says
/// nothing.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    t.starts_with('[')
        && t.get(1..).unwrap_or("").trim_start().starts_with('{')
        && t.contains("\"qsl_idx\"")
        && t.contains("\"seq_id\"")
}

/// Parse an accuracy log.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<AccuracyLog> {
    let mut lines = LineReader::new(reader);
    let mut warnings = Vec::new();
    let mut st = State::default();
    loop {
        match lines.next_line() {
            Ok(Some(line)) => st.line(line.number, line.text, line.truncated),
            Ok(None) => break,
            Err(e) => {
                warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    // Lines past the cap are expected (long LLM responses): their
    // `qsl_idx` comes first and was read. Only the other reader warnings
    // (encoding, NUL bytes) are passed on.
    lines.long_lines = 0;
    warnings.extend(lines.warnings(path));
    let value = st.finish(path, lines.lines_read(), &mut warnings);
    Parsed { value, warnings }
}

#[derive(Default)]
struct State {
    out: AccuracyLog,
    seen: Vec<u64>,
    distinct: u64,
    duplicates: u64,
    untracked: bool,
    tokens: Option<CountStats>,
    /// The last non-blank line was malformed (it may be the half-entry
    /// before a truncation marker).
    last_malformed: Option<u64>,
    /// The next non-blank line follows a truncation marker.
    after_marker: bool,
    first_malformed: Option<(u64, String)>,
    /// Lines cut at the line cap that held several entries.
    cut_multi: Option<u64>,
    after_close: Option<u64>,
}

impl State {
    fn line(&mut self, number: u64, text: &str, cut: bool) {
        let t = text.trim();
        if t.is_empty() {
            return;
        }
        let after_marker = std::mem::take(&mut self.after_marker);
        match t {
            "[" => return self.ok(),
            "]" => {
                self.out.complete = true;
                return self.ok();
            }
            "..." => {
                self.out.truncated = true;
                // The line before the marker is the cut end of the first
                // 4 KiB: expected, not an error.
                if self.last_malformed.take().is_some() {
                    self.out.malformed_lines = self.out.malformed_lines.saturating_sub(1);
                    if self.out.malformed_lines == 0 {
                        self.first_malformed = None;
                    }
                }
                self.after_marker = true;
                return;
            }
            _ => {}
        }
        if self.out.complete {
            self.after_close.get_or_insert(number);
        }
        let bytes = t.as_bytes();
        let mut found = 0u64;
        let mut pos = 0;
        while let Some(at) = bytes
            .get(pos..)
            .and_then(|b| memmem::find(b, b"\"qsl_idx\""))
        {
            let start = pos + at + b"\"qsl_idx\"".len();
            pos = start;
            if let Some(idx) = number_after(bytes.get(start..).unwrap_or(&[])) {
                self.entry(idx);
                found += 1;
            }
        }
        // Token counts only of entries counted above (a cut half-entry's
        // count would not match any entry).
        let mut tpos = if found > 0 { 0 } else { bytes.len() };
        while let Some(at) = bytes
            .get(tpos..)
            .and_then(|b| memmem::find(b, b"\"token_count\""))
        {
            let start = tpos + at + b"\"token_count\"".len();
            tpos = start;
            if let Some(n) = number_after(bytes.get(start..).unwrap_or(&[])) {
                let s = self.tokens.get_or_insert(CountStats {
                    count: 0,
                    sum: 0,
                    min: u64::MAX,
                    max: 0,
                });
                s.count += 1;
                s.sum = s.sum.saturating_add(n);
                s.min = s.min.min(n);
                s.max = s.max.max(n);
            }
        }
        if found > 1 && cut {
            self.cut_multi.get_or_insert(number);
        }
        if found > 0 {
            return self.ok();
        }
        if after_marker {
            // The cut start of the last 4 KiB.
            return self.ok();
        }
        self.out.malformed_lines += 1;
        self.last_malformed = Some(number);
        self.first_malformed
            .get_or_insert_with(|| (number, cap_text(t, 80)));
    }

    fn ok(&mut self) {
        self.last_malformed = None;
    }

    fn entry(&mut self, idx: u64) {
        self.out.entries += 1;
        self.out.min_qsl_idx = Some(self.out.min_qsl_idx.map_or(idx, |m| m.min(idx)));
        self.out.max_qsl_idx = Some(self.out.max_qsl_idx.map_or(idx, |m| m.max(idx)));
        if idx >= MAX_TRACKED_IDX {
            self.untracked = true;
            return;
        }
        let word = (idx / 64) as usize;
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        if let Some(w) = self.seen.get_mut(word) {
            let bit = 1u64 << (idx % 64);
            if *w & bit != 0 {
                self.duplicates += 1;
            } else {
                *w |= bit;
                self.distinct += 1;
            }
        }
    }

    fn finish(
        mut self,
        path: &str,
        lines_read: u64,
        warnings: &mut Vec<ParseWarning>,
    ) -> AccuracyLog {
        self.out.dedup_checked = !self.untracked;
        if !self.untracked {
            self.out.distinct_qsl_idx = Some(self.distinct);
            self.out.duplicates = Some(self.duplicates);
        }
        self.out.token_count = self.tokens;
        if let Some((line, text)) = &self.first_malformed {
            warnings.push(ParseWarning::new(
                path,
                Some(*line),
                format!(
                    "{} line(s) are not accuracy-log entries (no `\"qsl_idx\" : N`) and were \
                     skipped; first: `{text}`",
                    self.out.malformed_lines
                ),
            ));
        }
        if let Some(line) = self.cut_multi {
            warnings.push(ParseWarning::new(
                path,
                Some(line),
                "line holds several entries and is longer than the line cap: entries past \
                 the cut were not counted",
            ));
        }
        if let Some(line) = self.after_close {
            warnings.push(ParseWarning::new(
                path,
                Some(line),
                "text after the array's closing `]`",
            ));
        }
        if self.untracked {
            warnings.push(ParseWarning::new(
                path,
                None,
                format!(
                    "a qsl_idx is {MAX_TRACKED_IDX} or more: duplicates and distinct \
                     indices were not checked"
                ),
            ));
        }
        if lines_read > 0 && !self.out.complete && !self.out.truncated {
            warnings.push(ParseWarning::new(
                path,
                Some(lines_read),
                "no closing `]`: the accuracy log ends early (run aborted or file truncated)",
            ));
        }
        if lines_read == 0 {
            warnings.push(ParseWarning::new(
                path,
                None,
                "file is empty; LoadGen writes at least `[` and `]`",
            ));
        }
        self.out
    }
}

/// The unsigned integer after a key: optional spaces, `:`, optional spaces,
/// digits.
fn number_after(b: &[u8]) -> Option<u64> {
    let mut i = 0;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        i += 1;
    }
    (i > start).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Parsed<AccuracyLog> {
        parse("acc.json", s.as_bytes())
    }

    #[test]
    fn counts_entries_distinct_and_duplicates() {
        let r = p(
            "[\n{ \"seq_id\" : 0, \"qsl_idx\" : 5, \"data\" : \"AA\", \"token_count\" : 3 },\n\
                   { \"seq_id\" : 1, \"qsl_idx\" : 2, \"data\" : \"BB\", \"token_count\" : 7 },\n\
                   { \"seq_id\" : 2, \"qsl_idx\" : 5, \"data\" : \"CC\", \"token_count\" : 1 }\n]\n",
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let v = r.value;
        assert_eq!(v.entries, 3);
        assert_eq!(v.distinct_qsl_idx, Some(2));
        assert_eq!(v.duplicates, Some(1));
        assert_eq!((v.min_qsl_idx, v.max_qsl_idx), (Some(2), Some(5)));
        assert_eq!(
            v.token_count,
            Some(CountStats {
                count: 3,
                sum: 11,
                min: 1,
                max: 7
            })
        );
        assert!(v.complete && !v.truncated);
    }

    #[test]
    fn empty_performance_log_is_clean() {
        let r = p("[\n]\n");
        assert!(r.warnings.is_empty());
        assert_eq!(r.value.entries, 0);
        assert!(r.value.complete);
    }

    #[test]
    fn published_truncation_is_recognised_without_warnings() {
        let r = p(
            "[\n{ \"seq_id\" : 0, \"qsl_idx\" : 1, \"data\" : \"AA\" },\n{ \"seq_id\" : 1, \"qsl_\n\n...\n\n00AB\", \"token_count\" : 2 },\n{ \"seq_id\" : 9, \"qsl_idx\" : 4, \"data\" : \"AA\" }\n]\n",
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert!(r.value.truncated);
        assert_eq!(r.value.entries, 2);
        assert_eq!(r.value.malformed_lines, 0);
    }

    #[test]
    fn huge_indices_are_not_tracked() {
        let r = p("[\n{ \"seq_id\" : 0, \"qsl_idx\" : 99999999999 }\n]\n");
        assert!(!r.value.dedup_checked);
        assert_eq!(r.value.distinct_qsl_idx, None);
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn minified_single_line_counts_every_entry() {
        let r = p(
            "[{\"seq_id\":0,\"qsl_idx\":1,\"data\":\"A\"},{\"seq_id\":1,\"qsl_idx\":2,\"data\":\"B\"}]",
        );
        assert_eq!(r.value.entries, 2);
    }

    #[test]
    fn missing_close_and_garbage_warn_with_lines() {
        let r = p("[\n{ \"seq_id\" : 0, \"qsl_idx\" : 1 },\nnot an entry\n");
        let msgs: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].starts_with("acc.json:3: 1 line(s) are not"),
            "{msgs:?}"
        );
        assert!(msgs[1].starts_with("acc.json:3: no closing"), "{msgs:?}");
    }

    #[test]
    fn number_after_handles_spacing_and_rejects_non_numbers() {
        assert_eq!(number_after(b" : 27, "), Some(27));
        assert_eq!(number_after(b":3}"), Some(3));
        assert_eq!(number_after(b" : \"x\""), None);
        assert_eq!(number_after(b" : 99999999999999999999999"), None);
    }

    #[test]
    fn sniffs_entries_not_the_empty_log() {
        assert!(sniff(
            b"[\n{ \"seq_id\" : 0, \"qsl_idx\" : 27, \"data\" : \"1B\" },"
        ));
        assert!(!sniff(b"[\n]\n"));
        assert!(!sniff(b"{\"traceEvents\":["));
    }
}
