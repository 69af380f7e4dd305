//! Signals and report section for software-stack dumps: the versions each
//! node runs, and where they drift apart.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Keys compared between nodes: (key, display name, is it a driver/CUDA
/// matter). Driver and CUDA drift raise the existing `version_drift` signal
/// (category `gpu_driver`, like nvidia-smi's); the rest raise
/// `software_drift`.
pub const DRIFT_KEYS: &[(&str, &str, bool)] = &[
    ("nvidia.driver", "NVIDIA driver (collect_env)", true),
    ("cuda.runtime", "CUDA runtime", true),
    ("cuda.toolkit", "CUDA toolkit (nvcc)", true),
    ("torch.cuda", "PyTorch CUDA build", true),
    ("torch", "PyTorch", false),
    ("transformers", "transformers", false),
    ("vllm", "vLLM", false),
    ("mlcommons-loadgen", "MLPerf LoadGen (pip)", false),
    ("tensorrt", "TensorRT", false),
    ("tensorrt-llm", "TensorRT-LLM", false),
    ("triton", "Triton", false),
    ("flash-attn", "flash-attn", false),
    ("nvidia-nccl-cu12", "NCCL (pip, CUDA 12)", false),
    ("nvidia-nccl-cu13", "NCCL (pip, CUDA 13)", false),
    ("cudnn", "cuDNN", false),
    ("numpy", "NumPy", false),
    ("python", "Python", false),
    ("os", "OS", false),
    ("kernel", "Linux kernel", false),
];

/// True for a software row built here from dumps (so the analyzer does not
/// raise nvidia-smi's drift signal for it a second time).
pub fn is_dump_row(component: &str) -> bool {
    DRIFT_KEYS.iter().any(|(_, c, _)| *c == component)
}

/// Nodes (attributed ones only) → key → (value, evidence), merged over the
/// node's dumps: the first dump that gives a key wins, `pip list` before
/// `pip freeze` (freeze prints a local install as `name @ file://…`, list
/// prints its version) before the rest, then in path order.
type NodeValues = BTreeMap<String, BTreeMap<String, (String, Evidence)>>;

fn merge_rank(kind: DumpKind) -> u8 {
    match kind {
        DumpKind::PipList => 0,
        DumpKind::PipFreeze => 1,
        _ => 2,
    }
}

fn node_values(c: &Campaign) -> NodeValues {
    let mut out: NodeValues = BTreeMap::new();
    for (node, data) in c.nodes.iter().filter(|(n, _)| !n.starts_with('(')) {
        let mut dumps: Vec<&(String, SoftwareDump)> = data.software.iter().collect();
        dumps.sort_by(|a, b| (merge_rank(a.1.kind), &a.0).cmp(&(merge_rank(b.1.kind), &b.0)));
        for (path, dump) in dumps {
            for key in dump.versions.keys() {
                let slot = out.entry(node.clone()).or_default();
                if slot.contains_key(key) {
                    continue;
                }
                if let (Some(v), Some(ev)) = (dump.get(key), dump.evidence(path, key)) {
                    slot.insert(key.clone(), (v.to_string(), ev));
                }
            }
        }
    }
    out
}

/// Key stack versions that differ between two or more nodes.
fn drift(values: &NodeValues) -> Vec<SoftwareDrift> {
    let mut out = Vec::new();
    for (key, component, _) in DRIFT_KEYS {
        let mut versions = BTreeMap::new();
        let mut evidence = Vec::new();
        for (node, keys) in values {
            if let Some((v, ev)) = keys.get(*key) {
                versions.insert(node.clone(), v.clone());
                evidence.push(ev.clone());
            }
        }
        let distinct: BTreeSet<&String> = versions.values().collect();
        if distinct.len() > 1 {
            out.push(SoftwareDrift {
                key: key.to_string(),
                component: component.to_string(),
                versions,
                evidence,
            });
        }
    }
    out
}

/// Raise this family's signals: one event per drifting key, citing every
/// node's dump line.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    let _ = s;
    for d in drift(&node_values(c)) {
        let text = format!(
            "{}: {}",
            d.component,
            d.versions
                .iter()
                .map(|(n, v)| format!("{v} on {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let driver = DRIFT_KEYS.iter().any(|(k, _, drv)| *k == d.key && *drv);
        let signal = if driver {
            "version_drift"
        } else {
            "software_drift"
        };
        // Same text for every node: the classifier folds the calls into one
        // event that cites each node's dump.
        for e in &d.evidence {
            let mut ev = e.clone();
            ev.text = text.clone();
            cl.signal(signal, None, None, ev);
        }
    }
}

/// Software rows (`report.software`) from dumps: one per compared key that
/// any node reports, beside the nvidia-smi and LoadGen rows. The driver row
/// is left out when nvidia-smi already gives one.
pub fn rows(c: &Campaign) -> Vec<SoftwareRow> {
    let values = node_values(c);
    let smi_driver = c
        .nodes
        .values()
        .any(|d| d.nvidia_smi.iter().any(|(_, x)| x.driver_version.is_some()));
    let mut out = Vec::new();
    for (key, component, _) in DRIFT_KEYS {
        if *key == "nvidia.driver" && smi_driver {
            continue;
        }
        let mut versions = BTreeMap::new();
        let mut evidence = Vec::new();
        for (node, keys) in &values {
            if let Some((v, ev)) = keys.get(*key) {
                versions.insert(node.clone(), v.clone());
                evidence.push(ev.clone());
            }
        }
        if versions.is_empty() {
            continue;
        }
        let distinct: BTreeSet<&String> = versions.values().collect();
        out.push(SoftwareRow {
            component: component.to_string(),
            consistent: distinct.len() <= 1,
            versions,
            evidence,
        });
    }
    out
}

/// True when two or more attributed nodes have dumps, so drift can be seen.
pub fn comparable(c: &Campaign) -> bool {
    c.nodes
        .iter()
        .filter(|(n, d)| !n.starts_with('(') && !d.software.is_empty())
        .count()
        >= 2
}

/// This family's report section.
pub fn report(c: &Campaign) -> SoftwareReport {
    let values = node_values(c);
    let mut nodes = Vec::new();
    for (node, data) in c.nodes.iter().filter(|(_, d)| !d.software.is_empty()) {
        let mut dumps: Vec<DumpRef> = data
            .software
            .iter()
            .map(|(path, d)| DumpRef {
                path: path.clone(),
                kind: d.kind,
                packages: d.packages,
            })
            .collect();
        dumps.sort_by(|a, b| a.path.cmp(&b.path));
        // Unattributed dumps are listed with their own values, unmerged
        // across files, since they may come from different machines.
        let merged: BTreeMap<String, String> = match values.get(node) {
            Some(keys) => keys
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect(),
            None => data
                .software
                .iter()
                .flat_map(|(_, d)| d.versions.iter())
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
        };
        let packages = merged.keys().filter(|k| k.starts_with("pip:")).count() as u64;
        nodes.push(NodeSoftware {
            node: node.clone(),
            dumps,
            versions: merged
                .into_iter()
                .filter(|(k, _)| !k.starts_with("pip:") && !k.starts_with("conda:"))
                .collect(),
            packages,
        });
    }
    let (package_nodes, package_diff, package_diff_total) = package_diff(&values);
    SoftwareReport {
        nodes,
        drift: drift(&values),
        package_nodes,
        package_diff,
        package_diff_total,
    }
}

/// Packages on some of the nodes that list packages only, or at different
/// versions; capped at [`PACKAGE_DIFF_KEPT`].
fn package_diff(values: &NodeValues) -> (Vec<String>, Vec<PackageDiff>, u64) {
    let listing: BTreeMap<&String, BTreeMap<&str, &String>> = values
        .iter()
        .map(|(n, keys)| {
            let pkgs: BTreeMap<&str, &String> = keys
                .iter()
                .filter_map(|(k, (v, _))| Some((k.strip_prefix("pip:")?, v)))
                .collect();
            (n, pkgs)
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if listing.len() < 2 {
        return (Vec::new(), Vec::new(), 0);
    }
    let names: BTreeSet<&str> = listing.values().flat_map(|p| p.keys().copied()).collect();
    let mut diff = Vec::new();
    let mut total = 0;
    for name in names {
        let versions: BTreeMap<String, Option<String>> = listing
            .iter()
            .map(|(n, p)| ((*n).clone(), p.get(name).map(|v| (*v).clone())))
            .collect();
        let distinct: BTreeSet<&Option<String>> = versions.values().collect();
        if distinct.len() > 1 {
            total += 1;
            if diff.len() < PACKAGE_DIFF_KEPT {
                diff.push(PackageDiff {
                    package: name.to_string(),
                    versions,
                });
            }
        }
    }
    (listing.keys().map(|n| (*n).clone()).collect(), diff, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::rules::RuleSet;

    fn dump(pairs: &[(&str, &str)]) -> SoftwareDump {
        SoftwareDump {
            kind: DumpKind::PipFreeze,
            versions: pairs
                .iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    (
                        k.to_string(),
                        VersionValue {
                            value: v.to_string(),
                            line: Some(i as u64 + 1),
                        },
                    )
                })
                .collect(),
            packages: 0,
            packages_dropped: 0,
        }
    }

    fn campaign(nodes: &[(&str, SoftwareDump)]) -> Campaign {
        let mut c = Campaign::default();
        for (n, d) in nodes {
            c.nodes
                .entry(n.to_string())
                .or_default()
                .software
                .push((format!("nodes/{n}/pip-freeze.txt"), d.clone()));
        }
        c
    }

    #[test]
    fn drift_raises_one_event_per_key_citing_every_node() {
        let c = campaign(&[
            (
                "a",
                dump(&[
                    ("torch", "2.3.0"),
                    ("cuda.toolkit", "12.4.131"),
                    ("python", "3.10"),
                ]),
            ),
            (
                "b",
                dump(&[
                    ("torch", "2.4.0"),
                    ("cuda.toolkit", "12.1.105"),
                    ("python", "3.10"),
                ]),
            ),
            ("(unattributed)", dump(&[("torch", "9.9")])),
        ]);
        let rules = RuleSet::builtin().unwrap();
        let mut cl = Classifier::new(&rules);
        raise(&c, &mut cl, &Settings::default());
        let events = cl.finish();
        let ids: Vec<(&str, u64, usize)> = events
            .iter()
            .map(|e| (rules.rules[e.rule].id.as_str(), e.events, e.evidence.len()))
            .collect();
        assert_eq!(
            ids,
            [
                ("software.version_drift", 1, 2),
                ("software.package_drift", 1, 2)
            ]
        );
        let torch = &events[1].evidence;
        assert_eq!(torch[0].text, "PyTorch: 2.3.0 on a, 2.4.0 on b");
        assert_eq!(torch[0].path, "nodes/a/pip-freeze.txt");
        assert_eq!(torch[1].line, Some(1));
    }

    #[test]
    fn package_diff_lists_missing_and_different_packages() {
        let c = campaign(&[
            (
                "a",
                dump(&[("pip:numpy", "2.0"), ("pip:pip", "24"), ("pip:only-a", "1")]),
            ),
            ("b", dump(&[("pip:numpy", "1.26"), ("pip:pip", "24")])),
            ("c", dump(&[("os", "Debian")])),
        ]);
        let r = report(&c);
        assert_eq!(r.package_nodes, ["a", "b"]);
        assert_eq!(r.package_diff_total, 2);
        let names: Vec<&str> = r.package_diff.iter().map(|d| d.package.as_str()).collect();
        assert_eq!(names, ["numpy", "only-a"]);
        assert_eq!(r.package_diff[1].versions["b"], None);
        assert_eq!(r.nodes.len(), 3);
        assert_eq!(r.nodes[0].packages, 3);
        assert!(r.drift.is_empty());
        assert!(comparable(&c));
    }

    #[test]
    fn rows_skip_the_driver_when_nvidia_smi_has_it() {
        let mut c = campaign(&[
            ("a", dump(&[("nvidia.driver", "550"), ("kernel", "6.8")])),
            ("b", dump(&[("nvidia.driver", "535"), ("kernel", "6.8")])),
        ]);
        let names =
            |c: &Campaign| -> Vec<String> { rows(c).into_iter().map(|r| r.component).collect() };
        assert_eq!(names(&c), ["NVIDIA driver (collect_env)", "Linux kernel"]);
        c.nodes.get_mut("a").unwrap().nvidia_smi.push((
            "x.xml".into(),
            NvidiaSmiDump {
                driver_version: Some("550".into()),
                ..NvidiaSmiDump::default()
            },
        ));
        assert_eq!(names(&c), ["Linux kernel"]);
        assert!(rows(&c)[0].consistent);
        assert!(is_dump_row("Linux kernel"));
        assert!(!is_dump_row("NVIDIA driver"));
    }
}
