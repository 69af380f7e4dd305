//! A strict reader for the small JSON subset that LoadGen writes millions
//! of times per run (flat records, plain strings, numbers, integer arrays),
//! used as a fast path in front of `serde_json`.
//!
//! The contract that keeps it safe: whenever it returns a value, `serde_json`
//! would have accepted the same bytes and produced the same fields. Anything
//! it does not handle, such as escaped strings, deep nesting, or a field
//! order other than LoadGen's, makes it give up (`None`), and the caller
//! falls back to `serde_json` for that record, which then decides. So it
//! can only be stricter than `serde_json`, never more lenient.

/// A position in a JSON text.
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Line feeds skipped so far. Strings with control characters are
    /// refused, so every line feed read is whitespace and counted here.
    pub(crate) newlines: u64,
}

/// Deepest nesting [`Cursor::skip_value`] follows before giving up.
const MAX_DEPTH: u32 = 8;

impl<'a> Cursor<'a> {
    /// Start at the first byte of `b`.
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Cursor {
            b,
            i: 0,
            newlines: 0,
        }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.i
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skip JSON whitespace.
    pub(crate) fn ws(&mut self) {
        while let Some(c @ (b' ' | b'\t' | b'\n' | b'\r')) = self.peek() {
            self.newlines += u64::from(c == b'\n');
            self.i += 1;
        }
    }

    /// Whitespace, then the byte `c`.
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// Whitespace, then `,` or `}`: `Some(true)` after a comma, `Some(false)`
    /// at the end of the object.
    pub(crate) fn comma_or_close(&mut self) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        self.i += 1;
        match c {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// Whitespace, then `c` if it is next: true when it was consumed.
    pub(crate) fn close_if(&mut self, c: u8) -> bool {
        self.eat(c).is_some()
    }

    /// Whitespace, then a number or `null` for an `Option<f64>` field,
    /// converted only when asked ([`LazyNum::get`]). Numbers serde could
    /// not convert make this give up now, as serde would fail the record.
    pub(crate) fn lazy_num(&mut self) -> Option<LazyNum<'a>> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.null()?;
            return Some(LazyNum::Ready(None));
        }
        let (raw, exp) = self.number_exp()?;
        if exp || raw.len() > 24 {
            to_f64(raw)?;
        }
        Some(LazyNum::Raw(raw))
    }

    /// Whitespace, a plain ASCII string, and the `:` after it: an object
    /// key, as bytes (comparing bytes spares a UTF-8 check per key).
    pub(crate) fn key(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek() != Some(b'"') {
            return None;
        }
        let rest = self.b.get(self.i + 1..)?;
        let end = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))?;
        if rest.get(end) != Some(&b'"') {
            return None;
        }
        self.i += end + 2;
        self.eat(b':')?;
        rest.get(..end)
    }

    /// Whitespace, then exactly the key `"name":` (LoadGen's fixed field
    /// order lets a record be checked against it in one comparison).
    pub(crate) fn expect_key(&mut self, name: &[u8]) -> Option<()> {
        self.ws();
        let rest = self.b.get(self.i..)?.strip_prefix(b"\"")?;
        if !rest.strip_prefix(name)?.starts_with(b"\"") {
            return None;
        }
        self.i += name.len() + 2;
        self.eat(b':')
    }

    /// True when only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.i >= self.b.len()
    }

    /// Whitespace, then a plain string: its content, without the quotes.
    /// Strings with escapes are not handled (`None`).
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.raw_string()?).ok()
    }

    /// [`Self::string`] without the UTF-8 check: what serde checks of a
    /// string it skips.
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek() != Some(b'"') {
            return None;
        }
        let rest = self.b.get(self.i + 1..)?;
        // Keys and names are short: a plain loop beats a vectorised search.
        let end = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest.get(end) != Some(&b'"') {
            return None;
        }
        self.i += end + 2;
        rest.get(..end)
    }

    /// Whitespace, then a number in strict JSON grammar: its text.
    pub(crate) fn number(&mut self) -> Option<&'a [u8]> {
        self.number_exp().map(|(n, _)| n)
    }

    /// A number that serde accepts whatever it converts it to: no exponent
    /// and short, so never beyond `f64` range (others are left to serde).
    fn plain_number(&mut self) -> Option<&'a [u8]> {
        let (n, exp) = self.number_exp()?;
        (!exp && n.len() <= 24).then_some(n)
    }

    /// [`Self::number`], and whether it has an exponent.
    fn number_exp(&mut self) -> Option<(&'a [u8], bool)> {
        self.ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let exp = matches!(self.peek(), Some(b'e' | b'E'));
        if exp {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        Some((self.b.get(start..self.i)?, exp))
    }

    /// After `[`: a compact array of non-negative integers (`1,22,333]`,
    /// every loaded sample index, most of a detail log's bytes), checked
    /// with branch-free passes the compiler vectorises; the index after its
    /// `]`, or `None` to read it generally.
    fn int_array(&self) -> Option<usize> {
        let rest = self.b.get(self.i..)?;
        let end = memchr::memchr(b']', rest)?;
        let r = rest.get(..end)?;
        let (first, last) = (*r.first()?, *r.last()?);
        if !first.is_ascii_digit() || !last.is_ascii_digit() {
            return None;
        }
        let digit = |c: u8| c.wrapping_sub(b'0') < 10;
        // One pass over each byte with the two after it: only digits and
        // commas, no `,,` (an empty element) and no `,0d` (a leading zero),
        // which are not JSON. The last byte is a digit (checked above), and
        // the second-to-last, where no window of three starts, is checked
        // on its own.
        let tail = r.get(1..)?;
        let bad = r.iter().zip(tail).zip(r.get(2..).unwrap_or_default()).fold(
            false,
            |bad, ((&a, &b), &c)| {
                let comma = a == b',';
                bad | !(digit(a) | comma) | (comma & (b == b',')) | (comma & (b == b'0') & digit(c))
            },
        );
        let second_last = r.len().checked_sub(2).and_then(|i| r.get(i)).copied();
        let allowed = !bad && second_last.is_none_or(|c| digit(c) || c == b',');
        let first_zero = first == b'0' && tail.first().is_some_and(u8::is_ascii_digit);
        (allowed && !first_zero).then_some(self.i + end + 1)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    /// Whitespace, then `true` or `false`.
    pub(crate) fn boolean(&mut self) -> Option<bool> {
        self.ws();
        let rest = self.b.get(self.i..)?;
        if rest.starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    /// Whitespace, then `null`.
    pub(crate) fn null(&mut self) -> Option<()> {
        self.ws();
        if self.b.get(self.i..)?.starts_with(b"null") {
            self.i += 4;
            Some(())
        } else {
            None
        }
    }

    /// Whitespace, then a number or `null`: the number as `serde_json`
    /// reads it into an `Option<f64>`.
    pub(crate) fn opt_f64(&mut self) -> Option<Option<f64>> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.null()?;
            return Some(None);
        }
        let raw = self.number()?;
        Some(Some(to_f64(raw)?))
    }

    /// Whitespace, then skip any value this reader handles (scalars
    /// without the general, recursive path).
    #[inline]
    pub(crate) fn skip(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'0'..=b'9' | b'-' => self.plain_number().map(drop),
            b'"' => self.raw_string().map(drop),
            _ => self.skip_value(0),
        }
    }

    /// Whitespace, then any value this reader handles: its raw text.
    pub(crate) fn value(&mut self) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        self.skip_value(0)?;
        self.b.get(start..self.i)
    }

    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.raw_string().map(drop),
            b't' | b'f' => self.boolean().map(drop),
            b'n' => self.null(),
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Some(());
                }
                if let Some(end) = self.int_array() {
                    self.i = end;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.key()?;
                    self.skip_value(depth + 1)?;
                    if !self.comma_or_close()? {
                        return Some(());
                    }
                }
            }
            // serde rejects numbers beyond `f64` range when it builds a
            // value; short numbers without an exponent cannot be, and the
            // rest is left to serde.
            _ => self.plain_number().map(drop),
        }
    }
}

/// An `Option<f64>` field read by [`Cursor::lazy_num`]: most are never
/// used, so they are converted only on demand.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LazyNum<'a> {
    /// Already known (absent or `null` is `None`).
    Ready(Option<f64>),
    /// A number's text, known to convert.
    Raw(&'a [u8]),
}

impl Default for LazyNum<'_> {
    fn default() -> Self {
        LazyNum::Ready(None)
    }
}

impl LazyNum<'_> {
    /// The value, as serde would have read it.
    pub(crate) fn get(self) -> Option<f64> {
        match self {
            LazyNum::Ready(v) => v,
            LazyNum::Raw(raw) => to_f64(raw),
        }
    }
}

/// A JSON number's text as `serde_json` converts it for an `f64` field.
/// Non-negative numbers of at most 15 digits, with or without a fraction
/// (`20.779651`, LoadGen's times), are computed here: the digits are exact
/// as an `f64` (below 2^53) and so is the power of ten (at most 10^15), so
/// the one division is correctly rounded, which is what serde gives (with
/// or without its `float_roundtrip` feature). Anything else goes through
/// serde itself. `None` when serde would fail (an exponent out of range).
pub(crate) fn to_f64(raw: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let mut significand: u64 = 0;
    let mut digits = 0usize;
    let mut fraction: Option<usize> = None;
    let mut plain = true;
    for &c in raw {
        match c {
            b'0'..=b'9' if digits < 15 => {
                significand = significand * 10 + u64::from(c - b'0');
                digits += 1;
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() && digits > 0 => fraction = Some(0),
            _ => {
                plain = false;
                break;
            }
        }
    }
    if plain && digits > 0 && fraction != Some(0) {
        if let Some(&pow) = POW10.get(fraction.unwrap_or(0)) {
            return Some(significand as f64 / pow);
        }
    }
    serde_json::from_slice::<f64>(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// `value()` accepts only what serde accepts, with the same extent.
    fn agrees(text: &str) {
        let mut c = Cursor::new(text.as_bytes());
        let fast = c.value().filter(|_| c.at_end());
        let serde = serde_json::from_str::<Value>(text);
        let mut c = Cursor::new(text.as_bytes());
        if c.skip().is_some() && c.at_end() {
            assert!(serde.is_ok(), "skip accepted what serde rejects: {text:?}");
        }
        if let Some(raw) = fast {
            assert!(serde.is_ok(), "fast accepted what serde rejects: {text:?}");
            assert_eq!(raw, text.trim().as_bytes());
        }
    }

    #[test]
    fn accepts_only_what_serde_accepts() {
        for t in [
            "1",
            "-0",
            "0.5",
            "1e5",
            "1E+5",
            "-1.5e-3",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "--1",
            "[1,2,3]",
            "[ 1 , 2 ]",
            "[]",
            "[1,]",
            "[,1]",
            "[01]",
            "[1 2]",
            "[1,2",
            "[1.5,2e3]",
            "{}",
            "{\"a\":1}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "\"x\"",
            "\"x",
            "\"a\\nb\"",
            "\"\u{1}\"",
            "true",
            "tru",
            "null",
            "nul",
            "{\"a\":[{\"b\":null}]}",
            "[[[[[[[[[[1]]]]]]]]]]",
            "\"é\"",
            "1e400",
            "[true,false,null]",
            "1e5",
            "[1e400]",
            "-0.0",
            "[5]",
            "[0]",
            "[0,0]",
            "[10,0,3]",
            "[1,,2]",
            "[1,01]",
            "[1,2]]",
            "[01,2]",
            "[00]",
            "[1,[2]]",
            "[1 ,2]",
            "[-1,2]",
            "[1,2,3,4,5,6,7,8,9,10,11,0]",
        ] {
            agrees(t);
        }
    }

    #[test]
    fn integer_arrays_take_the_fast_loop_when_compact() {
        for (t, fast) in [("[1,22,0,333]", true), ("[7]", true), ("[1, 2]", false)] {
            let mut c = Cursor::new(t.as_bytes());
            c.eat(b'[').unwrap();
            assert_eq!(c.int_array().is_some(), fast, "{t}");
            agrees(t);
        }
    }

    #[test]
    fn compact_integer_arrays_are_read_exactly_when_serde_reads_them() {
        // Every string of up to 7 bytes over `0`, `1`, `7` and `,`.
        let alphabet = [b'0', b'1', b'7', b','];
        for len in 1..=7u32 {
            for mut code in 0..4usize.pow(len) {
                let mut t = vec![b'['];
                for _ in 0..len {
                    t.push(alphabet[code % 4]);
                    code /= 4;
                }
                t.push(b']');
                let mut c = Cursor::new(&t);
                c.eat(b'[').unwrap();
                let fast = c.int_array() == Some(t.len());
                let serde = serde_json::from_slice::<Vec<u64>>(&t).is_ok();
                assert_eq!(fast, serde, "{}", String::from_utf8_lossy(&t));
            }
        }
    }

    #[test]
    fn numbers_convert_like_serde() {
        for t in [
            "0",
            "7",
            "123456789012345",
            "1234567890123456789",
            "0.1",
            "98.765",
            "1e3",
            "-5",
            "18446744073709551616",
            "2.5e-7",
            "1795720499231811.750",
        ] {
            let serde: f64 = serde_json::from_str(t).unwrap();
            assert_eq!(
                to_f64(t.as_bytes()).map(f64::to_bits),
                Some(serde.to_bits()),
                "{t}"
            );
        }
        assert_eq!(to_f64(b"1e400"), serde_json::from_str::<f64>("1e400").ok());
        // Bit for bit (`-0.0 == 0.0`), over many generated decimals.
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let int = (x >> 40) % 10_000_000;
            let frac_digits = (x >> 20) as usize % 9;
            let frac = (x >> 8) % 10u64.pow(frac_digits as u32).max(1);
            let t = if frac_digits == 0 {
                int.to_string()
            } else {
                format!("{int}.{frac:0frac_digits$}")
            };
            let serde: f64 = serde_json::from_str(&t).unwrap();
            assert_eq!(
                to_f64(t.as_bytes()).map(f64::to_bits),
                Some(serde.to_bits()),
                "{t}"
            );
        }
    }

    #[test]
    fn escaped_strings_are_left_to_serde() {
        assert_eq!(Cursor::new(b"\"a\\\"b\"").string(), None);
        assert_eq!(Cursor::new(b" \"ab\"").string(), Some("ab"));
    }
}
