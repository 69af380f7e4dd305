//! `kubectl get nodes|pods|jobs -o json`: nodes are summarised (readiness,
//! pressure, GPU capacity and feature-discovery labels); pods and jobs
//! become harness steps (`harness: "kubernetes"`).
//!
//! The document is streamed: `items` is walked element by element and each
//! object is turned into a node or steps as soon as it has been read, so
//! only one object is in memory at a time and a truncated file still yields
//! every object before the cut. Single objects (`kubectl get pod x -o json`)
//! and API lists without per-item `kind` (`PodList` from the REST API) are
//! read too.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::BufRead;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json_lines::CountingReader;
use super::run_record::{LineSeed, as_int, feed_text, json_warning, parse_rfc3339_us};
use super::{LineSink, Parsed};
use crate::model::{
    EVIDENCE_TEXT_MAX, Evidence, HarnessRun, KubeCondition, KubeNode, KubeNodes, Kubectl, Outcome,
    ParseWarning, StepResult, Stream, cap_text,
};

/// Most nodes kept from one file.
pub const MAX_NODES: usize = 10_000;

/// Most steps (pod containers and jobs) kept from one file.
pub const MAX_STEPS: usize = 100_000;

/// Most conditions kept per node.
const MAX_CONDITIONS: usize = 32;

/// Node of a pod the scheduler has not placed.
pub const UNSCHEDULED: &str = "(unscheduled)";

/// Node of a job step: a job runs on the cluster, its pods on nodes.
pub const CLUSTER: &str = "(cluster)";

/// Kinds this parser reads, with the `apiVersion` it expects for each.
const KINDS: [(&str, &str); 3] = [("Node", "v1"), ("Pod", "v1"), ("Job", "batch/v1")];

/// Node conditions that are problems when `True`.
const PRESSURES: [&str; 4] = [
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
];

/// Container waiting reasons that are normal steps on the way to running.
const BENIGN_WAITING: [&str; 2] = ["ContainerCreating", "PodInitializing"];

/// True when the head of a file is kubectl JSON output: an object with an
/// `"apiVersion"` key and a `"kind"` of `List`, `NodeList`, `PodList`,
/// `JobList`, `Node`, `Pod` or `Job` (kubectl sorts keys, so a `List`'s own
/// kind comes after its items; the items' kinds are in the head).
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    if memchr::memmem::find(head, b"\"apiVersion\"").is_none() {
        return false;
    }
    const WANTED: [&[u8]; 7] = [
        b"List",
        b"NodeList",
        b"PodList",
        b"JobList",
        b"Node",
        b"Pod",
        b"Job",
    ];
    memchr::memmem::find_iter(head, b"\"kind\"").any(|at| {
        let rest = head.get(at + 6..).unwrap_or(&[]);
        let rest = trim_ws(rest);
        let Some(rest) = rest.strip_prefix(b":") else {
            return false;
        };
        let Some(rest) = trim_ws(rest).strip_prefix(b"\"") else {
            return false;
        };
        let end = rest.iter().position(|b| *b == b'"').unwrap_or(rest.len());
        WANTED.contains(&rest.get(..end).unwrap_or(&[]))
    })
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    b.get(start..).unwrap_or(&[])
}

/// Parse kubectl output. Container termination messages, waiting reasons,
/// scheduling failures and job failure conditions go to `sink`.
pub fn parse<R: BufRead>(path: &str, reader: R, sink: &mut dyn LineSink) -> Parsed<Kubectl> {
    let newlines = Rc::new(Cell::new(0u64));
    let counting = CountingReader::new(reader, Rc::clone(&newlines));
    let mut state = State {
        path,
        newlines,
        sink,
        list_kind: None,
        nodes: KubeNodes::default(),
        saw_nodes: false,
        run: HarnessRun {
            harness: "kubernetes".to_string(),
            ..HarnessRun::default()
        },
        saw_workloads: false,
        hosts: BTreeSet::new(),
        ignored: BTreeMap::new(),
        api_warned: BTreeSet::new(),
        warnings: Vec::new(),
        steps_dropped: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let result = TopSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        let kept = state.nodes.nodes.len() + state.run.steps.len();
        state.warnings.push(json_warning(
            path,
            &e,
            "not kubectl JSON output",
            &format!("kept the {kept} node(s) and step(s) read before it"),
        ));
    }
    for (kind, n) in &state.ignored {
        state.warnings.push(ParseWarning::new(
            path,
            None,
            format!("{n} object(s) of kind {kind} ignored: only Node, Pod and Job are read"),
        ));
    }
    if state.steps_dropped > 0 {
        state.warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} pod container(s) or job(s) beyond the first {MAX_STEPS} were counted but not kept",
                state.steps_dropped
            ),
        ));
    }
    if state.nodes.dropped > 0 {
        state.warnings.push(ParseWarning::new(
            path,
            None,
            format!(
                "{} node(s) beyond the first {MAX_NODES} were counted but not kept",
                state.nodes.dropped
            ),
        ));
    }
    let State {
        nodes,
        saw_nodes,
        mut run,
        saw_workloads,
        hosts,
        warnings,
        ..
    } = state;
    run.hosts = hosts.into_iter().collect();
    Parsed {
        value: Kubectl {
            nodes: saw_nodes.then_some(nodes),
            harness: saw_workloads.then_some(run),
        },
        warnings,
    }
}

/// Everything the visitors share.
struct State<'a> {
    path: &'a str,
    newlines: Rc<Cell<u64>>,
    sink: &'a mut dyn LineSink,
    /// `PodList` etc. when the list's `kind` came before its items.
    list_kind: Option<String>,
    nodes: KubeNodes,
    saw_nodes: bool,
    run: HarnessRun,
    saw_workloads: bool,
    hosts: BTreeSet<String>,
    ignored: BTreeMap<String, u64>,
    api_warned: BTreeSet<(String, String)>,
    warnings: Vec<ParseWarning>,
    steps_dropped: u64,
}

/// The top-level object: a list with `items`, or one object.
struct TopSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or list (kubectl get … -o json)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut own = Map::new();
        let mut saw_items = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                saw_items = true;
                map.next_value_seed(ItemsSeed(&mut *state))?;
            } else {
                let v: Value = map.next_value()?;
                if key == "kind" {
                    state.list_kind = v.as_str().map(str::to_string);
                }
                own.insert(key, v);
            }
        }
        if !saw_items {
            // `kubectl get pod x -o json`: the document is the object.
            let kind = own.get("kind").and_then(Value::as_str).unwrap_or("");
            if KINDS.iter().any(|(k, _)| *k == kind) {
                state.list_kind = None;
                process_item(state, 1, &Value::Object(own));
            } else {
                state.warnings.push(ParseWarning::new(
                    state.path,
                    None,
                    format!(
                        "no `items` list and kind {} is not Node, Pod or Job: nothing read",
                        if kind.is_empty() { "(none)" } else { kind }
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `items`: each object handled as soon as it is read.
struct ItemsSeed<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some((line, value)) = seq.next_element_seed(LineSeed {
            newlines: Rc::clone(&state.newlines),
        })? {
            match value {
                Value::Object(_) => process_item(state, line, &value),
                _ => state.warnings.push(ParseWarning::new(
                    state.path,
                    Some(line),
                    "an item of `items` is not an object; skipped",
                )),
            }
        }
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Value at a path of object keys.
fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// String at a path, when non-empty.
fn text<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A count: a JSON integer or a quantity string without suffix (`"8"`).
fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        other => as_int(other).and_then(|n| u64::try_from(n).ok()),
    }
}

/// The object's kind: its own `kind`, the list's (`PodList` → `Pod`), or
/// what its fields say.
fn kind_of_item(item: &Value, list_kind: Option<&str>) -> Option<String> {
    if let Some(k) = text(item, &["kind"]) {
        return Some(k.to_string());
    }
    if let Some(k) = list_kind
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty())
    {
        return Some(k.to_string());
    }
    if at(item, &["status", "nodeInfo"]).is_some() || at(item, &["status", "capacity"]).is_some() {
        Some("Node".into())
    } else if at(item, &["spec", "containers"]).is_some()
        || at(item, &["status", "containerStatuses"]).is_some()
    {
        Some("Pod".into())
    } else if at(item, &["spec", "template"]).is_some()
        && at(item, &["spec", "backoffLimit"]).is_some()
    {
        Some("Job".into())
    } else {
        None
    }
}

fn process_item(state: &mut State<'_>, line: u64, item: &Value) {
    let kind = kind_of_item(item, state.list_kind.as_deref()).unwrap_or_else(|| "(unknown)".into());
    let Some((_, want)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        *state.ignored.entry(kind).or_default() += 1;
        return;
    };
    if let Some(api) = text(item, &["apiVersion"]) {
        if api != *want && state.api_warned.insert((kind.clone(), api.to_string())) {
            state.warnings.push(ParseWarning::new(
                state.path,
                Some(line),
                format!("unexpected apiVersion {api} for {kind} (expected {want}); read as {want}"),
            ));
        }
    }
    match kind.as_str() {
        "Node" => {
            state.saw_nodes = true;
            if state.nodes.nodes.len() < MAX_NODES {
                let node = read_node(state.path, line, item);
                state.nodes.nodes.push(node);
            } else {
                state.nodes.dropped += 1;
            }
        }
        "Pod" => {
            state.saw_workloads = true;
            read_pod(state, line, item);
        }
        _ => {
            state.saw_workloads = true;
            read_job(state, line, item);
        }
    }
}

fn read_node(path: &str, line: u64, item: &Value) -> KubeNode {
    let name = text(item, &["metadata", "name"])
        .unwrap_or("(unnamed)")
        .to_string();
    let label = |k: &str| text(item, &["metadata", "labels", k]);
    let label_num = |k: &str| label(k).and_then(|v| v.trim().parse::<u64>().ok());
    let label_bool = |k: &str| label(k).map(|v| v.eq_ignore_ascii_case("true"));
    let mut conditions = Vec::new();
    if let Some(list) = at(item, &["status", "conditions"]).and_then(Value::as_array) {
        for c in list.iter().take(MAX_CONDITIONS) {
            let Some(kind) = text(c, &["type"]) else {
                continue;
            };
            conditions.push(KubeCondition {
                kind: kind.to_string(),
                status: text(c, &["status"]).unwrap_or("Unknown").to_string(),
                reason: text(c, &["reason"]).map(str::to_string),
                message: text(c, &["message"]).map(|m| cap_text(m, EVIDENCE_TEXT_MAX)),
            });
        }
    }
    let ready_cond = conditions.iter().find(|c| c.kind == "Ready");
    let ready = ready_cond.map(|c| c.status.clone());
    let ready_detail =
        ready_cond
            .filter(|c| c.status != "True")
            .map(|c| match (&c.reason, &c.message) {
                (Some(r), Some(m)) => format!("{r}: {m}"),
                (Some(r), None) => r.clone(),
                (None, Some(m)) => m.clone(),
                (None, None) => String::new(),
            });
    let mut pressures: Vec<String> = conditions
        .iter()
        .filter(|c| c.status == "True" && PRESSURES.contains(&c.kind.as_str()))
        .map(|c| c.kind.clone())
        .collect();
    pressures.sort();
    pressures.dedup();
    let resource = |section: &str, key: &str| count(at(item, &["status", section, key]));
    let mig_capacity = at(item, &["status", "capacity"])
        .and_then(Value::as_object)
        .map(|cap| {
            cap.iter()
                .filter(|(k, _)| k.starts_with("nvidia.com/mig-"))
                .filter_map(|(_, v)| count(Some(v)))
                .fold(None, |acc: Option<u64>, n| {
                    Some(acc.unwrap_or(0).saturating_add(n))
                })
        })
        .unwrap_or(None);
    let driver_version = label("nvidia.com/cuda.driver-version.full")
        .map(str::to_string)
        .or_else(|| {
            let major = label("nvidia.com/cuda.driver.major")?;
            let minor = label("nvidia.com/cuda.driver.minor")?;
            Some(match label("nvidia.com/cuda.driver.rev") {
                Some(rev) => format!("{major}.{minor}.{rev}"),
                None => format!("{major}.{minor}"),
            })
        });
    let cuda_version = label("nvidia.com/cuda.runtime-version.full")
        .map(str::to_string)
        .or_else(|| {
            let major = label("nvidia.com/cuda.runtime.major")?;
            let minor = label("nvidia.com/cuda.runtime.minor")?;
            Some(format!("{major}.{minor}"))
        });
    let info = |k: &str| text(item, &["status", "nodeInfo", k]).map(str::to_string);
    let gpu_capacity = resource("capacity", "nvidia.com/gpu");
    let gpu_allocatable = resource("allocatable", "nvidia.com/gpu");
    let gpus = match (gpu_capacity, gpu_allocatable) {
        (None, None) => "no nvidia.com/gpu".to_string(),
        (c, a) => format!(
            "nvidia.com/gpu {}/{} allocatable",
            a.map_or("?".into(), |n| n.to_string()),
            c.map_or("?".into(), |n| n.to_string())
        ),
    };
    let evidence = Evidence::new(
        path,
        Some(line),
        &format!(
            "node {name}: Ready={}, {gpus}",
            ready.as_deref().unwrap_or("(no condition)")
        ),
    );
    KubeNode {
        name,
        ready,
        ready_detail,
        pressures,
        unschedulable: at(item, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true),
        gpu_capacity,
        gpu_allocatable,
        mig_capacity,
        gpu_product: label("nvidia.com/gpu.product").map(str::to_string),
        gpu_count_label: label_num("nvidia.com/gpu.count"),
        gpu_memory_mib: label_num("nvidia.com/gpu.memory"),
        gpu_present: label_bool("nvidia.com/gpu.present"),
        driver_version,
        cuda_version,
        mig_capable: label_bool("nvidia.com/mig.capable"),
        kubelet_version: info("kubeletVersion"),
        container_runtime: info("containerRuntimeVersion"),
        os_image: info("osImage"),
        kernel_version: info("kernelVersion"),
        conditions,
        evidence,
    }
}

/// How one container (or a pod as a whole) ended, or where it stands.
#[derive(Debug, Default)]
struct Verdict {
    outcome: Option<Outcome>,
    exit_code: Option<i64>,
    message: String,
    started_at: Option<String>,
    ended_at: Option<String>,
    /// Text for the sink: (locator key, text).
    lines: Vec<(String, String)>,
}

impl Verdict {
    fn new(outcome: Outcome, message: impl Into<String>) -> Self {
        Verdict {
            outcome: Some(outcome),
            message: message.into(),
            ..Verdict::default()
        }
    }
}

fn reason_message(reason: Option<&str>, message: Option<&str>) -> String {
    match (reason, message) {
        (Some(r), Some(m)) => format!("{r}: {m}"),
        (Some(r), None) => r.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => String::new(),
    }
}

/// A terminated state (`state.terminated` or `lastState.terminated`):
/// outcome, exit code and a short message.
fn terminated(t: &Value) -> (Outcome, Option<i64>, String) {
    let code = at(t, &["exitCode"]).and_then(as_int);
    let reason = text(t, &["reason"]);
    let outcome = match (reason, code) {
        (Some("DeadlineExceeded"), _) => Outcome::TimedOut,
        (_, Some(0)) | (Some("Completed"), None) => Outcome::Ok,
        _ => Outcome::Failed,
    };
    let message = match (outcome, reason) {
        (Outcome::Ok, _) => "Completed".to_string(),
        // Kubernetes' own word, kept verbatim so the OOM signal finds it.
        (_, Some("OOMKilled")) => "OOMKilled".to_string(),
        (_, r) => {
            let r = r.unwrap_or("Error");
            match code {
                Some(c) => format!("{r}: exit code {c}"),
                None => r.to_string(),
            }
        }
    };
    (outcome, code, message)
}

/// A termination message for the sink (split into numbered lines there).
fn termination_lines(t: &Value, key: &str, out: &mut Vec<(String, String)>) {
    if let Some(m) = text(t, &["message"]) {
        out.push((key.to_string(), m.to_string()));
    }
}

fn container_verdict(cs: &Value) -> Verdict {
    let restarts = count(at(cs, &["restartCount"])).unwrap_or(0);
    let last = at(cs, &["lastState", "terminated"]);
    let mut v = if let Some(t) = at(cs, &["state", "terminated"]) {
        let (outcome, code, message) = terminated(t);
        let mut v = Verdict::new(outcome, message.clone());
        v.exit_code = code;
        v.started_at = text(t, &["startedAt"]).map(str::to_string);
        v.ended_at = text(t, &["finishedAt"]).map(str::to_string);
        if outcome != Outcome::Ok {
            v.lines.push(("state.terminated.reason".into(), message));
            termination_lines(t, "state.terminated.message", &mut v.lines);
        }
        v
    } else if let Some(w) = at(cs, &["state", "waiting"]) {
        let reason = text(w, &["reason"]);
        let said = reason_message(reason, text(w, &["message"]));
        if reason.is_some_and(|r| BENIGN_WAITING.contains(&r)) {
            Verdict::new(Outcome::Skipped, format!("Pending: {said}"))
        } else {
            let mut v = Verdict::new(Outcome::Failed, said.clone());
            v.lines.push(("state.waiting".into(), said));
            v
        }
    } else if let Some(r) = at(cs, &["state", "running"]) {
        let mut v = Verdict::new(Outcome::Ok, "Running");
        v.started_at = text(r, &["startedAt"]).map(str::to_string);
        v
    } else {
        Verdict::new(Outcome::Skipped, "no container state")
    };
    if let Some(l) = last {
        let (outcome, code, message) = terminated(l);
        if outcome != Outcome::Ok {
            // A container that was restarted after a failure failed once,
            // whatever it is doing now.
            if v.outcome == Some(Outcome::Ok) {
                v.outcome = Some(outcome);
                v.message = format!("restarted after {message}, now running");
            } else {
                v.message = format!("{}; last terminated: {message}", v.message);
            }
            v.exit_code = v.exit_code.or(code);
            v.lines.push((
                "lastState.terminated.reason".into(),
                format!("last terminated: {message}"),
            ));
            termination_lines(l, "lastState.terminated.message", &mut v.lines);
        }
    }
    if restarts > 0 {
        v.message = format!("{}; restarts: {restarts}", v.message);
    }
    v
}

/// A pod-level verdict when the pod as a whole says what happened
/// (deadline, eviction, scheduling, lost node), or has no containers yet.
fn pod_verdict(item: &Value, has_containers: bool) -> Option<Verdict> {
    let status = at(item, &["status"]);
    let reason = status.and_then(|s| text(s, &["reason"]));
    let message = status.and_then(|s| text(s, &["message"]));
    let phase = status.and_then(|s| text(s, &["phase"]));
    let said = reason_message(reason, message);
    let with_line = |mut v: Verdict, key: &str| {
        v.lines.push((key.to_string(), v.message.clone()));
        v
    };
    match reason {
        Some("DeadlineExceeded") => {
            return Some(with_line(Verdict::new(Outcome::TimedOut, said), "status"));
        }
        Some("Evicted") => return Some(with_line(Verdict::new(Outcome::Failed, said), "status")),
        _ => {}
    }
    if phase == Some("Unknown") {
        return Some(with_line(
            Verdict::new(Outcome::Unreachable, format!("phase Unknown: {said}")),
            "status",
        ));
    }
    if has_containers {
        return None;
    }
    let unscheduled = at(item, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter().find(|c| {
                text(c, &["type"]) == Some("PodScheduled") && text(c, &["status"]) == Some("False")
            })
        });
    if let Some(c) = unscheduled {
        let said = reason_message(
            text(c, &["reason"]).or(Some("Unschedulable")),
            text(c, &["message"]),
        );
        return Some(with_line(
            Verdict::new(Outcome::Failed, said),
            "status.conditions[PodScheduled]",
        ));
    }
    Some(match phase {
        Some("Succeeded") => Verdict::new(Outcome::Ok, "Succeeded"),
        Some("Failed") => with_line(
            Verdict::new(
                Outcome::Failed,
                if said.is_empty() {
                    "Failed".into()
                } else {
                    said
                },
            ),
            "status",
        ),
        Some("Running") => Verdict::new(Outcome::Ok, "Running"),
        Some(p) => Verdict::new(Outcome::Skipped, format!("{p}: not started when collected")),
        None => Verdict::new(
            Outcome::Skipped,
            "no status: not submitted to a cluster, or collected before it was scheduled",
        ),
    })
}

fn read_pod(state: &mut State<'_>, line: u64, item: &Value) {
    let pod = text(item, &["metadata", "name"]).unwrap_or("(unnamed pod)");
    let ns = text(item, &["metadata", "namespace"]);
    let qualified = ns.map_or_else(|| pod.to_string(), |n| format!("{n}/{pod}"));
    let job = at(item, &["metadata", "ownerReferences"])
        .and_then(Value::as_array)
        .and_then(|owners| owners.iter().find(|o| text(o, &["kind"]) == Some("Job")))
        .and_then(|o| text(o, &["name"]));
    let base = job.unwrap_or(pod);
    let node = text(item, &["spec", "nodeName"])
        .unwrap_or(UNSCHEDULED)
        .to_string();
    if node != UNSCHEDULED {
        state.hosts.insert(node.clone());
    }
    let pod_started = text(item, &["status", "startTime"]).map(str::to_string);
    let statuses = |key: &str| -> Vec<&Value> {
        at(item, &["status", key])
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let containers = statuses("containerStatuses");
    // Init containers matter only when one of them is why the pod is stuck.
    let inits: Vec<(&Value, Verdict)> = statuses("initContainerStatuses")
        .into_iter()
        .map(|cs| (cs, container_verdict(cs)))
        .filter(|(_, v)| v.outcome.is_some_and(Outcome::is_failure))
        .collect();
    let group = Some(format!("pod {qualified}"));
    let has_containers = !containers.is_empty() || !inits.is_empty();
    if let Some(mut v) = pod_verdict(item, has_containers) {
        v.started_at = v.started_at.or(pod_started);
        emit(
            state,
            line,
            base,
            &node,
            &group,
            &format!("pod {qualified}"),
            v,
        );
        return;
    }
    let several = containers.len() + inits.len() > 1;
    let init_steps = inits.into_iter().map(|(cs, v)| (cs, v, true));
    let main_steps = containers
        .into_iter()
        .map(|cs| (cs, container_verdict(cs), false));
    for (cs, mut v, init) in init_steps.chain(main_steps).collect::<Vec<_>>() {
        let cname = text(cs, &["name"]).unwrap_or("?");
        let name = match (several, init) {
            (_, true) => format!("{base}/init:{cname}"),
            (true, false) => format!("{base}/{cname}"),
            (false, false) => base.to_string(),
        };
        if v.started_at.is_none() {
            v.started_at = pod_started.clone();
        }
        let what = format!("pod {qualified} container {cname}");
        emit(state, line, &name, &node, &group, &what, v);
    }
}

fn read_job(state: &mut State<'_>, line: u64, item: &Value) {
    let job = text(item, &["metadata", "name"]).unwrap_or("(unnamed job)");
    let ns = text(item, &["metadata", "namespace"]);
    let qualified = ns.map_or_else(|| job.to_string(), |n| format!("{n}/{job}"));
    let status = at(item, &["status"]);
    let conds: Vec<&Value> = status
        .and_then(|s| at(s, &["conditions"]))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let true_cond = |t: &str| {
        conds
            .iter()
            .find(|c| text(c, &["type"]) == Some(t) && text(c, &["status"]) == Some("True"))
            .copied()
    };
    let n = |k: &str| status.and_then(|s| count(at(s, &[k])));
    let (active, succeeded, failed) = (n("active"), n("succeeded"), n("failed"));
    let mut v = if let Some(c) = true_cond("Failed") {
        let reason = text(c, &["reason"]);
        let said = reason_message(reason, text(c, &["message"]));
        let outcome = if reason == Some("DeadlineExceeded") {
            Outcome::TimedOut
        } else {
            Outcome::Failed
        };
        let mut v = Verdict::new(outcome, said.clone());
        v.lines.push(("status.conditions[Failed]".into(), said));
        v.ended_at = text(c, &["lastTransitionTime"]).map(str::to_string);
        v
    } else if true_cond("Complete").is_some() {
        Verdict::new(Outcome::Ok, "Complete")
    } else if true_cond("Suspended").is_some() {
        Verdict::new(Outcome::Skipped, "Suspended")
    } else if active.is_some_and(|a| a > 0) {
        Verdict::new(
            Outcome::Ok,
            format!("Running: {} active pod(s)", active.unwrap_or(0)),
        )
    } else if status.is_none_or(|s| s.as_object().is_none_or(Map::is_empty)) {
        Verdict::new(
            Outcome::Skipped,
            "no status: not submitted to a cluster, or collected before it started",
        )
    } else {
        Verdict::new(Outcome::Skipped, "not started when collected")
    };
    let counts: Vec<String> = [("succeeded", succeeded), ("failed", failed)]
        .iter()
        .filter_map(|(k, n)| n.map(|n| format!("{k}: {n}")))
        .collect();
    if !counts.is_empty() {
        v.message = format!("{}; {}", v.message, counts.join(", "));
    }
    v.started_at = status
        .and_then(|s| text(s, &["startTime"]))
        .map(str::to_string);
    if let Some(done) = status.and_then(|s| text(s, &["completionTime"])) {
        v.ended_at = Some(done.to_string());
    }
    let group = Some(format!("job {qualified}"));
    emit(
        state,
        line,
        job,
        CLUSTER,
        &group,
        &format!("job {qualified}"),
        v,
    );
}

/// Record one step and feed its text to the sink.
fn emit(
    state: &mut State<'_>,
    line: u64,
    name: &str,
    node: &str,
    group: &Option<String>,
    what: &str,
    v: Verdict,
) {
    let outcome = v.outcome.unwrap_or(Outcome::Skipped);
    for (key, text) in &v.lines {
        let locator = format!("{what}: {key}");
        feed_text(
            state.sink,
            state.path,
            line,
            node,
            name,
            Stream::Message,
            &locator,
            text,
        );
    }
    let duration_s = match (v.started_at.as_deref(), v.ended_at.as_deref()) {
        (Some(s), Some(e)) => match (parse_rfc3339_us(s), parse_rfc3339_us(e)) {
            (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e6),
            _ => None,
        },
        _ => None,
    };
    let rc = v.exit_code.map(|c| format!(" rc={c}")).unwrap_or_default();
    let evidence = Evidence::new(
        state.path,
        Some(line),
        &format!("{what} on {node}: {}{rc}", outcome.as_str()),
    );
    let message = (!v.message.is_empty()).then(|| cap_text(&v.message, EVIDENCE_TEXT_MAX));
    let step = StepResult {
        name: name.to_string(),
        node: node.to_string(),
        group: group.clone(),
        outcome,
        exit_code: v.exit_code,
        duration_s,
        timed_out: outcome == Outcome::TimedOut,
        started_at: v.started_at,
        ended_at: v.ended_at,
        message,
        evidence,
    };
    if state.run.steps.len() < MAX_STEPS {
        if let Some(g) = &step.group {
            if state.run.plays.last() != Some(g) {
                state.run.plays.push(g.clone());
            }
        }
        state.run.steps.push(step);
    } else {
        state.steps_dropped += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CollectSink;
    use serde_json::json;

    fn pods(items: Value) -> (Parsed<Kubectl>, CollectSink) {
        let doc = json!({"apiVersion": "v1", "items": items, "kind": "List"}).to_string();
        let mut sink = CollectSink::default();
        let p = parse("k.json", doc.as_bytes(), &mut sink);
        (p, sink)
    }

    fn pod(name: &str, status: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "mlperf"},
               "spec": {"nodeName": "gpu-1", "containers": [{"name": "bench"}]},
               "status": status})
    }

    fn outcome_of(status: Value) -> (Outcome, Option<i64>, String) {
        let (p, _) = pods(json!([pod("p", status)]));
        let h = p.value.harness.unwrap();
        let s = &h.steps[0];
        (
            s.outcome,
            s.exit_code,
            s.message.clone().unwrap_or_default(),
        )
    }

    #[test]
    fn container_states_map_to_outcomes() {
        let term = |code: i64, reason: &str| {
            json!({"phase": "Failed", "containerStatuses": [{"name": "bench", "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "reason": reason}}}]})
        };
        assert_eq!(
            outcome_of(term(0, "Completed")),
            (Outcome::Ok, Some(0), "Completed".into())
        );
        assert_eq!(
            outcome_of(term(1, "Error")),
            (Outcome::Failed, Some(1), "Error: exit code 1".into())
        );
        assert_eq!(
            outcome_of(term(137, "OOMKilled")),
            (Outcome::Failed, Some(137), "OOMKilled".into())
        );
        assert_eq!(
            outcome_of(
                json!({"phase": "Running", "containerStatuses": [{"name": "bench", "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]})
            ),
            (
                Outcome::Failed,
                Some(137),
                "CrashLoopBackOff: back-off 40s; last terminated: OOMKilled; restarts: 4".into()
            )
        );
        assert_eq!(
            outcome_of(
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]})
            ),
            (
                Outcome::Failed,
                None,
                "Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.".into()
            )
        );
        assert_eq!(
            outcome_of(json!({"phase": "Failed", "reason": "DeadlineExceeded",
                "message": "Pod was active on the node longer than the specified deadline"}))
            .0,
            Outcome::TimedOut
        );
        assert_eq!(
            outcome_of(
                json!({"phase": "Running", "containerStatuses": [{"name": "bench", "restartCount": 0,
                "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]})
            ),
            (Outcome::Ok, None, "Running".into())
        );
    }

    #[test]
    fn job_conditions_map_to_outcomes() {
        let job = |status: Value| {
            json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "train", "namespace": "mlperf"}, "status": status})
        };
        let (p, sink) = pods(json!([
            job(
                json!({"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1,
                "startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:01:00Z"})
            ),
            job(
                json!({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit"}], "failed": 7})
            ),
            job(
                json!({"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                "message": "Job was active longer than specified deadline"}]})
            ),
        ]));
        let h = p.value.harness.unwrap();
        let got: Vec<(Outcome, Option<f64>)> =
            h.steps.iter().map(|s| (s.outcome, s.duration_s)).collect();
        assert_eq!(
            got,
            [
                (Outcome::Ok, Some(60.0)),
                (Outcome::Failed, None),
                (Outcome::TimedOut, None)
            ]
        );
        assert_eq!(h.steps[1].node, CLUSTER);
        assert_eq!(
            sink.lines[0].4,
            "BackoffLimitExceeded: Job has reached the specified backoff limit"
        );
        assert_eq!(sink.lines[0].3.as_deref(), Some("train"));
    }

    #[test]
    fn nodes_read_conditions_gpus_and_labels() {
        let (p, _) = pods(json!([{"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "g1", "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
                "nvidia.com/gpu.count": "8", "nvidia.com/cuda.driver.major": "550",
                "nvidia.com/cuda.driver.minor": "90", "nvidia.com/cuda.driver.rev": "07"}},
            "status": {"capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "7"},
                "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "PLEG is not healthy"},
                               {"type": "DiskPressure", "status": "True"}]}}]));
        let n = &p.value.nodes.unwrap().nodes[0];
        assert_eq!(n.ready.as_deref(), Some("False"));
        assert_eq!(
            n.ready_detail.as_deref(),
            Some("KubeletNotReady: PLEG is not healthy")
        );
        assert_eq!(n.pressures, ["DiskPressure"]);
        assert_eq!((n.gpu_capacity, n.gpu_allocatable), (Some(8), Some(7)));
        assert_eq!(n.driver_version.as_deref(), Some("550.90.07"));
        assert!(n.gpu_labelled());
        assert!(p.value.harness.is_none());
    }

    #[test]
    fn api_lists_without_item_kinds_use_the_list_kind() {
        let doc = r#"{"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"name": "a"}, "status": {"phase": "Succeeded"}}]}"#;
        let p = parse("k.json", doc.as_bytes(), &mut crate::parse::NullSink);
        assert_eq!(p.value.harness.unwrap().steps[0].outcome, Outcome::Ok);
    }

    #[test]
    fn sniff_wants_api_version_and_a_known_kind() {
        assert!(sniff(
            b"{\n  \"apiVersion\": \"v1\",\n  \"items\": [ {\"kind\": \"Pod\"} ]"
        ));
        assert!(sniff(br#"{"kind":"NodeList","apiVersion":"v1"}"#));
        assert!(!sniff(br#"{"kind":"ConfigMap","apiVersion":"v1"}"#));
        assert!(!sniff(br#"{"kind":"Pod"}"#));
        assert!(!sniff(br#"[{"apiVersion":"v1","kind":"Pod"}]"#));
    }

    #[test]
    fn truncation_keeps_the_items_before_the_cut() {
        let doc = r#"{"apiVersion": "v1", "items": [{"kind": "Pod", "metadata": {"name": "a"}, "status": {"phase": "Succeeded"}}, {"kind": "Pod", "meta"#;
        let p = parse("k.json", doc.as_bytes(), &mut crate::parse::NullSink);
        assert_eq!(p.value.harness.unwrap().steps.len(), 1);
        assert!(
            p.warnings[0].message.contains("truncated"),
            "{:?}",
            p.warnings
        );
    }
}
