//! `dcgmi diag -j` (DCGM 3.x `DCGM GPU Diagnostic` and 4.x `DCGM Diagnostic`).
//!
//! Both layouts share `test_categories[].tests[].results[]`; they differ in
//! how a result names its entity (3.x `gpu_ids` as a string, 4.x
//! `entity_group` + `entity_id`), in 4.x's `test_summary`, `entity_groups`
//! and `metadata.version`, and in warnings (objects with `error_id`,
//! `error_category`, `error_severity` in 4.x; plain strings in older files).
//! Both are read by the same walk.
//!
//! The document is streamed with `serde_json` and hand-written visitors: one
//! test (its results and warnings, capped) is held at a time and appended as
//! soon as it is read, so a truncated file keeps every test before the cut.
//! A counting reader gives each result the line of its `status` key. Memory
//! is bounded by the caps below and by the longest single JSON string.

use std::cell::Cell;
use std::fmt;
use std::io::BufRead;
use std::rc::Rc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Parsed;
use super::json_lines::CountingReader;
use crate::model::{
    DcgmDiag, DcgmEntity, DcgmResult, DcgmTest, DcgmWarning, EVIDENCE_TEXT_MAX, Evidence, MAX_GPUS,
    ParseWarning, cap_text, dcgm_category_name, dcgm_severity_name, status_rank,
};
use crate::text::clean_text;

/// Root key of DCGM 3.x output.
pub const ROOT_3X: &str = "DCGM GPU Diagnostic";
/// Root key of DCGM 4.x output.
pub const ROOT_4X: &str = "DCGM Diagnostic";

/// Most tests kept per file (a level-4 run has about twenty).
const MAX_TESTS: usize = 256;
/// Most results kept per test (one per entity).
const MAX_RESULTS: usize = 4 * MAX_GPUS;
/// Most warnings kept per result.
const MAX_RESULT_WARNINGS: usize = 16;
/// Most entities kept from `entity_groups`.
const MAX_ENTITIES: usize = 4 * MAX_GPUS;

/// True when the head of a file is DCGM diagnostic JSON: a JSON object with
/// one of the two root keys as a top-level key, or a `test_categories` key
/// one level down (a root this parser does not know, so that it is still
/// read and warned about). Keys are found by a small scanner that skips
/// string contents and tracks nesting, so a JSON Schema that merely
/// mentions the root key in `properties` does not count.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    if head.get(start) != Some(&b'{') {
        return false;
    }
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = head.get(i) {
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let begin = i + 1;
                let mut j = begin;
                while let Some(&c) = head.get(j) {
                    match c {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                let Some(text) = head.get(begin..j) else {
                    return false;
                };
                let is_key = head
                    .get(j + 1..)
                    .and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace()))
                    == Some(&b':');
                if is_key {
                    let root =
                        depth == 1 && (text == ROOT_3X.as_bytes() || text == ROOT_4X.as_bytes());
                    if root || (depth == 2 && text == b"test_categories") {
                        return true;
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Parse a diagnostic result.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<DcgmDiag> {
    let newlines = Rc::new(Cell::new(0u64));
    let counting = CountingReader::new(reader, Rc::clone(&newlines));
    let mut state = State {
        path,
        newlines,
        out: DcgmDiag::default(),
        warnings: Vec::new(),
        other_keys: Vec::new(),
        dropped_tests: 0,
        dropped_results: 0,
        iterations: false,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let result = TopSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let failed = result.is_err();
    if let Err(e) = result {
        let kept = state.out.tests.len();
        state.warnings.push(json_warning(path, &e, kept));
    }
    state.finish(failed);
    Parsed {
        value: state.out,
        warnings: state.warnings,
    }
}

/// Everything the visitors share while they walk the document.
struct State<'a> {
    path: &'a str,
    newlines: Rc<Cell<u64>>,
    out: DcgmDiag,
    warnings: Vec<ParseWarning>,
    /// Top-level keys other than the known ones (first few), for the
    /// unknown-root warning.
    other_keys: Vec<String>,
    dropped_tests: u64,
    dropped_results: u64,
    iterations: bool,
}

impl State<'_> {
    /// The line the deserializer is on.
    fn line(&self) -> u64 {
        self.newlines.get() + 1
    }

    fn finish(&mut self, json_failed: bool) {
        let path = self.path;
        let warn = |w: &mut Vec<ParseWarning>, m: String| w.push(ParseWarning::new(path, None, m));
        // Not JSON at all is already said; "unknown root" would only repeat it.
        let nothing_read = json_failed && self.other_keys.is_empty();
        if self.out.root.is_none() && !nothing_read {
            let keys = if self.other_keys.is_empty() {
                "none".to_string()
            } else {
                self.other_keys
                    .iter()
                    .map(|k| format!("`{}`", cap_text(k, 60)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            warn(
                &mut self.warnings,
                format!(
                    "unknown root: expected `{ROOT_3X}` (DCGM 3.x) or `{ROOT_4X}` (DCGM 4.x), found top-level key(s) {keys}; no test read"
                ),
            );
        }
        if let (Some(layout), Some(v)) = (self.out.layout.as_deref(), self.out.version.as_deref()) {
            let major = v
                .trim()
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            let expected = match layout {
                "3.x" => major.is_some_and(|m| m <= 3),
                _ => major == Some(4),
            };
            if !expected {
                warn(
                    &mut self.warnings,
                    format!(
                        "unexpected DCGM version `{}` for the {layout} layout (root `{}`); read as {layout}, values may be missing",
                        cap_text(v, 40),
                        self.out.root.as_deref().unwrap_or("")
                    ),
                );
            }
        }
        if self.iterations {
            warn(
                &mut self.warnings,
                "multi-iteration run: per-iteration results (`iterations`) are not read, only the top-level tests and `Overall Result`".into(),
            );
        }
        if self.dropped_tests > 0 {
            warn(
                &mut self.warnings,
                format!(
                    "{} test(s) beyond the first {MAX_TESTS} were skipped",
                    self.dropped_tests
                ),
            );
        }
        if self.dropped_results > 0 {
            warn(
                &mut self.warnings,
                format!(
                    "{} result(s) beyond {MAX_RESULTS} per test were skipped",
                    self.dropped_results
                ),
            );
        }
        if self.out.root.is_some() && self.out.tests.is_empty() && self.out.runtime_error.is_none()
        {
            warn(
                &mut self.warnings,
                "no test in `test_categories`: the diagnostic reported nothing".into(),
            );
        }
        let mut odd = 0usize;
        for t in &self.out.tests {
            for r in &t.results {
                *self.out.status_counts.entry(r.status.clone()).or_default() += 1;
                if status_rank(&r.status) == 0 {
                    odd += 1;
                    if odd <= 5 {
                        self.warnings.push(ParseWarning::new(
                            path,
                            r.evidence.line,
                            format!(
                                "test `{}`: status `{}` is none of Pass, Skip, Warn, Fail, Not Run; counted but not judged",
                                cap_text(&t.name, 60),
                                cap_text(&r.status, 40)
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// A `ParseWarning` for a JSON error, with serde_json's line in the line
/// field rather than repeated in the message.
fn json_warning(path: &str, e: &serde_json::Error, tests_kept: usize) -> ParseWarning {
    let line = (e.line() > 0).then_some(e.line() as u64);
    let full = e.to_string();
    let bare = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full);
    let what = match e.classify() {
        serde_json::error::Category::Eof => "file ends inside the JSON document (truncated?)",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "not dcgmi diag -j output",
        serde_json::error::Category::Io => "read error",
    };
    ParseWarning::new(
        path,
        line,
        format!("{what}: {bare}; kept the {tests_kept} test(s) read before it"),
    )
}

/// Any JSON value read as text: strings as they are, numbers and booleans
/// printed, anything else skipped (`None`). DCGM's field types drifted
/// between versions; a type surprise must not lose the file.
#[derive(Debug, Default)]
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(Some(cap_text(v, EVIDENCE_TEXT_MAX))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Loose {
    fn int(&self) -> Option<i64> {
        self.0.as_deref()?.trim().parse().ok()
    }
}

/// A string, or a list of strings (joined with `; `), capped.
#[derive(Debug, Default)]
struct Texts(Vec<String>);

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Texts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Texts, E> {
                Ok(Texts(vec![cap_text(v, EVIDENCE_TEXT_MAX)]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Texts, E> {
                Ok(Texts::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                let mut out = Vec::new();
                while let Some(Loose(t)) = seq.next_element::<Loose>()? {
                    if out.len() < MAX_RESULT_WARNINGS {
                        out.extend(t);
                    }
                }
                Ok(Texts(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Texts, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Texts::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// `metadata` (4.x).
#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    version: Loose,
    #[serde(rename = "Driver Version Detected", default)]
    driver: Loose,
}

/// `test_summary` (4.x).
#[derive(Debug, Default, Deserialize)]
struct Summary {
    #[serde(default)]
    status: Loose,
    #[serde(default)]
    info: Texts,
}

/// A warning as an object (4.x) or a bare string (older output).
struct RawWarning(DcgmWarning);

impl<'de> Deserialize<'de> for RawWarning {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Obj {
            #[serde(default)]
            warning: Loose,
            #[serde(default)]
            error_id: Loose,
            #[serde(default)]
            error_category: Loose,
            #[serde(default)]
            error_severity: Loose,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawWarning;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a warning object or string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawWarning, E> {
                Ok(RawWarning(DcgmWarning {
                    warning: cap_text(v, EVIDENCE_TEXT_MAX),
                    ..DcgmWarning::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawWarning, A::Error> {
                let o = Obj::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let category = o.error_category.int();
                let severity = o.error_severity.int();
                Ok(RawWarning(DcgmWarning {
                    warning: o.warning.0.unwrap_or_default(),
                    error_id: o.error_id.int(),
                    error_category: category,
                    category_name: category.map(|c| dcgm_category_name(c).to_string()),
                    error_severity: severity,
                    severity_name: severity.map(|s| dcgm_severity_name(s).to_string()),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// The top-level object.
struct TopSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DCGM diagnostic JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                ROOT_3X | ROOT_4X if st.out.root.is_none() => {
                    st.out.layout = Some(if key == ROOT_3X { "3.x" } else { "4.x" }.into());
                    st.out.root = Some(key);
                    map.next_value_seed(DiagSeed(&mut *st))?;
                }
                "entity_groups" => map.next_value_seed(EntityGroupsSeed(&mut *st))?,
                "metadata" => {
                    let m: Meta = map.next_value()?;
                    st.out.version = m.version.0.or(st.out.version.take());
                    st.out.driver_version = m.driver.0.or(st.out.driver_version.take());
                }
                "Overall Result" => st.out.overall_result = map.next_value::<Loose>()?.0,
                "iterations" => {
                    st.iterations = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    if st.other_keys.len() < 5 {
                        st.other_keys.push(key);
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The object under the root key.
struct DiagSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for DiagSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DiagSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the diagnostic object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "test_categories" => map.next_value_seed(CategoriesSeed(&mut *st))?,
                "runtime_error" => st.out.runtime_error = map.next_value::<Loose>()?.0,
                "version" => {
                    let v = map.next_value::<Loose>()?.0;
                    st.out.version = st.out.version.take().or(v);
                }
                "Driver Version Detected" => {
                    let v = map.next_value::<Loose>()?.0;
                    st.out.driver_version = st.out.driver_version.take().or(v);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct CategoriesSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for CategoriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CategoriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of test categories")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(CategorySeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct CategorySeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for CategorySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CategorySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a test category object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        let first = st.out.tests.len();
        let mut name: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "category" => name = map.next_value::<Loose>()?.0,
                "tests" => map.next_value_seed(TestsSeed {
                    state: &mut *st,
                    category: name.clone(),
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // `category` may follow `tests` in an unsorted writer.
        if let Some(name) = &name {
            for t in st.out.tests.iter_mut().skip(first) {
                if t.category.is_none() {
                    t.category = Some(name.clone());
                    for r in &mut t.results {
                        r.evidence.locator = Some(locator(Some(name), &t.name, r));
                    }
                }
            }
        }
        Ok(())
    }
}

struct TestsSeed<'s, 'a> {
    state: &'s mut State<'a>,
    category: Option<String>,
}

impl<'de> DeserializeSeed<'de> for TestsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TestsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tests")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.state;
        while let Some(mut test) = seq.next_element_seed(TestSeed(&mut *st))? {
            if st.out.tests.len() >= MAX_TESTS {
                st.dropped_tests += 1;
                continue;
            }
            test.category = self.category.clone();
            for r in &mut test.results {
                r.evidence.text = evidence_text(&test.name, r);
                r.evidence.locator = Some(locator(test.category.as_deref(), &test.name, r));
            }
            st.out.tests.push(test);
        }
        Ok(())
    }
}

/// `GPU 0: Memory: Fail: <first warning>`.
fn evidence_text(test: &str, r: &DcgmResult) -> String {
    let who = match (&r.entity_group, &r.entity) {
        (Some(g), Some(e)) => format!(" on {g} {e}"),
        (None, Some(e)) => format!(" on {e}"),
        _ => String::new(),
    };
    let why = r
        .warnings
        .first()
        .map(|w| format!(": {}", w.warning))
        .or_else(|| r.info.as_ref().map(|i| format!(": {i}")))
        .unwrap_or_default();
    cap_text(
        &format!("{test}{who}: {}{why}", r.status),
        EVIDENCE_TEXT_MAX,
    )
}

fn locator(category: Option<&str>, test: &str, r: &DcgmResult) -> String {
    let mut l = format!(
        "test_categories / {} / {test}",
        category.unwrap_or("(no category)")
    );
    if let Some(e) = &r.entity {
        l.push_str(&format!(
            " / {} {e}",
            r.entity_group.as_deref().unwrap_or("entity")
        ));
    }
    l
}

struct TestSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TestSeed<'_, '_> {
    type Value = DcgmTest;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<DcgmTest, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TestSeed<'_, '_> {
    type Value = DcgmTest;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a test object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DcgmTest, A::Error> {
        let st = self.0;
        let mut test = DcgmTest::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => test.name = map.next_value::<Loose>()?.0.unwrap_or_default(),
                "results" => test.results = map.next_value_seed(ResultsSeed(&mut *st))?,
                "test_summary" => {
                    let summary = map.next_value::<Summary>()?;
                    test.summary_status = summary.status.0;
                    // The same one-line form as a result's `info`.
                    test.summary_info = (!summary.info.0.is_empty()).then(|| {
                        cap_text(&clean_text(&summary.info.0.join("; ")), EVIDENCE_TEXT_MAX)
                    });
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(test)
    }
}

struct ResultsSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_, '_> {
    type Value = Vec<DcgmResult>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_, '_> {
    type Value = Vec<DcgmResult>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of results")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let st = self.0;
        let mut out = Vec::new();
        while let Some(r) = seq.next_element_seed(ResultSeed(&mut *st))? {
            if out.len() < MAX_RESULTS {
                out.push(r);
            } else {
                st.dropped_results += 1;
            }
        }
        Ok(out)
    }
}

struct ResultSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for ResultSeed<'_, '_> {
    type Value = DcgmResult;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<DcgmResult, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_, '_> {
    type Value = DcgmResult;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DcgmResult, A::Error> {
        let st = self.0;
        let mut line = st.line();
        let mut r = DcgmResult {
            entity_group: None,
            entity: None,
            status: String::new(),
            info: None,
            warnings: Vec::new(),
            evidence: Evidence::new(st.path, None, ""),
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "gpu_ids" => {
                    r.entity = map.next_value::<Loose>()?.0;
                    r.entity_group.get_or_insert_with(|| "GPU".into());
                }
                "entity_id" => r.entity = map.next_value::<Loose>()?.0,
                "entity_group" => r.entity_group = map.next_value::<Loose>()?.0,
                "status" => {
                    // The status key's line is the line a reader looks for.
                    line = st.line();
                    r.status = map
                        .next_value::<Loose>()?
                        .0
                        .map(|s| s.trim().to_string())
                        .unwrap_or_default();
                }
                // DCGM pads values with tabs ("power average:\t70 W"); one
                // line of plain text is what a report can show.
                "info" => {
                    let t = map.next_value::<Texts>()?.0;
                    r.info = (!t.is_empty())
                        .then(|| cap_text(&clean_text(&t.join("; ")), EVIDENCE_TEXT_MAX));
                }
                "warnings" => {
                    let ws: Vec<RawWarning> = map.next_value::<WarningList>()?.0;
                    r.warnings.extend(ws.into_iter().map(|mut w| {
                        w.0.warning = clean_text(&w.0.warning);
                        w.0
                    }));
                }
                "warning" => {
                    if let Some(w) = map.next_value::<Loose>()?.0 {
                        r.warnings.push(DcgmWarning {
                            warning: clean_text(&w),
                            ..DcgmWarning::default()
                        });
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        r.warnings.truncate(MAX_RESULT_WARNINGS);
        r.evidence.line = Some(line);
        Ok(r)
    }
}

/// `warnings[]`, capped.
struct WarningList(Vec<RawWarning>);

impl<'de> Deserialize<'de> for WarningList {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WarningList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of warnings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<WarningList, E> {
                Ok(WarningList(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WarningList, E> {
                Ok(WarningList(vec![RawWarning(DcgmWarning {
                    warning: cap_text(v, EVIDENCE_TEXT_MAX),
                    ..DcgmWarning::default()
                })]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WarningList, A::Error> {
                let mut out = Vec::new();
                while let Some(w) = seq.next_element::<RawWarning>()? {
                    if out.len() < MAX_RESULT_WARNINGS {
                        out.push(w);
                    }
                }
                Ok(WarningList(out))
            }
        }
        d.deserialize_any(V)
    }
}

struct EntityGroupsSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for EntityGroupsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntityGroupsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of entity groups")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        #[derive(Deserialize)]
        struct Entity {
            #[serde(default)]
            device_id: Loose,
            #[serde(default)]
            entity_id: Loose,
            #[serde(default)]
            serial_num: Loose,
        }
        #[derive(Deserialize)]
        struct Group {
            #[serde(default)]
            entity_group: Loose,
            #[serde(default)]
            entities: Vec<Entity>,
        }
        let st = self.0;
        while let Some(g) = seq.next_element::<Group>()? {
            for e in g.entities {
                if st.out.entities.len() >= MAX_ENTITIES {
                    break;
                }
                st.out.entities.push(DcgmEntity {
                    entity_group: g.entity_group.0.clone(),
                    entity_id: e.entity_id.int(),
                    device_id: e.device_id.0,
                    serial: e.serial_num.0,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> Parsed<DcgmDiag> {
        parse("d.json", std::io::Cursor::new(s.as_bytes().to_vec()))
    }

    #[test]
    fn sniff_needs_an_object_with_a_dcgm_key() {
        assert!(sniff(b"{\n\t\"DCGM GPU Diagnostic\" : \n\t{"));
        assert!(sniff(b"{\"DCGM Diagnostic\":{}}"));
        assert!(sniff(b"  {\"x\": {\"test_categories\" : []}}"));
        assert!(!sniff(b"[\"DCGM Diagnostic\"]"));
        assert!(!sniff(b"{\"name\": \"DCGM Diagnostic\"}"));
        assert!(!sniff(b"{\"properties\": {\"DCGM Diagnostic\": {}}}"));
        assert!(!sniff(b"{\"a\": \"\\\"DCGM Diagnostic\\\": 1\"}"));
        assert!(!sniff(b""));
    }

    #[test]
    fn results_carry_the_line_of_their_status() {
        let p = run(r#"{"DCGM Diagnostic": {"test_categories": [
  {"category": "Hardware", "tests": [
    {"name": "Memory",
     "results": [
       {"entity_group": "GPU", "entity_group_id": 1, "entity_id": 0,
        "status": "Fail",
        "warnings": [{"warning": "bad", "error_id": 84, "error_category": 10, "error_severity": 2}]}
     ],
     "test_summary": {"status": "Fail"}}
  ]}
]}, "metadata": {"version": "4.2.3"}}"#);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let t = &p.value.tests[0];
        assert_eq!(t.category.as_deref(), Some("Hardware"));
        let r = &t.results[0];
        assert_eq!(r.evidence.line, Some(6));
        assert_eq!(r.evidence.text, "Memory on GPU 0: Fail: bad");
        assert_eq!(r.warnings[0].severity_name.as_deref(), Some("ISOLATE"));
        assert_eq!(
            r.warnings[0].category_name.as_deref(),
            Some("HARDWARE_MEMORY")
        );
        assert_eq!(p.value.status_counts["Fail"], 1);
    }

    #[test]
    fn unknown_root_and_version_warn() {
        let p = run(r#"{"DCGM Diagnostics": {}}"#);
        assert!(p.warnings[0].message.starts_with("unknown root"));
        let p = run(
            r#"{"DCGM Diagnostic": {"test_categories": []}, "metadata": {"version": "5.0.0"}}"#,
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.contains("unexpected DCGM version `5.0.0`"))
        );
    }

    #[test]
    fn truncation_keeps_finished_tests() {
        let p = run(
            r#"{"DCGM GPU Diagnostic": {"test_categories": [{"category": "Deployment", "tests": [
            {"name": "Denylist", "results": [{"status": "Pass"}]},
            {"name": "NVML Library", "results": [{"sta"#,
        );
        assert_eq!(p.value.tests.len(), 1);
        assert!(p.warnings[0].message.contains("truncated"));
        assert_eq!(p.warnings[0].line, Some(3));
    }
}
