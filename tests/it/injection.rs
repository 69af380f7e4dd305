//! Injection, end to end: the hand-made hostile campaign
//! (`fixtures/bad-input/hostile-campaign/`, see its README) carries
//! `<script>`, `javascript:` URLs, Markdown table breakers, ANSI escapes and
//! template syntax in log lines, host names, file and folder names and JSON
//! strings. Every output must show them as inert text:
//!
//! * HTML: a tag scanner checks every `<` opens a tag the templates use (or
//!   an SVG chart element), with no event handler, no `src`, no link leaving
//!   the page and no `javascript:` in any attribute;
//! * Markdown: pulldown-cmark sees no raw HTML but the template's own, no
//!   link but in-page anchors and chart images, and no table row with more
//!   cells than its header;
//! * JUnit XML: well-formed for quick-xml, with the payloads in its text;
//! * the terminal: no escape sequence reaches it.
//!
//! `tests/browser/check.sh` opens the same report in Chromium and checks no
//! script ran.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{bin, repo};

const CAMPAIGN: &str = "fixtures/bad-input/hostile-campaign";
const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "<img src=x onerror=document.title=1>";
const MD_LINK: &str = "[click me](javascript:document.title=3)";

/// Elements plotters writes into the inline SVG charts.
const SVG_TAGS: &[&str] = &[
    "svg", "g", "text", "rect", "polyline", "polygon", "line", "circle", "path", "title", "desc",
    "tspan", "defs",
];

/// Render the hostile campaign in every format; returns the output folder
/// and what the run printed.
fn render() -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let run = bin()
        .args(["report", "--format", "md,html,json,junit", "--out"])
        .arg(out.path())
        .arg(CAMPAIGN)
        .assert()
        .code(0);
    let o = run.get_output();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (out, printed)
}

/// Text as Tera's HTML autoescape writes it.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// A template's text with every `{% include "…" %}` it pulls in (the
/// report templates are one partial per section).
fn template_text(template: &str) -> String {
    let mut text = std::fs::read_to_string(repo().join("templates").join(template)).unwrap();
    let included: Vec<String> = text
        .split("{% include \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_string))
        .collect();
    for name in included {
        text.push_str(&template_text(&name));
    }
    text
}

/// Tag names used by a Tera template and its partials (`<name` outside
/// `{# #}` comments is close enough: comments there name no tags).
fn template_tags(template: &str) -> BTreeSet<String> {
    let text = template_text(template);
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices('<') {
        let name: String = text[i + 1..]
            .chars()
            .skip_while(|c| *c == '/')
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !name.is_empty() {
            out.insert(name.to_ascii_lowercase());
        }
    }
    out
}

/// One tag as the scanner read it.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// Scan `html`: every `<` must start a comment, the doctype, or a tag
/// whose name is in `allowed`. Returns the tags, failing on anything else.
fn scan_html(html: &str, allowed: &BTreeSet<String>) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    while let Some(i) = rest.find('<') {
        let at = offset + i;
        let after = &rest[i + 1..];
        let context = || &html[at..(at + 80).min(html.len())];
        let consumed = if let Some(c) = after.strip_prefix("!--") {
            let end = c
                .find("-->")
                .unwrap_or_else(|| panic!("unclosed comment at {at}"));
            4 + end + 3
        } else if after.starts_with("!DOCTYPE html>") {
            1 + "!DOCTYPE html>".len()
        } else {
            let closing = after.starts_with('/');
            let body = after.trim_start_matches('/');
            let name: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                allowed.contains(&name),
                "`<` at byte {at} does not open a template tag: {}",
                context()
            );
            let end = body
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag at {at}: {}", context()));
            let inside = &body[name.len()..end];
            assert!(
                !inside.contains('<'),
                "`<` inside a tag at byte {at}: {}",
                context()
            );
            if !closing {
                tags.push(Tag {
                    name,
                    attrs: attributes(inside),
                });
            }
            1 + usize::from(closing) + end + 1
        };
        offset = at + consumed;
        rest = &html[offset..];
    }
    tags
}

/// `name="value"` pairs (the templates always quote values; an unquoted or
/// stray word is kept with an empty value so it is still checked).
fn attributes(inside: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut s = inside.trim_start_matches('/').trim();
    while !s.is_empty() {
        let name_end = s
            .find(|c: char| c == '=' || c.is_whitespace() || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        s = s[name_end..].trim_start();
        let mut value = String::new();
        if let Some(v) = s.strip_prefix('=') {
            let v = v.trim_start();
            if let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let end = v[1..].find(q).map_or(v.len(), |e| e + 1);
                value = v[1..end].to_string();
                s = v.get(end + 1..).unwrap_or("").trim_start();
            } else {
                let end = v.find(char::is_whitespace).unwrap_or(v.len());
                value = v[..end].to_string();
                s = v[end..].trim_start();
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        s = s.trim_start_matches('/').trim_start();
    }
    out
}

#[test]
fn hostile_text_is_inert_in_html() {
    let (out, _) = render();
    let html = read(out.path(), "report.html");
    let mut allowed = template_tags("report.html");
    allowed.extend(SVG_TAGS.iter().map(|s| s.to_string()));
    for banned in [
        "script", "img", "iframe", "object", "embed", "link", "form", "input",
    ] {
        assert!(
            !allowed.contains(banned),
            "the template itself uses <{banned}>"
        );
    }
    let tags = scan_html(&html, &allowed);
    assert!(tags.len() > 100, "scanner saw only {} tags", tags.len());
    for tag in &tags {
        for (name, value) in &tag.attrs {
            let v = value.to_ascii_lowercase();
            assert!(!name.starts_with("on"), "event handler on {tag:?}");
            assert!(
                name != "src" && name != "srcdoc",
                "external source on {tag:?}"
            );
            assert!(
                !v.contains("javascript:"),
                "javascript: in an attribute: {tag:?}"
            );
            assert!(!v.contains("url("), "url() in an attribute: {tag:?}");
            if tag.name == "a" {
                assert!(
                    matches!(name.as_str(), "href" | "id" | "class"),
                    "unexpected attribute on a link: {tag:?}"
                );
            }
            if name == "href" {
                assert!(value.starts_with('#'), "a link leaves the page: {tag:?}");
            }
        }
    }
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script element in the HTML");
    assert!(
        !html.contains("<b>offline<b>"),
        "a folder name became markup"
    );
    assert!(
        !html.contains('\x1b') && !html.contains('\x07'),
        "escape sequence in HTML"
    );
    assert!(!html.contains('\u{202e}'), "bidi override in HTML");
    // The payloads are there, as text.
    for payload in [SCRIPT, IMG, MD_LINK, "javascript:document.title=2"] {
        assert!(
            html.contains(&escaped(payload)),
            "{payload} is not shown as text"
        );
    }
    assert!(
        html.contains("{{ 7*7 }} {% raw %}{% endraw %}"),
        "template syntax was evaluated"
    );
}

/// The checks above must be able to fail: each control is something an
/// escaping bug would produce.
#[test]
fn the_scanners_catch_what_they_look_for() {
    let allowed: BTreeSet<String> = ["p", "a"].iter().map(|s| s.to_string()).collect();
    for bad in [
        "<p>x<img src=x></p>",
        "<p>x<script>y</script></p>",
        "<p>a < b</p>",
        "<p title=\"<b>\">x</p>",
    ] {
        let caught = std::panic::catch_unwind(|| scan_html(bad, &allowed)).is_err();
        assert!(caught, "the tag scanner missed {bad}");
    }
    let tags = scan_html(
        "<p class=\"x\" onclick='y'>t</p><a href=\"javascript:z\">",
        &allowed,
    );
    assert_eq!(tags[0].attrs[1], ("onclick".to_string(), "y".to_string()));
    assert_eq!(tags[1].attrs[0].1, "javascript:z");
    assert_eq!(
        assert_tables_keep_their_shape("| a | b |\n|---|---|\n| x \\| y | z |\n"),
        3
    );
    let broken = "| a | b |\n|---|---|\n| x | y | z |\n";
    let caught = std::panic::catch_unwind(|| assert_tables_keep_their_shape(broken)).is_err();
    assert!(caught, "the table check missed an extra cell");
}

#[test]
fn hostile_text_is_inert_in_markdown() {
    use pulldown_cmark::{Event, Options, Parser, Tag as MdTag};
    let (out, _) = render();
    let md = read(out.path(), "report.md");
    assert!(
        !md.contains('\x1b') && !md.contains('\x07'),
        "escape sequence in Markdown"
    );
    let mut text = String::new();
    let mut html_tags = BTreeSet::new();
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                let h = h.trim();
                for (i, _) in h.match_indices('<') {
                    let name: String = h[i + 1..]
                        .trim_start_matches('/')
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    html_tags.insert(name);
                }
                let lower = h.to_ascii_lowercase();
                assert!(
                    !lower.contains("script")
                        && !lower.contains("onerror")
                        && !lower.contains("javascript"),
                    "raw HTML from the input in Markdown: {h}"
                );
            }
            Event::Start(MdTag::Link { dest_url, .. }) => {
                assert!(
                    dest_url.starts_with('#'),
                    "link out of the page: {dest_url}"
                );
            }
            Event::Start(MdTag::Image { dest_url, .. }) => {
                assert!(
                    dest_url.starts_with("charts/"),
                    "image from elsewhere: {dest_url}"
                );
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    let want = template_tags("report.md");
    assert!(
        html_tags.is_subset(&want),
        "Markdown has raw HTML beyond the template's own: {html_tags:?}"
    );
    // Rendered as text: what a reader sees is the payload itself.
    assert!(
        text.contains(SCRIPT),
        "payload missing from the rendered text"
    );
    assert!(text.contains(IMG));
    assert!(text.contains(MD_LINK));
    assert!(text.contains("{{ 7*7 }}"));
    let rows = assert_tables_keep_their_shape(&md);
    assert!(rows > 30, "only {rows} table rows");
}

/// Every table row has as many unescaped `|` as its header: a table
/// breaker from the input would add cells (or end the table). Returns the
/// number of rows seen.
fn assert_tables_keep_their_shape(md: &str) -> usize {
    let pipes = |line: &str| {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            if c == '|' && !escaped {
                n += 1;
            }
            escaped = c == '\\' && !escaped;
        }
        n
    };
    let mut header: Option<usize> = None;
    let mut rows = 0;
    for (i, line) in md.lines().enumerate() {
        if line.starts_with('|') {
            let n = pipes(line);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "report.md:{}: row shape differs: {line}", i + 1),
            }
            rows += 1;
        } else {
            header = None;
        }
    }
    rows
}

#[test]
fn hostile_text_is_inert_in_junit() {
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;
    let (out, _) = render();
    let xml = read(out.path(), "junit.xml");
    assert!(!xml.contains("<script"), "raw markup in junit.xml");
    assert!(!xml.contains("<!DOCTYPE"), "a DOCTYPE in junit.xml");
    assert!(
        !xml.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
        "control characters (not allowed in XML 1.0) in junit.xml"
    );
    let mut reader = quick_xml::Reader::from_str(&xml);
    reader.config_mut().check_end_names = true;
    let mut text = String::new();
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                for a in e.attributes() {
                    let a = a.unwrap();
                    text.push_str(&a.normalized_value(XmlVersion::Explicit1_0).unwrap());
                    text.push('\n');
                }
            }
            Ok(Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    text.push_str(&a.normalized_value(XmlVersion::Explicit1_0).unwrap());
                    text.push('\n');
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => text.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => text.push_str(match &*r {
                "lt" => "<",
                "gt" => ">",
                "amp" => "&",
                "quot" => "\"",
                "apos" => "'",
                other => panic!("unexpected entity &{other};"),
            }),
            Ok(Event::CData(c)) => text.push_str(&c.into_inner()),
            Ok(Event::Decl(_) | Event::Comment(_)) => {}
            Ok(other) => panic!("unexpected XML event {other:?}"),
            Err(e) => panic!(
                "junit.xml is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert!(text.contains(SCRIPT), "payload missing from the JUnit text");
    assert!(text.contains(IMG));
    assert!(text.contains("]]>"));
    assert!(text.contains("{{ 7*7 }}"));
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let (out, printed) = render();
    assert!(
        !printed.chars().any(|c| c.is_control() && c != '\n'),
        "control characters printed: {printed:?}"
    );
    // The JSON keeps the text as data (escaped by serde), for other tools.
    let json: serde_json::Value = serde_json::from_str(&read(out.path(), "report.json")).unwrap();
    assert!(json.to_string().contains(IMG));
}
