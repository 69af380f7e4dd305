//! `mlperf_log_trace.json` (Chrome trace-event format), streamed (format
//! notes, §3.2).
//!
//! LoadGen writes `{"traceEvents":[` and then one event object per line,
//! but the file is not valid JSON: every `LogDetail`/`LogSummary` event has
//! a doubly quoted key (`"args":{"key":""loadgen_version""}`), so a
//! whole-document or sequence deserializer would stop at the first one.
//! Instead a small byte-level scanner finds each event object of the event
//! array (tracking strings and nesting, not lines, so a minified or
//! bare-array trace — `[{…},{…}` with or without the closing `]` — reads
//! the same), and each event is deserialized on its own; bad ones are
//! counted and skipped.
//!
//! Everything kept is fixed-size: log-spaced histograms for latency and
//! TTFT, a fixed number of timeline bins whose width doubles as the run
//! grows, and a capped map of event names. Memory does not depend on the
//! size of the trace.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead};

use serde::Deserialize;

use super::Parsed;
use super::fastjson::{Cursor, LazyNum};
use super::shapes::{self, Shape, Shapes};
use crate::model::{
    CHART_BUCKETS_MAX, Distribution, HistogramBucket, LoadGenTrace, ParseWarning, TIMELINE_BINS,
    TraceTimeline, cap_text,
};

/// Longest event kept, in bytes. LoadGen events are under 300 bytes; longer
/// ones are skipped (and counted) so one huge object cannot grow memory.
const MAX_EVENT: usize = 64 * 1024;

/// Distinct event names counted individually; LoadGen uses about 25.
const MAX_NAMES: usize = 64;

/// Name under which events past [`MAX_NAMES`] are counted.
const OTHER_NAMES: &str = "(other)";

/// Width of a timeline bin before any doubling: 1 ms.
const FIRST_BIN_US: u64 = 1000;

/// Does `head` look like a trace-event file? (`{"traceEvents":` or an array
/// whose first object has `"ph":` and `"ts":`-style trace keys.)
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    if t.starts_with('{') {
        let compact: String = t.chars().take(64).filter(|c| !c.is_whitespace()).collect();
        return compact.starts_with("{\"traceEvents\":");
    }
    t.starts_with('[') && t.contains("\"ph\"") && t.contains("\"name\"")
}

/// Parse a trace with memory independent of its size.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<LoadGenTrace> {
    let mut agg = TraceAggregator::default();
    let mut scan = Scanner::default();
    let mut warnings = Vec::new();
    if let Err(e) = scan.run(reader, &mut agg) {
        warnings.push(ParseWarning::new(
            path,
            Some(scan.line),
            format!("read failed, rest of file skipped: {e}"),
        ));
    }
    let value = agg.finish(&scan, path, &mut warnings);
    Parsed { value, warnings }
}

/// The fields of an event this parser uses; unknown fields are skipped.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ph: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<f64>,
    #[serde(default)]
    args: Option<Args>,
}

#[derive(Deserialize, Default)]
struct Args {
    #[serde(default)]
    issue_start_ns: Option<f64>,
    #[serde(default)]
    complete_ns: Option<f64>,
    #[serde(default)]
    issue_delay: Option<f64>,
    #[serde(default)]
    issue_to_done: Option<f64>,
}

/// The fields of an event that [`TraceAggregator::apply`] uses, numbers
/// converted only when an event needs them.
#[derive(Default)]
struct EventFields<'a> {
    name: &'a str,
    ph: &'a str,
    /// `ts`, then `args.issue_start_ns`, `complete_ns`, `issue_delay`,
    /// `issue_to_done`.
    nums: [LazyNum<'a>; FIELDS],
}

/// Numbers in [`EventFields::nums`].
const FIELDS: usize = 5;

/// Indexes into [`EventFields::nums`].
const TS: usize = 0;
const ISSUE_START_NS: usize = 1;
const COMPLETE_NS: usize = 2;
const ISSUE_DELAY: usize = 3;
const ISSUE_TO_DONE: usize = 4;

/// What an event is to the aggregates, from its name and phase.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    SampleBegin,
    TokenBegin,
    TokenLatency,
    LastTrace,
    Other,
}

impl Kind {
    fn of(name: &str, ph: &str) -> Kind {
        match (name, ph) {
            ("Sample", "b") => Kind::SampleBegin,
            ("Token", "b") => Kind::TokenBegin,
            ("Token_Latency", "C") => Kind::TokenLatency,
            ("LastTrace", _) => Kind::LastTrace,
            _ => Kind::Other,
        }
    }
}

/// An event in the common shape (a flat object, plain strings, an `args`
/// object of scalars), read without serde: its length in bytes, the line
/// feeds in it, and its fields.
/// `None` for anything else, which the byte scanner and serde then handle
/// (see [`super::fastjson`]); serde's rules are kept: duplicate fields are
/// left to serde (an error there), `null` numbers are absent.
fn fast_event(b: &[u8]) -> Option<(usize, u64, EventFields<'_>)> {
    fn once<T>(slot: &mut Option<T>, v: Option<T>) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(v?);
        Some(())
    }
    let mut c = Cursor::new(b);
    c.eat(b'{')?;
    let (mut name, mut ph, mut ts, mut args) = (None, None, None, None);
    if !c.close_if(b'}') {
        loop {
            match c.key()? {
                b"name" => once(&mut name, c.string())?,
                b"ph" => once(&mut ph, c.string())?,
                b"ts" => once(&mut ts, c.lazy_num())?,
                b"args" => once(&mut args, fast_args(&mut c))?,
                _ => c.skip()?,
            }
            if !c.comma_or_close()? {
                break;
            }
        }
    }
    let [a0, a1, a2, a3]: [LazyNum<'_>; 4] = args.unwrap_or_default();
    Some((
        c.pos(),
        c.newlines,
        EventFields {
            name: name.unwrap_or(""),
            ph: ph.unwrap_or(""),
            nums: [ts.unwrap_or_default(), a0, a1, a2, a3],
        },
    ))
}

/// The `args` object of [`fast_event`]: `issue_start_ns`, `complete_ns`,
/// `issue_delay`, `issue_to_done`.
fn fast_args<'a>(c: &mut Cursor<'a>) -> Option<[LazyNum<'a>; 4]> {
    let mut out: [Option<LazyNum<'a>>; 4] = [None; 4];
    c.eat(b'{')?;
    if !c.close_if(b'}') {
        loop {
            let slot = match c.key()? {
                b"issue_start_ns" => 0,
                b"complete_ns" => 1,
                b"issue_delay" => 2,
                b"issue_to_done" => 3,
                _ => {
                    c.skip()?;
                    if !c.comma_or_close()? {
                        break;
                    }
                    continue;
                }
            };
            let cell = out.get_mut(slot)?;
            if cell.is_some() {
                return None;
            }
            *cell = Some(c.lazy_num()?);
            if !c.comma_or_close()? {
                break;
            }
        }
    }
    Some(out.map(Option::unwrap_or_default))
}

/// Finds the event objects of the event array in a byte stream.
#[derive(Default)]
struct Scanner {
    /// Current 1-based line.
    line: u64,
    /// Nesting depth (objects and arrays).
    depth: u32,
    /// Container kind (`{` or `[`) at depths 1 and 2: enough to tell the
    /// event array (the root array, or an array directly in the root
    /// object) from anything nested deeper.
    kinds: [u8; 2],
    in_string: bool,
    escaped: bool,
    /// The first non-blank byte of the file.
    first: Option<u8>,
    /// Depth of the event being read, and its first line.
    event: Option<(u32, u64)>,
    /// The event's bytes, up to [`MAX_EVENT`].
    buf: Vec<u8>,
    oversized: bool,
    /// Bytes outside any container that are not whitespace.
    stray: u64,
    first_stray_line: Option<u64>,
    /// Read every event through the byte scanner and serde (tests compare
    /// both paths).
    slow_only: bool,
    /// Shapes of the events read so far, for [`Self::fast`]: each with its
    /// name's counter and its kind.
    shapes: Shapes<(usize, Kind)>,
    /// Read without shapes (tests compare with and without).
    no_shapes: bool,
}

impl Scanner {
    fn run<R: BufRead>(&mut self, mut reader: R, agg: &mut TraceAggregator) -> io::Result<()> {
        self.line = 1;
        loop {
            let chunk = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            let n = chunk.len();
            let mut i = 0;
            while let Some(&b) = chunk.get(i) {
                if b == b'{' {
                    if let Some(len) = self.fast(chunk.get(i..).unwrap_or_default(), agg) {
                        i += len;
                        // The `,` and line feed before the next event, as
                        // `byte` would take them inside the event array.
                        while let Some(&c @ (b',' | b'\n' | b' ' | b'\r' | b'\t')) = chunk.get(i) {
                            self.line += u64::from(c == b'\n');
                            i += 1;
                        }
                        continue;
                    }
                }
                self.byte(b, agg);
                i += 1;
            }
            reader.consume(n);
        }
    }

    /// At a `{`: when it opens an event that lies whole in `rest` and
    /// [`fast_event`] reads it, account for it exactly as [`Self::byte`]
    /// would have byte by byte, and return its length. A valid event ends at
    /// the brace that balances its `{`, which is where the byte scanner
    /// would have ended it too.
    fn fast(&mut self, rest: &[u8], agg: &mut TraceAggregator) -> Option<usize> {
        if self.slow_only
            || self.in_string
            || self.event.is_some()
            || self.depth >= 3
            || self.kind_at(self.depth) != Some(b'[')
        {
            return None;
        }
        let bucket = if self.no_shapes {
            None
        } else {
            shapes::bucket(rest)
        };
        let mut raw: [&[u8]; FIELDS] = [&[]; FIELDS];
        let (len, newlines) = match bucket.and_then(|b| self.shapes.find(b, rest, &mut raw)) {
            Some(hit) => {
                if hit.len > MAX_EVENT {
                    return None;
                }
                // A field without a number in the shape is absent or `null`.
                let nums = raw.map(|r| match r {
                    [] => LazyNum::Ready(None),
                    r => LazyNum::Raw(r),
                });
                let (slot, kind) = *hit.data;
                agg.apply(slot, kind, &nums);
                (hit.len, hit.newlines)
            }
            None => {
                let (len, newlines, ev) = fast_event(rest)?;
                if len > MAX_EVENT {
                    return None;
                }
                let slot = agg.name_slot(ev.name);
                let kind = Kind::of(ev.name, ev.ph);
                if let Some(b) = bucket.filter(|_| self.shapes.wants_more()) {
                    let nums = ev.nums.map(|n| match n {
                        LazyNum::Raw(r) => Some(r),
                        LazyNum::Ready(_) => None,
                    });
                    if let Some(shape) = rest
                        .get(..len)
                        .and_then(|bytes| Shape::build(bytes, &nums, None, (slot, kind)))
                    {
                        self.shapes.insert(b, shape);
                    }
                }
                agg.apply(slot, kind, &ev.nums);
                (len, newlines)
            }
        };
        self.line += newlines;
        if let Some(slot) = self.kinds.get_mut(self.depth as usize) {
            *slot = b'{';
        }
        agg.events += 1;
        Some(len)
    }

    fn byte(&mut self, b: u8, agg: &mut TraceAggregator) {
        if b == b'\n' {
            self.line += 1;
        }
        if self.event.is_some() {
            if self.buf.len() < MAX_EVENT {
                self.buf.push(b);
            } else {
                self.oversized = true;
            }
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => {
                self.first.get_or_insert(b);
                let parent = self.kind_at(self.depth);
                self.depth = self.depth.saturating_add(1);
                if let Some(slot) = self.kinds.get_mut(self.depth as usize - 1) {
                    *slot = b;
                }
                if b == b'{' && self.event.is_none() && self.depth <= 3 && parent == Some(b'[') {
                    self.event = Some((self.depth, self.line));
                    self.buf.clear();
                    self.buf.push(b'{');
                    self.oversized = false;
                }
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    self.stray(b);
                    return;
                }
                if let Some((d, line)) = self.event {
                    if d == self.depth {
                        self.event = None;
                        if self.oversized {
                            agg.oversized += 1;
                        } else {
                            agg.event(&self.buf, line);
                        }
                    }
                }
                self.depth -= 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ if self.depth == 0 => self.stray(b),
            _ => {}
        }
    }

    fn kind_at(&self, depth: u32) -> Option<u8> {
        match depth {
            0 => None,
            d => self.kinds.get(d as usize - 1).copied(),
        }
    }

    fn stray(&mut self, b: u8) {
        self.first.get_or_insert(b);
        self.stray += 1;
        self.first_stray_line.get_or_insert(self.line);
    }
}

/// Everything kept while reading: all fixed-size except the capped name map.
#[derive(Default)]
struct TraceAggregator {
    events: u64,
    /// Event names and their counters in `counts`.
    names: BTreeMap<String, usize>,
    counts: Vec<u64>,
    samples: u64,
    latency: LogHistogram,
    ttft_events: LogHistogram,
    ttft_counters: LogHistogram,
    timeline: TimeBins,
    last_completion_us: Option<f64>,
    defective: u64,
    malformed: u64,
    first_malformed: Option<(u64, String)>,
    oversized: u64,
    last_trace: bool,
}

impl TraceAggregator {
    fn event(&mut self, bytes: &[u8], line: u64) {
        self.events += 1;
        let ev: Event<'_> = match serde_json::from_slice(bytes) {
            Ok(ev) => ev,
            Err(e) => {
                // LoadGen's doubled quotes: `"key":""loadgen_version""`.
                if memchr::memmem::find(bytes, b":\"\"").is_some() {
                    self.defective += 1;
                } else {
                    self.malformed += 1;
                    self.first_malformed
                        .get_or_insert_with(|| (line, json_error(&e)));
                }
                return;
            }
        };
        let args = ev.args.unwrap_or_default();
        let name = ev.name.as_deref().unwrap_or("");
        let nums = [
            ev.ts,
            args.issue_start_ns,
            args.complete_ns,
            args.issue_delay,
            args.issue_to_done,
        ]
        .map(LazyNum::Ready);
        let slot = self.name_slot(name);
        self.apply(slot, Kind::of(name, ev.ph.as_deref().unwrap_or("")), &nums);
    }

    /// Count one well-formed event into the aggregates: `slot` is its
    /// name's counter, `nums` its numbers (see [`EventFields::nums`]).
    fn apply(&mut self, slot: usize, kind: Kind, nums: &[LazyNum<'_>; FIELDS]) {
        if let Some(n) = self.counts.get_mut(slot) {
            *n += 1;
        }
        let num = |i: usize| nums.get(i).and_then(|n| n.get());
        match kind {
            Kind::SampleBegin => {
                self.samples += 1;
                let Some(complete) = num(COMPLETE_NS).filter(|v| v.is_finite()) else {
                    return;
                };
                self.latency.add(to_u64(complete));
                if let Some(ts) = num(TS).filter(|t| t.is_finite()) {
                    let issued = ts + num(ISSUE_START_NS).unwrap_or(0.0) / 1000.0;
                    let done = ts + complete / 1000.0;
                    self.timeline.add(issued, Series::Issued);
                    self.timeline.add(done, Series::Completed);
                    if self.last_completion_us.is_none_or(|l| done > l) {
                        self.last_completion_us = Some(done);
                    }
                }
            }
            Kind::TokenBegin => {
                if let Some(v) = num(COMPLETE_NS).filter(|v| v.is_finite()) {
                    self.ttft_events.add(to_u64(v));
                }
            }
            Kind::TokenLatency => {
                if let (Some(d), Some(t)) = (num(ISSUE_DELAY), num(ISSUE_TO_DONE)) {
                    if (d + t).is_finite() {
                        self.ttft_counters.add(to_u64(d + t));
                    }
                }
            }
            Kind::LastTrace => self.last_trace = true,
            Kind::Other => {}
        }
    }

    /// The counter of event name `name`: its own among the first
    /// [`MAX_NAMES`] names, [`OTHER_NAMES`]'s after. A name keeps its
    /// counter for the whole trace, so shapes can hold it.
    fn name_slot(&mut self, name: &str) -> usize {
        let name = match self.names.get(name) {
            Some(&slot) => return slot,
            None if self.names.len() < MAX_NAMES => name,
            None => OTHER_NAMES,
        };
        if let Some(&slot) = self.names.get(name) {
            return slot;
        }
        self.names.insert(name.to_string(), self.counts.len());
        self.counts.push(0);
        self.counts.len() - 1
    }

    fn finish(self, scan: &Scanner, path: &str, warnings: &mut Vec<ParseWarning>) -> LoadGenTrace {
        let layout = match scan.first {
            Some(b'{') => Some("traceEvents".to_string()),
            Some(b'[') => Some("array".to_string()),
            _ => None,
        };
        if let Some(first) = scan.first_stray_line {
            let what = if layout.is_none() {
                "not a trace-event file: it does not start with `{` or `[`; nothing read"
                    .to_string()
            } else {
                format!(
                    "{} byte(s) outside the trace's JSON were ignored",
                    scan.stray
                )
            };
            warnings.push(ParseWarning::new(path, Some(first), what));
        }
        if let Some((line, why)) = &self.first_malformed {
            warnings.push(ParseWarning::new(
                path,
                Some(*line),
                format!(
                    "{} trace event(s) are not valid JSON and were skipped; first: {}",
                    self.malformed,
                    cap_text(why, 160)
                ),
            ));
        }
        if self.oversized > 0 {
            warnings.push(ParseWarning::new(
                path,
                None,
                format!(
                    "{} trace event(s) longer than {} KiB were skipped",
                    self.oversized,
                    MAX_EVENT / 1024
                ),
            ));
        }
        if let Some((_, line)) = scan.event {
            warnings.push(ParseWarning::new(
                path,
                Some(line),
                "file ends inside this event: the trace is truncated",
            ));
        } else if scan.depth > 0 && self.events == 0 {
            // Found by the deep-nesting test: a file cut (or padded) before
            // its first event passed without a word. (LoadGen itself leaves
            // the event array unclosed; with events read, the `LastTrace`
            // check below speaks for truncation.)
            warnings.push(ParseWarning::new(
                path,
                Some(scan.line),
                format!(
                    "file ends with {} unclosed `[` or `{{` and no trace event: truncated, or not a trace",
                    scan.depth
                ),
            ));
        }
        if layout.is_some() && self.events > 0 && !self.last_trace {
            warnings.push(ParseWarning::new(
                path,
                Some(scan.line),
                "no `LastTrace` event: LoadGen did not finish writing the trace \
                 (run aborted or file truncated); statistics cover what was written",
            ));
        }
        let (ttft, ttft_source) = if self.ttft_events.count > 0 {
            (self.ttft_events.distribution(), Some("Token".to_string()))
        } else if self.ttft_counters.count > 0 {
            (
                self.ttft_counters.distribution(),
                Some("Token_Latency".to_string()),
            )
        } else {
            (None, None)
        };
        LoadGenTrace {
            layout,
            events: self.events,
            event_names: self
                .names
                .into_iter()
                .map(|(name, slot)| (name, self.counts.get(slot).copied().unwrap_or(0)))
                .collect(),
            samples: self.samples,
            latency: self.latency.distribution(),
            ttft,
            ttft_source,
            timeline: self.timeline.output(),
            last_completion_s: self.last_completion_us.map(|us| (us / 1e3).round() / 1e3),
            defective_events: self.defective,
            malformed_events: self.malformed,
            oversized_events: self.oversized,
            complete: self.last_trace,
        }
    }

    /// Entries held in growable collections, for the bounded-memory test.
    #[cfg(test)]
    fn heap_items(&self) -> usize {
        self.names.len()
    }
}

/// serde_json's message without "at line 1": an event is usually one line,
/// whose number the warning already gives.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) if e.line() == 1 => format!(
            "{} (column {})",
            text.get(..at).unwrap_or(&text),
            e.column()
        ),
        _ => text,
    }
}

/// A float count (nanoseconds, microseconds) as a non-negative integer,
/// saturating; NaN and negatives become 0.
fn to_u64(v: f64) -> u64 {
    if v <= 0.0 {
        0
    } else if v >= u64::MAX as f64 {
        u64::MAX
    } else {
        // `v.round() as u64` without the library call (it is not inlined
        // on baseline x86-64, and runs several times per sample): the
        // fraction `v - trunc(v)` is exact for every `f64`, and rounding
        // half away from zero is `trunc + (fraction >= 0.5)`. NaN gives 0
        // either way.
        let int = v as u64;
        int.saturating_add(u64::from(v - int as f64 >= 0.5))
    }
}

/// Sub-buckets per power of two (as a shift): 16, so a bucket is at most
/// 1/16 of its lower bound wide and its midpoint within ±3.2 % of any value
/// in it.
const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
/// Values below [`SUB`] get a bucket each; above, 16 per power of two up to
/// 2^64.
const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);

/// A fixed-memory log-linear histogram of `u64` values (HDR-style: integer
/// arithmetic only, so results do not depend on the platform's `log2`).
struct LogHistogram {
    counts: Box<[u64; BUCKETS]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    /// Welford's running mean and sum of squared deviations, for the
    /// standard deviation in one pass without the cancellation of
    /// `Σx² − n·mean²`.
    mean: f64,
    m2: f64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }
}

impl LogHistogram {
    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let octave = 63 - v.leading_zeros();
        let sub = (v >> (octave - SUB_BITS)) & (SUB - 1);
        ((octave - SUB_BITS + 1) as usize) * SUB as usize + sub as usize
    }

    /// Inclusive lower bound of bucket `i`.
    fn lower(i: usize) -> u64 {
        let s = SUB as usize;
        if i < s {
            return i as u64;
        }
        let octave = (i / s) as u32 + SUB_BITS - 1;
        let sub = (i % s) as u64;
        (SUB + sub) << (octave - SUB_BITS)
    }

    /// Exclusive upper bound of bucket `i` (saturating at `u64::MAX`).
    fn upper(i: usize) -> u64 {
        if i + 1 >= BUCKETS {
            u64::MAX
        } else {
            Self::lower(i + 1)
        }
    }

    fn add(&mut self, v: u64) {
        if let Some(c) = self.counts.get_mut(Self::index(v)) {
            *c += 1;
        }
        self.count += 1;
        self.sum += u128::from(v);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let x = v as f64;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Population standard deviation, rounded to the nanosecond.
    fn stddev(&self) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let var = (self.m2 / self.count as f64).max(0.0);
        to_u64(var.sqrt())
    }

    /// Every non-empty bucket at full resolution.
    fn fine_buckets(&self) -> Vec<HistogramBucket> {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &count)| HistogramBucket {
                lower_ns: Self::lower(i),
                upper_ns: Self::upper(i),
                count,
            })
            .collect()
    }

    /// Nearest-rank percentile estimate: the bucket holding the rank, its
    /// range narrowed to the exact min and max, and the rank's position
    /// among the bucket's values interpolated linearly across that range
    /// (so a run whose values share one bucket still gets p99 near its max).
    fn percentile(&self, p: f64) -> u64 {
        let rank = ((p * self.count as f64).ceil() as u64).clamp(1, self.count.max(1));
        let mut before = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 && before + c >= rank {
                let lo = Self::lower(i).max(self.min);
                let hi = Self::upper(i).saturating_sub(1).min(self.max).max(lo);
                let frac = ((rank - before) as f64 - 0.5) / c as f64;
                let est = lo as f64 + (hi - lo) as f64 * frac;
                return (est.round() as u64).clamp(lo, hi);
            }
            before += c;
        }
        self.max
    }

    fn distribution(&self) -> Option<Distribution> {
        if self.count == 0 {
            return None;
        }
        Some(Distribution {
            count: self.count,
            min_ns: self.min,
            max_ns: self.max,
            mean_ns: ((self.sum + u128::from(self.count / 2)) / u128::from(self.count)) as u64,
            stddev_ns: self.stddev(),
            p50_ns: self.percentile(0.50),
            p90_ns: self.percentile(0.90),
            p99_ns: self.percentile(0.99),
            buckets: self.chart_buckets(),
            fine_buckets: self.fine_buckets(),
        })
    }

    /// Non-empty buckets, merged in aligned groups of 1, 2, 4, … until at
    /// most [`CHART_BUCKETS_MAX`] remain.
    fn chart_buckets(&self) -> Vec<HistogramBucket> {
        let mut group = 1usize;
        loop {
            let mut out: Vec<HistogramBucket> = Vec::new();
            for (g, chunk) in self.counts.chunks(group).enumerate() {
                let count: u64 = chunk.iter().sum();
                if count > 0 {
                    let first = g * group;
                    out.push(HistogramBucket {
                        lower_ns: Self::lower(first),
                        upper_ns: Self::upper(first + chunk.len() - 1),
                        count,
                    });
                }
            }
            if out.len() <= CHART_BUCKETS_MAX || group >= BUCKETS {
                return out;
            }
            group *= 2;
        }
    }
}

#[derive(Clone, Copy)]
enum Series {
    Issued,
    Completed,
}

/// [`TIMELINE_BINS`] bins from time 0 whose width doubles (merging pairs)
/// whenever a time falls past the last bin. Binning is then identical to
/// binning with the final width from the start, whatever the event order.
struct TimeBins {
    width_us: u64,
    issued: [u64; TIMELINE_BINS],
    completed: [u64; TIMELINE_BINS],
    any: bool,
}

impl Default for TimeBins {
    fn default() -> Self {
        TimeBins {
            width_us: FIRST_BIN_US,
            issued: [0; TIMELINE_BINS],
            completed: [0; TIMELINE_BINS],
            any: false,
        }
    }
}

impl TimeBins {
    fn add(&mut self, t_us: f64, series: Series) {
        // Times before the origin (clock skew between threads) go to bin 0.
        let t = to_u64(t_us);
        let mut i = t / self.width_us;
        while i >= TIMELINE_BINS as u64 {
            self.double();
            i = t / self.width_us;
        }
        let i = i as usize;
        let bins = match series {
            Series::Issued => &mut self.issued,
            Series::Completed => &mut self.completed,
        };
        if let Some(b) = bins.get_mut(i) {
            *b += 1;
        }
        self.any = true;
    }

    fn double(&mut self) {
        for bins in [&mut self.issued, &mut self.completed] {
            for i in 0..TIMELINE_BINS / 2 {
                bins[i] = bins[2 * i] + bins[2 * i + 1];
            }
            for b in bins.iter_mut().skip(TIMELINE_BINS / 2) {
                *b = 0;
            }
        }
        self.width_us = self.width_us.saturating_mul(2);
    }

    fn output(&self) -> Option<TraceTimeline> {
        if !self.any {
            return None;
        }
        let used = (0..TIMELINE_BINS)
            .rev()
            .find(|&i| self.issued[i] > 0 || self.completed[i] > 0)
            .map_or(0, |i| i + 1);
        Some(TraceTimeline {
            bin_us: self.width_us,
            issued: self.issued[..used].to_vec(),
            completed: self.completed[..used].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trace in LoadGen's real shape: one event per line, doubled-quote
    /// `LogDetail` events, `Sample` begin/end pairs, `LastTrace`.
    fn synthetic(samples: u64, token: bool) -> String {
        let mut s = String::from("{\"traceEvents\":[\n");
        s.push_str("{\"name\":\"GenerateQueries\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":18.9,\"dur\":7.5,\"args\":{}},\n");
        for i in 0..samples {
            let ts = 100.0 + i as f64 * 10_000.0;
            let lat = 5_000_000 + (i % 100) * 100_000;
            s.push_str(&format!(
                "{{\"name\":\"Sample\",\"cat\":\"default\",\"ph\":\"b\",\"pid\":1,\"id\":{i},\"ts\":{ts:.3},\"args\":{{\"sample_seq\":{i},\"query_seq\":{i},\"sample_idx\":{},\"issue_start_ns\":170,\"complete_ns\":{lat}}}}},\n",
                i % 64
            ));
            s.push_str(&format!(
                "{{\"name\":\"Sample\",\"cat\":\"default\",\"ph\":\"e\", \"pid\":1,\"id\":{i},\"ts\":{:.3}}},\n",
                ts + lat as f64 / 1000.0
            ));
            if token {
                s.push_str(&format!(
                    "{{\"name\":\"Token_Latency\",\"ph\": \"C\",\"pid\":1,\"ts\":{ts:.3},\"args\":{{ \"issue_delay\":190,\"issue_to_done\":{}}}}},\n",
                    lat / 2
                ));
            }
            if i % 1000 == 0 {
                s.push_str("{\"name\":\"LogDetail\",\"ph\":\"X\",\"pid\":1,\"tid\":9,\"ts\":1.0,\"dur\":0.5,\"args\":{\"key\":\"\"loadgen_version\"\"}},\n");
            }
        }
        s.push_str("{\"name\":\"LastTrace\"}\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\n\"ts\":1.0,\n\"version\":\"MLPerf LoadGen v1.0\"\n}\n}\n");
        s
    }

    fn run(text: &str) -> (TraceAggregator, Scanner) {
        let mut agg = TraceAggregator::default();
        let mut scan = Scanner::default();
        scan.run(io::BufReader::with_capacity(64, text.as_bytes()), &mut agg)
            .unwrap();
        (agg, scan)
    }

    #[test]
    fn reads_loadgen_shape_and_skips_the_doubled_quote_defect() {
        let p = parse("t.json", synthetic(200, true).as_bytes());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let t = p.value;
        assert_eq!(t.layout.as_deref(), Some("traceEvents"));
        assert_eq!(t.samples, 200);
        assert_eq!(t.defective_events, 1);
        assert_eq!(t.malformed_events, 0);
        assert!(t.complete);
        let lat = t.latency.unwrap();
        assert_eq!(
            (lat.count, lat.min_ns, lat.max_ns),
            (200, 5_000_000, 14_900_000)
        );
        // True p50 is 9.9 ms (nearest rank 100 of 200); the estimate is within 3.2 %.
        assert!(
            (lat.p50_ns as f64 / 9_900_000.0 - 1.0).abs() < 0.032,
            "{}",
            lat.p50_ns
        );
        assert_eq!(t.ttft_source.as_deref(), Some("Token_Latency"));
        assert_eq!(t.ttft.unwrap().min_ns, 2_500_190);
        let tl = t.timeline.unwrap();
        assert!(tl.issued.len() <= TIMELINE_BINS);
        assert_eq!(tl.issued.iter().sum::<u64>(), 200);
        assert_eq!(tl.completed.iter().sum::<u64>(), 200);
        // Other-data objects are not events.
        assert_eq!(t.event_names.get("Sample"), Some(&400));
        assert!(!t.event_names.contains_key("version"));
    }

    /// A trace read through the fast path with shapes, through the fast
    /// path without shapes, and through the byte scanner and serde alone,
    /// with the buffer size given.
    fn three_ways(text: &[u8], cap: usize) -> [Parsed<LoadGenTrace>; 3] {
        let read = |slow_only, no_shapes| {
            let mut agg = TraceAggregator::default();
            let mut scan = Scanner {
                slow_only,
                no_shapes,
                ..Scanner::default()
            };
            scan.run(io::BufReader::with_capacity(cap, text), &mut agg)
                .unwrap();
            let mut warnings = Vec::new();
            let value = agg.finish(&scan, "t.json", &mut warnings);
            Parsed { value, warnings }
        };
        [read(false, false), read(false, true), read(true, true)]
    }

    #[test]
    fn fast_path_reads_like_serde() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/loadgen");
        for dir in std::fs::read_dir(root).unwrap() {
            if let Ok(b) = std::fs::read(dir.unwrap().path().join("mlperf_log_trace.json")) {
                inputs.push(b);
            }
        }
        assert!(inputs.len() >= 2);
        inputs.push(synthetic(300, true).into_bytes());
        // Hand-made: every way an event can leave the common shape.
        let odd = [
            r#"{"name":"Sample","ph":"b","ts":1.5,"args":{"complete_ns":1e400}},"#,
            r#"{"name":"Sample","ph":"b","ts":1e999,"args":{"complete_ns":100}},"#,
            r#"{"name":"Sample","ph":"b","ts":null,"args":{"complete_ns":100,"issue_start_ns":null}},"#,
            r#"{"name":"Sample","ph":"b","ts":2,"ts":3,"args":{"complete_ns":100}},"#,
            r#"{"name":"Sample","ph":"b","ts":2,"args":{"complete_ns":100,"complete_ns":5}},"#,
            r#"{"name":"Sa\"mple","ph":"b","ts":2,"args":{}},"#,
            r#"{"name":"Sample","ph":"b","ts":"2","args":{"complete_ns":100}},"#,
            r#"{"name":null,"ph":"b","args":null},"#,
            r#"{"name":"Token","ph":"b","ts":2,"args":{"complete_ns":-7}},"#,
            r#"{"name":"Token_Latency","ph":"C","args":{"issue_delay":18446744073709551616,"issue_to_done":1.25}},"#,
            r#"{"name":"x","ph":"X","args":{"nested":{"a":[1,{"b":2}]},"s":"é"}},"#,
            r#"{},{"name":"Sample"},"#,
            r#"{"name":"LogDetail","args":{"key":""loadgen_version""}},"#,
            r#"{"name":"bad" "ph":"X"},"#,
            r#"{"name":"Sample","ph":"b","ts":0.1,"args":{"complete_ns":123456789012345678}},"#,
        ];
        // One event a line, between LoadGen's header and `LastTrace`.
        let trace_of = |events: &[&str]| {
            let mut t = String::from("{\"traceEvents\":[\n");
            for line in events {
                t.push_str(line);
                t.push('\n');
            }
            t.push_str("{\"name\":\"LastTrace\"}\n]}\n");
            t.into_bytes()
        };
        inputs.push(trace_of(&odd));
        // Hand-made: events that start like an earlier event's shape and
        // leave it somewhere (each line after the first two).
        let shaped = [
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1.5,"args":{"issue_start_ns":5,"complete_ns":100}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":2.5,"args":{"issue_start_ns":-5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":2e5,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":01,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1.,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":null,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":"1","args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1 ,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1e1,"ts":1,"args":{"issue_start_ns":5,"complete_ns":200}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1,"args":{"issue_start_ns":5,"complete_ns":200,}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1,"args":{"issue_start_ns":5,"complete_ns":2000000000000000000000000000}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":1,"args":{"issue_start_ns":5,"complete_ns":200}}"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":3,"args":{"issue_start_ns":5,"complete_ns":300}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":3,"args":{"issue_start_ns":5,"complete_ns":300}}}"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":4,"args":{"issue_start_ns":5,"complete_ns":400}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":4,"args":{"issue_start_ns":5,"complete_ns":400},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":5,"args":{"issue_start_ns":5,"complete_ns":500}},"#,
            r#"{"name":"Sample","ph":"b","pid":1,"ts":6,"args":{"issue_start_ns":5,"complete_ns":600}},"#,
        ];
        inputs.push(trace_of(&shaped));
        inputs.push(b"[{\"name\":\"Sa\"mple\",\"ph\":\"b\"},\n{\"name\":\"Sample\"}\n]".to_vec());
        let minified = synthetic(50, false).replace('\n', "");
        inputs.push(format!("[{}", &minified[minified.find('[').unwrap() + 1..]).into_bytes());
        for input in &inputs {
            for cap in [64, 1000, 64 * 1024] {
                let [shaped, fast, slow] = three_ways(input, cap);
                assert_eq!(fast, slow, "buffer {cap}");
                assert_eq!(shaped, slow, "buffer {cap}");
            }
        }
    }

    #[test]
    fn memory_does_not_grow_with_the_trace() {
        // 50k samples = ~150k events; aggregates must be the same size as
        // after 1k samples (name map, buffer capacity) or fixed by type.
        let (small, small_scan) = run(&synthetic(1_000, true));
        let (big, big_scan) = run(&synthetic(50_000, true));
        assert_eq!(big.samples, 50_000);
        assert!(big.events >= 150_000);
        assert_eq!(small.heap_items(), big.heap_items());
        assert_eq!(small_scan.buf.capacity(), big_scan.buf.capacity());
        assert!(big_scan.buf.capacity() <= MAX_EVENT * 2);
        // Shapes need whole events in the buffer, so a real-sized one here.
        let shapes = |text: &str| {
            let mut scan = Scanner::default();
            let reader = io::BufReader::with_capacity(64 * 1024, text.as_bytes());
            scan.run(reader, &mut TraceAggregator::default()).unwrap();
            (scan.shapes.len(), scan.shapes.hits())
        };
        let (few, _) = shapes(&synthetic(1_000, true));
        let (many, hits) = shapes(&synthetic(50_000, true));
        assert!(few > 0);
        assert_eq!(few, many);
        // Nearly every event matched a shape.
        assert!(hits > 149_000, "{hits}");
        let t = big.finish(&big_scan, "t", &mut Vec::new());
        let tl = t.timeline.unwrap();
        assert!(tl.issued.len() <= TIMELINE_BINS && tl.completed.len() <= TIMELINE_BINS);
        assert!(t.latency.unwrap().buckets.len() <= CHART_BUCKETS_MAX);
    }

    #[test]
    fn many_distinct_names_are_capped() {
        let mut s = String::from("[");
        for i in 0..1000 {
            s.push_str(&format!("{{\"name\":\"n{i}\",\"ph\":\"i\",\"ts\":1}},"));
        }
        let p = parse("t.json", s.as_bytes());
        assert_eq!(p.value.layout.as_deref(), Some("array"));
        assert_eq!(p.value.events, 1000);
        assert_eq!(p.value.event_names.len(), MAX_NAMES + 1);
        assert_eq!(
            p.value.event_names.get(OTHER_NAMES),
            Some(&(1000 - MAX_NAMES as u64))
        );
    }

    #[test]
    fn minified_array_without_closing_bracket_reads_alike() {
        let s = "[{\"name\":\"Sample\",\"ph\":\"b\",\"ts\":0,\"args\":{\"complete_ns\":1000}},{\"name\":\"LastTrace\"}";
        let p = parse("t.json", s.as_bytes());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.value.samples, 1);
        assert!(p.value.complete);
    }

    #[test]
    fn truncated_trace_warns_with_the_line() {
        let full = synthetic(10, false);
        let cut = &full[..full.len() / 2];
        let p = parse("t.json", cut.as_bytes());
        let msgs: Vec<String> = p.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("ends inside this event")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("no `LastTrace`")),
            "{msgs:?}"
        );
        assert!(!p.value.complete);
    }

    #[test]
    fn garbage_is_not_a_trace() {
        let p = parse("t.json", &b"hello world\n"[..]);
        assert_eq!(p.value.events, 0);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("not a trace-event file"));
        assert!(parse("t.json", &b""[..]).warnings.is_empty());
    }

    #[test]
    fn standard_deviation_and_counts_under_a_limit() {
        // 5.0, 5.1, …, 14.9 ms, each twice: the synthetic trace's latencies.
        let t = parse("t.json", synthetic(200, false).as_bytes()).value;
        let lat = t.latency.unwrap();
        let xs: Vec<f64> = (0..200u64)
            .map(|i| (5_000_000 + (i % 100) * 100_000) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / 200.0;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 200.0).sqrt();
        assert_eq!(lat.stddev_ns, sd.round() as u64);
        assert_eq!(lat.fine_buckets.iter().map(|b| b.count).sum::<u64>(), 200);
        // Exact outside the range of values.
        let all = lat.count_within(lat.max_ns).unwrap();
        assert_eq!((all.at_least, all.at_most), (200, 200));
        assert_eq!(lat.count_within(lat.min_ns - 1).unwrap().at_most, 0);
        // 10 ms: 102 values (5.0 … 10.0 ms, each twice) are within; the
        // bounds hold that and differ by one bucket's values.
        let w = lat.count_within(10_000_000).unwrap();
        assert!(w.at_least <= 102 && 102 <= w.at_most, "{w:?}");
        assert!(w.at_least as f64 <= w.estimate && w.estimate <= w.at_most as f64);
        assert!((w.estimate - 102.0).abs() <= 8.0, "{w:?}");
    }

    #[test]
    fn histogram_buckets_are_contiguous_and_cover_u64() {
        for v in [0u64, 1, 15, 16, 17, 31, 32, 1000, 123_456_789, u64::MAX] {
            let i = LogHistogram::index(v);
            assert!(LogHistogram::lower(i) <= v, "{v}");
            assert!(v < LogHistogram::upper(i) || v == u64::MAX, "{v}");
        }
        for i in 0..BUCKETS - 1 {
            assert_eq!(LogHistogram::upper(i), LogHistogram::lower(i + 1));
        }
    }

    #[test]
    fn to_u64_rounds_like_round() {
        let reference = |v: f64| {
            if v <= 0.0 {
                0
            } else if v >= u64::MAX as f64 {
                u64::MAX
            } else {
                v.round() as u64
            }
        };
        let mut values = vec![
            f64::NAN,
            f64::INFINITY,
            -0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            18446744073709549568.0,
            1e30,
        ];
        let mut x: u64 = 7;
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push(f64::from_bits(x >> 1));
            values.push((x >> 11) as f64 / 1024.0);
        }
        for v in values {
            assert_eq!(to_u64(v), reference(v), "{v:e}");
        }
    }

    #[test]
    fn timeline_doubling_equals_direct_binning() {
        let mut tb = TimeBins::default();
        let times: Vec<f64> = (0..500).map(|i| (i * 7919 % 1_000_000) as f64).collect();
        for &t in &times {
            tb.add(t, Series::Completed);
        }
        let out = tb.output().unwrap();
        let mut direct = vec![0u64; out.completed.len()];
        for &t in &times {
            direct[(t as u64 / out.bin_us) as usize] += 1;
        }
        assert_eq!(out.completed, direct);
        assert!(out.completed.len() <= TIMELINE_BINS);
    }

    #[test]
    fn sniffs_trace_heads() {
        assert!(sniff(
            b"{\"traceEvents\":[\n{\"name\":\"GenerateLoadableSets\""
        ));
        assert!(sniff(b"[{\"name\":\"x\",\"ph\":\"X\",\"ts\":1}"));
        assert!(!sniff(
            b"[\n{ \"seq_id\" : 0, \"qsl_idx\" : 1, \"data\" : \"00\" }"
        ));
        assert!(!sniff(b"{\"plays\": []}"));
    }
}
