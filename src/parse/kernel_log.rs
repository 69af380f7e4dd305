//! Kernel logs: `dmesg` (raw seconds, `--ctime`, `--time-format iso`, with
//! or without `--decode`) and syslog (BSD, RFC 3339-prefixed journal
//! exports, RFC 5424). Every line goes to the sink for the rules; what is
//! kept is counts, the time range and bounded tables of the facts a report
//! needs (Xids, OOM kills, hung tasks, read-only remounts, NCCL segfaults).

use std::collections::{BTreeMap, VecDeque};
use std::io::BufRead;
use std::sync::LazyLock;

use regex::Regex;

use super::lines::LineReader;
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{
    Evidence, KERNEL_FACT_KEYS, KernelFact, KernelLog, KernelLogFormat, ParseWarning, Stream,
    XidFact,
};

/// Non-empty lines looked at when recognising a kernel log by content.
const SNIFF_LINES: usize = 5;

/// OOM victims remembered to count each kill once across its several lines.
const RECENT_OOM_PIDS: usize = 32;

const MONTHS: &str = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";

fn re(pattern: &str) -> Regex {
    // Patterns are constants checked by the tests; an invalid one is a bug
    // that must show at once, not on some input.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in regex {pattern}: {e}"))
}

/// `dmesg --decode`: `kern  :warn  : `.
static DECODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\s*:\s*(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: ",
    )
});
/// `[ 1234.567890] `.
static RAW: LazyLock<Regex> = LazyLock::new(|| re(r"^\[\s*(\d+\.\d+)\] ?"));
/// `[Tue Jan 21 04:41:44 2025] `.
static CTIME: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\[((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {MONTHS} [ \d]\d \d\d:\d\d:\d\d \d{{4}})\] ?"
    ))
});
/// An RFC 3339-like time at the start of a line, then a space or the end.
static ISO: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)(?: |$)")
});
/// `host prog[pid]: ` after a syslog time.
static SYSLOG_TAIL: LazyLock<Regex> = LazyLock::new(|| re(r"^\S+ [^\s:\[\]]+(?:\[\d+\])?: ?"));
/// `Jan 21 04:41:44 ` (BSD syslog; an optional `<pri>` first).
static BSD: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?:<\d{{1,3}}>)?({MONTHS} [ \d]\d \d\d:\d\d:\d\d) "
    ))
});
/// `<pri>1 time host app procid msgid sd msg` (RFC 5424).
static RFC5424: LazyLock<Regex> =
    LazyLock::new(|| re(r"^<\d{1,3}>\d{1,2} (\S+) \S+ \S+ \S+ \S+ (?:-|\[.*?\]) ?"));

static XID: LazyLock<Regex> =
    LazyLock::new(|| re(r"NVRM: Xid \((?:PCI:)?([0-9A-Fa-f:.]+)\): (\d+),"));
static SXID: LazyLock<Regex> = LazyLock::new(|| re(r"SXid \(PCI:([0-9A-Fa-f:.]+)\): (\d+)"));
/// `Out of memory: Kill process 456 (python) …`, `… Killed process 123
/// (python) total-vm:…`, `… Killed process 123, UID 48, (httpd)`, and the
/// same after `Memory cgroup out of memory:` or alone (old kernels).
static OOM_KILLED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:[Oo]ut of memory: |^)Kill(?:ed)? process (\d+)(?: \(([^)]*)\)|, UID \d+, \(([^)]*)\))")
});
static OOM_KILL_TASK: LazyLock<Regex> =
    LazyLock::new(|| re(r"oom-kill:.*?,task=([^,]*),pid=(\d+)"));
static OOM_REAPER: LazyLock<Regex> =
    LazyLock::new(|| re(r"oom_reaper: reaped process (\d+) \(([^)]*)\)"));
static HUNG_TASK: LazyLock<Regex> =
    LazyLock::new(|| re(r"task (.+?):\d+ blocked for more than \d+ seconds"));
static SOFT_LOCKUP: LazyLock<Regex> =
    LazyLock::new(|| re(r"soft lockup - CPU#\d+ stuck for \d+s! \[(.+?):\d+\]"));
static READONLY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\(([^)]+)\): (?:Remounting filesystem read-only|.*Shutting down filesystem)")
});
static NCCL_SEGFAULT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\S+)\[\d+\]: segfault at \S+ .*\bin libnccl\.so"));

/// A line split into its prefix format, timestamp and message.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Split<'a> {
    format: KernelLogFormat,
    decoded: bool,
    timestamp: &'a str,
    message: &'a str,
}

/// Recognise a line's prefix; `None` for lines without one (continuation
/// lines, or text that is not a kernel log).
fn split(line: &str) -> Option<Split<'_>> {
    let (decoded, rest) = match DECODE.find(line) {
        Some(m) => (true, line.get(m.end()..).unwrap_or("")),
        None => (false, line),
    };
    for (re, format) in [
        (&*RAW, KernelLogFormat::DmesgRaw),
        (&*CTIME, KernelLogFormat::DmesgCtime),
    ] {
        if let Some(c) = re.captures(rest) {
            let end = c.get(0).map_or(0, |m| m.end());
            return Some(Split {
                format,
                decoded,
                timestamp: c.get(1).map_or("", |m| m.as_str()),
                message: rest.get(end..).unwrap_or(""),
            });
        }
    }
    if let Some(c) = ISO.captures(rest) {
        let end = c.get(0).map_or(0, |m| m.end());
        let ts = c.get(1).map_or("", |m| m.as_str());
        let after = rest.get(end..).unwrap_or("");
        // dmesg writes a comma before the microseconds; syslog writers a dot
        // (or nothing) and then `host prog:`.
        if !decoded && !ts.contains(',') {
            if let Some(t) = SYSLOG_TAIL.find(after) {
                return Some(Split {
                    format: KernelLogFormat::SyslogIso,
                    decoded,
                    timestamp: ts,
                    message: after.get(t.end()..).unwrap_or(""),
                });
            }
        }
        return Some(Split {
            format: KernelLogFormat::DmesgIso,
            decoded,
            timestamp: ts,
            message: after,
        });
    }
    if decoded {
        return None;
    }
    if let Some(c) = BSD.captures(line) {
        let end = c.get(0).map_or(0, |m| m.end());
        let after = line.get(end..).unwrap_or("");
        let t = SYSLOG_TAIL.find(after)?;
        return Some(Split {
            format: KernelLogFormat::Syslog,
            decoded,
            timestamp: c.get(1).map_or("", |m| m.as_str()),
            message: after.get(t.end()..).unwrap_or(""),
        });
    }
    if let Some(c) = RFC5424.captures(line) {
        let end = c.get(0).map_or(0, |m| m.end());
        let ts = c.get(1).map_or("", |m| m.as_str());
        if ts != "-" && !ISO.is_match(ts) {
            return None;
        }
        return Some(Split {
            format: KernelLogFormat::Rfc5424,
            decoded,
            timestamp: ts,
            message: line.get(end..).unwrap_or(""),
        });
    }
    None
}

/// True when a file is a kernel log, by name (`dmesg*`, `kern.log*`,
/// `syslog*`, `messages*`, `journal*.log`) or by content: the first
/// non-empty lines of the head all carry a dmesg or syslog prefix.
pub fn sniff(name: &str, head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let lower = name.to_ascii_lowercase();
    let by_name = ["dmesg", "kern.log", "syslog", "messages"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (lower.starts_with("journal") && lower.ends_with(".log"));
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        // A `messages.json` is something else.
        Some(b'{') => false,
        // `<` starts both RFC 5424 / `<pri>` syslog lines and XML: only the
        // lines can tell.
        Some(b'<') => sniff_content(head),
        _ => by_name || sniff_content(head),
    }
}

fn sniff_content(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The head may end inside a line; judge only complete lines when there
    // are any.
    if lines.len() > 1 && !text.ends_with('\n') {
        lines.pop();
    }
    let candidates: Vec<&str> = lines
        .iter()
        // A crash can leave a zero-filled block where unflushed lines were
        // (found by the bad-input tests): NULs are not content, so they
        // neither make nor break a kernel log.
        .map(|l| l.trim_end_matches('\r').trim_matches('\0'))
        .filter(|l| !l.trim().is_empty())
        // Continuation lines of a multi-line message are indented.
        .filter(|l| !l.starts_with([' ', '\t']))
        .take(SNIFF_LINES)
        .collect();
    !candidates.is_empty() && candidates.iter().all(|l| split(l).is_some())
}

/// Parse a kernel log for `node`.
pub fn parse<R: BufRead>(
    path: &str,
    reader: R,
    node: Option<&str>,
    sink: &mut dyn LineSink,
) -> Parsed<KernelLog> {
    let mut lines = LineReader::new(reader);
    let mut facts = Facts::default();
    let mut log = KernelLog::default();
    let mut warnings = Vec::new();
    let mut first_untimed: Option<u64> = None;
    // An unindented last line without a prefix, after prefixed ones, is
    // most likely a line cut short when the copy was interrupted.
    let mut cut_last: Option<u64> = None;
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                let origin = LineOrigin {
                    path,
                    line: line.number,
                    node,
                    step: None,
                    stream: Stream::Log,
                    locator: None,
                };
                sink.line(&origin, line.text);
                cut_last = None;
                match split(line.text) {
                    Some(s) => {
                        *log.formats.entry(s.format).or_default() += 1;
                        log.decoded_lines += u64::from(s.decoded);
                        if !s.timestamp.is_empty() {
                            if log.first_timestamp.is_none() {
                                log.first_timestamp = Some(s.timestamp.to_string());
                            }
                            // Kept as a range of two strings: cloning only
                            // when it changes keeps the hot path cheap.
                            if log.last_timestamp.as_deref() != Some(s.timestamp) {
                                log.last_timestamp = Some(s.timestamp.to_string());
                            }
                        }
                        facts.feed(path, line.number, line.text, s.message, s.timestamp);
                    }
                    None if !line.text.trim().is_empty() => {
                        log.untimed_lines += 1;
                        first_untimed.get_or_insert(line.number);
                        if !line.text.starts_with([' ', '\t']) {
                            cut_last = Some(line.number);
                        }
                        // Continuation lines still carry facts (a message
                        // printed over several lines).
                        facts.feed(path, line.number, line.text, line.text, "");
                    }
                    None => {}
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
    log.lines = lines.lines_read();
    log.bytes = lines.bytes_read();
    let timed: u64 = log.formats.values().sum();
    if timed == 0 && log.untimed_lines > 0 {
        warnings.push(ParseWarning::new(
            path,
            first_untimed,
            format!(
                "no line starts with a dmesg or syslog prefix ({} line(s)): not a kernel log? \
                 Every line still went to the rules",
                log.untimed_lines
            ),
        ));
    }
    if let Some(n) = cut_last.filter(|n| timed > 0 && *n == log.lines) {
        warnings.push(ParseWarning::new(
            path,
            Some(n),
            "the last line has no dmesg or syslog prefix while earlier lines do: file cut short?",
        ));
    }
    facts.finish(&mut log);
    if log.facts_dropped > 0 {
        warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} kernel event(s) were counted in no table: each table keeps at most \
                 {KERNEL_FACT_KEYS} distinct devices or processes",
                log.facts_dropped
            ),
        ));
    }
    Parsed {
        value: log,
        warnings,
    }
}

/// A bounded map of facts by key.
struct Table<K, V> {
    map: BTreeMap<K, V>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            map: BTreeMap::new(),
        }
    }
}

impl<K: Ord, V> Table<K, V> {
    /// The entry for `key`, created with `new` while there is room; `None`
    /// (and one more dropped fact) when the table is full.
    fn entry(&mut self, key: K, dropped: &mut u64, new: impl FnOnce() -> V) -> Option<&mut V> {
        if !self.map.contains_key(&key) && self.map.len() >= KERNEL_FACT_KEYS {
            *dropped += 1;
            return None;
        }
        Some(self.map.entry(key).or_insert_with(new))
    }
}

/// Facts collected while the file streams past.
#[derive(Default)]
struct Facts {
    xids: Table<(String, u32), XidFact>,
    sxids: Table<(String, u32), XidFact>,
    oom: Table<String, KernelFact>,
    hung: Table<String, KernelFact>,
    lockups: Table<String, KernelFact>,
    readonly: Table<String, KernelFact>,
    nccl: Table<String, KernelFact>,
    recent_oom_pids: VecDeque<u64>,
    dropped: u64,
}

fn ts(t: &str) -> Option<String> {
    (!t.is_empty()).then(|| t.to_string())
}

fn bump_xid(
    table: &mut Table<(String, u32), XidFact>,
    dropped: &mut u64,
    pci: &str,
    code: u32,
    ev: impl FnOnce() -> Evidence,
    t: &str,
) {
    let entry = table.entry((pci.to_string(), code), dropped, || XidFact {
        pci: pci.to_string(),
        code,
        lines: 0,
        first_timestamp: ts(t),
        last_timestamp: None,
        first: ev(),
    });
    if let Some(f) = entry {
        f.lines += 1;
        f.last_timestamp = ts(t);
    }
}

fn bump(
    table: &mut Table<String, KernelFact>,
    dropped: &mut u64,
    key: &str,
    ev: impl FnOnce() -> Evidence,
    t: &str,
) {
    let key = if key.trim().is_empty() {
        "?"
    } else {
        key.trim()
    };
    let entry = table.entry(key.to_string(), dropped, || KernelFact {
        key: key.to_string(),
        count: 0,
        first_timestamp: ts(t),
        last_timestamp: None,
        first: ev(),
    });
    if let Some(f) = entry {
        f.count += 1;
        f.last_timestamp = ts(t);
    }
}

impl Facts {
    /// Look for facts in one line's message. Cheap substring checks come
    /// first: almost every line has none of these.
    fn feed(&mut self, path: &str, line: u64, full: &str, msg: &str, t: &str) {
        let ev = || Evidence::new(path, Some(line), full);
        let d = &mut self.dropped;
        if msg.contains("Xid") {
            if let Some(c) = XID.captures(msg) {
                if let (Some(pci), Some(code)) = (c.get(1), c.get(2)) {
                    if let Ok(code) = code.as_str().parse::<u32>() {
                        bump_xid(&mut self.xids, d, pci.as_str(), code, ev, t);
                    }
                }
                return;
            }
            if let Some(c) = SXID.captures(msg) {
                if let (Some(pci), Some(code)) = (c.get(1), c.get(2)) {
                    if let Ok(code) = code.as_str().parse::<u32>() {
                        bump_xid(&mut self.sxids, d, pci.as_str(), code, ev, t);
                    }
                }
                return;
            }
        }
        if msg.contains("rocess") || msg.contains("oom-kill:") {
            let victim = if let Some(c) = OOM_KILLED.captures(msg) {
                let name = c.get(2).or_else(|| c.get(3)).map(|m| m.as_str());
                c.get(1).map(|m| m.as_str().to_string()).zip(name)
            } else if let Some(c) = OOM_KILL_TASK.captures(msg) {
                let name = c.get(1).map(|m| m.as_str());
                c.get(2).map(|m| m.as_str().to_string()).zip(name)
            } else if let Some(c) = OOM_REAPER.captures(msg) {
                let name = c.get(2).map(|m| m.as_str());
                c.get(1).map(|m| m.as_str().to_string()).zip(name)
            } else {
                None
            };
            if let Some((pid, name)) = victim {
                // One kill prints `oom-kill:…pid=N`, `Killed process N` and
                // `oom_reaper: reaped process N`: count the pid once.
                let pid: u64 = pid.parse().unwrap_or(u64::MAX);
                if !self.recent_oom_pids.contains(&pid) {
                    if self.recent_oom_pids.len() == RECENT_OOM_PIDS {
                        self.recent_oom_pids.pop_front();
                    }
                    self.recent_oom_pids.push_back(pid);
                    bump(&mut self.oom, d, name, ev, t);
                }
                return;
            }
        }
        if msg.contains("blocked for more than") {
            if let Some(name) = HUNG_TASK.captures(msg).and_then(|c| c.get(1)) {
                bump(&mut self.hung, d, name.as_str(), ev, t);
                return;
            }
        }
        if msg.contains("soft lockup") {
            if let Some(name) = SOFT_LOCKUP.captures(msg).and_then(|c| c.get(1)) {
                bump(&mut self.lockups, d, name.as_str(), ev, t);
                return;
            }
        }
        if msg.contains("read-only") || msg.contains("Shutting down filesystem") {
            if let Some(dev) = READONLY.captures(msg).and_then(|c| c.get(1)) {
                bump(&mut self.readonly, d, dev.as_str(), ev, t);
                return;
            }
        }
        if msg.contains("libnccl") {
            if let Some(name) = NCCL_SEGFAULT.captures(msg).and_then(|c| c.get(1)) {
                bump(&mut self.nccl, d, name.as_str(), ev, t);
            }
        }
    }

    fn finish(self, log: &mut KernelLog) {
        log.xids = self.xids.map.into_values().collect();
        log.sxids = self.sxids.map.into_values().collect();
        log.oom_kills = self.oom.map.into_values().collect();
        log.hung_tasks = self.hung.map.into_values().collect();
        log.soft_lockups = self.lockups.map.into_values().collect();
        log.readonly_remounts = self.readonly.map.into_values().collect();
        log.nccl_segfaults = self.nccl.map.into_values().collect();
        log.facts_dropped = self.dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CollectSink;

    fn fmt(line: &str) -> Option<(KernelLogFormat, bool, String, String)> {
        split(line).map(|s| {
            (
                s.format,
                s.decoded,
                s.timestamp.to_string(),
                s.message.to_string(),
            )
        })
    }

    #[test]
    fn every_prefix_format_is_split() {
        use KernelLogFormat::*;
        let m = "NVRM: Xid (PCI:0000:38:00): 43, pid=1, name=x, Ch 00000008";
        let cases = [
            (
                format!("[ 1234.567890] {m}"),
                DmesgRaw,
                false,
                "1234.567890",
            ),
            (
                format!("[Tue Jan 21 04:41:44 2025] {m}"),
                DmesgCtime,
                false,
                "Tue Jan 21 04:41:44 2025",
            ),
            (
                format!("kern  :warn  : 2025-01-21T04:41:44,283302+00:00 {m}"),
                DmesgIso,
                true,
                "2025-01-21T04:41:44,283302+00:00",
            ),
            (
                format!("2025-01-21T04:41:44,283302+00:00 {m}"),
                DmesgIso,
                false,
                "2025-01-21T04:41:44,283302+00:00",
            ),
            (
                format!("kern  :warn  : [ 1234.567890] {m}"),
                DmesgRaw,
                true,
                "1234.567890",
            ),
            (
                format!("Jan 21 04:41:44 gpu-node-3 kernel: {m}"),
                Syslog,
                false,
                "Jan 21 04:41:44",
            ),
            (
                format!("2025-01-21T04:41:44.283302+00:00 gpu-node-3 kernel: {m}"),
                SyslogIso,
                false,
                "2025-01-21T04:41:44.283302+00:00",
            ),
            (
                format!("2025-01-21T04:41:44+0000 gpu-node-3 kernel: {m}"),
                SyslogIso,
                false,
                "2025-01-21T04:41:44+0000",
            ),
            (
                format!("<4>1 2025-01-21T04:41:44.283302Z gpu-node-3 kernel - - - {m}"),
                Rfc5424,
                false,
                "2025-01-21T04:41:44.283302Z",
            ),
        ];
        for (line, f, decoded, t) in cases {
            assert_eq!(
                fmt(&line),
                Some((f, decoded, t.to_string(), m.to_string())),
                "{line}"
            );
        }
        // The raw stamp the kernel adds inside a syslog message stays in it.
        assert_eq!(
            fmt("Jan  1 00:00:01 h kernel: [ 3.5] x").map(|s| s.3),
            Some("[ 3.5] x".to_string())
        );
    }

    #[test]
    fn lines_without_a_prefix_are_not_split() {
        for line in [
            "",
            "plain text",
            "                         Please enable it if your BIOS has the CPPC option.",
            "2025-01-21 04:41:44,123 INFO python logging",
            "[INFO] something",
            "kern  :warn  : no timestamp here",
            "Jan 21 04:41:44 no-program-colon here",
        ] {
            assert_eq!(fmt(line), None, "{line:?}");
        }
    }

    #[test]
    fn sniffing_needs_prefixed_lines_or_a_kernel_log_name() {
        assert!(sniff(
            "x.txt",
            b"[    0.000000] Linux version 6.1\n[    0.000000] Command line: x\n"
        ));
        assert!(sniff("dmesg.out", b"anything"));
        assert!(sniff("kern.log.1", b""));
        assert!(!sniff("messages.json", b"{\"a\": 1}"));
        assert!(!sniff(
            "x.txt",
            b"[    0.000000] Linux version 6.1\nhello world\n"
        ));
        assert!(!sniff("x.log", b"2025-01-21 04:41:44,123 INFO started\n"));
        assert!(!sniff("x.log", b""));
        // A cut last line does not count against the head.
        assert!(sniff("x", b"[    1.000000] a\n[    1.000001] b\n[    1.0"));
        // A zero-filled block left by a crash does not hide a kernel log.
        let mut zeroed = b"[    1.000000] a\n".to_vec();
        zeroed.extend([0u8; 600]);
        zeroed.extend_from_slice(b"\n\0\0[    2.000000] b\n");
        assert!(sniff("node1-kernel.txt", &zeroed));
    }

    #[test]
    fn facts_are_collected_and_oom_kills_counted_once_per_pid() {
        let log = "\
[ 1.0] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=python3,pid=77,uid=0
[ 1.1] Out of memory: Killed process 77 (python3) total-vm:100kB, anon-rss:50kB, file-rss:0kB
[ 1.2] oom_reaper: reaped process 77 (python3), now anon-rss:0kB
[ 2.0] Memory cgroup out of memory: Killed process 78 (python3) total-vm:1kB
[ 3.0] INFO: task kworker/u16:2:123 blocked for more than 120 seconds.
[ 4.0] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [nccl-proxy:999]
[ 5.0] EXT4-fs (nvme0n1p1): Remounting filesystem read-only
[ 6.0] pt_main_thread[2536443]: segfault at 7f7 ip 00007f sp 00007f error 4 in libnccl.so.2[7f7c+d3d3000]
[ 7.0] nvidia-nvswitch1: SXid (PCI:0000:06:00.0): 12028, Non-fatal, Link 55
[ 8.0] NVRM: Xid (0000:01:00): 79, GPU has fallen off the bus.
";
        let mut sink = CollectSink::default();
        let p = parse("k.log", log.as_bytes(), Some("n"), &mut sink);
        let v = p.value;
        assert_eq!(sink.lines.len(), 10);
        assert_eq!(sink.lines[0].2.as_deref(), Some("n"));
        let keys = |f: &[KernelFact]| {
            f.iter()
                .map(|f| (f.key.clone(), f.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&v.oom_kills), [("python3".to_string(), 2)]);
        assert_eq!(keys(&v.hung_tasks), [("kworker/u16:2".to_string(), 1)]);
        assert_eq!(keys(&v.soft_lockups), [("nccl-proxy".to_string(), 1)]);
        assert_eq!(keys(&v.readonly_remounts), [("nvme0n1p1".to_string(), 1)]);
        assert_eq!(keys(&v.nccl_segfaults), [("pt_main_thread".to_string(), 1)]);
        assert_eq!(
            (v.sxids[0].pci.as_str(), v.sxids[0].code),
            ("0000:06:00.0", 12028)
        );
        assert_eq!((v.xids[0].pci.as_str(), v.xids[0].code), ("0000:01:00", 79));
        assert_eq!(v.first_timestamp.as_deref(), Some("1.0"));
        assert_eq!(v.last_timestamp.as_deref(), Some("8.0"));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn fact_tables_are_bounded() {
        let mut log = String::new();
        for i in 0..(KERNEL_FACT_KEYS + 10) {
            log.push_str(&format!("[ 1.0] NVRM: Xid (PCI:0000:{i:02x}:00): 13, x\n"));
        }
        let p = parse("k.log", log.as_bytes(), None, &mut crate::parse::NullSink);
        assert_eq!(p.value.xids.len(), KERNEL_FACT_KEYS);
        assert_eq!(p.value.facts_dropped, 10);
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn text_that_is_not_a_kernel_log_warns_once() {
        let p = parse(
            "x.log",
            &b"hello\nworld\n"[..],
            None,
            &mut crate::parse::NullSink,
        );
        assert_eq!(p.value.untimed_lines, 2);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(1));
    }
}
