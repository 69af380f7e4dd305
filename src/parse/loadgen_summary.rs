//! `mlperf_log_summary.txt`: LoadGen's human-readable verdict (see the format
//! notes, §1).
//!
//! The file is `label : value` lines in three banner-delimited sections plus a
//! trailer, but the separator spacing is not uniform and values may contain
//! colons (`SUT name : Multi-Node SUT: Network SUT`), so every line is split
//! at its *first* colon and matched on the trimmed label. Labels are compared
//! case-insensitively because they changed between LoadGen versions
//! (`90th` → `90.0th`, `Time to Output Token` → `Time per Output Token`).
//! Lines that match nothing are skipped without comment: LoadGen adds lines
//! over time, and an unknown line is not a problem with the file.

use std::io::BufRead;

use super::Parsed;
use super::lines::LineReader;
use crate::model::{
    EVIDENCE_TEXT_MAX, Evidence, LatencyStats, LoadGenSummary, MESSAGES_KEPT, ParseWarning,
    Scenario, cap_text,
};

/// Most `Test Parameters Used` entries kept; LoadGen prints about 25, so the
/// cap only bounds memory on garbage input.
const MAX_SETTINGS: usize = 256;

/// Which banner-delimited part of the file a line sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Before the first section title.
    Preamble,
    /// `MLPerf Results Summary`.
    Results,
    /// `Additional Stats`.
    Stats,
    /// `Test Parameters Used` (and the trailer after it).
    Params,
}

impl Section {
    fn describe(self) -> &'static str {
        match self {
            Section::Preamble => "the header",
            Section::Results => "the result block",
            Section::Stats => "the Additional Stats section",
            Section::Params => "the Test Parameters section",
        }
    }
}

/// Which bullet list ` * …` lines currently belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bullets {
    /// Not inside a bullet list.
    None,
    /// `Recommendations:`.
    Recommendations,
    /// One of the early-stopping headers; the header text becomes the
    /// evidence locator so TTFT and TPOT bullets stay distinguishable.
    EarlyStopping(&'static str),
}

/// Which latency block a statistic line feeds.
#[derive(Debug, Clone, Copy)]
enum Block {
    Latency,
    FirstToken,
    PerOutputToken,
}

/// Parse a summary log. Never fails: what cannot be read becomes a warning.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<LoadGenSummary> {
    let mut lines = LineReader::new(reader);
    let mut p = SummaryParser::new(path);
    let mut warnings = Vec::new();
    loop {
        match lines.next_line() {
            Ok(Some(line)) => p.line(line.number, line.text),
            Ok(None) => break,
            Err(e) => {
                warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    warnings.extend(lines.warnings(path));
    p.finish(lines.lines_read(), &mut warnings);
    Parsed {
        value: p.out,
        warnings,
    }
}

/// Line-by-line state; `out` is filled as lines arrive.
struct SummaryParser<'p> {
    path: &'p str,
    out: LoadGenSummary,
    section: Section,
    bullets: Bullets,
    /// True once any known field (or the trailer) was read.
    recognised: bool,
    /// Server headline of old LoadGen versions (`Scheduled samples per
    /// second` in the result block): the rate to report when there is no
    /// `Completed samples per second` anywhere.
    scheduled_headline: Option<f64>,
    saw_results_title: bool,
    saw_stats_title: bool,
    saw_errors_trailer: bool,
    /// Known labels whose value did not parse: count and the first one.
    bad_values: u64,
    first_bad_value: Option<(u64, String)>,
    unknown_scenario: Option<(u64, String)>,
    /// Bullets and settings ignored because their list was full.
    dropped_lines: u64,
    first_dropped: Option<u64>,
}

impl<'p> SummaryParser<'p> {
    fn new(path: &'p str) -> Self {
        SummaryParser {
            path,
            out: LoadGenSummary::default(),
            section: Section::Preamble,
            bullets: Bullets::None,
            recognised: false,
            scheduled_headline: None,
            saw_results_title: false,
            saw_stats_title: false,
            saw_errors_trailer: false,
            bad_values: 0,
            first_bad_value: None,
            unknown_scenario: None,
            dropped_lines: 0,
            first_dropped: None,
        }
    }

    fn line(&mut self, number: u64, text: &str) {
        let t = text.trim();
        if t.is_empty() {
            self.bullets = Bullets::None;
            return;
        }
        if t.bytes().all(|b| b == b'=') {
            self.bullets = Bullets::None;
            return;
        }
        if let Some(section) = section_title(t) {
            self.section = section;
            self.bullets = Bullets::None;
            match section {
                Section::Results => self.saw_results_title = true,
                Section::Stats => self.saw_stats_title = true,
                Section::Preamble | Section::Params => {}
            }
            return;
        }
        if let Some((kind, count)) = trailer_count(t) {
            self.recognised = true;
            self.bullets = Bullets::None;
            match kind {
                TrailerKind::Warnings => self.out.warnings_count = Some(count),
                TrailerKind::Errors => {
                    self.out.errors_count = Some(count);
                    self.saw_errors_trailer = true;
                }
            }
            return;
        }
        if self.bullet_line(number, text, t) {
            return;
        }

        let Some((label, value)) = t.split_once(':') else {
            return;
        };
        let label = label.trim();
        let value = value.trim();
        let lower = label.to_ascii_lowercase();

        if let Some(b) = bullet_header(&lower) {
            self.recognised = true;
            self.bullets = b;
            return;
        }
        if self.section == Section::Params && is_setting_key(label) {
            self.recognised = true;
            if self.out.settings.len() < MAX_SETTINGS || self.out.settings.contains_key(label) {
                self.out
                    .settings
                    .insert(label.to_string(), cap_text(value, EVIDENCE_TEXT_MAX));
            } else {
                self.dropped(number);
            }
            return;
        }
        self.field(number, t, &lower, value);
    }

    /// Handle a ` * …` bullet or its continuation; true when consumed.
    fn bullet_line(&mut self, number: u64, raw: &str, t: &str) -> bool {
        if self.bullets == Bullets::None {
            return false;
        }
        if let Some(rest) = t.strip_prefix('*') {
            let mut ev = Evidence::new(self.path, Some(number), rest.trim());
            let list = match self.bullets {
                Bullets::EarlyStopping(header) => {
                    ev = ev.with_locator(header);
                    &mut self.out.early_stopping
                }
                Bullets::Recommendations | Bullets::None => &mut self.out.recommendations,
            };
            if list.len() < MESSAGES_KEPT {
                list.push(ev);
            } else {
                self.dropped(number);
            }
            return true;
        }
        // LoadGen wraps long bullets onto indented lines without a `*`
        // ("   See the detailed log…", " with the run being successful…");
        // they belong to the bullet above, whose line stays the evidence line.
        if raw.starts_with([' ', '\t']) {
            let list = match self.bullets {
                Bullets::EarlyStopping(_) => &mut self.out.early_stopping,
                Bullets::Recommendations | Bullets::None => &mut self.out.recommendations,
            };
            if let Some(last) = list.last_mut() {
                let joined = format!("{} {}", last.text, t);
                last.text = cap_text(&joined, EVIDENCE_TEXT_MAX);
                return true;
            }
        }
        self.bullets = Bullets::None;
        false
    }

    /// A `label : value` line outside the settings block.
    fn field(&mut self, number: u64, line: &str, lower: &str, value: &str) {
        match lower {
            "sut name" => {
                self.recognised = true;
                if !value.is_empty() {
                    self.out.sut_name = Some(value.to_string());
                }
            }
            "scenario" => {
                self.recognised = true;
                match Scenario::parse(value) {
                    Some(s) => self.out.scenario = Some(s),
                    None => {
                        self.unknown_scenario
                            .get_or_insert((number, value.to_string()));
                    }
                }
            }
            "mode" => {
                self.recognised = true;
                if !value.is_empty() {
                    self.out.mode = Some(value.to_string());
                }
            }
            "result is" => {
                self.recognised = true;
                self.out.result_evidence = Some(Evidence::new(self.path, Some(number), line));
                self.out.valid = match value.to_ascii_uppercase().as_str() {
                    "VALID" => Some(true),
                    "INVALID" => Some(false),
                    _ => {
                        self.bad_value(number, line);
                        None
                    }
                };
            }
            "performance constraints satisfied" => {
                self.out.perf_constraints_met = self.yes_no(number, line, value);
            }
            "min duration satisfied" => {
                self.out.min_duration_met = self.yes_no(number, line, value);
            }
            "min queries satisfied" => {
                self.out.min_queries_met = self.yes_no(number, line, value);
            }
            "early stopping satisfied" => {
                self.out.early_stopping_met = self.yes_no(number, line, value);
            }
            // Offline headline, Server headline (LoadGen ≥ 4.1 and the
            // Additional Stats line of older versions), SS/MS throughput.
            "samples per second" | "completed samples per second" | "qps w/o loadgen overhead" => {
                if let Some(v) = self.number(number, line, value) {
                    self.out.samples_per_second = Some(v);
                }
            }
            "scheduled samples per second" => {
                if let Some(v) = self.number(number, line, value) {
                    self.out.scheduled_samples_per_second = Some(v);
                    if self.section == Section::Results {
                        self.scheduled_headline = Some(v);
                    }
                }
            }
            "tokens per second"
            | "completed tokens per second"
            | "tokens per second (inferred)"
            | "completed tokens per second (inferred)"
            | "tps w/o loadgen overhead" => {
                if let Some(v) = self.number(number, line, value) {
                    self.out.tokens_per_second = Some(v);
                }
            }
            _ => self.statistic(number, line, lower, value),
        }
    }

    /// Latency statistics and the SS/MS headline percentile.
    fn statistic(&mut self, number: u64, line: &str, lower: &str, value: &str) {
        if let Some(p) = lower
            .strip_suffix("th percentile latency (ns)")
            .and_then(|p| p.trim().parse::<f64>().ok())
        {
            if let Some(v) = self.number(number, line, value) {
                self.out.headline_latency = Some((p, v));
            }
            return;
        }
        let Some((block, stat)) = stat_label(lower) else {
            return;
        };
        let Some(v) = self.number(number, line, value) else {
            return;
        };
        let stats = match block {
            Block::Latency => &mut self.out.latency_ns,
            Block::FirstToken => &mut self.out.ttft_ns,
            Block::PerOutputToken => &mut self.out.tpot_ns,
        };
        if let Some(slot) = stat_slot(stats, stat) {
            *slot = Some(v);
        }
    }

    fn number(&mut self, number: u64, line: &str, value: &str) -> Option<f64> {
        self.recognised = true;
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.bad_value(number, line);
                None
            }
        }
    }

    /// `Yes` / `NO` (LoadGen prints the mixed case).
    fn yes_no(&mut self, number: u64, line: &str, value: &str) -> Option<bool> {
        self.recognised = true;
        if value.eq_ignore_ascii_case("yes") {
            Some(true)
        } else if value.eq_ignore_ascii_case("no") {
            Some(false)
        } else {
            self.bad_value(number, line);
            None
        }
    }

    /// A bullet or setting beyond the caps; real summaries stay far below them.
    fn dropped(&mut self, number: u64) {
        self.dropped_lines += 1;
        self.first_dropped.get_or_insert(number);
    }

    fn bad_value(&mut self, number: u64, line: &str) {
        self.bad_values += 1;
        self.first_bad_value
            .get_or_insert_with(|| (number, cap_text(line, 120)));
    }

    fn finish(&mut self, lines_read: u64, warnings: &mut Vec<ParseWarning>) {
        if self.out.samples_per_second.is_none() {
            self.out.samples_per_second = self.scheduled_headline;
        }
        if let Some((line, value)) = &self.unknown_scenario {
            warnings.push(ParseWarning::new(
                self.path,
                Some(*line),
                format!(
                    "unknown scenario `{}`; scenario left empty",
                    cap_text(value, 80)
                ),
            ));
        }
        if let Some((line, text)) = &self.first_bad_value {
            warnings.push(ParseWarning::new(
                self.path,
                Some(*line),
                format!(
                    "{} value(s) could not be read and were left empty; first: `{text}`",
                    self.bad_values
                ),
            ));
        }
        if let Some(first) = self.first_dropped {
            warnings.push(ParseWarning::new(
                self.path,
                Some(first),
                format!(
                    "{} bullet or setting line(s) beyond the {MESSAGES_KEPT}-bullet / \
                     {MAX_SETTINGS}-setting caps were ignored",
                    self.dropped_lines
                ),
            ));
        }
        if lines_read == 0 {
            warnings.push(ParseWarning::new(
                self.path,
                None,
                "file is empty; no LoadGen summary read",
            ));
        } else if !self.recognised {
            warnings.push(ParseWarning::new(
                self.path,
                Some(lines_read),
                format!(
                    "no LoadGen summary fields in {lines_read} line(s); \
                     the file is truncated in its header or is not a summary log"
                ),
            ));
        } else if !self.saw_errors_trailer && (self.saw_results_title || self.saw_stats_title) {
            // AccuracyOnly summaries hold only the trailer, so a missing
            // trailer is suspicious only once a result block has started.
            let detail = if self.out.valid.is_some() && !self.saw_stats_title {
                " (`Result is` was read but none of the Additional Stats)"
            } else if self.out.result_evidence.is_none() {
                " (before `Result is`)"
            } else {
                ""
            };
            warnings.push(ParseWarning::new(
                self.path,
                Some(lines_read),
                format!(
                    "file ends inside {}{detail} without the `… errors encountered` trailer; \
                     the summary looks truncated, values after this line are missing",
                    self.section.describe()
                ),
            ));
        }
    }
}

fn section_title(t: &str) -> Option<Section> {
    match t {
        "MLPerf Results Summary" => Some(Section::Results),
        "Additional Stats" => Some(Section::Stats),
        "Test Parameters Used" => Some(Section::Params),
        _ => None,
    }
}

fn bullet_header(lower_label: &str) -> Option<Bullets> {
    Some(match lower_label {
        "recommendations" => Bullets::Recommendations,
        "early stopping result" => Bullets::EarlyStopping("Early Stopping Result"),
        "ttft early stopping result" => Bullets::EarlyStopping("TTFT Early Stopping Result"),
        "tpot early stopping result" => Bullets::EarlyStopping("TPOT Early Stopping Result"),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrailerKind {
    Warnings,
    Errors,
}

/// `No warnings encountered during test.`, `1 warning encountered. …`,
/// `3 ERRORS encountered. See detailed log.`
fn trailer_count(t: &str) -> Option<(TrailerKind, u64)> {
    let mut words = t.split_whitespace();
    let count = words.next()?;
    let kind = words.next()?.to_ascii_lowercase();
    if !words
        .next()?
        .trim_end_matches('.')
        .eq_ignore_ascii_case("encountered")
    {
        return None;
    }
    let kind = if kind.starts_with("warning") {
        TrailerKind::Warnings
    } else if kind.starts_with("error") {
        TrailerKind::Errors
    } else {
        return None;
    };
    let count = if count.eq_ignore_ascii_case("no") {
        0
    } else {
        count.parse().ok()?
    };
    Some((kind, count))
}

/// Settings keys are lower-case identifiers, optionally with a unit
/// (`min_duration (ms)`); this keeps the equal-issue `WARNING: …` note out.
fn is_setting_key(label: &str) -> bool {
    label.starts_with(|c: char| c.is_ascii_lowercase())
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_ ()".contains(c))
}

/// A statistic of a latency block: `Min`, `Max`, `Mean` or a percentile.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stat {
    Min,
    Max,
    Mean,
    Percentile(f64),
}

/// Map a lower-cased stats label to its block and statistic.
fn stat_label(lower: &str) -> Option<(Block, Stat)> {
    let aggregate = |rest: &str| -> Option<(Block, Stat)> {
        let block = match rest {
            "latency (ns)" => Block::Latency,
            "first token latency (ns)" => Block::FirstToken,
            // Renamed in LoadGen 5.1.1/6.0 (#2360); both generations occur.
            "time to output token (ns)" | "time per output token (ns)" => Block::PerOutputToken,
            _ => return None,
        };
        Some((block, Stat::Min))
    };
    for (prefix, stat) in [
        ("min ", Stat::Min),
        ("max ", Stat::Max),
        ("mean ", Stat::Mean),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return aggregate(rest).map(|(b, _)| (b, stat));
        }
    }
    let (pct, rest) = lower.split_once(" percentile ")?;
    let pct: f64 = pct.trim().parse().ok()?;
    let block = match rest.trim() {
        "latency (ns)" => Block::Latency,
        "first token latency (ns)" => Block::FirstToken,
        // Still "time to" after the #2360 rename; accept the new wording too.
        "time to output token (ns)" | "time per output token (ns)" => Block::PerOutputToken,
        _ => return None,
    };
    Some((block, Stat::Percentile(pct)))
}

fn stat_slot(stats: &mut LatencyStats, stat: Stat) -> Option<&mut Option<f64>> {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    Some(match stat {
        Stat::Min => &mut stats.min,
        Stat::Max => &mut stats.max,
        Stat::Mean => &mut stats.mean,
        Stat::Percentile(p) if close(p, 50.0) => &mut stats.p50,
        Stat::Percentile(p) if close(p, 90.0) => &mut stats.p90,
        Stat::Percentile(p) if close(p, 95.0) => &mut stats.p95,
        Stat::Percentile(p) if close(p, 97.0) => &mut stats.p97,
        Stat::Percentile(p) if close(p, 99.0) => &mut stats.p99,
        Stat::Percentile(p) if close(p, 99.9) => &mut stats.p999,
        Stat::Percentile(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Parsed<LoadGenSummary> {
        parse("run/mlperf_log_summary.txt", s.as_bytes())
    }

    #[test]
    fn sut_name_keeps_its_colons() {
        let p = parse_str("SUT name : Multi-Node SUT: Network SUT, Network SUT\n");
        assert_eq!(
            p.value.sut_name.as_deref(),
            Some("Multi-Node SUT: Network SUT, Network SUT")
        );
    }

    #[test]
    fn yes_and_no_in_any_case() {
        let p = parse_str(
            "Result is : INVALID\n  Performance constraints satisfied : NO\n  \
             Min duration satisfied : Yes\n  Min queries satisfied : no\n  \
             Early stopping satisfied: YES\n",
        );
        let v = &p.value;
        assert_eq!(v.valid, Some(false));
        assert_eq!(v.perf_constraints_met, Some(false));
        assert_eq!(v.min_duration_met, Some(true));
        assert_eq!(v.min_queries_met, Some(false));
        assert_eq!(v.early_stopping_met, Some(true));
        assert_eq!(v.result_evidence.as_ref().and_then(|e| e.line), Some(1));
        assert_eq!(
            v.result_evidence.as_ref().map(|e| e.text.as_str()),
            Some("Result is : INVALID")
        );
    }

    #[test]
    fn headline_percentile_old_and_new_label() {
        let old = parse_str("90th percentile latency (ns) : 2233185\n");
        assert_eq!(old.value.headline_latency, Some((90.0, 2233185.0)));
        let new = parse_str("99.0th percentile latency (ns) : 11002941\n");
        assert_eq!(new.value.headline_latency, Some((99.0, 11002941.0)));
        // The per-block percentile lines must not be taken for the headline.
        let block =
            parse_str("90.00 percentile latency (ns)   : 5\n99.90 percentile latency (ns) : 7\n");
        assert_eq!(block.value.headline_latency, None);
        assert_eq!(block.value.latency_ns.p90, Some(5.0));
        assert_eq!(block.value.latency_ns.p999, Some(7.0));
    }

    #[test]
    fn tpot_labels_of_both_generations() {
        let old = parse_str(
            "Min Time to Output Token (ns)                : 1\n\
             Mean Time to Output Token (ns)               : 2\n\
             99.00 percentile time to output token (ns)   : 3\n",
        );
        let new = parse_str(
            "Min Time per Output Token (ns)                : 1\n\
             Mean Time per Output Token (ns)               : 2\n\
             99.00 percentile time to output token (ns)   : 3\n",
        );
        assert_eq!(old.value.tpot_ns, new.value.tpot_ns);
        assert_eq!(new.value.tpot_ns.min, Some(1.0));
        assert_eq!(new.value.tpot_ns.mean, Some(2.0));
        assert_eq!(new.value.tpot_ns.p99, Some(3.0));
        assert!(new.value.latency_ns.is_empty());
    }

    #[test]
    fn first_token_block_is_separate() {
        let p = parse_str(
            "Max First Token latency (ns)                : 9\n\
             50.00 percentile first token latency (ns)   : 4\n",
        );
        assert_eq!(p.value.ttft_ns.max, Some(9.0));
        assert_eq!(p.value.ttft_ns.p50, Some(4.0));
        assert!(p.value.latency_ns.is_empty());
    }

    #[test]
    fn old_server_headline_is_scheduled() {
        let p = parse_str(
            "MLPerf Results Summary\nScenario : Server\nScheduled samples per second : 12.56\n\
             Result is : VALID\nAdditional Stats\nCompleted samples per second    : 11.80\n",
        );
        assert_eq!(p.value.scheduled_samples_per_second, Some(12.56));
        assert_eq!(p.value.samples_per_second, Some(11.80));
        let p = parse_str(
            "MLPerf Results Summary\nScenario : Server\nScheduled samples per second : 12.56\n",
        );
        assert_eq!(p.value.samples_per_second, Some(12.56));
    }

    #[test]
    fn inferred_tokens_and_legacy_scenario_names() {
        let p = parse_str("Scenario : Single Stream\nTokens per second (inferred): 2934.57\n");
        assert_eq!(p.value.scenario, Some(Scenario::SingleStream));
        assert_eq!(p.value.tokens_per_second, Some(2934.57));
    }

    #[test]
    fn wrapped_bullets_join_and_keep_their_section() {
        let p = parse_str(
            "Recommendations:\n * The test exited early, before enough queries were issued.\n   \
             See the detailed log for why this may have occurred.\nTTFT Early Stopping Result:\n\n\
             TPOT Early Stopping Result:\n * Run unsuccessful.\n * Would need to run at least 171 more queries,\n \
             with the run being successful if every additional\n query were under latency.\n\n",
        );
        let v = &p.value;
        assert_eq!(v.recommendations.len(), 1);
        assert_eq!(
            v.recommendations[0].text,
            "The test exited early, before enough queries were issued. \
             See the detailed log for why this may have occurred."
        );
        assert_eq!(v.early_stopping.len(), 2);
        assert_eq!(v.early_stopping[1].line, Some(8));
        assert_eq!(
            v.early_stopping[1].text,
            "Would need to run at least 171 more queries, with the run being successful \
             if every additional query were under latency."
        );
        assert_eq!(
            v.early_stopping[0].locator.as_deref(),
            Some("TPOT Early Stopping Result")
        );
    }

    #[test]
    fn trailer_counts() {
        let p = parse_str(
            "\n1 warning encountered. See detailed log.\n\n3 ERRORS encountered. See detailed log.\n",
        );
        assert_eq!(p.value.warnings_count, Some(1));
        assert_eq!(p.value.errors_count, Some(3));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn accuracy_only_summary_is_not_truncated() {
        let p = parse_str(
            "\nNo warnings encountered during test.\n\nNo errors encountered during test.\n",
        );
        assert_eq!(p.value.warnings_count, Some(0));
        assert_eq!(p.value.errors_count, Some(0));
        assert_eq!(p.value.valid, None);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn settings_keep_keys_verbatim_and_skip_the_equal_issue_note() {
        let p = parse_str(
            "Test Parameters Used\ntarget_qps : 0.285714\nttft_latency (ns): 450000000\n\
             WARNING: sample_concatenate_permutation was set to true. \n\
             samples_per_query value\n",
        );
        let s = &p.value.settings;
        assert_eq!(s.get("target_qps").map(String::as_str), Some("0.285714"));
        assert_eq!(
            s.get("ttft_latency (ns)").map(String::as_str),
            Some("450000000")
        );
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn bad_numbers_become_one_warning() {
        let p = parse_str("Samples per second: fast\nMin latency (ns) : x\n");
        assert_eq!(p.value.samples_per_second, None);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(1));
        assert!(p.warnings[0].message.starts_with("2 value(s)"));
    }

    #[test]
    fn bullet_lists_are_capped() {
        let mut input = String::from("Recommendations:\n");
        for i in 0..30 {
            input.push_str(&format!(" * bullet {i}\n"));
        }
        let p = parse_str(&input);
        assert_eq!(p.value.recommendations.len(), MESSAGES_KEPT);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(22));
        assert!(p.warnings[0].message.starts_with("10 bullet"));
    }
}
