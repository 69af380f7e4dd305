//! View of `report.platform`: the "Node platform" section. Kernel-log facts
//! per node (NVIDIA Xid and SXid, OOM kills, hung tasks, soft lockups,
//! read-only remounts, NCCL segfaults), the Kubernetes node table, and pods,
//! jobs and run records by outcome.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{KernelFact, KernelLogFormat, Outcome, Report, XidFact};

use super::view::{DASH, Esc, EvidenceView, fmt_count, outcome_word, plural};

/// The "Node platform" section.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformView {
    /// True when any part has data; otherwise only `empty_note` is shown.
    pub has_data: bool,
    /// Shown when nothing was read: what input would fill the section.
    pub empty_note: String,
    /// One row per kernel log.
    pub kernel_logs: Vec<KernelLogView>,
    /// Shown when no kernel log was read.
    pub kernel_empty_note: String,
    /// Xid and SXid by node, PCI device and code.
    pub xids: Vec<XidView>,
    /// Shown when there are none.
    pub xids_empty_note: String,
    /// Other kernel events.
    pub events: Vec<KernelEventView>,
    /// Shown when there are none.
    pub events_empty_note: String,
    /// One row per Kubernetes node.
    pub kube_nodes: Vec<KubeNodeView>,
    /// Every condition of every node, for the collapsed detail.
    pub kube_conditions: Vec<KubeConditionView>,
    /// Shown when no `kubectl get nodes` was read.
    pub kube_empty_note: String,
    /// Pods, jobs and run records by outcome.
    pub workloads: Vec<WorkloadView>,
    /// Shown when none were read.
    pub workloads_empty_note: String,
}

/// One kernel log.
#[derive(Debug, Clone, Serialize)]
pub struct KernelLogView {
    /// Node.
    pub node: String,
    /// The file.
    pub source: String,
    /// Lines read.
    pub lines: String,
    /// `dmesg --time-format iso`.
    pub format: String,
    /// `first … last` timestamp, as printed.
    pub span: String,
    /// `2 Xid, 4 OOM kills`, or `none`.
    pub events: String,
    /// `events found` or `clean`.
    pub verdict: String,
    /// CSS tone.
    pub tone: String,
}

/// One Xid or SXid code on one device.
#[derive(Debug, Clone, Serialize)]
pub struct XidView {
    /// Node.
    pub node: String,
    /// PCI address.
    pub pci: String,
    /// `Xid 79` or `SXid 12028`.
    pub code: String,
    /// What the code means (NVIDIA's catalogue), or a pointer to it.
    pub meaning: String,
    /// CSS tone.
    pub tone: String,
    /// Lines that reported it.
    pub lines: String,
    /// First timestamp, as printed.
    pub first: String,
    /// Last timestamp, as printed.
    pub last: String,
    /// The first line.
    pub evidence: EvidenceView,
}

/// One other kernel event kind for one process or device.
#[derive(Debug, Clone, Serialize)]
pub struct KernelEventView {
    /// Node.
    pub node: String,
    /// `OOM kill`, `hung task`…
    pub kind: String,
    /// CSS tone.
    pub tone: String,
    /// Process or device.
    pub subject: String,
    /// Events.
    pub count: String,
    /// First timestamp.
    pub first: String,
    /// Last timestamp.
    pub last: String,
    /// The first line.
    pub evidence: EvidenceView,
}

/// One Kubernetes node.
#[derive(Debug, Clone, Serialize)]
pub struct KubeNodeView {
    /// Node name.
    pub name: String,
    /// `Ready`, `NOT ready (…)`, `Unknown`, `not reported`.
    pub ready: String,
    /// CSS tone.
    pub ready_tone: String,
    /// Active pressure conditions, or `none`.
    pub pressure: String,
    /// CSS tone.
    pub pressure_tone: String,
    /// `yes` or `cordoned`.
    pub schedulable: String,
    /// `8 capacity, 8 allocatable`, or `none advertised`.
    pub gpus: String,
    /// CSS tone.
    pub gpus_tone: String,
    /// Feature-discovery labels (product, count, memory).
    pub gpu_labels: String,
    /// Driver and CUDA from the labels.
    pub driver: String,
    /// Kubelet and container runtime.
    pub runtime: String,
    /// OS image and kernel.
    pub os: String,
    /// `path:line` of the node object.
    pub source: String,
}

/// One node condition.
#[derive(Debug, Clone, Serialize)]
pub struct KubeConditionView {
    /// Node.
    pub node: String,
    /// `Ready`, `MemoryPressure`…
    pub kind: String,
    /// `True`, `False`, `Unknown`.
    pub status: String,
    /// CSS tone (whether this status is healthy for this kind).
    pub tone: String,
    /// Reason, or `—`.
    pub reason: String,
    /// Message, or `—`.
    pub message: String,
}

/// Workload objects by outcome.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadView {
    /// `Pods`, `Jobs`, `Run records`.
    pub kind: String,
    /// Total.
    pub total: String,
    /// `1 ok, 7 failed`.
    pub outcomes: String,
    /// CSS tone (bad when any failed).
    pub tone: String,
}

/// NVIDIA's Xid catalogue description of common codes, and whether the
/// code is usually an application error rather than a GPU fault (Xid 13,
/// 31, 43, 45: the codes GPU health checks such as the Kubernetes device
/// plugin ignore as application errors).
fn xid_meaning(code: u32) -> Option<(&'static str, bool)> {
    Some(match code {
        13 => ("Graphics Engine Exception", true),
        31 => ("GPU memory page fault", true),
        43 => ("GPU stopped processing", true),
        45 => ("Preemptive cleanup, due to previous errors", true),
        48 => ("Double Bit ECC Error", false),
        54 => ("Auxiliary power is not connected", false),
        62 => ("Internal micro-controller halt", false),
        63 => ("GPU memory remapping event", false),
        64 => ("GPU memory remapping failure", false),
        74 => ("NVLink error", false),
        79 => ("GPU has fallen off the bus", false),
        92 => ("High single-bit ECC error rate", false),
        94 => ("Contained memory error", false),
        95 => ("Uncontained memory error", false),
        109 => ("Context Switch Timeout", false),
        119 => ("GSP RPC Timeout", false),
        120 => ("GSP Error", false),
        _ => return None,
    })
}

fn format_word(f: KernelLogFormat) -> &'static str {
    match f {
        KernelLogFormat::DmesgRaw => "dmesg (seconds since boot)",
        KernelLogFormat::DmesgCtime => "dmesg --ctime",
        KernelLogFormat::DmesgIso => "dmesg --time-format iso",
        KernelLogFormat::Syslog => "syslog",
        KernelLogFormat::SyslogIso => "syslog (RFC 3339 time)",
        KernelLogFormat::Rfc5424 => "syslog (RFC 5424)",
    }
}

fn xid_view(node: &str, x: &XidFact, switch: bool, esc: Esc) -> XidView {
    let (meaning, tone) = if switch {
        (
            "NVSwitch error: see the NVSwitch SXid catalogue".to_string(),
            "bad",
        )
    } else {
        match xid_meaning(x.code) {
            Some((m, true)) => (format!("{m} (usually the application)"), "warn"),
            Some((m, false)) => (m.to_string(), "crit"),
            None => ("see NVIDIA's Xid catalogue".to_string(), "bad"),
        }
    };
    XidView {
        node: esc.or(Some(node), DASH),
        pci: esc.or(Some(&x.pci), DASH),
        code: format!("{} {}", if switch { "SXid" } else { "Xid" }, x.code),
        meaning,
        tone: tone.to_string(),
        lines: fmt_count(x.lines),
        first: esc.or(x.first_timestamp.as_deref(), DASH),
        last: esc.or(x.last_timestamp.as_deref(), DASH),
        evidence: esc.evidence(&x.first),
    }
}

fn event_view(node: &str, kind: &str, tone: &str, f: &KernelFact, esc: Esc) -> KernelEventView {
    KernelEventView {
        node: esc.or(Some(node), DASH),
        kind: kind.to_string(),
        tone: tone.to_string(),
        subject: esc.or(Some(&f.key), DASH),
        count: fmt_count(f.count),
        first: esc.or(f.first_timestamp.as_deref(), DASH),
        last: esc.or(f.last_timestamp.as_deref(), DASH),
        evidence: esc.evidence(&f.first),
    }
}

fn outcomes_text(m: &BTreeMap<Outcome, u64>) -> String {
    m.iter()
        .filter(|(_, n)| **n > 0)
        .map(|(o, n)| format!("{} {}", fmt_count(*n), outcome_word(*o)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The "Node platform" section.
pub(super) fn platform(report: &Report, esc: Esc) -> PlatformView {
    let p = &report.platform;
    let mut xids = Vec::new();
    let mut events = Vec::new();
    let kernel_logs = p
        .kernel_logs
        .iter()
        .map(|k| {
            for x in &k.xids {
                xids.push(xid_view(&k.node, x, false, esc));
            }
            for x in &k.sxids {
                xids.push(xid_view(&k.node, x, true, esc));
            }
            for (kind, tone, list) in [
                ("OOM kill", "bad", &k.oom_kills),
                ("hung task", "warn", &k.hung_tasks),
                ("soft lockup", "warn", &k.soft_lockups),
                ("read-only remount", "crit", &k.readonly_remounts),
                ("NCCL segfault", "bad", &k.nccl_segfaults),
            ] {
                for f in list {
                    events.push(event_view(&k.node, kind, tone, f, esc));
                }
            }
            let found = !(k.xids.is_empty()
                && k.sxids.is_empty()
                && k.oom_kills.is_empty()
                && k.hung_tasks.is_empty()
                && k.soft_lockups.is_empty()
                && k.readonly_remounts.is_empty()
                && k.nccl_segfaults.is_empty());
            KernelLogView {
                node: esc.or(Some(&k.node), DASH),
                source: esc.t(&k.path),
                lines: fmt_count(k.lines),
                format: if k.formats.is_empty() {
                    "no timed line recognised".to_string()
                } else {
                    k.formats
                        .iter()
                        .map(|f| format_word(*f))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                span: match (&k.first_timestamp, &k.last_timestamp) {
                    (Some(a), Some(b)) if a == b => esc.t(a),
                    (Some(a), Some(b)) => format!("{} … {}", esc.t(a), esc.t(b)),
                    (Some(a), None) => esc.t(a),
                    _ => DASH.to_string(),
                },
                events: {
                    let parts: Vec<String> = [
                        (k.xids.len(), "Xid", "Xids"),
                        (k.sxids.len(), "SXid", "SXids"),
                        (k.oom_kills.len(), "OOM kill", "OOM kills"),
                        (k.hung_tasks.len(), "hung task", "hung tasks"),
                        (k.soft_lockups.len(), "soft lockup", "soft lockups"),
                        (
                            k.readonly_remounts.len(),
                            "read-only remount",
                            "read-only remounts",
                        ),
                        (k.nccl_segfaults.len(), "NCCL segfault", "NCCL segfaults"),
                    ]
                    .into_iter()
                    .filter(|(n, _, _)| *n > 0)
                    .map(|(n, one, many)| plural(n as u64, one, many))
                    .collect();
                    if parts.is_empty() {
                        "none".to_string()
                    } else {
                        parts.join(", ")
                    }
                },
                verdict: if found { "events found" } else { "clean" }.to_string(),
                tone: if found { "warn" } else { "good" }.to_string(),
            }
        })
        .collect::<Vec<_>>();
    let logs = p.kernel_logs.len() as u64;
    let (xids_empty_note, events_empty_note) = if logs == 0 {
        (
            "No kernel log was read: NVIDIA Xid errors are not assessed.".to_string(),
            "No kernel log was read: OOM kills, hung tasks and filesystem errors are not assessed."
                .to_string(),
        )
    } else {
        (
            format!(
                "No NVIDIA Xid or SXid line in the {} read (not observed).",
                plural(logs, "kernel log", "kernel logs")
            ),
            format!(
                "No OOM kill, hung task, soft lockup, read-only remount or NCCL segfault in the {} read (not observed).",
                plural(logs, "kernel log", "kernel logs")
            ),
        )
    };

    let mut kube_conditions = Vec::new();
    let kube_nodes =
        p.kubernetes_nodes
            .iter()
            .map(|row| {
                let n = &row.node;
                let name = esc.or(Some(&n.name), DASH);
                for c in &n.conditions {
                    // Ready is healthy when True, the pressure conditions when
                    // False; other conditions (added by add-ons) are only shown.
                    let healthy_when = match c.kind.as_str() {
                        "Ready" => Some("True"),
                        "MemoryPressure" | "DiskPressure" | "PIDPressure"
                        | "NetworkUnavailable" => Some("False"),
                        _ => None,
                    };
                    kube_conditions.push(KubeConditionView {
                        node: name.clone(),
                        kind: esc.or(Some(&c.kind), DASH),
                        status: esc.or(Some(&c.status), DASH),
                        tone: match (healthy_when, c.status.as_str()) {
                            (None, _) => "na",
                            (Some(h), s) if h == s => "good",
                            (Some(_), "Unknown") => "warn",
                            (Some(_), _) => "bad",
                        }
                        .to_string(),
                        reason: esc.or(c.reason.as_deref(), DASH),
                        message: esc.or(c.message.as_deref(), DASH),
                    });
                }
                let (ready, ready_tone) = match n.ready.as_deref() {
                    Some("True") => ("Ready".to_string(), "good"),
                    Some("False") => (
                        format!(
                            "NOT ready{}",
                            n.ready_detail
                                .as_deref()
                                .map(|d| format!(": {}", esc.t(d)))
                                .unwrap_or_default()
                        ),
                        "crit",
                    ),
                    Some(other) => (
                        format!(
                            "{}{}",
                            esc.or(Some(other), "unknown"),
                            n.ready_detail
                                .as_deref()
                                .map(|d| format!(": {}", esc.t(d)))
                                .unwrap_or_default()
                        ),
                        "warn",
                    ),
                    None => ("not reported".to_string(), "na"),
                };
                let gpus = match (n.gpu_capacity, n.gpu_allocatable, n.mig_capacity) {
                    (None, None, None) => {
                        if n.gpu_labelled() {
                            "labelled, but none advertised".to_string()
                        } else {
                            "none advertised".to_string()
                        }
                    }
                    (c, a, mig) => {
                        let mut parts = Vec::new();
                        if c.is_some() || a.is_some() {
                            parts.push(format!(
                                "{} capacity, {} allocatable",
                                c.map(fmt_count).unwrap_or_else(|| DASH.to_string()),
                                a.map(fmt_count).unwrap_or_else(|| DASH.to_string())
                            ));
                        }
                        if let Some(m) = mig {
                            parts.push(format!("{} MIG devices", fmt_count(m)));
                        }
                        parts.join("; ")
                    }
                };
                let gpus_tone = match (n.gpu_capacity, n.gpu_allocatable) {
                    (Some(c), Some(a)) if a < c => "warn",
                    (Some(_), _) => "good",
                    _ if n.gpu_labelled() && n.mig_capacity.is_none() => "bad",
                    _ => "na",
                };
                let mut labels = Vec::new();
                if let Some(p) = n.gpu_product.as_deref() {
                    labels.push(esc.t(p));
                }
                if let Some(c) = n.gpu_count_label {
                    labels.push(format!("count {}", fmt_count(c)));
                }
                if let Some(m) = n.gpu_memory_mib {
                    labels.push(format!("{} MiB", fmt_count(m)));
                }
                if let Some(m) = n.mig_capable {
                    labels.push(format!("MIG capable: {}", if m { "yes" } else { "no" }));
                }
                let driver = match (&n.driver_version, &n.cuda_version) {
                    (None, None) => DASH.to_string(),
                    (d, c) => format!(
                        "driver {}, CUDA {}",
                        esc.or(d.as_deref(), DASH),
                        esc.or(c.as_deref(), DASH)
                    ),
                };
                let os = match (&n.os_image, &n.kernel_version) {
                    (None, None) => DASH.to_string(),
                    (o, k) => format!(
                        "{}, kernel {}",
                        esc.or(o.as_deref(), DASH),
                        esc.or(k.as_deref(), DASH)
                    ),
                };
                let runtime = match (&n.kubelet_version, &n.container_runtime) {
                    (None, None) => DASH.to_string(),
                    (k, r) => format!(
                        "kubelet {}, {}",
                        esc.or(k.as_deref(), DASH),
                        esc.or(r.as_deref(), DASH)
                    ),
                };
                KubeNodeView {
                    name,
                    ready,
                    ready_tone: ready_tone.to_string(),
                    pressure_tone: if n.pressures.is_empty() {
                        "good"
                    } else {
                        "bad"
                    }
                    .to_string(),
                    pressure: if n.pressures.is_empty() {
                        "none".to_string()
                    } else {
                        esc.join(&n.pressures, DASH)
                    },
                    schedulable: if n.unschedulable { "cordoned" } else { "yes" }.to_string(),
                    gpus,
                    gpus_tone: gpus_tone.to_string(),
                    gpu_labels: if labels.is_empty() {
                        DASH.to_string()
                    } else {
                        labels.join(", ")
                    },
                    driver,
                    runtime,
                    os,
                    source: esc.t(&n.evidence.location()),
                }
            })
            .collect::<Vec<_>>();

    let workloads: Vec<WorkloadView> = [
        ("Pods", &p.pods_by_outcome),
        ("Jobs", &p.jobs_by_outcome),
        ("Run records", &p.run_records_by_outcome),
    ]
    .into_iter()
    .filter(|(_, m)| m.values().any(|n| *n > 0))
    .map(|(kind, m)| {
        let failed = m.iter().any(|(o, n)| o.is_failure() && *n > 0);
        WorkloadView {
            kind: kind.to_string(),
            total: fmt_count(m.values().sum()),
            outcomes: outcomes_text(m),
            tone: if failed { "bad" } else { "good" }.to_string(),
        }
    })
    .collect();

    let has_data = !(kernel_logs.is_empty() && kube_nodes.is_empty() && workloads.is_empty());
    PlatformView {
        has_data,
        empty_note: esc.t("No kernel log (dmesg or syslog), Kubernetes object list (kubectl get nodes, pods or jobs -o json) or run record (*.run.json) was read: the node platform is not assessed. Put them under nodes/NAME/ to fill this section."),
        kernel_logs,
        kernel_empty_note: esc.t("No kernel log (dmesg or syslog) was read: Xid errors, OOM kills, hung tasks and filesystem errors are not assessed."),
        xids,
        xids_empty_note,
        events,
        events_empty_note,
        kube_nodes,
        kube_conditions,
        kube_empty_note: esc.t("No kubectl get nodes -o json was read: Kubernetes node readiness and GPU capacity are not assessed."),
        workloads,
        workloads_empty_note: "No Kubernetes pod or job list and no run record was read.".to_string(),
    }
}
