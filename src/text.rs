//! Text hygiene shared by every stage: input text is untrusted, so terminal
//! escape sequences, control characters and bidi overrides are removed
//! before rules see it and before any renderer shows it.

use std::borrow::Cow;

/// Strip ANSI escape sequences, control characters and bidirectional
/// overrides; turn line breaks and tabs into spaces; trim both ends.
///
/// Line breaks become spaces because every place that shows evidence is a
/// single line (a table cell, a list item), and a raw newline would end it.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape_sequence(&mut chars),
            // C1 CSI is the one-byte form of `ESC [`.
            '\u{9b}' => skip_csi_body(&mut chars),
            // `\r\n` is one line break, so one space.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            // Bidi embeddings, overrides and isolates can make text read
            // differently from what it is ("Trojan Source").
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Skip one escape sequence whose `ESC` was just consumed.
fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi_body(chars);
        }
        // OSC (`ESC ]`), DCS (`ESC P`), SOS, PM, APC run until BEL or `ESC \`.
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        // Two-character sequences (`ESC c`, `ESC 7`, charset selection `ESC ( B`).
        Some('(' | ')' | '*' | '+') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// Skip CSI parameter and intermediate bytes up to and including the final
/// byte (`@`..`~`). A sequence cut short by the end of text is dropped whole.
fn skip_csi_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
        // Anything outside the CSI byte ranges means the sequence was
        // malformed; stop so real text is not swallowed.
        if !(' '..='?').contains(&c) {
            break;
        }
    }
}

/// [`clean_text`] without allocating when there is nothing to clean (the
/// common case on the classifier's hot path).
pub fn clean_cow(s: &str) -> Cow<'_, str> {
    let needs = s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    });
    if needs {
        Cow::Owned(clean_text(s))
    } else {
        Cow::Borrowed(s.trim())
    }
}
