//! Making untrusted text safe for each output.
//!
//! Everything in the report that came from an input file (log lines, node
//! names, paths, harness messages) is untrusted: it may hold terminal escape
//! sequences, Markdown syntax or HTML. [`clean_text`] removes what no output
//! can show (control characters, ANSI sequences, bidi overrides); [`md_cell`]
//! additionally escapes Markdown so the text can neither break a table nor
//! inject HTML. HTML needs no function here: Tera autoescapes `.html`
//! templates, so the HTML view carries cleaned, unescaped text.

pub use crate::text::clean_text;

/// Make untrusted text safe inside a GitHub-flavoured Markdown table cell,
/// list item or paragraph: [`clean_text`], then escape Markdown punctuation
/// with backslashes and HTML-significant characters as entities.
///
/// Entities rather than backslashes for `<`, `>` and `&` because GitHub's
/// renderer treats `\<` inconsistently inside inline HTML, while `&lt;` is
/// always text.
pub fn md_cell(s: &str) -> String {
    let cleaned = clean_text(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for (i, c) in cleaned.chars().enumerate() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Only harmful where a block could start; templates never start
            // a line with untrusted text, so this is belt and braces.
            '#' | '+' | '-' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    escape_leading_ordered_marker(out)
}

/// `1. text` or `1) text` at the start would begin an ordered list (a
/// marker is 1–9 digits, `.` or `)`, then a space or the end); `535.104.05`
/// would not, and is left alone.
fn escape_leading_ordered_marker(s: String) -> String {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return s;
    }
    let after = s.as_bytes().get(digits + 1);
    if !matches!(after, None | Some(b' ')) {
        return s;
    }
    match s.as_bytes().get(digits) {
        Some(b'.' | b')') => {
            let (head, tail) = s.split_at(digits);
            format!("{head}\\{tail}")
        }
        _ => s,
    }
}

/// Cut `s` to at most `max` characters, marking a cut with `…`.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{keep}…")
}

/// Keep the last `max` characters of `s`, marking a cut with a leading `…`;
/// for paths, where the tail says the most.
pub fn truncate_chars_start(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let skip = n - max.saturating_sub(1);
    let keep: String = s.chars().skip(skip).collect();
    format!("…{keep}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_strips_ansi_and_controls() {
        assert_eq!(clean_text("\x1b[31mred\x1b[0m text"), "red text");
        assert_eq!(clean_text("a\x1b]0;title\x07b"), "ab");
        assert_eq!(clean_text("a\x1b]8;;x\x1b\\b"), "ab");
        assert_eq!(clean_text("a\x1b(Bb"), "ab");
        assert_eq!(clean_text("bell\x07 nul\0 del\x7f"), "bell nul del");
        assert_eq!(clean_text("line1\nline2\r\n\tx"), "line1 line2  x");
        assert_eq!(clean_text("ab\u{202e}cd"), "abcd");
        assert_eq!(clean_text("\u{9b}1mx"), "x");
        // A sequence cut off at the end of the text does not panic.
        assert_eq!(clean_text("x\x1b["), "x");
        assert_eq!(clean_text("x\x1b"), "x");
    }

    #[test]
    fn md_cell_escapes_markdown_and_html() {
        let cases = [
            ("plain text 1.5", "plain text 1.5"),
            ("| pipe |", "\\| pipe \\|"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("a & b", "a &amp; b"),
            ("`code`", "\\`code\\`"),
            ("*bold* _it_", "\\*bold\\* \\_it\\_"),
            ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
            ("back\\slash", "back\\\\slash"),
            ("~~strike~~", "\\~\\~strike\\~\\~"),
            ("# heading", "\\# heading"),
            ("- item", "\\- item"),
            ("12. item", "12\\. item"),
            ("3)", "3\\)"),
            ("535.104.05", "535.104.05"),
            ("66.6 points", "66.6 points"),
            ("multi\nline", "multi line"),
            ("\x1b[31merror\x1b[0m", "error"),
            ("{{ x }} {% raw %}", "{{ x }} {% raw %}"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(md_cell(input), want, "input {input:?}");
        }
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("héllo wörld", 5), "héll…");
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars_start("a/b/ç/d", 4), "…ç/d");
        assert_eq!(truncate_chars("x", 0), "…");
    }
}
