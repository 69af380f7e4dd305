//! Software-stack dumps: `collect_env`, `pip list`/`pip freeze`, `nvcc
//! --version`, `uname -a`, `/etc/os-release`, `lscpu`, `/proc/meminfo`.
//!
//! Every dump becomes one normalised key → version map, so that a torch
//! version read from `collect_env` on one node and from `pip list` on
//! another compare as the same thing.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::source::Evidence;

/// Which command produced a dump (recognised from its content, else its
/// name).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DumpKind {
    /// Neither the content nor the name said what it is.
    #[default]
    Unknown,
    /// `python -m torch.utils.collect_env`.
    CollectEnv,
    /// `pip list --format=json`.
    PipList,
    /// `pip freeze` or a pinned `requirements.txt`.
    PipFreeze,
    /// `nvcc --version`.
    Nvcc,
    /// `uname -a` (or `uname -r`).
    Uname,
    /// `/etc/os-release`.
    OsRelease,
    /// `lscpu`.
    Lscpu,
    /// `/proc/meminfo`.
    Meminfo,
}

impl DumpKind {
    /// Name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DumpKind::Unknown => "unknown",
            DumpKind::CollectEnv => "collect_env",
            DumpKind::PipList => "pip_list",
            DumpKind::PipFreeze => "pip_freeze",
            DumpKind::Nvcc => "nvcc",
            DumpKind::Uname => "uname",
            DumpKind::OsRelease => "os_release",
            DumpKind::Lscpu => "lscpu",
            DumpKind::Meminfo => "meminfo",
        }
    }
}

/// One value read from a dump, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct VersionValue {
    /// The value as normalised by the parser (`2.3.0+cu121`, `3.10.12`,
    /// `6.8.0-45-generic`), capped in length.
    pub value: String,
    /// 1-based line in the dump (`pip list` JSON: the line the entry ends on).
    pub line: Option<u64>,
}

/// One software dump, whatever command produced it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct SoftwareDump {
    /// What produced it.
    pub kind: DumpKind,
    /// Normalised key → value. Stack keys: `python`, `torch`, `torch.cuda`,
    /// `cuda.runtime`, `cuda.toolkit`, `nvidia.driver`, `cudnn`, `os`,
    /// `kernel`, `arch`, `cpu.model`, `cpu.count`, `mem.total_kib`, … and
    /// well-known packages by their bare name (`transformers`, `vllm`,
    /// `mlcommons-loadgen`, `numpy`). Every package as `pip:<name>` (conda
    /// packages in `collect_env` as `conda:<name>`), the name lower-cased
    /// with runs of `-`, `_`, `.` made one `-` (PEP 503).
    pub versions: BTreeMap<String, VersionValue>,
    /// Package entries seen (kept or not).
    pub packages: u64,
    /// Package entries seen beyond the cap and not kept.
    pub packages_dropped: u64,
}

impl SoftwareDump {
    /// The value of `key`, if the dump has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.versions.get(key).map(|v| v.value.as_str())
    }

    /// Evidence for `key` in this dump at `path`: the line it came from and
    /// `key = value`.
    pub fn evidence(&self, path: &str, key: &str) -> Option<Evidence> {
        let v = self.versions.get(key)?;
        Some(Evidence::new(path, v.line, &format!("{key} = {}", v.value)))
    }
}

/// A dump read for a node, as listed in the report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DumpRef {
    /// Path relative to the artifacts root.
    pub path: String,
    /// What produced it.
    pub kind: DumpKind,
    /// Package entries it listed.
    pub packages: u64,
}

/// One node's software stack, merged over its dumps.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NodeSoftware {
    /// Node name (`(unattributed)` for dumps no node could be found for).
    pub node: String,
    /// Dumps read, in path order.
    pub dumps: Vec<DumpRef>,
    /// Stack keys (everything but `pip:`/`conda:` packages) → value; where
    /// several dumps give a key, the first in path order wins.
    pub versions: BTreeMap<String, String>,
    /// Distinct `pip:` packages known for the node.
    pub packages: u64,
}

/// A key stack version that differs between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SoftwareDrift {
    /// The key (`torch`, `nvidia.driver`, …).
    pub key: String,
    /// Display name (`PyTorch`, `NVIDIA driver`, …).
    pub component: String,
    /// Node → value.
    pub versions: BTreeMap<String, String>,
    /// Where each node's value was read.
    pub evidence: Vec<Evidence>,
}

/// A package present on some nodes only, or at different versions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PackageDiff {
    /// Normalised package name.
    pub package: String,
    /// Node → version; `None` when the node lists packages but not this one.
    pub versions: BTreeMap<String, Option<String>>,
}

/// Most package differences listed in the report; the total is kept beside.
pub const PACKAGE_DIFF_KEPT: usize = 200;

/// Report section for software dumps (`report.json` → `software_inventory`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct SoftwareReport {
    /// Per node: the dumps read and the stack versions.
    pub nodes: Vec<NodeSoftware>,
    /// Key stack versions that differ between nodes.
    pub drift: Vec<SoftwareDrift>,
    /// Nodes whose package lists were compared (two or more, else none).
    pub package_nodes: Vec<String>,
    /// Packages that differ between those nodes, by name; at most
    /// [`PACKAGE_DIFF_KEPT`].
    pub package_diff: Vec<PackageDiff>,
    /// How many packages differ in all.
    pub package_diff_total: u64,
}
