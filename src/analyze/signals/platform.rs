//! Signals and report section for kernel logs, Kubernetes objects and generic run records.
//!
//! Kernel-log lines are classified by the text rules as they are read; the
//! signals here come from structured Kubernetes state: OOMKilled
//! containers, nodes that are not Ready or under pressure, and GPUs that
//! the node has but cannot hand out.

use std::collections::BTreeMap;

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// `HarnessRun::harness` of steps read from kubectl output.
pub const KUBERNETES: &str = "kubernetes";

/// `HarnessRun::harness` of steps read from generic run records.
pub const RUN_RECORD: &str = "run_record";

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, _s: &Settings) {
    for (_, nodes) in &c.kube_nodes {
        for n in &nodes.nodes {
            raise_node(n, cl);
        }
    }
    for (_, run) in c.harness.iter().filter(|(_, h)| h.harness == KUBERNETES) {
        for st in &run.steps {
            // The parser writes Kubernetes' own reason word into the message
            // (`OOMKilled`, `…; last terminated: OOMKilled`).
            if st
                .message
                .as_deref()
                .is_some_and(|m| m.contains("OOMKilled"))
            {
                let mut ev = st.evidence.clone();
                ev.text = format!("{} ({})", ev.text, st.message.as_deref().unwrap_or(""));
                cl.signal(
                    "k8s_oomkilled",
                    Some(st.node.as_str()),
                    Some(st.name.as_str()),
                    ev,
                );
            }
        }
    }
}

fn raise_node(n: &KubeNode, cl: &mut Classifier<'_>) {
    let node = Some(n.name.as_str());
    let ev = |text: String| {
        let mut e = n.evidence.clone();
        e.text = text;
        e
    };
    if let Some(ready) = n.ready.as_deref().filter(|r| *r != "True") {
        let detail = n
            .ready_detail
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        cl.signal(
            "k8s_node_not_ready",
            node,
            None,
            ev(format!("node {}: Ready={ready}{detail}", n.name)),
        );
    }
    for p in &n.pressures {
        let reason = n
            .conditions
            .iter()
            .find(|c| &c.kind == p)
            .and_then(|c| c.reason.as_deref())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        cl.signal(
            "k8s_node_pressure",
            node,
            None,
            ev(format!("node {}: {p}=True{reason}", n.name)),
        );
    }
    let cap = n.gpu_capacity.unwrap_or(0);
    let alloc = n.gpu_allocatable.unwrap_or(0);
    let text = if cap > alloc {
        Some(format!(
            "node {}: nvidia.com/gpu capacity {cap}, allocatable {alloc}",
            n.name
        ))
    } else if cap == 0 && n.gpu_labelled() && n.mig_capacity.unwrap_or(0) == 0 {
        Some(format!(
            "node {}: labelled with GPUs ({}) but nvidia.com/gpu capacity is {}",
            n.name,
            n.gpu_product
                .clone()
                .or_else(|| n.gpu_count_label.map(|c| format!("gpu.count={c}")))
                .unwrap_or_else(|| "gpu.present=true".into()),
            n.gpu_capacity.map_or("absent".into(), |c| c.to_string())
        ))
    } else {
        None
    };
    if let Some(text) = text {
        cl.signal("k8s_gpu_unallocatable", node, None, ev(text));
    }
}

/// This family's report section.
pub fn report(c: &Campaign) -> PlatformReport {
    let mut kernel_logs = Vec::new();
    for (node, data) in &c.nodes {
        for (path, log) in &data.kernel_logs {
            let mut formats: Vec<(&KernelLogFormat, &u64)> = log.formats.iter().collect();
            formats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            kernel_logs.push(KernelLogRow {
                node: node.clone(),
                path: path.clone(),
                lines: log.lines,
                formats: formats.into_iter().map(|(f, _)| *f).collect(),
                first_timestamp: log.first_timestamp.clone(),
                last_timestamp: log.last_timestamp.clone(),
                xids: log.xids.clone(),
                sxids: log.sxids.clone(),
                oom_kills: log.oom_kills.clone(),
                hung_tasks: log.hung_tasks.clone(),
                soft_lockups: log.soft_lockups.clone(),
                readonly_remounts: log.readonly_remounts.clone(),
                nccl_segfaults: log.nccl_segfaults.clone(),
            });
        }
    }
    kernel_logs.sort_by(|a, b| a.node.cmp(&b.node).then(a.path.cmp(&b.path)));
    let mut kube_nodes: Vec<(&String, &KubeNodes)> =
        c.kube_nodes.iter().map(|(p, n)| (p, n)).collect();
    kube_nodes.sort_by(|a, b| a.0.cmp(b.0));
    let kubernetes_nodes = kube_nodes
        .into_iter()
        .flat_map(|(path, nodes)| {
            nodes.nodes.iter().map(move |n| KubeNodeRow {
                source: path.clone(),
                node: n.clone(),
            })
        })
        .collect();
    // A pod is as bad as its worst container; its steps share the group.
    let mut pods: BTreeMap<(&str, &str), Outcome> = BTreeMap::new();
    let mut jobs = BTreeMap::new();
    let mut records = BTreeMap::new();
    for (path, run) in &c.harness {
        for st in &run.steps {
            match (run.harness.as_str(), st.group.as_deref()) {
                (KUBERNETES, Some(g)) if g.starts_with("pod ") => {
                    let worst = pods.entry((path.as_str(), g)).or_insert(st.outcome);
                    if st.outcome.rank() > worst.rank() {
                        *worst = st.outcome;
                    }
                }
                (KUBERNETES, Some(g)) if g.starts_with("job ") => {
                    *jobs.entry(st.outcome).or_insert(0u64) += 1;
                }
                (RUN_RECORD, _) => *records.entry(st.outcome).or_insert(0u64) += 1,
                _ => {}
            }
        }
    }
    let mut pods_by_outcome = BTreeMap::new();
    for o in pods.into_values() {
        *pods_by_outcome.entry(o).or_insert(0u64) += 1;
    }
    PlatformReport {
        kernel_logs,
        kubernetes_nodes,
        pods_by_outcome,
        jobs_by_outcome: jobs,
        run_records_by_outcome: records,
    }
}
