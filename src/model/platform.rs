//! Node and platform state: kernel logs, Kubernetes objects, generic run
//! records.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::artifacts::{HarnessRun, Outcome};
use super::source::Evidence;

/// Most distinct keys (PCI device × Xid, process name, device) kept in each
/// fact table of one kernel log. Keys beyond it are counted in
/// [`KernelLog::facts_dropped`], so a log full of distinct names cannot grow
/// memory.
pub const KERNEL_FACT_KEYS: usize = 64;

/// The line prefix a kernel-log line was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KernelLogFormat {
    /// `dmesg`: `[ 1234.567890] msg` (seconds since boot).
    DmesgRaw,
    /// `dmesg --ctime`: `[Tue Jan 21 04:41:44 2025] msg`.
    DmesgCtime,
    /// `dmesg --time-format iso`: `2025-01-21T04:41:44,283302+00:00 msg`.
    DmesgIso,
    /// BSD syslog: `Jan 21 04:41:44 host kernel: msg`.
    Syslog,
    /// Syslog with an RFC 3339 time (`journalctl -o short-iso`, rsyslog's
    /// high-precision format): `2025-01-21T04:41:44.283302+00:00 host kernel: msg`.
    SyslogIso,
    /// RFC 5424: `<4>1 2025-01-21T04:41:44.283302Z host kernel - - - msg`.
    Rfc5424,
}

/// One NVIDIA Xid or SXid code on one PCI device, as seen in a kernel log.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct XidFact {
    /// PCI address as printed (`0000:38:00`, with or without `PCI:`
    /// stripped).
    pub pci: String,
    /// The Xid (or SXid) number.
    pub code: u32,
    /// Lines that reported it (one error often prints several lines).
    pub lines: u64,
    /// Timestamp of the first line, as printed.
    pub first_timestamp: Option<String>,
    /// Timestamp of the last line, as printed.
    pub last_timestamp: Option<String>,
    /// The first line.
    pub first: Evidence,
}

/// A kernel event of one kind, keyed by the process or device it names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct KernelFact {
    /// Process name (OOM victim, hung task, segfaulting process) or block
    /// device (read-only remount).
    pub key: String,
    /// Events counted (for OOM kills: distinct victim pids).
    pub count: u64,
    /// Timestamp of the first event, as printed.
    pub first_timestamp: Option<String>,
    /// Timestamp of the last event, as printed.
    pub last_timestamp: Option<String>,
    /// The first line.
    pub first: Evidence,
}

/// A kernel log (`dmesg` in any time format, or syslog), summarised.
///
/// Every line also went to the rules while it was read; these are the
/// structured facts a report table needs, with bounded memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct KernelLog {
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines per recognised prefix format.
    pub formats: BTreeMap<KernelLogFormat, u64>,
    /// Lines carrying a `dmesg --decode` facility/level prefix
    /// (`kern  :warn  : `).
    pub decoded_lines: u64,
    /// Non-empty lines with no recognised prefix (continuation lines of a
    /// multi-line message, or text that is not a kernel log).
    pub untimed_lines: u64,
    /// Timestamp of the first timed line, as printed.
    pub first_timestamp: Option<String>,
    /// Timestamp of the last timed line, as printed.
    pub last_timestamp: Option<String>,
    /// `NVRM: Xid` lines by (PCI device, code), sorted.
    pub xids: Vec<XidFact>,
    /// NVSwitch `SXid` lines by (PCI device, code), sorted.
    pub sxids: Vec<XidFact>,
    /// OOM-killer victims by process name (each victim pid counted once
    /// across its `oom-kill:`, `Killed process` and `oom_reaper` lines).
    pub oom_kills: Vec<KernelFact>,
    /// `INFO: task … blocked for more than N seconds`, by task name.
    pub hung_tasks: Vec<KernelFact>,
    /// `watchdog: BUG: soft lockup`, by task name.
    pub soft_lockups: Vec<KernelFact>,
    /// Filesystems remounted read-only (or XFS shut down), by device.
    pub readonly_remounts: Vec<KernelFact>,
    /// `segfault at … in libnccl.so`, by process name.
    pub nccl_segfaults: Vec<KernelFact>,
    /// Facts not kept because a table already held [`KERNEL_FACT_KEYS`]
    /// distinct keys.
    pub facts_dropped: u64,
}

/// One entry of a Kubernetes `status.conditions` list.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct KubeCondition {
    /// `type` (`Ready`, `MemoryPressure`, …).
    pub kind: String,
    /// `status` (`True`, `False`, `Unknown`).
    pub status: String,
    /// `reason`, where given.
    pub reason: Option<String>,
    /// `message`, where given (capped).
    pub message: Option<String>,
}

/// One node from `kubectl get nodes -o json`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct KubeNode {
    /// `metadata.name`.
    pub name: String,
    /// Status of the `Ready` condition (`True`, `False`, `Unknown`), when the
    /// node has one.
    pub ready: Option<String>,
    /// Reason and message of the `Ready` condition when it is not `True`.
    pub ready_detail: Option<String>,
    /// Pressure conditions that are `True` (`MemoryPressure`,
    /// `DiskPressure`, `PIDPressure`, `NetworkUnavailable`), sorted.
    pub pressures: Vec<String>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `status.capacity["nvidia.com/gpu"]`.
    pub gpu_capacity: Option<u64>,
    /// `status.allocatable["nvidia.com/gpu"]`.
    pub gpu_allocatable: Option<u64>,
    /// Sum of `nvidia.com/mig-*` capacities (MIG "mixed" strategy exposes
    /// these instead of `nvidia.com/gpu`).
    pub mig_capacity: Option<u64>,
    /// GPU feature-discovery label `nvidia.com/gpu.product`.
    pub gpu_product: Option<String>,
    /// Label `nvidia.com/gpu.count`.
    pub gpu_count_label: Option<u64>,
    /// Label `nvidia.com/gpu.memory` (MiB).
    pub gpu_memory_mib: Option<u64>,
    /// Label `nvidia.com/gpu.present`.
    pub gpu_present: Option<bool>,
    /// Driver version from `nvidia.com/cuda.driver-version.full`, else
    /// `nvidia.com/cuda.driver.{major,minor,rev}`.
    pub driver_version: Option<String>,
    /// CUDA version from `nvidia.com/cuda.runtime-version.full`, else
    /// `nvidia.com/cuda.runtime.{major,minor}`.
    pub cuda_version: Option<String>,
    /// Label `nvidia.com/mig.capable`.
    pub mig_capable: Option<bool>,
    /// `status.nodeInfo.kubeletVersion`.
    pub kubelet_version: Option<String>,
    /// `status.nodeInfo.containerRuntimeVersion`.
    pub container_runtime: Option<String>,
    /// `status.nodeInfo.osImage`.
    pub os_image: Option<String>,
    /// `status.nodeInfo.kernelVersion`.
    pub kernel_version: Option<String>,
    /// Every condition, in file order.
    pub conditions: Vec<KubeCondition>,
    /// Where the node object starts in the file.
    pub evidence: Evidence,
}

impl KubeNode {
    /// True when GPU feature discovery labelled this node as having GPUs.
    pub fn gpu_labelled(&self) -> bool {
        self.gpu_present == Some(true)
            || self.gpu_count_label.is_some_and(|n| n > 0)
            || self.gpu_product.is_some()
    }
}

/// `kubectl get nodes -o json`, summarised per node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct KubeNodes {
    /// Nodes in file order.
    pub nodes: Vec<KubeNode>,
    /// Nodes beyond the kept maximum, counted only.
    pub dropped: u64,
}

/// What a `kubectl get … -o json` file held: nodes, or pods/jobs as harness
/// steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kubectl {
    /// `kubectl get nodes`.
    pub nodes: Option<KubeNodes>,
    /// Pods and jobs, one step per pod container (or job) on its node.
    pub harness: Option<HarnessRun>,
}

/// The kernel facts of one kernel-log file, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct KernelLogRow {
    /// Node the log belongs to (`(unattributed)` when no path names one).
    pub node: String,
    /// Path relative to the artifacts root.
    pub path: String,
    /// Lines read.
    pub lines: u64,
    /// Recognised prefix formats, most frequent first.
    pub formats: Vec<KernelLogFormat>,
    /// First timestamp, as printed.
    pub first_timestamp: Option<String>,
    /// Last timestamp, as printed.
    pub last_timestamp: Option<String>,
    /// Xids by (PCI device, code).
    pub xids: Vec<XidFact>,
    /// SXids by (PCI device, code).
    pub sxids: Vec<XidFact>,
    /// OOM-killer victims.
    pub oom_kills: Vec<KernelFact>,
    /// Hung tasks.
    pub hung_tasks: Vec<KernelFact>,
    /// Soft lockups.
    pub soft_lockups: Vec<KernelFact>,
    /// Read-only remounts.
    pub readonly_remounts: Vec<KernelFact>,
    /// NCCL segfaults.
    pub nccl_segfaults: Vec<KernelFact>,
}

/// One Kubernetes node, for the report's node table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct KubeNodeRow {
    /// The `kubectl get nodes` file it came from.
    pub source: String,
    /// The node.
    #[serde(flatten)]
    pub node: KubeNode,
}

/// Report section for platform state (`report.json` → `platform`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct PlatformReport {
    /// Kernel facts, one row per kernel-log file, by node then path.
    pub kernel_logs: Vec<KernelLogRow>,
    /// Kubernetes nodes, by source then file order.
    pub kubernetes_nodes: Vec<KubeNodeRow>,
    /// Pods (one per pod, its worst container) by outcome.
    pub pods_by_outcome: BTreeMap<Outcome, u64>,
    /// Jobs by outcome.
    pub jobs_by_outcome: BTreeMap<Outcome, u64>,
    /// Generic run-record steps by outcome.
    pub run_records_by_outcome: BTreeMap<Outcome, u64>,
}
