//! Node and platform state: kernel logs, Kubernetes objects, generic run
//! records.

use schemars::JsonSchema;
use serde::Serialize;

use super::artifacts::HarnessRun;

/// A kernel log (`dmesg` in any time format, or syslog), summarised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KernelLog {}

/// `kubectl get nodes -o json`, summarised per node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KubeNodes {}

/// What a `kubectl get … -o json` file held: nodes, or pods/jobs as harness
/// steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kubectl {
    /// `kubectl get nodes`.
    pub nodes: Option<KubeNodes>,
    /// Pods and jobs, one step per pod (or job) on its node.
    pub harness: Option<HarnessRun>,
}

/// Report section for platform state (`report.json` → `platform`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct PlatformReport {}
