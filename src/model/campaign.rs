//! The parsed files of one campaign, assembled: which nodes exist, which
//! LoadGen runs and harness steps ran where, and what could not be read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::artifacts::*;
use super::gpu_probes::*;
use super::loadgen_extra::*;
use super::platform::*;
use super::software::*;
use super::source::ParseWarning;
use super::training::TrainingLog;

/// What a file was recognised as. Order is the order files are parsed in
/// within one directory-independent pass (harness records first, so host
/// names are known before anything is attributed by them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// Ansible `ansible.posix.json` stdout callback output.
    AnsibleJson,
    /// `mlperf_log_summary.txt`.
    LoadgenSummary,
    /// `mlperf_log_detail.txt`.
    LoadgenDetail,
    /// A step's `stdout.log`.
    StepStdout,
    /// A step's `stderr.log`.
    StepStderr,
    /// `nvidia-smi -q -x` output.
    NvidiaSmiXml,
    /// `mlperf_log_trace.json`.
    LoadgenTrace,
    /// `mlperf_log_accuracy.json`.
    LoadgenAccuracy,
    /// `accuracy.txt` from the reference accuracy scripts.
    AccuracyResult,
    /// `user.conf` / `mlperf.conf`.
    LoadgenConfig,
    /// `systems/<system>.json`, `measurements.json`.
    SubmissionMeta,
    /// `verify_accuracy.txt` / `verify_performance.txt` of a compliance test.
    ComplianceVerify,
    /// `nvidia-smi --query-gpu … --format=csv` (snapshot or telemetry).
    NvidiaSmiCsv,
    /// Plain `nvidia-smi -q` text.
    NvidiaSmiText,
    /// `dmesg` / syslog.
    KernelLog,
    /// `dcgmi diag -j`.
    DcgmDiag,
    /// `kubectl get nodes|pods|jobs -o json`.
    Kubectl,
    /// Software-stack dumps (`collect_env`, `pip list`, `nvcc`, `uname`, …).
    SoftwareDump,
    /// Generic harness run record (`*.run.json`).
    RunRecord,
    /// MLPerf Training/HPC `result_*.txt` (`:::MLLOG` from mlperf-logging).
    TrainingLog,
    /// Anything else: counted and listed, not an error.
    Unrecognized,
}

impl ArtifactKind {
    /// Name used in JSON and in `inspect`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::AnsibleJson => "ansible_json",
            ArtifactKind::LoadgenSummary => "loadgen_summary",
            ArtifactKind::LoadgenDetail => "loadgen_detail",
            ArtifactKind::StepStdout => "step_stdout",
            ArtifactKind::StepStderr => "step_stderr",
            ArtifactKind::NvidiaSmiXml => "nvidia_smi_xml",
            ArtifactKind::LoadgenTrace => "loadgen_trace",
            ArtifactKind::LoadgenAccuracy => "loadgen_accuracy",
            ArtifactKind::AccuracyResult => "accuracy_result",
            ArtifactKind::LoadgenConfig => "loadgen_config",
            ArtifactKind::SubmissionMeta => "submission_meta",
            ArtifactKind::ComplianceVerify => "compliance_verify",
            ArtifactKind::NvidiaSmiCsv => "nvidia_smi_csv",
            ArtifactKind::NvidiaSmiText => "nvidia_smi_text",
            ArtifactKind::KernelLog => "kernel_log",
            ArtifactKind::DcgmDiag => "dcgm_diag",
            ArtifactKind::Kubectl => "kubectl",
            ArtifactKind::SoftwareDump => "software_dump",
            ArtifactKind::RunRecord => "run_record",
            ArtifactKind::TrainingLog => "training_log",
            ArtifactKind::Unrecognized => "unrecognized",
        }
    }
}

/// One discovered file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileEntry {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// What it was recognised as.
    pub kind: ArtifactKind,
    /// The node it belongs to, where the path or content says.
    pub node: Option<String>,
    /// The LoadGen run (directory) or step it belongs to.
    pub run: Option<String>,
    /// The harness step it belongs to.
    pub step: Option<String>,
    /// Parse warnings for this file.
    pub warnings: u64,
}

/// One LoadGen run: the summary and detail log found in one directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadGenRun {
    /// Stable id: the run directory relative to the root.
    pub id: String,
    /// Node, from `nodes/<name>/` in the path.
    pub node: Option<String>,
    /// The step whose name matches a path component (`loadgen/<step>/`, or a
    /// step named like the run directory), when there is one.
    pub step: Option<String>,
    /// Path of the summary, with its parse.
    pub summary: Option<(String, LoadGenSummary)>,
    /// Path of the detail log, with its parse.
    pub detail: Option<(String, LoadGenDetail)>,
    /// Path of the trace, with its parse.
    pub trace: Option<(String, LoadGenTrace)>,
    /// Path of the accuracy log, with its parse.
    pub accuracy: Option<(String, AccuracyLog)>,
    /// Path of `accuracy.txt`, with its parse.
    pub accuracy_result: Option<(String, AccuracyResult)>,
    /// What the run folder's path says, in a submission tree.
    pub submission: Option<SubmissionPath>,
}

/// Everything known about one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeData {
    /// `nvidia-smi -q -x` dumps for this node: (path, parse).
    pub nvidia_smi: Vec<(String, NvidiaSmiDump)>,
    /// `nvidia-smi --query-gpu` CSV snapshots and telemetry series.
    pub gpu_csv: Vec<(String, GpuCsv)>,
    /// Plain `nvidia-smi -q` text dumps.
    pub nvidia_smi_text: Vec<(String, NvidiaSmiText)>,
    /// DCGM diagnostics.
    pub dcgm: Vec<(String, DcgmDiag)>,
    /// Kernel logs.
    pub kernel_logs: Vec<(String, KernelLog)>,
    /// Software-stack dumps.
    pub software: Vec<(String, SoftwareDump)>,
    /// Seen as a host in a harness record.
    pub in_harness: bool,
    /// Has a `nodes/<name>/` folder.
    pub has_folder: bool,
}

impl NodeData {
    /// True when any GPU probe (nvidia-smi XML, CSV or text, DCGM) was read
    /// for this node: what hardware health, coverage and verdicts need.
    pub fn has_gpu_probe(&self) -> bool {
        !self.nvidia_smi.is_empty()
            || !self.gpu_csv.is_empty()
            || !self.nvidia_smi_text.is_empty()
            || !self.dcgm.is_empty()
    }
}

/// A step log file found for (node, step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLogFile {
    /// Node name.
    pub node: String,
    /// Step name (the folder name).
    pub step: String,
    /// Which stream.
    pub stream: Stream,
    /// Path relative to the root.
    pub path: String,
    /// Counts.
    pub log: StepLog,
}

/// The assembled campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Campaign {
    /// The artifacts root as given on the command line.
    pub root: String,
    /// Every file found, in path order.
    pub files: Vec<FileEntry>,
    /// Files or folders that could not be read: path and reason.
    pub unreadable: Vec<ParseWarning>,
    /// Every parse warning, in path then line order.
    pub warnings: Vec<ParseWarning>,
    /// Nodes by name.
    pub nodes: BTreeMap<String, NodeData>,
    /// LoadGen runs, by id.
    pub runs: Vec<LoadGenRun>,
    /// Harness records: (path, parse).
    pub harness: Vec<(String, HarnessRun)>,
    /// Step logs found on disk.
    pub step_logs: Vec<StepLogFile>,
    /// LoadGen settings files: (path, parse).
    pub loadgen_configs: Vec<(String, LoadGenConfig)>,
    /// Submission metadata files: (path, parse).
    pub submission_meta: Vec<(String, SubmissionMeta)>,
    /// Compliance verification outputs: (path, parse).
    pub compliance: Vec<(String, ComplianceVerify)>,
    /// `kubectl get nodes -o json`: (path, parse).
    pub kube_nodes: Vec<(String, KubeNodes)>,
    /// MLPerf Training logs: (path, parse), in path order.
    pub training: Vec<(String, TrainingLog)>,
}

impl Campaign {
    /// Every harness step result across all harness files, in file order.
    pub fn steps(&self) -> impl Iterator<Item = &StepResult> {
        self.harness.iter().flat_map(|(_, h)| h.steps.iter())
    }

    /// Names of all nodes, sorted.
    pub fn node_names(&self) -> BTreeSet<String> {
        self.nodes.keys().cloned().collect()
    }
}
