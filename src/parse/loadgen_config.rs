//! `user.conf` / `mlperf.conf` (`model.scenario.key = value`).
//!
//! LoadGen reads these line by line: `#` starts a comment, `*` in the model
//! or scenario position is a wildcard, values are mostly integers. The key
//! is split from the right, so a model name that itself contains a dot
//! still leaves scenario and setting intact.

use std::io::BufRead;

use super::Parsed;
use super::lines::LineReader;
use crate::model::{CONFIG_ENTRIES_KEPT, ConfigEntry, LoadGenConfig, ParseWarning, cap_text};

/// Longest key part or value kept, in bytes.
const FIELD_MAX: usize = 200;

/// Parse a LoadGen settings file.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<LoadGenConfig> {
    let mut lines = LineReader::new(reader);
    let mut out = LoadGenConfig::default();
    let mut warnings = Vec::new();
    let mut first_bad: Option<(u64, String)> = None;
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                let text = line.text.split('#').next().unwrap_or("").trim();
                if text.is_empty() {
                    continue;
                }
                match entry(line.number, text) {
                    Some(e) => {
                        out.total_entries += 1;
                        if out.entries.len() < CONFIG_ENTRIES_KEPT {
                            out.entries.push(e);
                        }
                    }
                    None => {
                        out.malformed_lines += 1;
                        first_bad.get_or_insert_with(|| (line.number, cap_text(text, 80)));
                    }
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
    if let Some((line, text)) = first_bad {
        warnings.push(ParseWarning::new(
            path,
            Some(line),
            format!(
                "{} line(s) are not `model.scenario.key = value` settings and were skipped; \
                 first: `{text}`",
                out.malformed_lines
            ),
        ));
    }
    Parsed {
        value: out,
        warnings,
    }
}

fn entry(line: u64, text: &str) -> Option<ConfigEntry> {
    let (lhs, value) = text.split_once('=')?;
    let lhs = lhs.trim();
    let value = value.trim();
    let mut parts = lhs.rsplitn(3, '.');
    let key = parts.next()?.trim();
    let scenario = parts.next()?.trim();
    let model = parts.next()?.trim();
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*' | '.'))
    };
    if !(ok(model) && ok(scenario) && ok(key)) || value.is_empty() {
        return None;
    }
    Some(ConfigEntry {
        line,
        model: cap_text(model, FIELD_MAX),
        scenario: cap_text(scenario, FIELD_MAX),
        key: cap_text(key, FIELD_MAX),
        value: cap_text(value, FIELD_MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_comments_and_wildcards() {
        let r = parse(
            "user.conf",
            &b"# comment\nllama2-70b.*.performance_sample_count_override = 24576\n\
               *.Server.target_qps = 17 # inline\n\nllama2-70b.Offline.min_duration=2400000\n"[..],
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let e = &r.value.entries;
        assert_eq!(r.value.total_entries, 3);
        assert_eq!(
            (e[0].line, e[0].model.as_str(), e[0].scenario.as_str()),
            (2, "llama2-70b", "*")
        );
        assert_eq!((e[1].model.as_str(), e[1].value.as_str()), ("*", "17"));
        assert_eq!(e[2].key, "min_duration");
    }

    #[test]
    fn bad_lines_warn_with_the_first_line() {
        let r = parse(
            "user.conf",
            &b"ok.Offline.x = 1\nnot a setting\nalso = bad\n"[..],
        );
        assert_eq!(r.value.total_entries, 1);
        assert_eq!(r.value.malformed_lines, 2);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].line, Some(2));
    }
}
