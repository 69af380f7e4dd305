//! Provenance and severity: every number the report prints points back here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One line of evidence: a path relative to the artifacts root, a 1-based line
/// number where the format has lines, and the (capped) text of that line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema, Deserialize)]
pub struct Evidence {
    /// Path relative to the artifacts root, `/`-separated.
    pub path: String,
    /// 1-based line number in `path`, where the format has lines.
    pub line: Option<u64>,
    /// The evidence text, capped at [`EVIDENCE_TEXT_MAX`] bytes.
    pub text: String,
    /// Where inside a structured file the text sits (for example
    /// `task "warmup" on node-b, stderr line 3`), when `line` alone is not enough.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub locator: Option<String>,
}

/// Longest evidence text kept, in bytes; longer text is cut on a char boundary
/// and marked with `…`.
pub const EVIDENCE_TEXT_MAX: usize = 400;

impl Evidence {
    /// Evidence from a file and line, with the text capped.
    pub fn new(path: impl Into<String>, line: Option<u64>, text: &str) -> Self {
        Evidence {
            path: path.into(),
            line,
            text: cap_text(text, EVIDENCE_TEXT_MAX),
            locator: None,
        }
    }

    /// The same evidence with a locator inside a structured file.
    pub fn with_locator(mut self, locator: impl Into<String>) -> Self {
        self.locator = Some(locator.into());
        self
    }

    /// `path:line` as printed in reports.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{}", self.path, l),
            None => self.path.clone(),
        }
    }
}

/// Cut `text` to at most `max` bytes on a char boundary, trimming line-end
/// whitespace; a cut is marked with `…` so a reader knows text is missing.
pub fn cap_text(text: &str, max: usize) -> String {
    let text = text.trim_end_matches(['\r', '\n']);
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    JsonSchema,
    Deserialize,
    Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, no action needed.
    #[default]
    Info,
    /// Minor.
    Low,
    /// Degrades results; plan a fix.
    Medium,
    /// Breaks a step or a result; fix before the next campaign.
    High,
    /// Hardware or cluster-wide failure; stop and fix now.
    Critical,
}

impl Severity {
    /// Lower-case name as used in JSON, CLI flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a lower-case severity name.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// A non-fatal problem reading one input file: it names the file and line and
/// ends up in the report's input section.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema, Deserialize)]
pub struct ParseWarning {
    /// Path relative to the artifacts root.
    pub path: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// What was wrong and what the tool did about it.
    pub message: String,
}

impl ParseWarning {
    /// A warning about `path` at `line`.
    pub fn new(path: impl Into<String>, line: Option<u64>, message: impl Into<String>) -> Self {
        ParseWarning {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
