//! Record shapes: the fastest path for the JSON records LoadGen writes
//! millions of times (trace events, detail-log records).
//!
//! LoadGen writes a few dozen kinds of records, each kind always with the
//! same keys in the same order and the same spacing; only the numbers (and
//! a detail record's value) change: `{"name":"Thread","ph":"X","pid":4242,
//! "tid":4250,"ts":20.000,"dur":1.753,"args":{}}`. A *shape* is a record
//! that the strict reader ([`super::fastjson`]) accepted, with its numbers
//! cut out: the literal bytes between them, and which field (if any) each
//! number is. A detail record's value is cut out too, as a whole value.
//!
//! A record *matches* a shape when its bytes are the shape's literals with
//! a JSON number in each number gap (strict grammar, no exponent, at most
//! 24 bytes) and a value the strict reader accepts in each value gap. Such
//! a record has the same keys, strings, spacing and structure as one the
//! strict reader accepted, and only numbers the strict reader takes without
//! a conversion check, so the strict reader (and serde) would accept it
//! too, with the same fields. Matching is a few word comparisons and a digit
//! loop per number, instead of reading and comparing every key. Anything
//! else (another shape, an exponent, an escape, a cut) is not a match, and
//! the record goes to the strict reader as before.
//!
//! Memory is fixed: at most [`BUCKETS`] × [`WAYS`] shapes of at most
//! [`MAX_SHAPE`] bytes each.

use super::fastjson::Cursor;

/// Longest record made into a shape, in bytes.
const MAX_SHAPE: usize = 1024;

/// Hash buckets, each holding up to [`WAYS`] shapes (a trace's begin and
/// end events of one name share their first bytes, so share a bucket, and
/// so do detail records whose keys share their first 16 bytes).
const BUCKET_BITS: u32 = 8;
const BUCKETS: usize = 1 << BUCKET_BITS;
const WAYS: usize = 4;

/// Bytes after the first that choose the bucket.
const KEY_BYTES: usize = 24;

/// Shapes keep being built while fewer than this many were built, or while
/// they are matched often; past it, input whose records rarely repeat
/// stops paying for shapes it never uses.
const MIN_BUILDS: u64 = 64;

/// Zero bytes after the literals, so that every literal can be read as a
/// whole word (see [`has_prefix`]).
const PAD: usize = 8;

/// Marks a number that is validated and skipped.
const SKIP: u8 = u8::MAX;

/// What fills a gap between two literals.
#[derive(Clone, Copy)]
enum Gap {
    /// A number, stored as field `.0` (or [`SKIP`]ped).
    Num(u8),
    /// Any value the strict reader accepts, stored as field `.0`.
    Value(u8),
}

/// The literal bytes of a record and the gaps between them, with what the
/// caller knows about records of this shape (`data`).
pub(crate) struct Shape<T> {
    /// Every literal, concatenated, then [`PAD`] zero bytes.
    lits: Vec<u8>,
    /// For each gap: where the literal before it ends in `lits`, and what
    /// fills it. The last literal, after the last gap, runs to the end of
    /// `lits`.
    gaps: Vec<(u32, Gap)>,
    /// Line feeds in the literals (whitespace between tokens).
    newlines: u64,
    data: T,
}

impl<T> Shape<T> {
    /// Make a shape from a record the strict reader accepted: `rec`, exactly
    /// its bytes; `nums`, the number fields it read (slices of `rec`, by
    /// field index); `value`, a field read as a whole value (its index and
    /// slice). Other numbers become skipped gaps. `None` when the record is
    /// too long or has a number this module does not match (an exponent):
    /// no record could match such a shape.
    pub(crate) fn build(
        rec: &[u8],
        nums: &[Option<&[u8]>],
        value: Option<(usize, &[u8])>,
        data: T,
    ) -> Option<Shape<T>> {
        if rec.len() > MAX_SHAPE {
            return None;
        }
        // Fields are found by address: they are slices of `rec`.
        let base = rec.as_ptr() as usize;
        let offset = |s: &[u8]| (s.as_ptr() as usize).checked_sub(base);
        let value = match value {
            Some((field, raw)) => Some((u8::try_from(field).ok()?, offset(raw)?, raw.len())),
            None => None,
        };
        let mut lits = Vec::with_capacity(rec.len());
        let mut gaps = Vec::new();
        let mut in_string = false;
        let mut i = 0;
        while let Some(&c) = rec.get(i) {
            if in_string {
                // The strict reader refuses escapes; refuse them here too
                // rather than track them.
                if c == b'\\' {
                    return None;
                }
                in_string = c != b'"';
            } else if let Some((field, _, len)) = value.filter(|v| v.1 == i) {
                gaps.push((u32::try_from(lits.len()).ok()?, Gap::Value(field)));
                i += len;
                continue;
            } else if c == b'-' || c.is_ascii_digit() {
                let n = number_len(rec.get(i..)?)?;
                let field = nums
                    .iter()
                    .position(|s| s.and_then(offset) == Some(i))
                    .and_then(|f| u8::try_from(f).ok())
                    .unwrap_or(SKIP);
                gaps.push((u32::try_from(lits.len()).ok()?, Gap::Num(field)));
                i += n;
                continue;
            } else {
                in_string = c == b'"';
            }
            lits.push(c);
            i += 1;
        }
        if in_string {
            return None;
        }
        let newlines = lits.iter().filter(|&&c| c == b'\n').count() as u64;
        lits.extend_from_slice(&[0; PAD]);
        Some(Shape {
            lits,
            gaps,
            newlines,
            data,
        })
    }

    /// When `b` starts with a record of this shape: its length, with its
    /// fields stored in `fields` (others are left alone).
    #[inline]
    fn read<'a>(&self, b: &'a [u8], fields: &mut [&'a [u8]]) -> Option<usize> {
        let mut pos = 0;
        let mut start = 0;
        for &(end, gap) in &self.gaps {
            let end = end as usize;
            let lit = self.lits.get(start..end)?;
            if !has_prefix(b.get(pos..)?, lit, self.lits.get(start..)?) {
                return None;
            }
            pos += lit.len();
            start = end;
            let rest = b.get(pos..)?;
            let (field, raw, n) = match gap {
                Gap::Num(field) => {
                    let n = number_len(rest)?;
                    (field, rest.get(..n)?, n)
                }
                Gap::Value(field) => {
                    let mut c = Cursor::new(rest);
                    let raw = c.value()?;
                    (field, raw, c.pos())
                }
            };
            if let Some(cell) = fields.get_mut(usize::from(field)) {
                *cell = raw;
            }
            pos += n;
        }
        let lit = self.lits.get(start..self.lits.len() - PAD)?;
        has_prefix(b.get(pos..)?, lit, self.lits.get(start..)?).then_some(pos + lit.len())
    }
}

/// A record that matched a shape.
pub(crate) struct Hit<'s, T> {
    /// What the caller stored with the shape.
    pub(crate) data: &'s T,
    /// The record's length in bytes.
    pub(crate) len: usize,
    /// Line feeds in the record.
    pub(crate) newlines: u64,
}

/// The shapes seen so far, found by the first bytes of a record.
pub(crate) struct Shapes<T> {
    /// `BUCKETS * WAYS` entries once the first shape is stored.
    table: Vec<Option<Shape<T>>>,
    /// The way each bucket replaces next.
    next: Vec<u8>,
    builds: u64,
    hits: u64,
}

impl<T> Default for Shapes<T> {
    fn default() -> Self {
        Shapes {
            table: Vec::new(),
            next: Vec::new(),
            builds: 0,
            hits: 0,
        }
    }
}

impl<T> Shapes<T> {
    /// The shape in `bucket` that `b` starts with, with the record's
    /// fields stored in `fields` (every field is reset to empty first).
    #[inline]
    pub(crate) fn find<'a>(
        &mut self,
        bucket: usize,
        b: &'a [u8],
        fields: &mut [&'a [u8]],
    ) -> Option<Hit<'_, T>> {
        let ways = self.table.get(bucket * WAYS..(bucket + 1) * WAYS)?;
        let (way, len) = ways.iter().enumerate().find_map(|(w, shape)| {
            // A way that failed part-way may have stored fields.
            fields.fill(&[]);
            shape.as_ref()?.read(b, fields).map(|len| (w, len))
        })?;
        self.hits += 1;
        let shape = self.table.get(bucket * WAYS + way)?.as_ref()?;
        Some(Hit {
            data: &shape.data,
            len,
            newlines: shape.newlines,
        })
    }

    /// Whether building another shape is still worthwhile.
    pub(crate) fn wants_more(&self) -> bool {
        self.builds < MIN_BUILDS || self.hits / 8 > self.builds
    }

    /// Keep `shape` in `bucket`, replacing the bucket's ways in turn.
    pub(crate) fn insert(&mut self, bucket: usize, shape: Shape<T>) {
        if self.table.is_empty() {
            self.table.resize_with(BUCKETS * WAYS, || None);
            self.next = vec![0; BUCKETS];
        }
        self.builds += 1;
        let Some(next) = self.next.get_mut(bucket) else {
            return;
        };
        let way = usize::from(*next) % WAYS;
        *next = ((way + 1) % WAYS) as u8;
        if let Some(cell) = self.table.get_mut(bucket * WAYS + way) {
            *cell = Some(shape);
        }
    }

    /// Shapes stored, for the bounded-memory tests.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table.iter().flatten().count()
    }

    /// Records that matched a shape, for tests.
    #[cfg(test)]
    pub(crate) fn hits(&self) -> u64 {
        self.hits
    }
}

/// The bucket of a record starting at `b[0]`, when enough of it is in
/// the buffer.
#[inline]
pub(crate) fn bucket(b: &[u8]) -> Option<usize> {
    let key = b.get(1..1 + KEY_BYTES)?;
    let word = |i: usize| {
        key.get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let h = (word(0) ^ word(8).rotate_left(21) ^ word(16).rotate_left(42))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Some((h >> (64 - BUCKET_BITS)) as usize)
}

/// The eight bytes of `s` at `i`, as a word.
#[inline]
fn word(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..i + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_le_bytes)
}

/// Does `b` start with `lit`? Word by word: literals are short, and a
/// library call per literal would cost more than the comparison. `padded`
/// is `lit` followed by at least eight more bytes, so a literal shorter
/// than a word is compared as one masked word.
#[inline]
fn has_prefix(b: &[u8], lit: &[u8], padded: &[u8]) -> bool {
    let n = lit.len();
    if n < 8 {
        if let (Some(x), Some(y)) = (word(b, 0), word(padded, 0)) {
            let mask = (1u64 << (8 * n)).wrapping_sub(1);
            return (x ^ y) & mask == 0;
        }
        return b.get(..n) == Some(lit);
    }
    let Some(b) = b.get(..n) else {
        return false;
    };
    let mut i = 0;
    while i + 8 < n {
        if word(b, i) != word(lit, i) {
            return false;
        }
        i += 8;
    }
    // The last (possibly overlapping) word.
    word(b, n - 8) == word(lit, n - 8)
}

/// Length of the JSON number at the start of `b`, in the grammar of
/// [`crate::parse::fastjson`], when it has no exponent and is at most 24
/// bytes: the numbers the strict reader takes without a conversion check.
#[inline]
fn number_len(b: &[u8]) -> Option<usize> {
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += 1 + digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        match digits(b, i) {
            0 => return None,
            n => i += n,
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) || i > 24 {
        return None;
    }
    Some(i)
}

/// How many ASCII digits start at `b[i]`.
#[inline]
fn digits(b: &[u8], i: usize) -> usize {
    b.get(i..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_fast_reader_grammar() {
        for (t, n) in [
            ("0,", Some(1)),
            ("-0}", Some(2)),
            ("12.50,", Some(5)),
            ("01", Some(1)),
            ("1.", None),
            ("-", None),
            ("-a", None),
            (".5", None),
            ("1e5", None),
            ("2.5E-3", None),
            ("1234567890123456789012345", None),
            ("123456789012345678901234", Some(24)),
        ] {
            assert_eq!(number_len(t.as_bytes()), n, "{t}");
        }
    }

    #[test]
    fn digit_runs_are_found_at_every_length_and_byte() {
        for len in 0..20 {
            for stop in 0..=255u8 {
                let mut b = vec![b'7'; len];
                b.push(stop);
                b.extend_from_slice(b"123456789");
                let want = if stop.is_ascii_digit() { len + 10 } else { len };
                assert_eq!(digits(&b, 0), want, "{len} {stop}");
            }
        }
        assert_eq!(digits(b"12", 0), 2);
        assert_eq!(digits(b"x12", 1), 2);
    }

    #[test]
    fn prefixes_compare_every_byte() {
        let check = |b: &[u8], lit: &[u8]| {
            let mut padded = lit.to_vec();
            padded.extend_from_slice(&[0; PAD]);
            has_prefix(b, lit, &padded)
        };
        let long = b"{\"name\":\"Thread\",\"ph\":\"X\",\"pid\":".as_slice();
        for lit in [long, b",\"ts\":", b",", b""] {
            // With and without bytes after it in `b`.
            for tail in [b"".as_slice(), b"12345678,"] {
                let b = [lit, tail].concat();
                assert!(check(&b, lit));
                for i in 0..lit.len() {
                    let mut b = b.clone();
                    b[i] ^= 1;
                    assert!(!check(&b, lit), "{i}");
                }
                if !lit.is_empty() {
                    assert!(!check(&lit[..lit.len() - 1], lit));
                }
            }
        }
    }
}
