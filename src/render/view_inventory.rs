//! View of `report.software_inventory`, shown inside "Software stack": the
//! dumps read per node with their key versions, every stack value as a
//! node × key matrix, version drift with evidence, and the package diff.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{DumpKind, Report};

use super::view::{DASH, Esc, EvidenceView, fmt_count, plural};

/// Key versions shown per node in the summary table: (column, keys tried in
/// order).
const KEY_COLUMNS: &[(&str, &[&str])] = &[
    ("python", &["python"]),
    ("torch", &["torch"]),
    ("cuda", &["cuda.toolkit", "cuda.runtime", "torch.cuda"]),
    ("driver", &["nvidia.driver"]),
    ("os", &["os"]),
    ("kernel", &["kernel"]),
];

/// Software dumps per node.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryView {
    /// One row per node with dumps.
    pub nodes: Vec<InventoryNodeView>,
    /// Shown when no dump was read.
    pub empty_note: String,
    /// Column headers of the value matrix (the nodes).
    pub matrix_nodes: Vec<String>,
    /// One row per stack key.
    pub matrix: Vec<KeyRowView>,
    /// Column headers of the drift table.
    pub drift_nodes: Vec<String>,
    /// Stack versions that differ between nodes.
    pub drift: Vec<DriftRowView>,
    /// Shown when there is no drift, saying why.
    pub drift_empty_note: String,
    /// Column headers of the package diff.
    pub package_nodes: Vec<String>,
    /// Packages that differ.
    pub packages: Vec<KeyRowView>,
    /// `showing 200 of 350`, or the total.
    pub packages_summary: String,
    /// Shown when no package differs, saying why.
    pub packages_empty_note: String,
}

/// One node's dumps.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryNodeView {
    /// Node.
    pub node: String,
    /// `8 dumps`.
    pub dumps: String,
    /// Kinds read, sorted.
    pub kinds: String,
    /// Distinct pip packages.
    pub packages: String,
    /// Python.
    pub python: String,
    /// PyTorch.
    pub torch: String,
    /// CUDA (toolkit, else runtime, else PyTorch's build).
    pub cuda: String,
    /// NVIDIA driver.
    pub driver: String,
    /// OS.
    pub os: String,
    /// Kernel.
    pub kernel: String,
    /// Every dump: `path (kind, N packages)`.
    pub files: Vec<String>,
}

/// A key (or package) and one value per column.
#[derive(Debug, Clone, Serialize)]
pub struct KeyRowView {
    /// Key or package name.
    pub key: String,
    /// One value per column, `—` or `absent` when missing.
    pub values: Vec<String>,
}

/// One drifting version.
#[derive(Debug, Clone, Serialize)]
pub struct DriftRowView {
    /// Display name.
    pub component: String,
    /// Key.
    pub key: String,
    /// One value per column of [`InventoryView::drift_nodes`].
    pub values: Vec<String>,
    /// Where each value was read.
    pub evidence: Vec<EvidenceView>,
}

fn kind_word(k: DumpKind) -> &'static str {
    match k {
        DumpKind::Unknown => "unrecognised dump",
        DumpKind::CollectEnv => "collect_env",
        DumpKind::PipList => "pip list",
        DumpKind::PipFreeze => "pip freeze",
        DumpKind::Nvcc => "nvcc --version",
        DumpKind::Uname => "uname",
        DumpKind::OsRelease => "os-release",
        DumpKind::Lscpu => "lscpu",
        DumpKind::Meminfo => "meminfo",
    }
}

/// The inventory part of "Software stack".
pub(super) fn inventory(report: &Report, esc: Esc) -> InventoryView {
    let s = &report.software_inventory;
    let nodes = s
        .nodes
        .iter()
        .map(|n| {
            let kinds: BTreeSet<&str> = n.dumps.iter().map(|d| kind_word(d.kind)).collect();
            let value = |col: &str| {
                KEY_COLUMNS
                    .iter()
                    .find(|(c, _)| *c == col)
                    .and_then(|(_, keys)| keys.iter().find_map(|k| n.versions.get(*k)))
                    .map(|v| esc.or(Some(v), DASH))
                    .unwrap_or_else(|| DASH.to_string())
            };
            InventoryNodeView {
                node: esc.or(Some(&n.node), DASH),
                dumps: plural(n.dumps.len() as u64, "dump", "dumps"),
                kinds: kinds.into_iter().collect::<Vec<_>>().join(", "),
                packages: fmt_count(n.packages),
                python: value("python"),
                torch: value("torch"),
                cuda: value("cuda"),
                driver: value("driver"),
                os: value("os"),
                kernel: value("kernel"),
                files: n
                    .dumps
                    .iter()
                    .map(|d| {
                        let mut f = format!("{} ({}", esc.t(&d.path), kind_word(d.kind));
                        if d.packages > 0 {
                            f.push_str(&format!(", {}", plural(d.packages, "package", "packages")));
                        }
                        f.push(')');
                        f
                    })
                    .collect(),
            }
        })
        .collect();

    let keys: BTreeSet<&String> = s.nodes.iter().flat_map(|n| n.versions.keys()).collect();
    let matrix = keys
        .into_iter()
        .map(|k| KeyRowView {
            key: esc.or(Some(k), DASH),
            values: s
                .nodes
                .iter()
                .map(|n| esc.or(n.versions.get(k).map(String::as_str), DASH))
                .collect(),
        })
        .collect();

    let drift_cols: Vec<&String> = s
        .drift
        .iter()
        .flat_map(|d| d.versions.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let drift = s
        .drift
        .iter()
        .map(|d| {
            let (evidence, _) = esc.evidence_list(&d.evidence);
            DriftRowView {
                component: esc.or(Some(&d.component), DASH),
                key: esc.or(Some(&d.key), DASH),
                values: drift_cols
                    .iter()
                    .map(|n| esc.or(d.versions.get(*n).map(String::as_str), DASH))
                    .collect(),
                evidence,
            }
        })
        .collect();
    let attributed = s.nodes.iter().filter(|n| !n.node.starts_with('(')).count();
    let comparable_note = format!(
        "Drift needs dumps from two or more named nodes; {} had any.",
        plural(attributed as u64, "named node", "named nodes")
    );

    let packages = s
        .package_diff
        .iter()
        .map(|p| {
            let versions: BTreeMap<&String, &Option<String>> = p.versions.iter().collect();
            KeyRowView {
                key: esc.or(Some(&p.package), DASH),
                values: s
                    .package_nodes
                    .iter()
                    .map(|n| match versions.get(n) {
                        Some(Some(v)) => esc.or(Some(v), DASH),
                        Some(None) => "absent".to_string(),
                        None => DASH.to_string(),
                    })
                    .collect(),
            }
        })
        .collect();
    InventoryView {
        nodes,
        empty_note: esc.t("No software dump was read (python -m torch.utils.collect_env, pip list --format=json, pip freeze, nvcc --version, uname -a, /etc/os-release, lscpu or /proc/meminfo, saved under nodes/NAME/)."),
        matrix_nodes: s.nodes.iter().map(|n| esc.or(Some(&n.node), DASH)).collect(),
        matrix,
        drift_nodes: drift_cols.iter().map(|n| esc.or(Some(n), DASH)).collect(),
        drift,
        drift_empty_note: if attributed >= 2 {
            "Every compared version agrees across nodes.".to_string()
        } else {
            comparable_note.clone()
        },
        package_nodes: s.package_nodes.iter().map(|n| esc.or(Some(n), DASH)).collect(),
        packages,
        packages_summary: if s.package_diff_total > s.package_diff.len() as u64 {
            format!(
                "showing {} of {} differing packages",
                fmt_count(s.package_diff.len() as u64),
                fmt_count(s.package_diff_total)
            )
        } else {
            plural(s.package_diff_total, "differing package", "differing packages")
        },
        packages_empty_note: if s.package_nodes.len() >= 2 {
            "Every package is at the same version on every compared node.".to_string()
        } else {
            "Package lists need pip list or pip freeze from two or more named nodes to compare.".to_string()
        },
    }
}
