//! Line numbers for streaming JSON: serde_json's deserializer does not say
//! where a visitor is, so the JSON parsers read through this wrapper and
//! look at its newline count when they hand out evidence.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Reads from a `BufRead` and counts the newlines handed out. serde_json's
/// reader pulls one byte at a time and peeks at most one byte ahead, so the
/// count is the line the deserializer is on when a visitor runs.
pub struct CountingReader<R> {
    inner: R,
    newlines: Rc<Cell<u64>>,
}

impl<R> CountingReader<R> {
    /// Wrap `inner`, counting into `newlines`.
    pub fn new(inner: R, newlines: Rc<Cell<u64>>) -> Self {
        CountingReader { inner, newlines }
    }
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.inner.fill_buf()?;
        let n = avail.len().min(out.len());
        let (src, dst) = (&avail[..n], &mut out[..n]);
        dst.copy_from_slice(src);
        let seen = memchr::memchr_iter(b'\n', src).count() as u64;
        self.newlines.set(self.newlines.get() + seen);
        self.inner.consume(n);
        Ok(n)
    }
}
