//! Discover stage: walk the artifacts root and recognise what each file is.
//!
//! Files are recognised first by name (`mlperf_log_summary.txt`,
//! `steps/<step>/stdout.log`, …) and otherwise by sniffing their first bytes
//! (so `gpu0.xml` holding `nvidia-smi -q -x` output is still found). The
//! node a file belongs to comes from a `nodes/<name>/` folder on its path.
//! The conventions are documented in `docs/artifacts.md`.
//!
//! Symbolic links are never followed and non-regular files (FIFOs, sockets,
//! devices) are never opened, so a hostile tree can neither escape the root
//! nor hang the walk.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::model::ArtifactKind;
use crate::parse::{
    ansible, dcgm, kernel_log, kubectl, loadgen_accuracy, loadgen_trace, nvidia_smi_csv,
    nvidia_smi_text, nvidia_smi_xml, software, training, verify,
};

/// Bytes read from the head of a file to sniff its kind.
const SNIFF_BYTES: usize = 4096;

/// One recognised (or unrecognised) file.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// Where to open it.
    pub fs_path: PathBuf,
    /// Path relative to the root, `/`-separated: used in every report.
    pub rel: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// Size in bytes.
    pub bytes: u64,
    /// Node from `nodes/<name>/`.
    pub node: Option<String>,
    /// Step from `steps/<step>/` (step logs).
    pub step: Option<String>,
    /// The folder holding it, relative to the root (LoadGen runs are keyed
    /// by it).
    pub dir: String,
}

/// A path that could not be read or was deliberately not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the root.
    pub rel: String,
    /// Why.
    pub reason: String,
}

/// The result of a walk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovery {
    /// Every regular file, in path order.
    pub artifacts: Vec<Artifact>,
    /// What could not be read.
    pub skipped: Vec<Skipped>,
}

/// Walk `root`, skipping `exclude` (the output directory, when it sits
/// inside the root).
pub fn discover(root: &Path, exclude: Option<&Path>) -> Discovery {
    let mut out = Discovery::default();
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let is_excluded = exclude.as_ref().is_some_and(|x| {
                // Canonicalising every walked path cost a tenth of a report
                // over a big tree. Only a directory with the out dir's name,
                // or a symbolic link (which may point at it), can be it.
                let ft = e.file_type();
                let candidate =
                    ft.is_symlink() || (ft.is_dir() && x.file_name() == Some(e.file_name()));
                candidate && e.path().canonicalize().ok().as_ref() == Some(x)
            });
            !is_excluded && e.file_name() != ".git"
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let rel = err
                    .path()
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| ".".into());
                out.skipped.push(Skipped {
                    rel,
                    reason: describe_io(err.io_error(), "could not be read"),
                });
                continue;
            }
        };
        let ft = entry.file_type();
        let rel = relative(root, entry.path());
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            out.skipped.push(Skipped {
                rel,
                reason: "symbolic link: not followed".into(),
            });
            continue;
        }
        if !ft.is_file() {
            out.skipped.push(Skipped {
                rel,
                reason: "not a regular file (FIFO, socket or device): not opened".into(),
            });
            continue;
        }
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        let (node, step) = path_context(&rel);
        let kind = match kind_by_name(&rel) {
            Some(k) => k,
            None => match sniff(entry.path()) {
                Ok(k) => k,
                Err(reason) => {
                    out.skipped.push(Skipped { rel, reason });
                    continue;
                }
            },
        };
        let step = match kind {
            ArtifactKind::StepStdout | ArtifactKind::StepStderr => step,
            _ => None,
        };
        let dir = rel
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        out.artifacts.push(Artifact {
            fs_path: entry.path().to_path_buf(),
            rel,
            kind,
            bytes,
            node,
            step,
            dir,
        });
    }
    out
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if s.is_empty() {
        ".".into()
    } else {
        s.join("/")
    }
}

fn describe_io(err: Option<&std::io::Error>, fallback: &str) -> String {
    match err {
        Some(e) if e.kind() == std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        Some(e) => e.to_string(),
        None => fallback.into(),
    }
}

/// Node from `nodes/<name>/…`, step from `steps/<step>/…`.
fn path_context(rel: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = rel.split('/').collect();
    let after = |name: &str| {
        parts
            .windows(3)
            .find(|w| w[0] == name)
            .map(|w| w[1].to_string())
    };
    (after("nodes"), after("steps"))
}

/// Recognition by file name alone.
fn kind_by_name(rel: &str) -> Option<ArtifactKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let in_steps = rel.split('/').rev().nth(2) == Some("steps");
    let in_systems = rel.split('/').rev().nth(1) == Some("systems");
    Some(match name {
        "mlperf_log_summary.txt" => ArtifactKind::LoadgenSummary,
        "mlperf_log_detail.txt" => ArtifactKind::LoadgenDetail,
        "mlperf_log_trace.json" => ArtifactKind::LoadgenTrace,
        "mlperf_log_accuracy.json" => ArtifactKind::LoadgenAccuracy,
        "accuracy.txt" => ArtifactKind::AccuracyResult,
        "user.conf" | "mlperf.conf" => ArtifactKind::LoadgenConfig,
        "measurements.json" => ArtifactKind::SubmissionMeta,
        n if verify::FILE_NAMES.contains(&n) => ArtifactKind::ComplianceVerify,
        n if in_systems && n.ends_with(".json") => ArtifactKind::SubmissionMeta,
        n if n.ends_with(".run.json") => ArtifactKind::RunRecord,
        "stdout.log" if in_steps => ArtifactKind::StepStdout,
        "stderr.log" if in_steps => ArtifactKind::StepStderr,
        n if training::is_result_name(n) => ArtifactKind::TrainingLog,
        _ => return None,
    })
}

/// Recognition by content, for files whose names say nothing.
fn sniff(path: &Path) -> Result<ArtifactKind, String> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let file = File::open(path).map_err(|e| describe_io(Some(&e), "could not be opened"))?;
    file.take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| describe_io(Some(&e), "could not be read"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(sniff_bytes(&name, &head))
}

/// Recognise a kind from a file's name and first bytes. The order matters:
/// specific formats are tried before general ones.
pub fn sniff_bytes(name: &str, head: &[u8]) -> ArtifactKind {
    if nvidia_smi_xml::sniff(head) {
        ArtifactKind::NvidiaSmiXml
    } else if ansible::sniff(head) {
        ArtifactKind::AnsibleJson
    } else if dcgm::sniff(head) {
        ArtifactKind::DcgmDiag
    } else if kubectl::sniff(head) {
        ArtifactKind::Kubectl
    } else if loadgen_trace::sniff(head) {
        ArtifactKind::LoadgenTrace
    } else if loadgen_accuracy::sniff(head) {
        ArtifactKind::LoadgenAccuracy
    } else if training::sniff(head) {
        // Before the LoadGen check: both write `:::MLLOG`, only training
        // logs use training keys.
        ArtifactKind::TrainingLog
    } else if memchr::memmem::find(head, b":::MLLOG").is_some() {
        ArtifactKind::LoadgenDetail
    } else if memchr::memmem::find(head, b"MLPerf Results Summary").is_some() {
        ArtifactKind::LoadgenSummary
    } else if nvidia_smi_csv::sniff(head) {
        ArtifactKind::NvidiaSmiCsv
    } else if nvidia_smi_text::sniff(head) {
        ArtifactKind::NvidiaSmiText
    } else if kernel_log::sniff(name, head) {
        ArtifactKind::KernelLog
    } else if software::sniff(name, head) {
        ArtifactKind::SoftwareDump
    } else {
        ArtifactKind::Unrecognized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_and_step_come_from_the_path() {
        assert_eq!(
            path_context("nodes/node-a/steps/warmup/stderr.log"),
            (Some("node-a".into()), Some("warmup".into()))
        );
        assert_eq!(path_context("nodes/x"), (None, None));
    }

    #[test]
    fn step_logs_need_a_steps_folder() {
        assert_eq!(
            kind_by_name("nodes/a/steps/s/stdout.log"),
            Some(ArtifactKind::StepStdout)
        );
        assert_eq!(kind_by_name("random/stdout.log"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_out_dir_is_skipped_however_it_is_reached() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        };
        write("report/report.md");
        write("a/report/keep.txt");
        write("a/b.txt");
        std::os::unix::fs::symlink(root.path().join("report"), root.path().join("link")).unwrap();
        std::os::unix::fs::symlink(root.path().join("a"), root.path().join("other")).unwrap();
        let found = discover(root.path(), Some(&root.path().join("report")));
        let files: Vec<&str> = found.artifacts.iter().map(|a| a.rel.as_str()).collect();
        assert_eq!(files, ["a/b.txt", "a/report/keep.txt"]);
        let skipped: Vec<&str> = found.skipped.iter().map(|s| s.rel.as_str()).collect();
        assert_eq!(skipped, ["other"]);
    }

    #[test]
    fn loadgen_logs_are_sniffed_under_other_names() {
        assert_eq!(
            sniff_bytes("x.log", b":::MLLOG {\"key\": \"loadgen_version\"}"),
            ArtifactKind::LoadgenDetail
        );
        assert_eq!(sniff_bytes("x.txt", b"hello"), ArtifactKind::Unrecognized);
    }
}
