//! `accuracy.txt` from the reference accuracy scripts (format notes, §4.3).
//!
//! The file is free text whose shape depends on the benchmark's script:
//! a Python dict of metrics (`{'rouge1': 44.4465, 'gen_len': 29614748, …}`,
//! optionally after a label such as `Accuracy Results:`), `name = number`
//! or `name: number` lines (`AUC=0.80`, `num_acc_log_entries = 5000`),
//! `59.88% pass@1`, pass/fail lines (`First token check pass: True`,
//! `TEST PASS`) and the `hash=<sha256>` line the submission checker
//! requires. Every such line is picked out; the rest is ignored.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::LazyLock;

use regex::Regex;

use super::Parsed;
use super::lines::LineReader;
use crate::model::{AccuracyCheck, AccuracyMetric, AccuracyResult, ParseWarning, cap_text};

/// Most metrics kept; real files have under 20.
pub(crate) const MAX_METRICS: usize = 128;

/// `name = 1.5`, `name: 1.5`, `name=1.5`.
static NAMED_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([A-Za-z][\w .@%/()-]{0,63}?)\s*[:=]\s*'?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)'?\s*$",
    )
    .expect("constant regex is valid")
});

/// `59.88% pass@1`.
static PERCENT_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(-?\d+(?:\.\d+)?)%\s+(\S{1,64})$").expect("constant regex is valid")
});

/// `First token check pass: True`, `EOS check pass: Skipped`.
static CHECK_BOOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^.*\b(?:pass|passed|check|ok)\b.*:\s*(true|false|skipped)$")
        .expect("constant regex is valid")
});

/// `TEST PASS`, `TEST FAIL`, `Accuracy check PASSED`.
static CHECK_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(PASS|PASSED|FAIL|FAILED)\b").expect("constant regex is valid")
});

/// Parse an accuracy result.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<AccuracyResult> {
    let mut out = AccuracyResult::default();
    let mut dropped = 0u64;
    let mut bad_dict: Option<(u64, u64)> = None;
    let (lines, mut warnings) = for_each_line(path, reader, |n, t| match read_line(t) {
        LineItem::Hash(h) => {
            if out.hash.is_none() {
                out.hash = Some(cap_text(h.trim(), 128));
            }
        }
        LineItem::Dict(pairs) => {
            for (k, v) in pairs {
                if let Some(v) = v {
                    add_metric(&mut out.metrics, &k, v, n, &mut dropped);
                }
            }
        }
        LineItem::BadDict => {
            // One dict that did not read: worth a warning.
            let e = bad_dict.get_or_insert((n, 0));
            e.1 += 1;
        }
        LineItem::BoolCheck(passed) => out.checks.push(check(n, t, passed)),
        LineItem::Metric(k, v) => add_metric(&mut out.metrics, k, v, n, &mut dropped),
        LineItem::WordCheck(passed) => out.checks.push(check(n, t, Some(passed))),
        LineItem::Other => {}
    });
    out.lines = lines;
    if let Some((line, count)) = bad_dict {
        warnings.push(ParseWarning::new(
            path,
            Some(line),
            format!("{count} metrics dict line(s) could not be read"),
        ));
    }
    if dropped > 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!("{dropped} metric(s) beyond the {MAX_METRICS}-metric cap were ignored"),
        ));
    }
    if out.lines == 0 {
        warnings.push(ParseWarning::new(path, None, "file is empty"));
    } else if out.metrics.is_empty() && out.checks.total == 0 && out.hash.is_none() {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "no metrics, pass/fail lines or `hash=` in {} line(s): not an accuracy-script result",
                out.lines
            ),
        ));
    }
    Parsed {
        value: out,
        warnings,
    }
}

/// Stream `reader` once, handing each trimmed, non-empty line and its
/// 1-based number to `f`; returns the lines read and the reader's warnings
/// (a read error, cut lines, invalid UTF-8).
pub(crate) fn for_each_line<R: BufRead>(
    path: &str,
    reader: R,
    mut f: impl FnMut(u64, &str),
) -> (u64, Vec<ParseWarning>) {
    let mut lines = LineReader::new(reader);
    let mut warnings = Vec::new();
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                let t = line.text.trim();
                if !t.is_empty() {
                    f(line.number, t);
                }
            }
            Ok(None) => break,
            Err(e) => {
                warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    warnings.extend(lines.warnings(path));
    (lines.lines_read(), warnings)
}

/// What one trimmed, non-empty line of an accuracy script's output holds.
/// Shared with the compliance `verify_*.txt` parser, whose scripts print
/// the same kinds of lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LineItem<'a> {
    /// `hash=<sha256>`: the text after `hash=`.
    Hash(&'a str),
    /// One Python dict literal: its pairs, non-numbers as `None`.
    Dict(Vec<(String, Option<f64>)>),
    /// A line that looks like one dict but did not read.
    BadDict,
    /// `… check pass: True|False|Skipped`: `None` for skipped.
    BoolCheck(Option<bool>),
    /// `name = number`, `name: number`, `59.9% pass@1`.
    Metric(&'a str, f64),
    /// A line with a `PASS`/`PASSED`/`FAIL`/`FAILED` word (`TEST PASS`).
    WordCheck(bool),
    /// Anything else.
    Other,
}

/// Classify one trimmed line. The order matters: a dict before a named
/// number, a boolean check before a named number (`pass: True` is not a
/// number anyway), a pass/fail word last.
pub(crate) fn read_line(t: &str) -> LineItem<'_> {
    if let Some(h) = t.strip_prefix("hash=") {
        return LineItem::Hash(h);
    }
    if let Some(pairs) = dict_pairs(t) {
        return LineItem::Dict(pairs);
    }
    if t.starts_with('{') && t.contains('}') && t.matches('{').count() == 1 {
        return LineItem::BadDict;
    }
    if let Some(c) = CHECK_BOOL.captures(t) {
        let passed = match c.get(1).map(|m| m.as_str().to_ascii_lowercase()) {
            Some(s) if s == "true" => Some(true),
            Some(s) if s == "false" => Some(false),
            _ => None,
        };
        return LineItem::BoolCheck(passed);
    }
    if let Some(c) = NAMED_NUMBER.captures(t) {
        if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
            if let Ok(v) = v.as_str().parse::<f64>() {
                return LineItem::Metric(k.as_str().trim(), v);
            }
        }
    }
    if let Some(c) = PERCENT_NAMED.captures(t) {
        if let (Some(v), Some(k)) = (c.get(1), c.get(2)) {
            if let Ok(v) = v.as_str().parse::<f64>() {
                return LineItem::Metric(k.as_str(), v);
            }
        }
    }
    if let Some(c) = CHECK_WORD.captures(t) {
        if let Some(m) = c.get(1) {
            return LineItem::WordCheck(m.as_str().starts_with("PASS"));
        }
    }
    LineItem::Other
}

/// A pass/fail line, its text capped.
pub(crate) fn check(line: u64, text: &str, passed: Option<bool>) -> AccuracyCheck {
    AccuracyCheck {
        line,
        text: cap_text(text, 200),
        passed,
    }
}

/// Keep the first finite value of `key`, up to [`MAX_METRICS`] names;
/// `dropped` counts names beyond the cap.
pub(crate) fn add_metric(
    metrics: &mut BTreeMap<String, AccuracyMetric>,
    key: &str,
    value: f64,
    line: u64,
    dropped: &mut u64,
) {
    if !value.is_finite() || metrics.contains_key(key) {
        return;
    }
    if metrics.len() >= MAX_METRICS {
        *dropped += 1;
        return;
    }
    metrics.insert(key.to_string(), AccuracyMetric { value, line });
}

/// The pairs of a line holding exactly one Python dict literal
/// (`{'rouge1': 44.4, 'FID_SCORE': '23.9'}`), optionally after a label
/// (`Accuracy Results: {…}`). Values that are not numbers come back as
/// `None`. Lines with two dicts (per-language pass counts next to totals)
/// are not metrics and give `None`.
fn dict_pairs(t: &str) -> Option<Vec<(String, Option<f64>)>> {
    let open = t.find('{')?;
    let close = t.rfind('}')?;
    if close < open || t.matches('{').count() != 1 || t.matches('}').count() != 1 {
        return None;
    }
    let label = t.get(..open)?.trim();
    if !(label.is_empty() || label.ends_with(':')) || !t.get(close + 1..)?.trim().is_empty() {
        return None;
    }
    let inner = t.get(open + 1..close)?;
    let mut out = Vec::new();
    for part in split_top(inner) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = split_pair(part)?;
        out.push((k, unquote(v).trim().parse::<f64>().ok()));
    }
    (!out.is_empty()).then_some(out)
}

/// Split on commas outside quotes.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => {
                out.push(s.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

/// `'key': value` → (key, value text).
fn split_pair(part: &str) -> Option<(String, &str)> {
    let q = part.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = part.get(1..)?;
    let end = rest.find(q)?;
    let key = rest.get(..end)?.to_string();
    let after = rest.get(end + 1..)?.trim_start().strip_prefix(':')?;
    Some((key, after.trim()))
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Parsed<AccuracyResult> {
        parse("accuracy.txt", s.as_bytes())
    }

    #[test]
    fn reads_rouge_dict_and_hash() {
        let r = p(
            "\nResults\n\n{'rouge1': 44.4465, 'rouge2': 22.0638, 'gen_len': 29614748, 'gen_num': 24576, 'tokens_per_sample': 301.1}\n\nhash=67fd\n",
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let m = &r.value.metrics;
        assert_eq!(m["rouge1"].value, 44.4465);
        assert_eq!(m["rouge1"].line, 4);
        assert_eq!(m["gen_len"].value, 29614748.0);
        assert_eq!(r.value.hash.as_deref(), Some("67fd"));
    }

    #[test]
    fn labelled_dict_with_quoted_numbers() {
        let r = p(
            "Accuracy Results: {'FID_SCORE': '23.909064176163497', 'CLIP_SCORE': '31.749353325665'}\n",
        );
        assert_eq!(r.value.metrics["FID_SCORE"].value, 23.909064176163497);
    }

    #[test]
    fn skips_two_dict_lines_and_reads_percent_and_named_numbers() {
        let r = p(
            "Processed 5000 in 130.2s\n 59.88% pass@1\n{'php': 826} {'php': 846}\nAUC=0.80275\nnum_acc_log_entries = 5000\nReference score = 18.5856\n",
        );
        let m = &r.value.metrics;
        assert_eq!(m["pass@1"].value, 59.88);
        assert_eq!(m["AUC"].value, 0.80275);
        assert_eq!(m["num_acc_log_entries"].value, 5000.0);
        assert_eq!(m["Reference score"].value, 18.5856);
        assert!(!m.contains_key("php"));
        assert_eq!(r.value.checks.total, 0);
    }

    #[test]
    fn pass_fail_lines() {
        let r = p(
            "First token check pass: Skipped\nEOS check pass: True\nSample length check pass: False\nTEST06 verification complete\nTEST PASS\nTEST FAIL\n",
        );
        let got: Vec<(u64, Option<bool>)> = r
            .value
            .checks
            .items
            .iter()
            .map(|c| (c.line, c.passed))
            .collect();
        assert_eq!(
            got,
            [
                (1, None),
                (2, Some(true)),
                (3, Some(false)),
                (5, Some(true)),
                (6, Some(false))
            ]
        );
    }

    #[test]
    fn unreadable_dict_and_text_warn() {
        let r = p("{'rouge1' 44}\n");
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert_eq!(r.warnings[0].line, Some(1));
        let r = p("");
        assert_eq!(r.warnings[0].message, "file is empty");
    }
}
