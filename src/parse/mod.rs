//! Parse stage: one streaming parser per artifact kind.
//!
//! Every parser reads its file once, front to back, through a bounded
//! [`lines::LineReader`] or a streaming deserializer, and returns a bounded
//! aggregate from [`crate::model`]. Text that rules should see (log lines,
//! LoadGen errors, harness messages) is pushed into a [`LineSink`] as it is
//! read, so no log is ever held in memory. Nothing here panics on bad input:
//! problems become [`ParseWarning`]s naming the file and line.

pub mod accuracy_result;
pub mod ansible;
pub mod dcgm;
pub(crate) mod fastjson;
pub mod json_lines;
pub mod kernel_log;
pub mod kubectl;
pub mod lines;
pub mod loadgen_accuracy;
pub mod loadgen_config;
pub mod loadgen_detail;
pub mod loadgen_summary;
pub mod loadgen_trace;
pub mod nvidia_smi_csv;
pub mod nvidia_smi_text;
pub mod nvidia_smi_xml;
pub mod run_record;
pub(crate) mod shapes;
pub mod software;
pub mod step_log;
pub mod submission;
pub mod training;
pub mod verify;

use crate::model::{ParseWarning, Stream};

/// Where a line handed to a [`LineSink`] came from.
#[derive(Debug, Clone, Copy)]
pub struct LineOrigin<'a> {
    /// Path relative to the artifacts root.
    pub path: &'a str,
    /// 1-based line in `path`.
    pub line: u64,
    /// Node, when known.
    pub node: Option<&'a str>,
    /// Harness step, when known.
    pub step: Option<&'a str>,
    /// Which stream.
    pub stream: Stream,
    /// Extra position inside a structured file (`stderr line 3`), when the
    /// text is embedded in a JSON string rather than being a file line.
    pub locator: Option<&'a str>,
}

/// Receives log text while parsers stream through files. The classifier is
/// the production sink; tests use [`NullSink`] or a collecting sink.
pub trait LineSink {
    /// One line of text (no trailing newline; may be lossily decoded).
    fn line(&mut self, origin: &LineOrigin<'_>, text: &str);
}

/// A sink that drops everything.
#[derive(Debug, Default)]
pub struct NullSink;

impl LineSink for NullSink {
    fn line(&mut self, _origin: &LineOrigin<'_>, _text: &str) {}
}

/// A sink that keeps every line; for tests only (unbounded).
#[derive(Debug, Default)]
pub struct CollectSink {
    /// (path, line, node, step, text).
    #[allow(
        clippy::type_complexity,
        reason = "a test helper; a tuple keeps assertions short"
    )]
    pub lines: Vec<(String, u64, Option<String>, Option<String>, String)>,
}

impl LineSink for CollectSink {
    fn line(&mut self, o: &LineOrigin<'_>, text: &str) {
        self.lines.push((
            o.path.to_string(),
            o.line,
            o.node.map(str::to_string),
            o.step.map(str::to_string),
            text.to_string(),
        ));
    }
}

/// A parser's result: the aggregate and the warnings met on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// What was read (possibly partial when the file was bad).
    pub value: T,
    /// Problems met, each naming the file and line.
    pub warnings: Vec<ParseWarning>,
}

impl<T> Parsed<T> {
    /// A result with no warnings.
    pub fn clean(value: T) -> Self {
        Parsed {
            value,
            warnings: Vec::new(),
        }
    }
}
