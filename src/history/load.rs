//! Reading past `report.json` files tolerantly.
//!
//! [`PastReport`] is this module's own minimal view of the report contract:
//! only the fields history needs, every one `#[serde(default)]` and enums as
//! plain strings, so a report from an older (or newer minor) writer loads as
//! long as the fields it has keep their meaning. A file that is not JSON, or
//! is JSON but not an mlperf-health report (no `schema_version`, another
//! tool), or has a newer major `schema_version`, is skipped with a warning
//! naming it, never a failure of the whole command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{Report, SCHEMA_VERSION};

/// Largest `report.json` read; a bigger one is skipped (a real report is
/// tens of kilobytes: lists in it are capped).
pub const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The fields of a report that history uses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastReport {
    /// Layout version; `None` when absent (then the file is foreign).
    pub schema_version: Option<u32>,
    /// Writer.
    pub tool: PastTool,
    /// Title.
    pub title: String,
    /// RFC 3339 time, when the report was stamped.
    pub generated_at: Option<String>,
    /// Inputs summary.
    pub inputs: PastInputs,
    /// Overall score.
    pub overall: PastOverall,
    /// Components.
    pub components: Vec<PastComponent>,
    /// Nodes.
    pub nodes: Vec<PastNode>,
    /// LoadGen runs.
    pub runs: Vec<PastRun>,
    /// Harness steps.
    pub steps: Vec<PastStep>,
    /// Findings.
    pub findings: Vec<PastFinding>,
    /// Versions per node.
    pub software: Vec<PastSoftwareRow>,
}

/// Writer identity.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastTool {
    /// Must be `mlperf-health` for the file to count as a report.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Inputs summary.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastInputs {
    /// Artifacts root as given.
    pub root: String,
}

/// Overall score.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastOverall {
    /// 0–100, or none.
    pub score: Option<f64>,
    /// Status word.
    pub status: String,
}

/// A component score.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastComponent {
    /// Id (`reliability`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// 0–100, or none.
    pub score: Option<f64>,
    /// Status word.
    pub status: String,
}

/// A node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastNode {
    /// Name.
    pub name: String,
    /// `healthy`, `degraded`, `unhealthy`, `not_assessed`.
    pub verdict: String,
    /// Reachable per the harness.
    pub reachable: Option<bool>,
    /// Steps ok.
    pub steps_ok: u64,
    /// Steps failed.
    pub steps_failed: u64,
    /// Worst finding severity.
    pub worst_severity: Option<String>,
    /// GPUs.
    pub gpus: Vec<PastGpu>,
}

/// A GPU.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastGpu {
    /// Product name.
    pub name: Option<String>,
    /// Driver version.
    pub driver_version: Option<String>,
}

/// Latency percentiles, ns.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastLatency {
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// Run metrics.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastMetrics {
    /// Samples per second.
    pub samples_per_second: Option<f64>,
    /// Tokens per second.
    pub tokens_per_second: Option<f64>,
    /// Per-sample latency.
    pub latency_ns: PastLatency,
    /// Time to first token.
    pub ttft_ns: PastLatency,
    /// Time per output token.
    pub tpot_ns: PastLatency,
}

/// A LoadGen run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastRun {
    /// Run directory relative to the artifacts root.
    pub id: String,
    /// Node.
    pub node: Option<String>,
    /// Scenario.
    pub scenario: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// `VALID`, `INVALID`, `UNKNOWN`.
    pub result: String,
    /// Metrics.
    pub metrics: PastMetrics,
    /// Key effective settings.
    pub settings: BTreeMap<String, String>,
}

/// A harness step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastStep {
    /// Task name.
    pub name: String,
    /// Node.
    pub node: String,
    /// Outcome word.
    pub outcome: String,
}

/// A finding.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastFinding {
    /// Rule id.
    pub rule: String,
    /// Severity word.
    pub severity: String,
    /// Title.
    pub title: String,
    /// Nodes touched.
    pub nodes: Vec<String>,
    /// Steps touched.
    pub steps: Vec<String>,
}

/// Versions per node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PastSoftwareRow {
    /// What.
    pub component: String,
    /// Node → version.
    pub versions: BTreeMap<String, String>,
}

impl PastStep {
    /// Whether the outcome counts as a failed step (as `steps_failed` does).
    pub fn is_failure(&self) -> bool {
        matches!(
            self.outcome.as_str(),
            "failed" | "timed_out" | "unreachable"
        )
    }
}

impl PastReport {
    /// Failed, timed-out or unreachable steps.
    pub fn failed_steps(&self) -> u64 {
        self.steps.iter().filter(|s| s.is_failure()).count() as u64
    }

    /// A component's score by id.
    pub fn component_score(&self, id: &str) -> Option<f64> {
        self.components
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.score)
    }
}

/// The current in-memory report seen through the same view, so a baseline
/// comparison treats both sides alike. Serialisation of a `Report` cannot
/// fail in practice (no maps with non-string keys); if it ever did, the view
/// would be empty and every metric inconclusive, which is the honest result.
pub fn from_report(report: &Report) -> PastReport {
    serde_json::to_value(report)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Parse `bytes` (the contents of `name`) as a report, or say why not.
pub fn parse_report(bytes: &[u8]) -> Result<PastReport, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    if !value.is_object() {
        return Err("not an mlperf-health report (the JSON is not an object)".into());
    }
    let report: PastReport =
        serde_json::from_value(value).map_err(|e| format!("not an mlperf-health report ({e})"))?;
    match report.schema_version {
        None => return Err("not an mlperf-health report (no schema_version)".into()),
        Some(v) if v > SCHEMA_VERSION => {
            return Err(format!(
                "schema_version {v} is newer than this tool reads ({SCHEMA_VERSION})"
            ));
        }
        Some(_) => {}
    }
    if !report.tool.name.is_empty() && report.tool.name != env!("CARGO_PKG_NAME") {
        return Err(format!(
            "not an mlperf-health report (written by `{}`)",
            report.tool.name
        ));
    }
    Ok(report)
}

/// Read and parse one `report.json`.
pub fn load_report(path: &Path) -> Result<PastReport, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_REPORT_BYTES {
        return Err(format!(
            "{} bytes is larger than the {MAX_REPORT_BYTES}-byte limit for a report",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    parse_report(&bytes)
}

/// One report found in an archive.
#[derive(Debug, Clone)]
pub struct ArchivedRun {
    /// Folder holding `report.json`, relative to the archive root,
    /// `/`-separated (`.` for the root itself).
    pub folder: String,
    /// Absolute-or-as-given path of the folder.
    pub dir: PathBuf,
    /// The report.
    pub report: PastReport,
    /// `generated_at` as Unix seconds, when present and parseable.
    pub time: Option<i64>,
    /// Whether a `report.html` sits next to the JSON.
    pub has_html: bool,
}

/// What walking an archive gave.
#[derive(Debug, Default)]
pub struct Archive {
    /// Runs, newest first (see [`sort_newest_first`]).
    pub runs: Vec<ArchivedRun>,
    /// One line per skipped file, naming it.
    pub warnings: Vec<String>,
}

/// Find every `report.json` below `root` (not following links, not entering
/// `exclude`, typically the site being written) and load it.
pub fn walk_archive(root: &Path, exclude: Option<&Path>) -> Archive {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut archive = Archive::default();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| match &exclude {
            Some(x) => e.path().canonicalize().map(|p| &p != x).unwrap_or(true),
            None => true,
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let where_ = e.path().map(|p| rel(root, p)).unwrap_or_else(|| ".".into());
                archive
                    .warnings
                    .push(format!("{where_}: cannot read ({e}); skipped"));
                continue;
            }
        };
        if !entry.file_type().is_file() || entry.file_name() != "report.json" {
            continue;
        }
        let path = entry.path();
        let dir = path.parent().unwrap_or(root).to_path_buf();
        let folder = rel(root, &dir);
        match load_report(path) {
            Ok(report) => {
                let time = report.generated_at.as_deref().and_then(rfc3339_to_epoch);
                archive.runs.push(ArchivedRun {
                    has_html: dir.join("report.html").is_file(),
                    folder,
                    dir,
                    report,
                    time,
                });
            }
            Err(why) => archive
                .warnings
                .push(format!("{}: {why}; skipped", rel(root, path))),
        }
    }
    sort_newest_first(&mut archive.runs);
    archive
}

/// Newest first: runs with a parseable `generated_at` by that time
/// (descending), then runs without one by folder name (descending, so
/// date-named folders also come newest first). Ties keep folder order.
pub fn sort_newest_first(runs: &mut [ArchivedRun]) {
    runs.sort_by(|a, b| match (a.time, b.time) {
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| b.folder.cmp(&a.folder)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.folder.cmp(&a.folder),
    });
}

/// `p` relative to `root`, `/`-separated; `.` for the root itself.
pub fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s = r
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() { ".".into() } else { s }
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (RFC 3339; a space for `T`
/// is accepted) into Unix seconds, normalising the offset.
pub fn rfc3339_to_epoch(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let o = num(i + 1, 2)? * 3600 + num(i + 4, 2)? * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(crate::time::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// `YYYY-MM-DD` of Unix seconds (UTC).
pub fn epoch_to_date(secs: i64) -> String {
    crate::time::epoch_to_rfc3339(secs)
        .get(..10)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_normalises_offsets() {
        for secs in [0, 1_700_000_000, 951_782_400, 1_775_466_000] {
            let s = crate::time::epoch_to_rfc3339(secs);
            assert_eq!(rfc3339_to_epoch(&s), Some(secs), "{s}");
        }
        assert_eq!(
            rfc3339_to_epoch("2026-01-12T10:00:00.123+01:00"),
            rfc3339_to_epoch("2026-01-12T09:00:00Z")
        );
        for bad in [
            "",
            "2026-01-12",
            "2026-13-01T00:00:00Z",
            "2026-01-12T00:00:00",
            "x".repeat(40).as_str(),
        ] {
            assert_eq!(rfc3339_to_epoch(bad), None, "{bad}");
        }
        assert_eq!(epoch_to_date(1_775_466_000), "2026-04-06");
    }

    #[test]
    fn foreign_and_corrupt_json_are_rejected_with_a_reason() {
        let cases: [(&[u8], &str); 5] = [
            (b"{not json", "not valid JSON"),
            (b"[1, 2]", "not an object"),
            (b"{\"name\": \"x\"}", "no schema_version"),
            (
                b"{\"schema_version\": 1, \"tool\": {\"name\": \"other\"}}",
                "written by `other`",
            ),
            (b"{\"schema_version\": 99}", "newer"),
        ];
        for (bytes, want) in cases {
            let err = parse_report(bytes).err().unwrap_or_default();
            assert!(err.contains(want), "{err}");
        }
        let wrong_type = parse_report(b"{\"schema_version\": 1, \"overall\": {\"score\": \"x\"}}");
        assert!(wrong_type.is_err());
    }

    #[test]
    fn minimal_older_report_loads_with_defaults() {
        let r = parse_report(b"{\"schema_version\": 1, \"overall\": {\"score\": 80}}");
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(r.overall.score, Some(80.0));
        assert!(r.runs.is_empty());
        assert_eq!(r.failed_steps(), 0);
    }
}
