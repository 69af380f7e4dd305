//! Plain `nvidia-smi -q` text, including `-d PAGE_RETIREMENT` and other
//! `-d` subsets.
//!
//! The dump is indentation-structured: a `==============NVSMI LOG==============`
//! banner, top-level `Key : Value` lines (`Driver Version`, `CUDA Version`,
//! `Attached GPUs`), then one `GPU 00000000:3B:00.0` section per GPU whose
//! lines nest by indentation: a line without ` : ` opens a section
//! (`Retired Pages`, `ECC Errors`, `Volatile`), a `Key : Value` line is a
//! value of the innermost open section. The parser keeps only the stack of
//! open sections and the current GPU, reading line by line through the
//! bounded [`LineReader`].
//!
//! Names changed across drivers; both generations are read: ECC counters as
//! `Single Bit`/`Double Bit` → `Total` (old) or `SRAM`/`DRAM` `Correctable`/
//! `Uncorrectable` (new), `Clocks Throttle Reasons` or `Clocks Event Reasons`,
//! `Power Readings` or `GPU Power Readings`, absolute temperature thresholds
//! or T.Limit-relative ones, `Pending Page Blacklist` or
//! `Pending Page Retirement`.

use std::collections::BTreeMap;
use std::io::BufRead;

use super::Parsed;
use super::lines::LineReader;
use super::nvidia_smi_xml::{parse_count, parse_quantity, parse_yes_no};
use crate::model::{Evidence, MAX_GPUS, NvidiaSmiText, ParseWarning, TextGpu, cap_text};

/// The banner `nvidia-smi -q` prints first.
const BANNER: &[u8] = b"==============NVSMI LOG==============";

/// Most value warnings reported per file; the rest are counted.
const MAX_WARNINGS: usize = 20;

/// Deepest section nesting kept (real dumps nest four deep).
const MAX_DEPTH: usize = 16;

/// Clock event / throttle reason labels → the XML element names used by
/// [`crate::model::GpuProbe::throttle_reasons_active`].
const REASONS: [(&str, &str); 9] = [
    ("Idle", "gpu_idle"),
    ("Applications Clocks Setting", "applications_clocks_setting"),
    ("SW Power Cap", "sw_power_cap"),
    ("HW Slowdown", "hw_slowdown"),
    ("HW Thermal Slowdown", "hw_thermal_slowdown"),
    ("HW Power Brake Slowdown", "hw_power_brake_slowdown"),
    ("Sync Boost", "sync_boost"),
    ("SW Thermal Slowdown", "sw_thermal_slowdown"),
    ("Display Clock Setting", "display_clock_setting"),
];

/// Reasons that mean heat or a hardware fault (as in `analyze::score`).
const THERMAL: [&str; 4] = [
    "hw_slowdown",
    "hw_thermal_slowdown",
    "sw_thermal_slowdown",
    "hw_power_brake_slowdown",
];

/// True when the head of a file is `nvidia-smi -q` text: it holds the
/// `NVSMI LOG` banner, or starts a line with `Attached GPUs  :`, or has both
/// a `Driver Version  :` line and a `GPU <bus id>` section line.
pub fn sniff(head: &[u8]) -> bool {
    if memchr::memmem::find(head, BANNER).is_some() {
        return true;
    }
    let mut driver = false;
    let mut gpu = false;
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if key_line(line, b"Attached GPUs") {
            return true;
        }
        driver |= key_line(line, b"Driver Version");
        gpu |= line
            .strip_prefix(b"GPU ")
            .and_then(|rest| std::str::from_utf8(rest).ok())
            .is_some_and(is_bus_id);
    }
    driver && gpu
}

/// `Key<spaces>: …` at the start of a line.
fn key_line(line: &[u8], key: &[u8]) -> bool {
    line.strip_prefix(key).is_some_and(|rest| {
        let pad = rest.iter().take_while(|b| **b == b' ').count();
        pad > 0 && rest.get(pad) == Some(&b':')
    })
}

/// `00000000:3B:00.0` (domain optional).
fn is_bus_id(s: &str) -> bool {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let hex = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_hexdigit());
    let devfn = |p: &str| {
        p.split_once('.')
            .is_some_and(|(d, f)| hex(d) && !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
    };
    match parts.as_slice() {
        [d, b, df] => hex(d) && hex(b) && devfn(df),
        [b, df] => hex(b) && devfn(df),
        _ => false,
    }
}

/// ECC counters of one GPU as they are read: per-unit sums and the
/// printed totals, which win when present.
#[derive(Debug, Default)]
struct Ecc {
    volatile_uncorrectable: Tally,
    aggregate_uncorrectable: Tally,
    volatile_correctable: Tally,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    parts: Option<u64>,
    total: Option<u64>,
}

impl Tally {
    fn add(&mut self, n: u64) {
        self.parts = Some(self.parts.unwrap_or(0).saturating_add(n));
    }

    fn value(self) -> Option<u64> {
        self.total.or(self.parts)
    }
}

/// Per-GPU parser state beside the model.
#[derive(Debug, Default)]
struct Track {
    ecc: Ecc,
    power_rank: u8,
    limit_rank: u8,
}

struct State<'a> {
    path: &'a str,
    out: NvidiaSmiText,
    tracks: Vec<Track>,
    by_bus: BTreeMap<String, usize>,
    current: Option<usize>,
    /// Open sections: (indent, name).
    stack: Vec<(usize, String)>,
    warnings: Vec<ParseWarning>,
    suppressed: u64,
    dropped_gpus: u64,
    /// The last non-empty line opened a section and nothing followed yet:
    /// (line, name). At the end of the file this means a cut.
    open_section: Option<(u64, String)>,
}

impl State<'_> {
    fn warn(&mut self, line: u64, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings
                .push(ParseWarning::new(self.path, Some(line), message));
        } else {
            self.suppressed += 1;
        }
    }

    fn line(&mut self, number: u64, raw: &str) {
        let text = raw.trim_end();
        let content = text.trim_start();
        if content.is_empty() {
            return;
        }
        if content.starts_with("====") && content.contains("NVSMI LOG") {
            self.out.logs += 1;
            self.stack.clear();
            self.current = None;
            return;
        }
        let indent: usize = text
            .chars()
            .take_while(|c| c.is_whitespace())
            .map(|c| if c == '\t' { 4 } else { 1 })
            .sum();
        if indent == 0 {
            self.stack.clear();
            if let Some(bus) = content.strip_prefix("GPU ").filter(|b| is_bus_id(b)) {
                self.open_gpu(number, content, bus.trim());
                return;
            }
            self.current = None;
        }
        while self.stack.last().is_some_and(|(i, _)| *i >= indent) {
            self.stack.pop();
        }
        self.open_section = None;
        match split_key_value(content) {
            Some((key, value)) => {
                if indent == 0 {
                    self.top_level(number, content, key, value);
                } else if let Some(g) = self.current {
                    self.gpu_value(g, number, content, key, value);
                }
            }
            None => {
                self.open_section = Some((number, content.to_string()));
                if self.stack.len() < MAX_DEPTH {
                    self.stack.push((indent, content.to_string()));
                }
            }
        }
    }

    fn open_gpu(&mut self, number: u64, content: &str, bus: &str) {
        if let Some(&i) = self.by_bus.get(bus) {
            self.current = Some(i);
            return;
        }
        if self.out.gpus.len() >= MAX_GPUS {
            self.dropped_gpus += 1;
            self.current = None;
            return;
        }
        let i = self.out.gpus.len();
        let mut gpu = TextGpu::default();
        gpu.probe.index = i as u32;
        gpu.probe.pci_bus_id = Some(bus.to_string());
        gpu.probe.evidence = Some(Evidence::new(self.path, Some(number), content));
        self.out.gpus.push(gpu);
        self.tracks.push(Track::default());
        self.by_bus.insert(bus.to_string(), i);
        self.current = Some(i);
    }

    fn top_level(&mut self, number: u64, content: &str, key: &str, value: &str) {
        let ev = || Some(Evidence::new(self.path, Some(number), content));
        let text = text_value(value);
        match key {
            "Timestamp" => self.out.timestamp = text,
            "Driver Version" => {
                self.out.driver_evidence = ev();
                self.out.driver_version = text;
            }
            "CUDA Version" => {
                self.out.cuda_evidence = ev();
                self.out.cuda_version = text;
            }
            "Attached GPUs" => match parse_count(value) {
                Ok(n) => self.out.attached_gpus = n.and_then(|n| u32::try_from(n).ok()),
                Err(()) => self.bad(number, key, value),
            },
            _ => {}
        }
    }

    fn bad(&mut self, number: u64, key: &str, value: &str) {
        self.warn(
            number,
            format!(
                "`{key}`: value `{}` not understood; ignored",
                cap_text(value, 80)
            ),
        );
    }

    fn gpu_value(&mut self, g: usize, number: u64, content: &str, key: &str, value: &str) {
        let section: Vec<&str> = self.stack.iter().map(|(_, n)| n.as_str()).collect();
        let sec = section.first().copied().unwrap_or("");
        let sub = section.get(1).copied().unwrap_or("");
        let path = self.path;
        let locator = {
            let bus = self
                .out
                .gpus
                .get(g)
                .and_then(|x| x.probe.pci_bus_id.clone())
                .unwrap_or_default();
            let mut l = format!("GPU {bus}");
            for s in &section {
                l.push_str(" / ");
                l.push_str(s);
            }
            l
        };
        let ev = || Evidence::new(path, Some(number), content).with_locator(locator.clone());
        // Each arm parses its value; a parse failure becomes one warning.
        let mut failed = false;
        let mut quantity = |unit: &str| match parse_quantity(value, unit) {
            Ok(v) => v,
            Err(()) => {
                failed = true;
                None
            }
        };
        let (Some(gpu), Some(track)) = (self.out.gpus.get_mut(g), self.tracks.get_mut(g)) else {
            return;
        };
        let p = &mut gpu.probe;
        match (sec, sub, key) {
            ("", _, "Product Name") => p.name = text_value(value),
            ("", _, "GPU UUID") => p.uuid = text_value(value),
            ("", _, "Minor Number") => p.minor_number = value.trim().parse().ok(),
            ("", _, "Performance State") => gpu.performance_state = text_value(value),
            ("FB Memory Usage", _, "Total") => p.memory_total_mib = quantity("MiB"),
            ("FB Memory Usage", _, "Used") => p.memory_used_mib = quantity("MiB"),
            ("Utilization", _, "GPU" | "Gpu") => p.utilization_pct = quantity("%"),
            ("Temperature", _, "GPU Current Temp") => {
                p.temperature_c = quantity("C");
                gpu.lines.insert("temperature".into(), ev());
            }
            ("Temperature", _, "GPU Slowdown Temp") => p.temperature_slowdown_c = quantity("C"),
            ("Temperature", _, "GPU Shutdown Temp") => p.temperature_shutdown_c = quantity("C"),
            ("Temperature", _, "GPU T.Limit Temp") => gpu.temperature_tlimit_c = quantity("C"),
            ("Temperature", _, "GPU Slowdown T.Limit Temp") => {
                gpu.temperature_slowdown_tlimit_c = quantity("C");
            }
            ("Power Readings" | "GPU Power Readings", _, k) => {
                let draw = match k {
                    "Power Draw" => 3,
                    "Average Power Draw" => 2,
                    "Instantaneous Power Draw" => 1,
                    _ => 0,
                };
                let limit = match k {
                    "Current Power Limit" | "Enforced Power Limit" => 3,
                    "Power Limit" => 2,
                    "Requested Power Limit" => 1,
                    _ => 0,
                };
                if draw > 0 {
                    if let Some(w) = quantity("W") {
                        if draw >= track.power_rank {
                            track.power_rank = draw;
                            p.power_draw_w = Some(w);
                            gpu.lines.insert("power_draw".into(), ev());
                        }
                    }
                } else if limit > 0 {
                    if let Some(w) = quantity("W") {
                        if limit >= track.limit_rank {
                            track.limit_rank = limit;
                            p.power_limit_w = Some(w);
                        }
                    }
                }
            }
            ("Clocks", _, "SM") => p.sm_clock_mhz = quantity("MHz"),
            ("Max Clocks", _, "SM") => p.sm_clock_max_mhz = quantity("MHz"),
            ("ECC Mode", _, "Current") => p.ecc_mode = text_value(value),
            ("ECC Errors", "Volatile" | "Aggregate", k) => {
                let volatile = sub == "Volatile";
                let (unc, cor) = match section.get(2).copied() {
                    // Old layout: `Single Bit` / `Double Bit` → `Total`.
                    Some("Double Bit") if k == "Total" => (Some(true), None),
                    Some("Single Bit") if k == "Total" => (None, Some(true)),
                    Some(_) => (None, None),
                    None if k.contains("Uncorrectable") => (Some(false), None),
                    None if k.contains("Correctable") => (None, Some(false)),
                    // `SRAM Threshold Exceeded : No` and the like.
                    None => (None, None),
                };
                let n = if unc.is_some() || cor.is_some() {
                    match parse_count(value) {
                        Ok(n) => n,
                        Err(()) => {
                            failed = true;
                            None
                        }
                    }
                } else {
                    None
                };
                if let Some(n) = n {
                    let e = &mut track.ecc;
                    let tally = match (unc.is_some(), volatile) {
                        (true, true) => Some((&mut e.volatile_uncorrectable, unc)),
                        (true, false) => Some((&mut e.aggregate_uncorrectable, unc)),
                        (false, true) if cor.is_some() => Some((&mut e.volatile_correctable, cor)),
                        _ => None,
                    };
                    if let Some((t, Some(is_total))) = tally {
                        if is_total {
                            t.total = Some(n);
                        } else {
                            t.add(n);
                        }
                    }
                    if unc.is_some() && n > 0 && !gpu.lines.contains_key("ecc_uncorrectable") {
                        gpu.lines.insert("ecc_uncorrectable".into(), ev());
                    }
                }
            }
            ("Retired Pages", _, k) => {
                let which = if sub.is_empty() { k } else { sub };
                if which.starts_with("Pending") {
                    match parse_yes_no(value) {
                        Ok(v) => p.retired_pages_pending = v,
                        Err(()) => failed = true,
                    }
                    gpu.lines.insert("retired_pages_pending".into(), ev());
                } else if which == "Single Bit ECC" || which == "Double Bit ECC" {
                    // Some drivers nest a `Retired page count` line under
                    // each kind; the count is what matters either way.
                    if !sub.is_empty() && !k.to_ascii_lowercase().contains("count") {
                        return;
                    }
                    let n = match parse_count(value) {
                        Ok(n) => n,
                        Err(()) => {
                            failed = true;
                            None
                        }
                    };
                    let (slot, fact) = if which.starts_with("Single") {
                        (&mut gpu.retired_pages_sbe, "retired_pages_sbe")
                    } else {
                        (&mut gpu.retired_pages_dbe, "retired_pages_dbe")
                    };
                    *slot = n;
                    gpu.lines.insert(fact.into(), ev());
                    p.retired_pages = match (gpu.retired_pages_sbe, gpu.retired_pages_dbe) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
                    };
                }
            }
            ("Remapped Rows", _, k) => match k {
                "Uncorrectable Error" => match parse_count(value) {
                    Ok(n) => p.remapped_rows_uncorrectable = n,
                    Err(()) => failed = true,
                },
                "Pending" | "Remapping Failure Occurred" => {
                    let v = match parse_yes_no(value) {
                        Ok(v) => v,
                        Err(()) => {
                            failed = true;
                            None
                        }
                    };
                    let (slot, fact) = if k == "Pending" {
                        (&mut p.remapped_rows_pending, "remapped_rows_pending")
                    } else {
                        (&mut p.remapping_failure, "remapping_failure")
                    };
                    *slot = v;
                    if v == Some(true) {
                        gpu.lines.insert(fact.into(), ev());
                    }
                }
                _ => {}
            },
            ("Clocks Event Reasons" | "Clocks Throttle Reasons", _, k) => {
                if let Some((_, name)) = REASONS.iter().find(|(label, _)| *label == k) {
                    if value.trim() == "Active" {
                        if !p.throttle_reasons_active.iter().any(|r| r == name) {
                            p.throttle_reasons_active.push((*name).to_string());
                            p.throttle_reasons_active.sort();
                        }
                        if THERMAL.contains(name) && !gpu.lines.contains_key("throttle") {
                            gpu.lines.insert("throttle".into(), ev());
                        }
                    }
                }
            }
            _ => {}
        }
        if failed {
            self.bad(number, key, value);
        }
    }

    fn finish(&mut self) {
        for (gpu, track) in self.out.gpus.iter_mut().zip(&self.tracks) {
            let e = &track.ecc;
            gpu.probe.ecc_volatile_uncorrectable = e.volatile_uncorrectable.value();
            gpu.probe.ecc_aggregate_uncorrectable = e.aggregate_uncorrectable.value();
            gpu.probe.ecc_volatile_correctable = e.volatile_correctable.value();
        }
    }
}

/// `Key   : Value` → (`Key`, `Value`). The separator is the first colon
/// preceded by a space, so bus ids and times in values stay whole.
fn split_key_value(content: &str) -> Option<(&str, &str)> {
    let at = content.find(" :")?;
    let key = content.get(..at)?.trim();
    let value = content.get(at + 2..)?.trim();
    (!key.is_empty()).then_some((key, value))
}

fn text_value(s: &str) -> Option<String> {
    (!super::nvidia_smi_xml::is_no_value(s)).then(|| s.trim().to_string())
}

/// Parse a text dump.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<NvidiaSmiText> {
    let mut st = State {
        path,
        out: NvidiaSmiText::default(),
        tracks: Vec::new(),
        by_bus: BTreeMap::new(),
        current: None,
        stack: Vec::new(),
        warnings: Vec::new(),
        suppressed: 0,
        dropped_gpus: 0,
        open_section: None,
    };
    let mut lines = LineReader::new(reader);
    let mut read_error = None;
    loop {
        match lines.next_line() {
            Ok(Some(l)) => {
                let (n, t) = (l.number, l.text.to_string());
                st.line(n, &t);
            }
            Ok(None) => break,
            Err(e) => {
                read_error = Some(lines.read_failed(path, &e));
                break;
            }
        }
    }
    st.finish();
    let mut warnings = lines.warnings(path);
    warnings.append(&mut st.warnings);
    warnings.extend(read_error);
    if st.suppressed > 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!("{} further value warning(s) not listed", st.suppressed),
        ));
    }
    if st.dropped_gpus > 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} GPU section(s) beyond the first {MAX_GPUS} were skipped",
                st.dropped_gpus
            ),
        ));
    }
    if let Some((line, name)) = &st.open_section {
        warnings.push(ParseWarning::new(
            path,
            Some(*line),
            format!(
                "the file ends after `{}` with no value under it (truncated?)",
                cap_text(name, 80)
            ),
        ));
    }
    let read = st.out.gpus.len() as u64 + st.dropped_gpus;
    if let Some(n) = st
        .out
        .attached_gpus
        .filter(|n| u64::from(*n) > read && read > 0)
    {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "`Attached GPUs` is {n} but {read} GPU section(s) were read (a `-i` selection, or a truncated dump)"
            ),
        ));
    }
    if st.out.logs == 0 && st.out.gpus.is_empty() && st.out.driver_version.is_none() {
        warnings.push(ParseWarning::new(
            path,
            None,
            "no `NVSMI LOG` banner, `Driver Version` or `GPU <bus id>` section: not nvidia-smi -q text (or empty)",
        ));
    } else if st.out.gpus.is_empty() {
        warnings.push(ParseWarning::new(
            path,
            None,
            "no `GPU <bus id>` section: the dump names no GPU (truncated?)",
        ));
    }
    Parsed {
        value: st.out,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> Parsed<NvidiaSmiText> {
        parse("q.txt", std::io::Cursor::new(s.as_bytes().to_vec()))
    }

    #[test]
    fn sniff_needs_the_banner_or_top_level_keys() {
        assert!(sniff(b"\n==============NVSMI LOG==============\n"));
        assert!(sniff(b"Attached GPUs                      : 8\n"));
        assert!(sniff(
            b"Driver Version  : 535.86.10\nGPU 00000000:3B:00.0\n"
        ));
        assert!(!sniff(b"Driver Version  : 535.86.10\n"));
        assert!(!sniff(
            b"| NVIDIA-SMI 550.127.05   Driver Version: 550.127.05 |\n"
        ));
        assert!(!sniff(b"DRIVER version      : 590.48.01\n"));
    }

    #[test]
    fn bus_ids() {
        assert!(is_bus_id("00000000:3B:00.0"));
        assert!(is_bus_id("3B:00.0"));
        assert!(!is_bus_id("3B:00"));
        assert!(!is_bus_id("Memory Usage"));
    }

    #[test]
    fn old_ecc_layout_uses_the_totals() {
        let p = run(
            "==============NVSMI LOG==============\n\nGPU 0000:04:00.0\n    ECC Errors\n        Volatile\n            Single Bit\n                Device Memory : 3\n                Total : 3\n            Double Bit\n                Device Memory : 2\n                Register File : 0\n                Total : 2\n        Aggregate\n            Double Bit\n                Total : 7\n    Clocks Throttle Reasons\n        HW Slowdown : Active\n            HW Thermal Slowdown : Active\n",
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let g = &p.value.gpus[0];
        assert_eq!(g.probe.ecc_volatile_uncorrectable, Some(2));
        assert_eq!(g.probe.ecc_volatile_correctable, Some(3));
        assert_eq!(g.probe.ecc_aggregate_uncorrectable, Some(7));
        assert_eq!(g.lines["ecc_uncorrectable"].line, Some(12));
        assert_eq!(
            g.probe.throttle_reasons_active,
            ["hw_slowdown", "hw_thermal_slowdown"]
        );
        assert_eq!(g.lines["throttle"].line, Some(17));
    }

    #[test]
    fn bad_values_warn_with_their_line() {
        let p = run(
            "Attached GPUs : eight\nGPU 0000:04:00.0\n    Retired Pages\n        Pending Page Blacklist : Maybe\n",
        );
        let lines: Vec<Option<u64>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(1), Some(4)]);
        assert_eq!(p.value.gpus.len(), 1);
    }
}
