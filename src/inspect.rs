//! `mlperf-health inspect DIR`: what the tool found, what it took each file
//! for, where it attributed it, and what went wrong reading it. The first
//! thing to run when a report looks wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::model::{ArtifactKind, Campaign, ParseWarning, SubmissionPath};
use crate::parse::NullSink;

/// One file as `inspect` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectedFile {
    /// Path relative to the root.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Recognised kind.
    pub kind: String,
    /// Node it was attributed to.
    pub node: Option<String>,
    /// LoadGen run (folder) it belongs to.
    pub run: Option<String>,
    /// Harness step it belongs to.
    pub step: Option<String>,
    /// For a compliance verification file: the test it belongs to (system,
    /// benchmark, scenario from the path; `kind` is the test, `TEST01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_test: Option<SubmissionPath>,
    /// Parse warnings for this file.
    pub warnings: Vec<ParseWarning>,
}

/// Everything `inspect` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// The root as given.
    pub root: String,
    /// Every file, in path order.
    pub files: Vec<InspectedFile>,
    /// Paths that could not be read or were not followed.
    pub unreadable: Vec<ParseWarning>,
    /// Files per kind.
    pub by_kind: BTreeMap<String, u64>,
}

/// Walk and parse `root` (rules are not run) and describe every file.
pub fn inspect(root: &Path) -> Inspection {
    let campaign: Campaign = crate::pipeline::collect(root, None, &mut NullSink);
    let mut warnings: BTreeMap<&str, Vec<ParseWarning>> = BTreeMap::new();
    for w in &campaign.warnings {
        warnings.entry(w.path.as_str()).or_default().push(w.clone());
    }
    let mut by_kind = BTreeMap::new();
    let files = campaign
        .files
        .iter()
        .map(|f| {
            *by_kind.entry(f.kind.as_str().to_string()).or_insert(0) += 1;
            InspectedFile {
                path: f.path.clone(),
                bytes: f.bytes,
                kind: f.kind.as_str().to_string(),
                node: f.node.clone(),
                run: f.run.clone(),
                step: f.step.clone(),
                compliance_test: (f.kind == ArtifactKind::ComplianceVerify)
                    .then(|| {
                        let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d);
                        crate::parse::verify::test_folder(dir).map(|(_, info)| info)
                    })
                    .flatten(),
                warnings: warnings.get(f.path.as_str()).cloned().unwrap_or_default(),
            }
        })
        .collect();
    Inspection {
        root: campaign.root.clone(),
        files,
        unreadable: campaign.unreadable.clone(),
        by_kind,
    }
}

/// The inspection as an aligned text table, then warnings and unreadable
/// paths. Paths and names come from the input: control characters are
/// removed so a hostile file name cannot drive the terminal.
pub fn to_table(i: &Inspection) -> String {
    let clean = |s: &str| crate::text::clean_text(s);
    let rows: Vec<[String; 5]> = i
        .files
        .iter()
        .map(|f| {
            let attached = match (&f.run, &f.step, &f.compliance_test) {
                (_, _, Some(t)) => format!(
                    "test {}/{}/{}/{}",
                    clean(t.system.as_deref().unwrap_or("?")),
                    clean(&t.benchmark),
                    clean(&t.scenario_dir),
                    clean(t.kind.as_deref().unwrap_or("?"))
                ),
                (Some(r), _, _) => format!("run {}", clean(r)),
                (None, Some(s), _) => format!("step {}", clean(s)),
                _ => "-".into(),
            };
            [
                clean(&f.path),
                f.kind.clone(),
                f.node.as_deref().map(clean).unwrap_or_else(|| "-".into()),
                attached,
                f.warnings.len().to_string(),
            ]
        })
        .collect();
    let head = ["PATH", "KIND", "NODE", "ATTRIBUTED TO", "WARNINGS"];
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (k, (c, w)) in cells.iter().zip(width).enumerate() {
            if k == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(head);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    out.push_str(&format!(
        "\n{} file(s): {}\n",
        i.files.len(),
        i.by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let warned: Vec<&ParseWarning> = i.files.iter().flat_map(|f| &f.warnings).collect();
    if !warned.is_empty() {
        out.push_str("\nParse warnings:\n");
        for w in warned {
            out.push_str(&format!("  {}\n", clean(&w.to_string())));
        }
    }
    if !i.unreadable.is_empty() {
        out.push_str("\nNot read:\n");
        for u in &i.unreadable {
            out.push_str(&format!("  {}: {}\n", clean(&u.path), clean(&u.message)));
        }
    }
    out
}
