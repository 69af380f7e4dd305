//! Analyze stage: classification, scoring and performance statistics.
//!
//! [`analyze`] takes the assembled [`Campaign`] and the classifier that the
//! parsers streamed log text into, raises signals from structured data (step
//! outcomes, LoadGen results, GPU probe values), folds everything into
//! findings, and scores each component. Every number it produces carries the
//! evidence it came from.

pub mod causes;
pub mod checks;
pub mod classify;
pub mod config;
pub mod perf;
pub mod rules;
pub mod scaling;
pub mod score;
pub mod signals;
pub mod validity;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

use classify::{Classifier, EventGroup};
use rules::{CATEGORIES, RuleSet};

/// Component weights in the overall mean (renormalised over the assessed
/// components).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Network and connectivity.
    pub network: f64,
    /// GPU hardware.
    pub hardware: f64,
    /// Software stack.
    pub software: f64,
    /// Service reliability.
    pub reliability: f64,
    /// Performance.
    pub performance: f64,
}

/// Scoring thresholds and weights; defaults documented in `docs/scoring.md`.
/// A user config overrides any of them in its `[scoring]` table (see
/// [`config`]).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Component weights.
    pub weights: Weights,
    /// Overall cap when a critical finding is present.
    pub cap_critical: f64,
    /// Overall cap when a high finding is present.
    pub cap_high: f64,
    /// Overall cap when a medium finding is present.
    pub cap_medium: f64,
    /// Points per distributed/connectivity log event.
    pub network_error_points: f64,
    /// Most points the log events can take from network.
    pub network_error_cap: f64,
    /// Points per GPU with uncorrectable ECC errors.
    pub ecc_points: f64,
    /// Points per GPU with pending retirement / remapping failure.
    pub retirement_points: f64,
    /// Points per GPU at slowdown temperature.
    pub temperature_points: f64,
    /// Points per GPU with a thermal/hardware slowdown active.
    pub throttle_points: f64,
    /// Points per GPU hardware/thermal log event.
    pub hardware_log_points: f64,
    /// Most points log events can take from hardware.
    pub hardware_log_cap: f64,
    /// Points per software component whose version differs across nodes.
    pub drift_points: f64,
    /// Points per dependency/config/driver event.
    pub software_error_points: f64,
    /// Most points those events can take from software.
    pub software_error_cap: f64,
    /// Points for an all-INVALID campaign (scaled by the invalid share).
    pub invalid_run_points: f64,
    /// Points per run with LoadGen errors.
    pub loadgen_error_points: f64,
    /// Most points LoadGen errors can take.
    pub loadgen_error_cap: f64,
    /// Throughput CV above which comparable runs count as inconsistent.
    pub throughput_cv_threshold: f64,
    /// Most points inconsistency can take.
    pub consistency_cap: f64,
    /// Power draw at or above this share of the limit counts as capped.
    pub power_capped_share: f64,
    /// Uncorrectable ECC errors a GPU may report before it counts.
    pub ecc_uncorrectable_threshold: u64,
    /// Absolute GPU temperature limit, °C: a GPU at or above it counts like
    /// one at its own slowdown temperature. `None`: only the GPU's threshold.
    pub max_gpu_temperature_c: Option<f64>,
    /// Clock-event (throttle) reasons that count as a thermal/hardware slowdown.
    pub throttle_reasons: Vec<String>,
    /// GPUs every node should have; `None` skips the check.
    pub expected_gpus_per_node: Option<u32>,
    /// Per-node overrides of the expected GPU count.
    pub expected_gpus: BTreeMap<String, u32>,
    /// Points per missing GPU.
    pub missing_gpu_points: f64,
    /// p99-latency CV above which comparable runs count as inconsistent.
    pub latency_cv_threshold: f64,
    /// Minimum throughput per benchmark, in the run's headline metric
    /// (tokens/s for token runs, samples/s otherwise).
    pub min_throughput: BTreeMap<String, f64>,
    /// Points per run below its benchmark's minimum throughput.
    pub min_throughput_points: f64,
    /// Repeats of one error on one node, step and device within this many
    /// seconds are one event (lines with timestamps only).
    pub dedup_window_s: f64,
    /// A cause and a consequence on the same node are linked when they are
    /// at most this many seconds apart (when both carry times).
    pub cause_window_s: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            network: 0.10,
            hardware: 0.20,
            software: 0.15,
            reliability: 0.30,
            performance: 0.25,
        }
    }
}

impl Settings {
    /// Whether a throttle reason counts as a thermal/hardware slowdown.
    pub fn counts_as_throttle(&self, reason: &str) -> bool {
        self.throttle_reasons.iter().any(|r| r == reason)
    }

    /// Whether a GPU's temperature is at or over its limit.
    pub fn too_hot(&self, temp: Option<f64>, slowdown: Option<f64>) -> bool {
        let Some(t) = temp else { return false };
        slowdown.is_some_and(|l| t >= l) || self.max_gpu_temperature_c.is_some_and(|l| t >= l)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            weights: Weights::default(),
            cap_critical: 40.0,
            cap_high: 70.0,
            cap_medium: 85.0,
            network_error_points: 15.0,
            network_error_cap: 45.0,
            ecc_points: 40.0,
            retirement_points: 30.0,
            temperature_points: 20.0,
            throttle_points: 10.0,
            hardware_log_points: 20.0,
            hardware_log_cap: 60.0,
            drift_points: 15.0,
            software_error_points: 15.0,
            software_error_cap: 60.0,
            invalid_run_points: 50.0,
            loadgen_error_points: 10.0,
            loadgen_error_cap: 30.0,
            throughput_cv_threshold: 0.10,
            consistency_cap: 30.0,
            power_capped_share: 0.98,
            ecc_uncorrectable_threshold: 0,
            max_gpu_temperature_c: None,
            throttle_reasons: [
                "hw_slowdown",
                "hw_thermal_slowdown",
                "sw_thermal_slowdown",
                "hw_power_brake_slowdown",
            ]
            .map(String::from)
            .to_vec(),
            expected_gpus_per_node: None,
            expected_gpus: BTreeMap::new(),
            missing_gpu_points: 40.0,
            latency_cv_threshold: 0.15,
            min_throughput: BTreeMap::new(),
            min_throughput_points: 10.0,
            dedup_window_s: 60.0,
            cause_window_s: 300.0,
        }
    }
}

/// Analyse a campaign. `classifier` has already seen every log line.
pub fn analyze(campaign: &Campaign, mut classifier: Classifier<'_>, s: &Settings) -> Report {
    let rules = classifier.rules();
    signals::raise_all(campaign, &mut classifier, s);
    checks::raise(campaign, &mut classifier, s);
    let software = software_rows(campaign);
    // Rows from software dumps raise their own drift signals.
    for row in software
        .iter()
        .filter(|r| !r.consistent && !signals::software::is_dump_row(&r.component))
    {
        let text = row
            .versions
            .iter()
            .map(|(n, v)| format!("{v} on {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        // One signal per node's evidence with the same text: the classifier
        // folds them into one event that cites every node's probe.
        for e in &row.evidence {
            let mut ev = e.clone();
            ev.text = format!("{}: {text}", row.component);
            classifier.signal("version_drift", None, None, ev);
        }
    }
    let groups = perf::groups(&campaign.runs);
    for g in &groups {
        if let Some(cv) = g.throughput_cv.filter(|cv| *cv > s.throughput_cv_threshold) {
            let text = format!(
                "{}: samples/s CV {:.1}% across {} runs; slowest {}",
                g.key,
                cv * 100.0,
                g.runs.len(),
                g.slowest_node.as_deref().unwrap_or("?")
            );
            // Cite every run's summary; the shared text makes them one event.
            for run in campaign.runs.iter().filter(|r| g.runs.contains(&r.id)) {
                if let Some((path, sum)) = &run.summary {
                    let mut ev = Evidence::new(path.clone(), None, &text);
                    ev.locator = sum.samples_per_second.map(|v| {
                        let who = run.node.as_deref().unwrap_or(&run.id);
                        format!("result block: {who} {v:.2} samples/s")
                    });
                    classifier.signal("throughput_imbalance", g.slowest_node.as_deref(), None, ev);
                }
            }
        }
    }
    scaling::raise_latency(campaign, &groups, &mut classifier, s);
    let events = classifier.finish();
    let mut findings = findings(&events, rules);
    let causes = causes::link(&events, rules, campaign, s.cause_window_s, &mut findings);
    let consistency = scaling::consistency(campaign, &groups);
    let nodes_known = known_nodes(campaign);
    let loadgen_extra = signals::loadgen_extra::report(campaign);
    let training = signals::training::report(campaign);
    let components = score::components(
        &score::ScoreInputs {
            campaign,
            findings: &findings,
            groups: &groups,
            software: &software,
            nodes: &nodes_known,
            training: &training,
            compliance: &loadgen_extra.compliance,
        },
        s,
    );
    let overall = score::overall(&components, &findings, s);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        title: String::new(),
        generated_at: None,
        inputs: inputs_section(campaign),
        overall,
        components,
        nodes: node_reports(campaign, &findings, &nodes_known),
        runs: run_reports(campaign),
        steps: step_reports(campaign, &findings),
        categories: category_rows(campaign, &findings, rules),
        recommendations: recommendations(&findings),
        findings,
        performance: Performance { groups },
        software,
        loadgen_extra,
        gpu_probes: signals::gpu_probes::report(campaign),
        platform: signals::platform::report(campaign),
        software_inventory: signals::software::report(campaign),
        training,
        baseline: None,
        causes,
        validity: campaign.runs.iter().filter_map(validity::explain).collect(),
        scaling: scaling::scaling(campaign),
        consistency,
    }
}

fn software_rows(c: &Campaign) -> Vec<SoftwareRow> {
    let mut rows = Vec::new();
    let mut add = |component: &str, values: Vec<(String, String, Evidence)>| {
        if values.is_empty() {
            return;
        }
        let mut versions = BTreeMap::new();
        let mut evidence = Vec::new();
        for (node, v, e) in values {
            if versions.insert(node, v).is_none() {
                evidence.push(e);
            }
        }
        let distinct: BTreeSet<&String> = versions.values().collect();
        rows.push(SoftwareRow {
            component: component.into(),
            consistent: distinct.len() <= 1,
            versions,
            evidence,
        });
    };
    type Pick<'a> = &'a dyn Fn(&NvidiaSmiDump) -> Option<(String, Option<Evidence>)>;
    let probe = |f: Pick<'_>| -> Vec<(String, String, Evidence)> {
        c.nodes
            .iter()
            .filter(|(n, _)| !n.starts_with('('))
            .filter_map(|(n, d)| {
                let (path, dump) = d.nvidia_smi.first()?;
                let (v, ev) = f(dump)?;
                let ev = ev.unwrap_or_else(|| Evidence::new(path.clone(), None, &v));
                Some((n.clone(), v, ev))
            })
            .collect()
    };
    add(
        "NVIDIA driver",
        probe(&|d| Some((d.driver_version.clone()?, d.driver_evidence.clone()))),
    );
    add(
        "CUDA (driver API)",
        probe(&|d| Some((d.cuda_version.clone()?, d.cuda_evidence.clone()))),
    );
    let loadgen: Vec<(String, String, Evidence)> = c
        .runs
        .iter()
        .filter_map(|r| {
            let node = r.node.clone()?;
            let (path, d) = r.detail.as_ref()?;
            let v = d.loadgen_version.clone()?;
            Some((
                node,
                v.clone(),
                Evidence::new(path.clone(), None, &format!("loadgen_version {v}")),
            ))
        })
        .collect();
    add("MLPerf LoadGen", loadgen);
    rows.extend(signals::software::rows(c));
    rows
}

fn findings(events: &[EventGroup], rules: &RuleSet) -> Vec<Finding> {
    let mut by_rule: BTreeMap<usize, Vec<&EventGroup>> = BTreeMap::new();
    for e in events {
        by_rule.entry(e.rule).or_default().push(e);
    }
    let mut out: Vec<Finding> = Vec::new();
    for (idx, groups) in by_rule {
        let Some(rule) = rules.rules.get(idx) else {
            continue;
        };
        let mut nodes = BTreeSet::new();
        let mut steps = BTreeSet::new();
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut ordered = groups.clone();
        ordered.sort_by_key(|g| g.first_seen);
        // Spread evidence over distinct identities before taking seconds.
        for round in 0..3 {
            for g in &ordered {
                if let Some(e) = g.evidence.get(round) {
                    if evidence.len() < 3 && !evidence.contains(e) {
                        evidence.push(e.clone());
                    }
                }
            }
        }
        for g in &groups {
            nodes.extend(g.node.clone());
            steps.extend(g.step.clone());
        }
        out.push(Finding {
            rule: rule.id.clone(),
            category: rule.category.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            count: groups.iter().map(|g| g.events).sum(),
            raw_count: groups.iter().map(|g| g.raw).sum(),
            nodes: nodes.into_iter().collect(),
            steps: steps.into_iter().collect(),
            evidence,
            remediation: rule.remediation.clone(),
            status: "active".into(),
            impact: rules.impact(&rule.category, rule.severity),
            caused_by: Vec::new(),
            root_cause: false,
        });
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.nodes.len().cmp(&a.nodes.len()))
            .then(b.count.cmp(&a.count))
            .then(a.rule.cmp(&b.rule))
    });
    out
}

/// Nodes the campaign knows of: node folders, harness hosts and probes.
fn known_nodes(c: &Campaign) -> BTreeSet<String> {
    c.nodes
        .iter()
        .filter(|(n, d)| !n.starts_with('(') && (d.has_folder || d.in_harness || d.has_gpu_probe()))
        .map(|(n, _)| n.clone())
        .collect()
}

fn node_reports(c: &Campaign, findings: &[Finding], known: &BTreeSet<String>) -> Vec<NodeReport> {
    known
        .iter()
        .map(|name| {
            let data = c.nodes.get(name).cloned().unwrap_or_default();
            let steps: Vec<&StepResult> = c.steps().filter(|s| &s.node == name).collect();
            let ok = steps.iter().filter(|s| s.outcome == Outcome::Ok).count() as u64;
            let failed = steps.iter().filter(|s| s.outcome.is_failure()).count() as u64;
            let reachable = if steps.is_empty() {
                None
            } else {
                Some(!steps.iter().any(|s| s.outcome == Outcome::Unreachable))
            };
            let worst = findings
                .iter()
                .filter(|f| f.nodes.contains(name))
                .map(|f| f.severity)
                .max();
            let has_data = data.has_gpu_probe() || ok > 0;
            let verdict = match worst {
                Some(Severity::Critical | Severity::High) => "unhealthy",
                Some(Severity::Medium) => "degraded",
                _ if !has_data => "not_assessed",
                _ => "healthy",
            };
            let gpus = data
                .nvidia_smi
                .iter()
                .flat_map(|(_, d)| {
                    d.gpus.iter().map(move |g| GpuReport {
                        index: g.index,
                        name: g.name.clone(),
                        uuid: g.uuid.clone(),
                        pci_bus_id: g.pci_bus_id.clone(),
                        memory_total_mib: g.memory_total_mib,
                        memory_used_mib: g.memory_used_mib,
                        driver_version: d.driver_version.clone(),
                        cuda_version: d.cuda_version.clone(),
                        temperature_c: g.temperature_c,
                        temperature_slowdown_c: g.temperature_slowdown_c,
                        power_draw_w: g.power_draw_w,
                        power_limit_w: g.power_limit_w,
                        sm_clock_mhz: g.sm_clock_mhz,
                        ecc_mode: g.ecc_mode.clone(),
                        ecc_uncorrectable: g
                            .ecc_volatile_uncorrectable
                            .or(g.ecc_aggregate_uncorrectable),
                        retired_pages: g.retired_pages,
                        remapped_rows_uncorrectable: g.remapped_rows_uncorrectable,
                        throttle_reasons_active: g.throttle_reasons_active.clone(),
                        evidence: g.evidence.clone(),
                    })
                })
                .collect();
            NodeReport {
                name: name.clone(),
                verdict: verdict.into(),
                probes: data.nvidia_smi.iter().map(|(p, _)| p.clone()).collect(),
                reachable,
                steps_ok: ok,
                steps_failed: failed,
                worst_severity: worst,
                gpus,
            }
        })
        .collect()
}

fn lat(l: &LatencyStats) -> LatencySummary {
    LatencySummary {
        min: l.min,
        mean: l.mean,
        p50: l.p50,
        p90: l.p90,
        p99: l.p99,
        max: l.max,
    }
}

fn run_reports(c: &Campaign) -> Vec<RunReport> {
    c.runs
        .iter()
        .map(|r| {
            let summary = r.summary.as_ref().map(|(_, s)| s);
            let detail = r.detail.as_ref().map(|(_, d)| d);
            let step = r.step.as_ref().and_then(|name| {
                c.steps()
                    .find(|s| &s.name == name && Some(&s.node) == r.node.as_ref())
            });
            let mut evidence = Vec::new();
            if let Some(s) = summary {
                evidence.extend(s.result_evidence.clone());
                evidence.extend(s.recommendations.iter().cloned());
            }
            let mut changed = BTreeMap::new();
            let mut settings = BTreeMap::new();
            if let Some(d) = detail {
                for (k, req) in &d.requested_settings {
                    if let Some(eff) = d.effective_settings.get(k) {
                        if eff != req {
                            changed.insert(k.clone(), (req.clone(), eff.clone()));
                        }
                    }
                }
            }
            if let Some(s) = summary {
                for k in [
                    "target_qps",
                    "target_latency (ns)",
                    "ttft_latency (ns)",
                    "tpot_latency (ns)",
                    "min_duration (ms)",
                    "min_query_count",
                    "performance_sample_count",
                ] {
                    if let Some(v) = s.settings.get(k) {
                        settings.insert(k.to_string(), v.clone());
                    }
                }
            }
            RunReport {
                id: r.id.clone(),
                node: r.node.clone(),
                scenario: summary
                    .and_then(|s| s.scenario)
                    .or(detail.and_then(|d| d.scenario)),
                mode: summary
                    .and_then(|s| s.mode.clone())
                    .or(detail.and_then(|d| d.mode.clone())),
                result: match summary.and_then(|s| s.valid) {
                    Some(true) => "VALID".into(),
                    Some(false) => "INVALID".into(),
                    None => "UNKNOWN".into(),
                },
                exit_code: step.and_then(|s| s.exit_code),
                duration_s: detail.and_then(|d| d.duration_s),
                metrics: {
                    let mut m = summary
                        .map(|s| RunMetrics {
                            samples_per_second: s.samples_per_second,
                            tokens_per_second: s.tokens_per_second,
                            latency_ns: lat(&s.latency_ns),
                            ttft_ns: lat(&s.ttft_ns),
                            tpot_ns: lat(&s.tpot_ns),
                            ..RunMetrics::default()
                        })
                        .unwrap_or_default();
                    perf::add_trace_metrics(r, &mut m);
                    m
                },
                invalid_reasons: validity::invalid_reasons(r),
                loadgen_errors: detail.map_or(0, |d| d.errors.total),
                loadgen_warnings: detail.map_or(0, |d| d.warnings.total),
                settings_changed: changed,
                settings,
                step: r.step.clone(),
                evidence,
            }
        })
        .collect()
}

fn step_reports(c: &Campaign, findings: &[Finding]) -> Vec<StepReport> {
    c.steps()
        .map(|s| StepReport {
            name: s.name.clone(),
            node: s.node.clone(),
            outcome: s.outcome,
            exit_code: s.exit_code,
            duration_s: s.duration_s,
            timed_out: s.timed_out,
            message: s.message.clone(),
            category: findings
                .iter()
                .filter(|f| f.nodes.contains(&s.node) && f.steps.contains(&s.name))
                .max_by_key(|f| f.severity)
                .map(|f| f.category.clone()),
            evidence: s.evidence.clone(),
        })
        .collect()
}

/// Which inputs can reveal each category: a category whose inputs were read
/// and that has no events is `not_observed`; one whose inputs are missing is
/// `not_assessed`.
fn category_rows(c: &Campaign, findings: &[Finding], rules: &RuleSet) -> Vec<CategoryRow> {
    let has_logs = !c.step_logs.is_empty() || c.steps().next().is_some();
    let has_probes = c.nodes.values().any(NodeData::has_gpu_probe);
    let has_runs = !c.runs.is_empty();
    let has_comparable = c.runs.len() >= 2;
    let has_kernel_logs = c.nodes.values().any(|d| !d.kernel_logs.is_empty());
    let has_kubectl = !c.kube_nodes.is_empty()
        || c.harness
            .iter()
            .any(|(_, h)| h.harness == signals::platform::KUBERNETES);
    CATEGORIES
        .iter()
        .map(|(id, name)| {
            let fs: Vec<&Finding> = findings.iter().filter(|f| f.category == *id).collect();
            let events: u64 = fs.iter().map(|f| f.count).sum();
            let severity = fs.iter().map(|f| f.severity).max();
            let checked = match *id {
                "gpu_hardware" | "thermal_power" => has_probes,
                "gpu_driver" => has_probes || has_logs,
                "kernel_os" => has_kernel_logs,
                "kubernetes" => has_kubectl,
                "software_drift" => signals::software::comparable(c),
                "benchmark_invalid" => has_runs,
                "performance_variance" => has_comparable,
                _ => has_logs,
            };
            let status = if events > 0 {
                "active"
            } else if checked {
                "not_observed"
            } else {
                "not_assessed"
            };
            let impact = match severity {
                Some(sev) => rules.impact(id, sev),
                None if checked => "No events in the inputs that can show this category.".into(),
                None => "Not assessed: none of the inputs that can show this category were found."
                    .into(),
            };
            CategoryRow {
                category: id.to_string(),
                name: name.to_string(),
                events,
                severity,
                status: status.into(),
                impact,
            }
        })
        .collect()
}

fn recommendations(findings: &[Finding]) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = Vec::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Low) {
        if let Some(r) = out.iter_mut().find(|r| r.text == f.remediation) {
            r.rules.push(f.rule.clone());
            for n in &f.nodes {
                if !r.nodes.contains(n) {
                    r.nodes.push(n.clone());
                }
            }
            r.nodes.sort();
            continue;
        }
        out.push(Recommendation {
            severity: f.severity,
            category: f.category.clone(),
            text: f.remediation.clone(),
            rules: vec![f.rule.clone()],
            nodes: f.nodes.clone(),
        });
    }
    out
}

fn inputs_section(c: &Campaign) -> Inputs {
    let mut by_kind = BTreeMap::new();
    for f in &c.files {
        *by_kind.entry(f.kind.as_str().to_string()).or_insert(0u64) += 1;
    }
    let unrecognized: Vec<&FileEntry> = c
        .files
        .iter()
        .filter(|f| f.kind == ArtifactKind::Unrecognized)
        .collect();
    let unreadable_paths: BTreeSet<&String> = c.unreadable.iter().map(|u| &u.path).collect();
    Inputs {
        root: c.root.clone(),
        files_total: c.files.len() as u64
            + c.unreadable
                .iter()
                .filter(|u| !c.files.iter().any(|f| f.path == u.path))
                .count() as u64,
        files_recognized: (c.files.len() - unrecognized.len()) as u64,
        files_unrecognized: unrecognized
            .iter()
            .filter(|f| !unreadable_paths.contains(&f.path))
            .count() as u64,
        unreadable: c
            .unreadable
            .iter()
            .take(LIST_CAP)
            .map(|u| Unreadable {
                path: u.path.clone(),
                reason: u.message.clone(),
            })
            .collect(),
        unreadable_total: c.unreadable.len() as u64,
        by_kind,
        unrecognized: unrecognized
            .iter()
            .filter(|f| !unreadable_paths.contains(&f.path))
            .take(LIST_CAP)
            .map(|f| f.path.clone())
            .collect(),
        warnings: c.warnings.iter().take(LIST_CAP).cloned().collect(),
        warnings_total: c.warnings.len() as u64,
    }
}
