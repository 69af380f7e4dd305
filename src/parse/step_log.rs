//! A step's `stdout.log` / `stderr.log`: every line goes to the sink, tagged
//! with the node and step taken from the path; only counts are kept.

use std::io::BufRead;

use super::lines::LineReader;
use super::{LineOrigin, LineSink, Parsed};
use crate::model::{StepLog, Stream};

/// Stream `reader` into `sink`.
pub fn parse<R: BufRead>(
    path: &str,
    reader: R,
    node: Option<&str>,
    step: Option<&str>,
    stream: Stream,
    sink: &mut dyn LineSink,
) -> Parsed<StepLog> {
    let mut lines = LineReader::new(reader);
    let mut warnings = Vec::new();
    loop {
        match lines.next_line() {
            Ok(Some(line)) => {
                let origin = LineOrigin {
                    path,
                    line: line.number,
                    node,
                    step,
                    stream,
                    locator: None,
                };
                sink.line(&origin, line.text);
            }
            Ok(None) => break,
            Err(e) => {
                warnings.push(lines.read_failed(path, &e));
                break;
            }
        }
    }
    warnings.extend(lines.warnings(path));
    Parsed {
        value: StepLog {
            lines: lines.lines_read(),
            bytes: lines.bytes_read(),
            long_lines: lines.long_lines,
        },
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CollectSink;

    #[test]
    fn every_line_reaches_the_sink_with_its_context() {
        let mut sink = CollectSink::default();
        let p = parse(
            "nodes/a/steps/s/stderr.log",
            &b"one\ntwo\n"[..],
            Some("a"),
            Some("s"),
            Stream::Stderr,
            &mut sink,
        );
        assert_eq!(p.value.lines, 2);
        assert_eq!(sink.lines[1].1, 2);
        assert_eq!(sink.lines[1].2.as_deref(), Some("a"));
        assert_eq!(sink.lines[1].4, "two");
    }
}
