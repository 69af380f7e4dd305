//! `nvidia-smi -q -x` XML (schemas v8 to v13).
//!
//! The dump is streamed with quick-xml's event reader and a reused buffer;
//! only the current element path and the text of the current leaf are kept.
//! quick-xml never fetches a DTD and reports entity references as separate
//! events instead of expanding them, so a `<!DOCTYPE … [<!ENTITY …>]>` cannot
//! make this parser do more work than the bytes in the file: the five XML
//! entities and character references are resolved here, anything else is
//! kept as the literal `&name;` text and reported once.
//!
//! Input is passed through [`XmlInput`] on its way to quick-xml: it replaces
//! invalid UTF-8 with U+FFFD (quick-xml would otherwise stop at the first bad
//! byte), counts newlines in the bytes quick-xml consumes (for line numbers),
//! and refuses any single event larger than [`MAX_EVENT_BYTES`] so memory
//! stays bounded whatever the file holds.

use std::collections::BTreeSet;
use std::io::{self, BufRead};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::Parsed;
use crate::model::{Evidence, GpuProbe, NvidiaSmiDump, ParseWarning, cap_text};

/// Largest single XML event (tag, text run, comment, DOCTYPE) accepted.
/// Real dumps have values of a few dozen bytes.
pub const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// Longest leaf text kept; longer values are cut.
const MAX_TEXT: usize = 4096;

/// Deepest element nesting accepted (real dumps nest 5 deep).
const MAX_DEPTH: usize = 64;

/// Most `<gpu>` elements kept (real nodes have at most a few dozen).
pub const MAX_GPUS: usize = 1024;

/// Most value and structure warnings reported per file; the rest are counted.
const MAX_WARNINGS: usize = 20;

/// True when the first bytes of a file look like this format.
pub fn sniff(head: &[u8]) -> bool {
    let mut rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    loop {
        rest = trim_start(rest);
        if rest.starts_with(b"<?") {
            match find(rest, b"?>") {
                Some(i) => rest = rest.get(i + 2..).unwrap_or_default(),
                None => return false,
            }
        } else if rest.starts_with(b"<!--") {
            match find(rest, b"-->") {
                Some(i) => rest = rest.get(i + 3..).unwrap_or_default(),
                None => return false,
            }
        } else if let Some(doctype) = rest.strip_prefix(b"<!DOCTYPE") {
            // The DOCTYPE names the root element, which is enough.
            let name = trim_start(doctype);
            return name.starts_with(b"nvidia_smi_log")
                && name
                    .get(b"nvidia_smi_log".len())
                    .is_none_or(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'[');
        } else if let Some(root) = rest.strip_prefix(b"<nvidia_smi_log") {
            return root
                .first()
                .is_none_or(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/');
        } else {
            return false;
        }
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(n..).unwrap_or_default()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parse a dump. DOCTYPEs are never fetched and entities never expanded.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<NvidiaSmiDump> {
    let mut xml = Reader::from_reader(XmlInput::new(reader));
    let config = xml.config_mut();
    // Mismatched end tags are handled (and reported) here, so a truncated or
    // hand-edited file keeps its path in step with the text.
    config.check_end_names = false;
    config.trim_text(false);
    let mut p = DumpParser::new(path);
    let mut buf = Vec::new();
    let mut ill_formed = 0usize;
    loop {
        buf.clear();
        xml.get_mut().start_event();
        let line = xml.get_ref().line();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => {
                p.finish(xml.get_ref().line());
                break;
            }
            Ok(event) => {
                if p.event(event, line) == Flow::Stop {
                    break;
                }
            }
            Err(quick_xml::Error::IllFormed(e)) if ill_formed < MAX_WARNINGS => {
                // quick-xml can carry on after these (#513).
                ill_formed += 1;
                let at = xml.get_ref().line();
                p.warn(Some(at), format!("ill-formed XML: {e}"));
            }
            Err(e) => {
                let at = xml.get_ref().line();
                let what = match &e {
                    quick_xml::Error::Io(io) => format!("read stopped: {io}"),
                    other => format!("invalid XML: {other}"),
                };
                p.warn(Some(at), format!("{what}; kept what was read before it"));
                p.close_open_gpu();
                break;
            }
        }
    }
    let input = xml.get_ref();
    if let Some(line) = input.first_invalid_line {
        p.warnings.push(ParseWarning::new(
            path,
            Some(line),
            format!(
                "{} invalid UTF-8 sequence(s) were replaced with U+FFFD",
                input.invalid_sequences
            ),
        ));
    }
    p.into_parsed()
}

/// Whether the event loop goes on.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// Values nvidia-smi prints when it has no reading.
const NO_VALUE: [&str; 8] = [
    "N/A",
    "[N/A]",
    "Not Supported",
    "[Not Supported]",
    "Requested functionality has been deprecated",
    "[Requested functionality has been deprecated]",
    "Unknown Error",
    "Insufficient Permissions",
];

/// True for the placeholder texts that mean "no reading".
pub fn is_no_value(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || NO_VALUE.contains(&s)
}

/// A reading with an optional unit suffix (`24564 MiB`, `33.4 %`, `31 C`,
/// `24.84 W`, `405 MHz`): `Ok(None)` for "no reading" placeholders,
/// `Err(())` for text that is neither.
#[allow(clippy::result_unit_err, reason = "the caller words the warning")]
pub fn parse_quantity(s: &str, unit: &str) -> Result<Option<f64>, ()> {
    if is_no_value(s) {
        return Ok(None);
    }
    let s = s.trim();
    let number = s.strip_suffix(unit).unwrap_or(s).trim_end();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

/// A count (`0`, `12`): `Ok(None)` for placeholders, `Err(())` otherwise.
#[allow(clippy::result_unit_err, reason = "the caller words the warning")]
pub fn parse_count(s: &str) -> Result<Option<u64>, ()> {
    if is_no_value(s) {
        return Ok(None);
    }
    s.trim().parse::<u64>().map(Some).map_err(|_| ())
}

/// `Yes`/`No`: `Ok(None)` for placeholders, `Err(())` otherwise.
#[allow(clippy::result_unit_err, reason = "the caller words the warning")]
pub fn parse_yes_no(s: &str) -> Result<Option<bool>, ()> {
    if is_no_value(s) {
        return Ok(None);
    }
    match s.trim() {
        "Yes" => Ok(Some(true)),
        "No" => Ok(Some(false)),
        _ => Err(()),
    }
}

/// A text value, `None` for placeholders.
fn text_value(s: &str) -> Option<String> {
    (!is_no_value(s)).then(|| s.trim().to_string())
}

/// A sum that stays `None` until a real number is added, with an optional
/// reported total that wins over the sum of the parts.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    parts: Option<u64>,
    total: Option<u64>,
}

impl Tally {
    fn add(&mut self, v: u64) {
        self.parts = Some(self.parts.unwrap_or(0).saturating_add(v));
    }
    fn value(self) -> Option<u64> {
        self.total.or(self.parts)
    }
}

/// One `<gpu>` being read.
#[derive(Debug, Default)]
struct GpuBuilder {
    probe: GpuProbe,
    power_draw: Option<f64>,
    instant_power_draw: Option<f64>,
    enforced_limit: Option<f64>,
    current_limit: Option<f64>,
    power_limit: Option<f64>,
    volatile_unc: Tally,
    volatile_corr: Tally,
    aggregate_unc: Tally,
    retired: Tally,
    pending_retirement: Option<bool>,
    pending_blacklist: Option<bool>,
    throttle: BTreeSet<String>,
}

impl GpuBuilder {
    fn finish(self) -> GpuProbe {
        let mut g = self.probe;
        g.power_draw_w = self.power_draw.or(self.instant_power_draw);
        g.power_limit_w = self
            .enforced_limit
            .or(self.current_limit)
            .or(self.power_limit);
        g.ecc_volatile_uncorrectable = self.volatile_unc.value();
        g.ecc_volatile_correctable = self.volatile_corr.value();
        g.ecc_aggregate_uncorrectable = self.aggregate_unc.value();
        g.retired_pages = self.retired.value();
        g.retired_pages_pending = match (self.pending_retirement, self.pending_blacklist) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
        };
        g.throttle_reasons_active = self.throttle.into_iter().collect();
        g
    }
}

/// Which physical quantity a unit-bearing leaf holds.
#[derive(Debug, Clone, Copy)]
enum Field {
    MemTotal,
    MemUsed,
    Util,
    Temp,
    TempSlow,
    TempShutdown,
    PowerDraw,
    InstantPowerDraw,
    EnforcedLimit,
    CurrentLimit,
    PowerLimit,
    SmClock,
    SmClockMax,
}

/// The dump being assembled, plus the reader's position in it.
struct DumpParser<'p> {
    path: &'p str,
    dump: NvidiaSmiDump,
    warnings: Vec<ParseWarning>,
    suppressed: u64,
    stack: Vec<String>,
    text: String,
    text_cut: bool,
    leaf_line: u64,
    gpu: Option<GpuBuilder>,
    gpus_dropped: u64,
    root_seen: bool,
    unknown_refs: u64,
    first_unknown_ref: Option<(u64, String)>,
    doctype_subset_line: Option<u64>,
}

impl<'p> DumpParser<'p> {
    fn new(path: &'p str) -> Self {
        DumpParser {
            path,
            dump: NvidiaSmiDump::default(),
            warnings: Vec::new(),
            suppressed: 0,
            stack: Vec::new(),
            text: String::new(),
            text_cut: false,
            leaf_line: 0,
            gpu: None,
            gpus_dropped: 0,
            root_seen: false,
            unknown_refs: 0,
            first_unknown_ref: None,
            doctype_subset_line: None,
        }
    }

    fn warn(&mut self, line: Option<u64>, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings
                .push(ParseWarning::new(self.path, line, message));
        } else {
            self.suppressed += 1;
        }
    }

    fn event(&mut self, event: Event<'_>, line: u64) -> Flow {
        match event {
            Event::Start(e) => self.start(&e, line),
            Event::Empty(e) => {
                let flow = self.start(&e, line);
                if flow == Flow::Go {
                    self.end(e.name().as_ref(), line);
                }
                flow
            }
            Event::End(e) => {
                self.end(e.name().as_ref(), line);
                Flow::Go
            }
            Event::Text(t) => {
                self.push_text(&t);
                Flow::Go
            }
            Event::CData(t) => {
                self.push_text(&t);
                Flow::Go
            }
            Event::GeneralRef(r) => {
                self.reference(&r, line);
                Flow::Go
            }
            Event::DocType(t) => {
                if t.contains('[') {
                    self.doctype_subset_line.get_or_insert(line);
                }
                Flow::Go
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::Eof => Flow::Go,
        }
    }

    fn push_text(&mut self, t: &str) {
        if self.text.len() + t.len() <= MAX_TEXT {
            self.text.push_str(t);
        } else if !self.text_cut {
            self.text_cut = true;
            let room = MAX_TEXT.saturating_sub(self.text.len());
            let mut end = room.min(t.len());
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(t.get(..end).unwrap_or_default());
        }
    }

    /// `&name;`: resolve the XML built-ins and character references only.
    fn reference(&mut self, r: &quick_xml::events::BytesRef<'_>, line: u64) {
        let name: &str = r;
        let builtin = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => r.resolve_char_ref().ok().flatten(),
        };
        match builtin {
            Some(c) => {
                let mut tmp = [0u8; 4];
                self.push_text(c.encode_utf8(&mut tmp));
            }
            None => {
                self.unknown_refs += 1;
                if self.first_unknown_ref.is_none() {
                    self.first_unknown_ref = Some((line, cap_text(name, 64)));
                }
                let literal = format!("&{name};");
                self.push_text(&literal);
            }
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, line: u64) -> Flow {
        let name = e.name().as_ref().to_string();
        if self.stack.is_empty() {
            if self.root_seen {
                self.warn(
                    Some(line),
                    format!("content after the root element (<{name}>) was ignored"),
                );
                return Flow::Stop;
            }
            self.root_seen = true;
            if name != "nvidia_smi_log" {
                self.warn(
                    Some(line),
                    format!(
                        "root element is <{}>, not <nvidia_smi_log>: not an `nvidia-smi -q -x` dump",
                        cap_text(&name, 64)
                    ),
                );
                return Flow::Stop;
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            self.warn(
                Some(line),
                format!("elements nested deeper than {MAX_DEPTH}; stopped reading"),
            );
            self.close_open_gpu();
            return Flow::Stop;
        }
        if self.stack.len() == 1 && name == "gpu" {
            self.open_gpu(e, line);
        }
        self.stack.push(name);
        self.text.clear();
        self.text_cut = false;
        self.leaf_line = line;
        Flow::Go
    }

    fn open_gpu(&mut self, e: &BytesStart<'_>, line: u64) {
        if self.dump.gpus.len() >= MAX_GPUS {
            self.gpus_dropped += 1;
            return;
        }
        let id = e
            .try_get_attribute("id")
            .ok()
            .flatten()
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| a.value.into_owned())
            })
            .filter(|v| !is_no_value(v));
        let tag = match &id {
            Some(id) => format!("<gpu id=\"{id}\">"),
            None => "<gpu>".to_string(),
        };
        let index = u32::try_from(self.dump.gpus.len()).unwrap_or(u32::MAX);
        self.gpu = Some(GpuBuilder {
            probe: GpuProbe {
                index,
                pci_bus_id: id,
                evidence: Some(Evidence::new(self.path, Some(line), &tag)),
                ..GpuProbe::default()
            },
            ..GpuBuilder::default()
        });
    }

    fn end(&mut self, name: &str, line: u64) {
        match self.stack.iter().rposition(|n| n == name) {
            Some(i) if i + 1 == self.stack.len() => {
                let text = std::mem::take(&mut self.text);
                self.value(&text);
                self.text = text;
                self.text.clear();
                self.pop();
            }
            Some(i) => {
                let open = self.stack.get(i + 1..).unwrap_or_default().join("/");
                self.warn(
                    Some(line),
                    format!("</{name}> closes unclosed element(s) {open}"),
                );
                while self.stack.len() > i {
                    self.pop();
                }
            }
            None => self.warn(
                Some(line),
                format!("stray end tag </{}> ignored", cap_text(name, 64)),
            ),
        }
    }

    fn pop(&mut self) {
        if self.stack.len() == 2 && self.stack.get(1).is_some_and(|n| n == "gpu") {
            self.close_open_gpu();
        }
        self.stack.pop();
    }

    fn close_open_gpu(&mut self) {
        if let Some(g) = self.gpu.take() {
            self.dump.gpus.push(g.finish());
        }
    }

    /// Handle the text of the element on top of the stack.
    fn value(&mut self, text: &str) {
        let path: Vec<&str> = self.stack.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["nvidia_smi_log", "driver_version"] => {
                self.dump.driver_version = text_value(text);
                if let Some(v) = &self.dump.driver_version {
                    self.dump.driver_evidence = Some(Evidence::new(
                        self.path,
                        Some(self.leaf_line),
                        &format!("<driver_version>{v}</driver_version>"),
                    ));
                }
            }
            ["nvidia_smi_log", "cuda_version"] => {
                self.dump.cuda_version = text_value(text);
                if let Some(v) = &self.dump.cuda_version {
                    self.dump.cuda_evidence = Some(Evidence::new(
                        self.path,
                        Some(self.leaf_line),
                        &format!("<cuda_version>{v}</cuda_version>"),
                    ));
                }
            }
            ["nvidia_smi_log", "timestamp"] => self.dump.timestamp = text_value(text),
            ["nvidia_smi_log", "attached_gpus"] => {
                self.dump.attached_gpus = self
                    .checked(parse_count(text), text, "attached_gpus")
                    .and_then(|n| u32::try_from(n).ok());
            }
            ["nvidia_smi_log", "gpu", rel @ ..] if self.gpu.is_some() => {
                let rel: Vec<String> = rel.iter().map(|s| s.to_string()).collect();
                self.gpu_value(&rel, text);
            }
            _ => {}
        }
    }

    /// Turn a parse result into a value, warning about unreadable text.
    fn checked<T>(&mut self, r: Result<Option<T>, ()>, text: &str, what: &str) -> Option<T> {
        match r {
            Ok(v) => v,
            Err(()) => {
                let line = self.leaf_line;
                self.warn(
                    Some(line),
                    format!(
                        "unreadable value `{}` in {what}; left empty",
                        cap_text(text.trim(), 80)
                    ),
                );
                None
            }
        }
    }

    fn gpu_value(&mut self, rel: &[String], text: &str) {
        let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
        let quantity = match rel.as_slice() {
            ["fb_memory_usage", "total"] => Some((Field::MemTotal, "MiB")),
            ["fb_memory_usage", "used"] => Some((Field::MemUsed, "MiB")),
            ["utilization", "gpu_util"] => Some((Field::Util, "%")),
            ["temperature", "gpu_temp"] => Some((Field::Temp, "C")),
            ["temperature", "gpu_temp_slow_threshold"] => Some((Field::TempSlow, "C")),
            ["temperature", "gpu_temp_max_threshold"] => Some((Field::TempShutdown, "C")),
            ["power_readings" | "gpu_power_readings", "power_draw"] => {
                Some((Field::PowerDraw, "W"))
            }
            ["gpu_power_readings", "instant_power_draw"] => Some((Field::InstantPowerDraw, "W")),
            [
                "power_readings" | "gpu_power_readings",
                "enforced_power_limit",
            ] => Some((Field::EnforcedLimit, "W")),
            ["gpu_power_readings", "current_power_limit"] => Some((Field::CurrentLimit, "W")),
            ["power_readings", "power_limit"] => Some((Field::PowerLimit, "W")),
            ["clocks", "sm_clock"] => Some((Field::SmClock, "MHz")),
            ["max_clocks", "sm_clock"] => Some((Field::SmClockMax, "MHz")),
            _ => None,
        };
        if let Some((field, unit)) = quantity {
            let what = format!("gpu/{}", rel.join("/"));
            let v = self.checked(parse_quantity(text, unit), text, &what);
            if let Some(g) = self.gpu.as_mut() {
                let slot = match field {
                    Field::MemTotal => &mut g.probe.memory_total_mib,
                    Field::MemUsed => &mut g.probe.memory_used_mib,
                    Field::Util => &mut g.probe.utilization_pct,
                    Field::Temp => &mut g.probe.temperature_c,
                    Field::TempSlow => &mut g.probe.temperature_slowdown_c,
                    Field::TempShutdown => &mut g.probe.temperature_shutdown_c,
                    Field::PowerDraw => &mut g.power_draw,
                    Field::InstantPowerDraw => &mut g.instant_power_draw,
                    Field::EnforcedLimit => &mut g.enforced_limit,
                    Field::CurrentLimit => &mut g.current_limit,
                    Field::PowerLimit => &mut g.power_limit,
                    Field::SmClock => &mut g.probe.sm_clock_mhz,
                    Field::SmClockMax => &mut g.probe.sm_clock_max_mhz,
                };
                *slot = v;
            }
            return;
        }
        let what = format!("gpu/{}", rel.join("/"));
        match rel.as_slice() {
            ["product_name"] => self.set_gpu(|g| g.probe.name = text_value(text)),
            ["uuid"] => self.set_gpu(|g| g.probe.uuid = text_value(text)),
            ["minor_number"] => {
                let v = self.checked(parse_count(text), text, &what);
                self.set_gpu(|g| g.probe.minor_number = v.and_then(|n| u32::try_from(n).ok()));
            }
            ["pci", "pci_bus_id"] => {
                if let Some(id) = text_value(text) {
                    self.set_gpu(|g| g.probe.pci_bus_id = Some(id));
                }
            }
            ["ecc_mode", "current_ecc" | "current"] => {
                self.set_gpu(|g| g.probe.ecc_mode = text_value(text));
            }
            ["ecc_errors", scope @ ("volatile" | "aggregate"), rest @ ..] => {
                let scope = *scope;
                let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                self.ecc_value(scope, &rest, text, &what);
            }
            [
                "retired_pages",
                "multiple_single_bit_retirement" | "double_bit_retirement",
                "retired_count",
            ] => {
                if let Some(n) = self.checked(parse_count(text), text, &what) {
                    self.set_gpu(|g| g.retired.add(n));
                }
            }
            ["retired_pages", "pending_retirement"] => {
                let v = self.checked(parse_yes_no(text), text, &what);
                self.set_gpu(|g| g.pending_retirement = v);
            }
            ["retired_pages", "pending_blacklist"] => {
                let v = self.checked(parse_yes_no(text), text, &what);
                self.set_gpu(|g| g.pending_blacklist = v);
            }
            ["remapped_rows", "remapped_row_unc" | "uncorrectable"] => {
                let v = self.checked(parse_count(text), text, &what);
                self.set_gpu(|g| g.probe.remapped_rows_uncorrectable = v);
            }
            ["remapped_rows", "remapped_row_pending" | "pending"] => {
                let v = self.checked(parse_yes_no(text), text, &what);
                self.set_gpu(|g| g.probe.remapped_rows_pending = v);
            }
            [
                "remapped_rows",
                "remapped_row_failure" | "remapping_failure_occurred" | "failure",
            ] => {
                let v = self.checked(parse_yes_no(text), text, &what);
                self.set_gpu(|g| g.probe.remapping_failure = v);
            }
            // The `*_supported`/`*_active` children are hex bitmasks, not
            // reasons; the counters live in a sibling block.
            [
                block @ ("clocks_throttle_reasons" | "clocks_event_reasons"),
                reason,
            ] if text.trim() == "Active"
                && !reason.ends_with("_supported")
                && !reason.ends_with("_active") =>
            {
                let prefix = if *block == "clocks_throttle_reasons" {
                    "clocks_throttle_reason_"
                } else {
                    "clocks_event_reason_"
                };
                let short = reason.strip_prefix(prefix).unwrap_or(reason).to_string();
                self.set_gpu(|g| {
                    g.throttle.insert(short);
                });
            }
            _ => {}
        }
    }

    /// ECC counters. Two layouts: v8–v11 group by bit type
    /// (`volatile/double_bit/device_memory`, with a `total`), v12+ list
    /// memory kinds directly (`volatile/sram_uncorrectable_parity`,
    /// `volatile/dram_correctable`, …).
    fn ecc_value(&mut self, scope: &str, rest: &[String], text: &str, what: &str) {
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        let (uncorrectable, unit) = match rest.as_slice() {
            ["double_bit", unit] => (true, *unit),
            ["single_bit", unit] => (false, *unit),
            [name] if name.contains("uncorrectable") || name.contains("uncorrected") => {
                (true, *name)
            }
            [name]
                if (name.contains("correctable") || name.contains("corrected"))
                    && !name.contains("threshold") =>
            {
                (false, *name)
            }
            _ => return,
        };
        let Some(n) = self.checked(parse_count(text), text, what) else {
            return;
        };
        let is_total = unit == "total" && rest.len() == 2;
        self.set_gpu(|g| {
            let tally = match (scope, uncorrectable) {
                ("volatile", true) => &mut g.volatile_unc,
                ("volatile", false) => &mut g.volatile_corr,
                ("aggregate", true) => &mut g.aggregate_unc,
                _ => return,
            };
            if is_total {
                tally.total = Some(n);
            } else {
                tally.add(n);
            }
        });
    }

    fn set_gpu(&mut self, f: impl FnOnce(&mut GpuBuilder)) {
        if let Some(g) = self.gpu.as_mut() {
            f(g);
        }
    }

    /// End of input: report what was left open.
    fn finish(&mut self, last_line: u64) {
        if !self.root_seen {
            self.warn(
                Some(last_line),
                "no <nvidia_smi_log> element: empty file or not an `nvidia-smi -q -x` dump"
                    .to_string(),
            );
        } else if !self.stack.is_empty() {
            let open = self.stack.join("/");
            self.warn(
                Some(last_line),
                format!("file ends inside <{open}> (truncated?); kept what was read"),
            );
        }
        self.close_open_gpu();
    }

    fn into_parsed(mut self) -> Parsed<NvidiaSmiDump> {
        if let Some(line) = self.doctype_subset_line {
            self.warnings.push(ParseWarning::new(
                self.path,
                Some(line),
                "DOCTYPE has an internal subset; its declarations were ignored (entities are never expanded)",
            ));
        }
        if let Some((line, name)) = self.first_unknown_ref.take() {
            self.warnings.push(ParseWarning::new(
                self.path,
                Some(line),
                format!(
                    "{} reference(s) to undefined or user-declared entities (first `&{name};`) kept as literal text",
                    self.unknown_refs
                ),
            ));
        }
        if self.gpus_dropped > 0 {
            self.warnings.push(ParseWarning::new(
                self.path,
                None,
                format!(
                    "{} <gpu> element(s) beyond the first {MAX_GPUS} were skipped",
                    self.gpus_dropped
                ),
            ));
        }
        if self.suppressed > 0 {
            self.warnings.push(ParseWarning::new(
                self.path,
                None,
                format!("{} further warning(s) not shown", self.suppressed),
            ));
        }
        Parsed {
            value: self.dump,
            warnings: self.warnings,
        }
    }
}

/// The `BufRead` quick-xml reads from: lossy UTF-8 repair, newline counting
/// of consumed bytes, and a per-event byte budget.
pub struct XmlInput<R> {
    inner: R,
    /// Repaired bytes not yet consumed start at `pos`.
    buf: Vec<u8>,
    pos: usize,
    /// An incomplete UTF-8 sequence carried to the next read.
    carry: Vec<u8>,
    inner_eof: bool,
    newlines: u64,
    event_bytes: u64,
    /// Invalid UTF-8 sequences replaced.
    pub invalid_sequences: u64,
    /// 1-based line of the first invalid sequence.
    pub first_invalid_line: Option<u64>,
}

/// Bytes pulled from the inner reader per refill.
const CHUNK: usize = 8192;

impl<R: BufRead> XmlInput<R> {
    /// Wrap a reader.
    pub fn new(inner: R) -> Self {
        XmlInput {
            inner,
            buf: Vec::with_capacity(CHUNK + 8),
            pos: 0,
            carry: Vec::new(),
            inner_eof: false,
            newlines: 0,
            event_bytes: 0,
            invalid_sequences: 0,
            first_invalid_line: None,
        }
    }

    /// 1-based line of the next unconsumed byte.
    pub fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// Reset the per-event byte budget; call before each event is read.
    pub fn start_event(&mut self) {
        self.event_bytes = 0;
    }

    /// Pull the next chunk, repairing UTF-8. Leaves `buf` empty only at EOF.
    fn refill(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.pos = 0;
        while self.buf.is_empty() && !(self.inner_eof && self.carry.is_empty()) {
            let mut raw = std::mem::take(&mut self.carry);
            if !self.inner_eof {
                let chunk = loop {
                    match self.inner.fill_buf() {
                        Ok(b) => break b,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                if chunk.is_empty() {
                    self.inner_eof = true;
                } else {
                    let n = chunk.len().min(CHUNK);
                    raw.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    self.inner.consume(n);
                }
            }
            self.repair(&raw);
        }
        Ok(())
    }

    /// Append `raw` to `buf` as valid UTF-8, keeping an incomplete tail in
    /// `carry` unless the input has ended.
    fn repair(&mut self, mut raw: &[u8]) {
        loop {
            match std::str::from_utf8(raw) {
                Ok(_) => {
                    self.buf.extend_from_slice(raw);
                    return;
                }
                Err(e) => {
                    let (good, bad) = raw.split_at(e.valid_up_to());
                    self.buf.extend_from_slice(good);
                    match e.error_len() {
                        None if !self.inner_eof => {
                            self.carry.extend_from_slice(bad);
                            return;
                        }
                        len => {
                            let len = len.unwrap_or(bad.len());
                            self.invalid_sequences += 1;
                            if self.first_invalid_line.is_none() {
                                let pending = memchr::memchr_iter(b'\n', &self.buf).count() as u64;
                                self.first_invalid_line = Some(self.newlines + pending + 1);
                            }
                            self.buf.extend_from_slice("\u{FFFD}".as_bytes());
                            raw = bad.get(len..).unwrap_or_default();
                        }
                    }
                }
            }
        }
    }
}

impl<R: BufRead> io::Read for XmlInput<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for XmlInput<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.event_bytes > MAX_EVENT_BYTES {
            return Err(io::Error::other(format!(
                "an XML event is longer than {} KiB",
                MAX_EVENT_BYTES / 1024
            )));
        }
        if self.pos >= self.buf.len() {
            self.refill()?;
        }
        Ok(self.buf.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let end = self.pos.saturating_add(amt).min(self.buf.len());
        let used = self.buf.get(self.pos..end).unwrap_or_default();
        self.newlines += memchr::memchr_iter(b'\n', used).count() as u64;
        self.event_bytes += used.len() as u64;
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Parsed<NvidiaSmiDump> {
        parse("x.xml", io::BufReader::with_capacity(5, s.as_bytes()))
    }

    #[test]
    fn quantities_units_and_placeholders() {
        assert_eq!(parse_quantity("24564 MiB", "MiB"), Ok(Some(24564.0)));
        assert_eq!(parse_quantity(" 33.4 % ", "%"), Ok(Some(33.4)));
        assert_eq!(parse_quantity("31 C", "C"), Ok(Some(31.0)));
        assert_eq!(parse_quantity("-7 C", "C"), Ok(Some(-7.0)));
        assert_eq!(parse_quantity("24.84 W", "W"), Ok(Some(24.84)));
        assert_eq!(parse_quantity("405 MHz", "MHz"), Ok(Some(405.0)));
        assert_eq!(parse_quantity("405", "MHz"), Ok(Some(405.0)));
        for na in [
            "N/A",
            "[N/A]",
            "Not Supported",
            "[Not Supported]",
            "Requested functionality has been deprecated",
            "",
            "  ",
        ] {
            assert_eq!(parse_quantity(na, "W"), Ok(None), "{na}");
            assert_eq!(parse_count(na), Ok(None), "{na}");
            assert_eq!(parse_yes_no(na), Ok(None), "{na}");
        }
        assert_eq!(parse_quantity("12 GiB", "MiB"), Err(()));
        assert_eq!(parse_quantity("NaN W", "W"), Err(()));
        assert_eq!(parse_quantity("inf", "W"), Err(()));
        assert_eq!(parse_count("7"), Ok(Some(7)));
        assert_eq!(parse_count("-1"), Err(()));
        assert_eq!(parse_yes_no("Yes"), Ok(Some(true)));
        assert_eq!(parse_yes_no("No"), Ok(Some(false)));
        assert_eq!(parse_yes_no("Maybe"), Err(()));
    }

    #[test]
    fn sniffs_root_after_prolog() {
        assert!(sniff(b"<?xml version=\"1.0\" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM \"nvsmi_device_v13.dtd\">\n<nvidia_smi_log>"));
        assert!(sniff(b"\xef\xbb\xbf<!-- c --><nvidia_smi_log>"));
        assert!(sniff(
            b"<?xml version=\"1.0\"?>\n<!-- licence -->\n<nvidia_smi_log >"
        ));
        assert!(!sniff(b"<?xml version=\"1.0\"?><nvidia_smi_logger>"));
        assert!(!sniff(b"<!DOCTYPE html><html>"));
        assert!(!sniff(b"{\"plays\": []}"));
        assert!(!sniff(b""));
    }

    #[test]
    fn gpu_line_and_values_across_tiny_buffers() {
        let xml = "<?xml version=\"1.0\" ?>\n<nvidia_smi_log>\n<driver_version>550.1</driver_version>\n\n  <gpu id=\"00000000:01:00.0\">\n<product_name>H100 &amp; co &#x41;</product_name>\n<ecc_errors><volatile><double_bit><device_memory>2</device_memory><total>3</total></double_bit>\n<sram_uncorrectable>N/A</sram_uncorrectable></volatile>\n<aggregate><sram_uncorrectable_parity>1</sram_uncorrectable_parity><sram_uncorrectable_secded>4</sram_uncorrectable_secded><sram_threshold_exceeded>No</sram_threshold_exceeded></aggregate></ecc_errors>\n<clocks_event_reasons><clocks_event_reason_hw_slowdown>Active</clocks_event_reason_hw_slowdown><clocks_event_reasons_supported>0x1</clocks_event_reasons_supported></clocks_event_reasons>\n</gpu><gpu id=\"b\"/></nvidia_smi_log>";
        let p = parse_str(xml);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let d = p.value;
        assert_eq!(d.driver_evidence.as_ref().and_then(|e| e.line), Some(3));
        assert_eq!(d.gpus.len(), 2);
        let g = &d.gpus[0];
        assert_eq!(g.evidence.as_ref().and_then(|e| e.line), Some(5));
        assert_eq!(g.name.as_deref(), Some("H100 & co A"));
        assert_eq!(g.ecc_volatile_uncorrectable, Some(3));
        assert_eq!(g.ecc_aggregate_uncorrectable, Some(5));
        assert_eq!(g.throttle_reasons_active, ["hw_slowdown"]);
        assert_eq!(d.gpus[1].index, 1);
        assert_eq!(d.gpus[1].evidence.as_ref().and_then(|e| e.line), Some(11));
    }

    #[test]
    fn invalid_utf8_is_repaired_and_reported() {
        let mut bytes = b"<nvidia_smi_log>\n<gpu id=\"a\">\n<product_name>Tesla \xff\xfe P100</product_name>\n<uuid>GPU-\xe2\x82</uuid></gpu></nvidia_smi_log>".to_vec();
        bytes.extend_from_slice(b"\n");
        let p = parse("x.xml", io::BufReader::with_capacity(3, &bytes[..]));
        let g = &p.value.gpus[0];
        assert_eq!(g.name.as_deref(), Some("Tesla \u{FFFD}\u{FFFD} P100"));
        assert_eq!(g.uuid.as_deref(), Some("GPU-\u{FFFD}"));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(3));
    }

    #[test]
    fn oversized_event_stops_with_a_warning() {
        let mut xml = String::from("<nvidia_smi_log><gpu id=\"a\"><product_name>");
        xml.push_str(&"x".repeat(MAX_EVENT_BYTES as usize + 10));
        xml.push_str("</product_name></gpu></nvidia_smi_log>");
        let p = parse_str(&xml);
        assert_eq!(p.value.gpus.len(), 1);
        assert!(
            p.warnings[0].message.contains("longer than"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn mismatched_and_stray_end_tags_are_reported() {
        let p = parse_str(
            "<nvidia_smi_log><gpu id=\"a\"><uuid>u</gpu></x><gpu id=\"b\"></gpu></nvidia_smi_log>",
        );
        assert_eq!(p.value.gpus.len(), 2);
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    }
}
