//! A bounded line reader shared by every text parser.
//!
//! `BufRead::read_line` grows its buffer to the longest line, so a 200 MB
//! single-line file would need 200 MB. This reader keeps at most
//! [`MAX_LINE`] bytes of any line, skips the rest (counting it), decodes
//! invalid UTF-8 lossily (and says so once), and strips `\r\n`.

use std::io::{self, BufRead};

/// Longest line kept, in bytes. Longer lines are cut here and the cut is
/// counted, so memory stays flat whatever the input.
pub const MAX_LINE: usize = 64 * 1024;

/// One line as handed out by [`LineReader::next_line`].
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The text (lossily decoded, `\r\n` stripped, capped at [`MAX_LINE`]).
    pub text: &'a str,
    /// True when the line was longer than [`MAX_LINE`] and was cut.
    pub truncated: bool,
}

/// Streams lines from any `BufRead` with a fixed memory bound.
pub struct LineReader<R> {
    inner: R,
    raw: Vec<u8>,
    text: String,
    /// Bytes of `inner`'s buffer handed out as the last line, consumed at
    /// the start of the next call.
    pending: usize,
    number: u64,
    bytes: u64,
    /// Lines that were cut at [`MAX_LINE`].
    pub long_lines: u64,
    /// First line that was cut at [`MAX_LINE`].
    pub first_long_line: Option<u64>,
    /// Lines that were not valid UTF-8.
    pub invalid_utf8_lines: u64,
    /// First line that was not valid UTF-8.
    pub first_invalid_utf8: Option<u64>,
    /// Lines containing NUL bytes.
    pub nul_lines: u64,
    /// First line containing a NUL byte.
    pub first_nul_line: Option<u64>,
}

impl<R: BufRead> LineReader<R> {
    /// Wrap a reader.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            raw: Vec::with_capacity(256),
            text: String::new(),
            pending: 0,
            number: 0,
            bytes: 0,
            long_lines: 0,
            first_long_line: None,
            invalid_utf8_lines: 0,
            first_invalid_utf8: None,
            nul_lines: 0,
            first_nul_line: None,
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Lines handed out so far.
    pub fn lines_read(&self) -> u64 {
        self.number
    }

    /// The next line, or `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        if self.pending > 0 {
            self.inner.consume(self.pending);
            self.pending = 0;
        }
        let newline = {
            let buf = fill(&mut self.inner)?;
            if buf.is_empty() {
                return Ok(None);
            }
            memchr::memchr(b'\n', buf)
        };
        match newline {
            Some(at) => self.buffered_line(at),
            None => self.assemble(),
        }
    }

    /// The common case: the whole line is in the reader's buffer, ending at
    /// `at`. It is handed out without copying (when it is valid UTF-8) and
    /// consumed on the next call; copying every line twice was a measurable
    /// share of parsing time on large logs.
    fn buffered_line(&mut self, at: usize) -> io::Result<Option<Line<'_>>> {
        // `fill_buf` on a non-empty buffer returns the same bytes again
        // without reading (the `BufRead` contract).
        let buf = fill(&mut self.inner)?;
        let mut line = buf.get(..at).unwrap_or(buf);
        self.pending = at + 1;
        self.bytes += at as u64 + 1;
        self.number += 1;
        let truncated = line.len() > MAX_LINE;
        if truncated {
            self.long_lines += 1;
            self.first_long_line.get_or_insert(self.number);
            line = line.get(..MAX_LINE).unwrap_or(line);
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        if memchr::memchr(0, line).is_some() {
            self.nul_lines += 1;
            self.first_nul_line.get_or_insert(self.number);
        }
        let text = match std::str::from_utf8(line) {
            Ok(s) => s,
            Err(_) => {
                self.invalid_utf8_lines += 1;
                self.first_invalid_utf8.get_or_insert(self.number);
                self.text.clear();
                self.text.push_str(&String::from_utf8_lossy(line));
                &self.text
            }
        };
        Ok(Some(Line {
            number: self.number,
            text,
            truncated,
        }))
    }

    /// A line that runs past the end of the reader's buffer: copied piece by
    /// piece into `raw`, keeping at most [`MAX_LINE`] bytes.
    fn assemble(&mut self) -> io::Result<Option<Line<'_>>> {
        self.raw.clear();
        let mut truncated = false;
        let mut saw_any = false;
        loop {
            let buf = fill(&mut self.inner)?;
            if buf.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, consumed, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.raw.len());
            if chunk.len() > room {
                truncated = true;
            }
            self.raw.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.inner.consume(consumed);
            self.bytes += consumed as u64;
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.number += 1;
        if truncated {
            self.long_lines += 1;
            self.first_long_line.get_or_insert(self.number);
        }
        if self.raw.last() == Some(&b'\r') {
            self.raw.pop();
        }
        if memchr::memchr(0, &self.raw).is_some() {
            self.nul_lines += 1;
            self.first_nul_line.get_or_insert(self.number);
        }
        self.text.clear();
        match std::str::from_utf8(&self.raw) {
            Ok(s) => self.text.push_str(s),
            Err(_) => {
                self.invalid_utf8_lines += 1;
                self.first_invalid_utf8.get_or_insert(self.number);
                self.text.push_str(&String::from_utf8_lossy(&self.raw));
            }
        }
        Ok(Some(Line {
            number: self.number,
            text: &self.text,
            truncated,
        }))
    }

    /// The warning for a read error: it names the line that could not be
    /// read, and says the rest of the file was skipped.
    pub fn read_failed(&self, path: &str, err: &io::Error) -> crate::model::ParseWarning {
        crate::model::ParseWarning::new(
            path,
            Some(self.number + 1),
            format!("read failed, rest of file skipped: {err}"),
        )
    }

    /// Warnings about what this reader had to do to the input (cut lines,
    /// lossy decoding, NUL bytes), naming `path` and the first line affected,
    /// so a reader can find it.
    pub fn warnings(&self, path: &str) -> Vec<crate::model::ParseWarning> {
        let mut out = Vec::new();
        if self.long_lines > 0 {
            out.push(crate::model::ParseWarning::new(
                path,
                self.first_long_line,
                format!(
                    "{} line(s) longer than {} KiB were cut to that length",
                    self.long_lines,
                    MAX_LINE / 1024
                ),
            ));
        }
        if let Some(first) = self.first_invalid_utf8 {
            out.push(crate::model::ParseWarning::new(
                path,
                Some(first),
                format!(
                    "{} line(s) are not valid UTF-8; invalid bytes were replaced with U+FFFD",
                    self.invalid_utf8_lines
                ),
            ));
        }
        if self.nul_lines > 0 {
            out.push(crate::model::ParseWarning::new(
                path,
                self.first_nul_line,
                format!("{} line(s) contain NUL bytes", self.nul_lines),
            ));
        }
        out
    }
}

/// `fill_buf`, retried when interrupted. (The second call returns the
/// bytes the first one buffered; returning the first borrow from inside the
/// loop is not accepted by the borrow checker.)
fn fill<R: BufRead>(r: &mut R) -> io::Result<&[u8]> {
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    r.fill_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> (Vec<(u64, String, bool)>, u64) {
        let mut r = LineReader::new(io::BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.number, l.text.to_string(), l.truncated));
        }
        (out, r.invalid_utf8_lines)
    }

    #[test]
    fn splits_lines_across_small_buffers_and_strips_crlf() {
        let (lines, _) = collect(b"alpha\r\nbeta\n\ngamma");
        let texts: Vec<_> = lines.iter().map(|l| l.1.as_str()).collect();
        assert_eq!(texts, ["alpha", "beta", "", "gamma"]);
        assert_eq!(lines[3].0, 4);
    }

    #[test]
    fn caps_long_lines_and_keeps_counting() {
        let mut input = vec![b'x'; MAX_LINE * 3];
        input.extend_from_slice(b"\nnext\n");
        let (lines, _) = collect(&input);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].1.len(), MAX_LINE);
        assert!(lines[0].2);
        assert_eq!(lines[1].1, "next");
    }

    #[test]
    fn decodes_invalid_utf8_lossily() {
        let (lines, bad) = collect(b"ok\n\xff\xfebad\n");
        assert_eq!(bad, 1);
        assert!(lines[1].1.ends_with("bad"));
    }

    /// Every line and counter, read through a buffer of `cap` bytes.
    fn read_all(input: &[u8], cap: usize) -> (Vec<(u64, String, bool)>, [u64; 7]) {
        let mut r = LineReader::new(io::BufReader::with_capacity(cap, input));
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.number, l.text.to_string(), l.truncated));
        }
        let counters = [
            r.bytes_read(),
            r.long_lines,
            r.invalid_utf8_lines,
            r.first_invalid_utf8.unwrap_or(0),
            r.nul_lines,
            r.first_long_line.unwrap_or(0),
            r.first_nul_line.unwrap_or(0),
        ];
        (out, counters)
    }

    #[test]
    fn lines_inside_the_buffer_read_like_lines_across_it() {
        // Lines handed out from the buffer (large capacity) and lines
        // assembled piece by piece (tiny capacity) must not differ.
        let mut input = b"plain\r\n\xff\xfebad\nnul\0byte\n\n\r\n".to_vec();
        input.extend(vec![b'y'; MAX_LINE + 10]);
        input.extend_from_slice(b"\r\n");
        input.extend(vec![b'z'; MAX_LINE - 1]);
        input.extend_from_slice(b"\r\n\xc3\xa9t\xc3\xa9\nlast");
        let big = read_all(&input, 4 * MAX_LINE);
        assert_eq!(big, read_all(&input, 7));
        assert_eq!(big, read_all(&input, 8 * 1024));
        assert_eq!(big.0.len(), 9);
        assert_eq!(big.0[1].1, "\u{fffd}\u{fffd}bad");
        assert_eq!(big.0[5].1.len(), MAX_LINE);
        assert!(big.0[5].2);
        assert_eq!(big.0[6].1.len(), MAX_LINE - 1);
        assert_eq!(big.0[7].1, "été");
        assert_eq!(big.1, [input.len() as u64, 1, 1, 2, 1, 6, 3]);
    }

    #[test]
    fn warnings_name_the_first_line_affected() {
        let mut input = b"ok\n".to_vec();
        input.extend(vec![b'x'; MAX_LINE + 1]);
        input.extend_from_slice(b"\nfine\nnul\0here\n\0again\n");
        let mut r = LineReader::new(io::BufReader::new(&input[..]));
        while r.next_line().unwrap().is_some() {}
        let w = r.warnings("f.log");
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!((w[0].line, w[1].line), (Some(2), Some(4)), "{w:?}");
        assert!(w[0].message.starts_with("1 line(s) longer than 64 KiB"));
        assert!(w[1].message.starts_with("2 line(s) contain NUL bytes"));
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(collect(b"").0.is_empty());
    }
}
