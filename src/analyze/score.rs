//! Health scores. Each component starts at 100 and loses points through
//! named checks, each with its evidence; a component with no data is
//! `not_assessed` (score `None`) and never counts as healthy. The model is
//! documented in `docs/scoring.md`; keep the two in step.

use std::collections::BTreeSet;

use crate::model::*;

use super::Settings;
use super::signals::gpu_probes;

/// Inputs to scoring that come from other parts of the analysis.
pub struct ScoreInputs<'a> {
    /// The assembled campaign.
    pub campaign: &'a Campaign,
    /// Findings, already aggregated.
    pub findings: &'a [Finding],
    /// Cross-run performance groups.
    pub groups: &'a [PerfGroup],
    /// Software rows (versions per node).
    pub software: &'a [SoftwareRow],
    /// Nodes the campaign knows of (probes, folders or harness hosts).
    pub nodes: &'a BTreeSet<String>,
    /// MLPerf Training runs and results.
    pub training: &'a TrainingReport,
    /// Submission compliance tests (`TEST0N`).
    pub compliance: &'a [ComplianceTest],
}

/// A named check; the deduction is clamped to 0–100 and kept to one
/// decimal, and a check with none passed.
pub(super) fn check(
    id: &str,
    title: &str,
    deduction: f64,
    detail: String,
    evidence: Vec<Evidence>,
) -> Check {
    let deduction = (deduction.clamp(0.0, 100.0) * 10.0).round() / 10.0;
    Check {
        id: id.into(),
        title: title.into(),
        passed: deduction == 0.0,
        deduction,
        detail,
        evidence,
    }
}

fn events_in(findings: &[Finding], categories: &[&str]) -> (u64, Vec<Evidence>) {
    let mut n = 0;
    let mut ev = Vec::new();
    for f in findings
        .iter()
        .filter(|f| categories.contains(&f.category.as_str()))
    {
        n += f.count;
        for e in &f.evidence {
            if ev.len() < 5 {
                ev.push(e.clone());
            }
        }
    }
    (n, ev)
}

fn component(
    id: &str,
    name: &str,
    weight: f64,
    coverage: (usize, usize, String),
    not_assessed: Option<String>,
    checks: Vec<Check>,
) -> Component {
    let score = match not_assessed {
        Some(_) => None,
        None => Some(
            (100.0 - checks.iter().map(|c| c.deduction).sum::<f64>())
                .max(0.0)
                .round(),
        ),
    };
    let (have, want, note) = coverage;
    Component {
        id: id.into(),
        name: name.into(),
        score,
        status: Status::from_score(score),
        weight,
        coverage: if want == 0 {
            0.0
        } else {
            have as f64 / want as f64
        },
        coverage_note: note,
        not_assessed_reason: not_assessed,
        checks: if score.is_some() { checks } else { Vec::new() },
    }
}

/// Score every component, in fixed order.
pub fn components(inp: &ScoreInputs<'_>, s: &Settings) -> Vec<Component> {
    vec![
        network(inp, s),
        hardware(inp, s),
        software(inp, s),
        reliability(inp, s),
        performance(inp, s),
    ]
}

fn network(inp: &ScoreInputs<'_>, s: &Settings) -> Component {
    let c = inp.campaign;
    let hosts: BTreeSet<&String> = c.steps().map(|st| &st.node).collect();
    let unreachable: Vec<&StepResult> = c
        .steps()
        .filter(|st| st.outcome == Outcome::Unreachable)
        .collect();
    let bad_hosts: BTreeSet<&String> = unreachable.iter().map(|st| &st.node).collect();
    let mut checks = Vec::new();
    let mut reason = None;
    if hosts.is_empty() {
        reason = Some("no harness record names any host, so reachability is unknown".to_string());
    } else {
        let share = bad_hosts.len() as f64 / hosts.len() as f64;
        checks.push(check(
            "network.hosts_reachable",
            "Every host in the harness records was reachable",
            100.0 * share,
            format!(
                "{} of {} host(s) unreachable{}",
                bad_hosts.len(),
                hosts.len(),
                if bad_hosts.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        bad_hosts
                            .iter()
                            .map(|h| h.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
            unreachable
                .iter()
                .take(5)
                .map(|st| st.evidence.clone())
                .collect(),
        ));
        let (n, ev) = events_in(inp.findings, &["distributed_comm"]);
        let (m, ev2) = events_in(
            &inp.findings
                .iter()
                .filter(|f| f.rule != "net.host_unreachable" && f.rule != "net.ssh_unreachable")
                .cloned()
                .collect::<Vec<_>>(),
            &["connectivity"],
        );
        checks.push(check(
            "network.communication_errors",
            "No distributed-communication or connection errors in logs",
            (s.network_error_points * (n + m) as f64).min(s.network_error_cap),
            format!("{n} distributed-communication and {m} other connectivity event(s)"),
            ev.into_iter().chain(ev2).take(5).collect(),
        ));
    }
    component(
        "network",
        "Network and connectivity",
        s.weights.network,
        (
            // Pseudo-hosts such as `(cluster)` for Kubernetes jobs are not
            // nodes: counting them could push coverage past 100 %.
            hosts.iter().filter(|h| inp.nodes.contains(**h)).count(),
            inp.nodes.len(),
            "nodes named in a harness record".into(),
        ),
        reason,
        checks,
    )
}

fn hardware(inp: &ScoreInputs<'_>, s: &Settings) -> Component {
    let c = inp.campaign;
    let probed: Vec<(&String, &NodeData)> =
        c.nodes.iter().filter(|(_, d)| d.has_gpu_probe()).collect();
    let gpus: Vec<(&String, &GpuProbe)> = probed
        .iter()
        .flat_map(|(n, d)| {
            d.nvidia_smi
                .iter()
                .flat_map(move |(_, dump)| dump.gpus.iter().map(move |g| (*n, g)))
        })
        .collect();
    let other_probes = c.nodes.values().any(gpu_probes::has_gpu_probe);
    let mut checks = Vec::new();
    let reason = if probed.is_empty() {
        Some("no nvidia-smi probe was found for any node".to_string())
    } else {
        None
    };
    if reason.is_none() {
        let ev = |pred: &dyn Fn(&GpuProbe) -> bool| -> (usize, Vec<Evidence>) {
            let hit: Vec<_> = gpus.iter().filter(|(_, g)| pred(g)).collect();
            (
                hit.len(),
                hit.iter()
                    .filter_map(|(_, g)| g.evidence.clone())
                    .take(5)
                    .collect(),
            )
        };
        let (n, e) = ev(&|g| {
            g.ecc_volatile_uncorrectable
                .or(g.ecc_aggregate_uncorrectable)
                .unwrap_or(0)
                > s.ecc_uncorrectable_threshold
        });
        checks.push(check(
            "hardware.ecc_uncorrectable",
            "No GPU reports uncorrectable ECC errors",
            s.ecc_points * n as f64,
            format!(
                "{n} of {} GPU(s) report uncorrectable ECC errors",
                gpus.len()
            ),
            e,
        ));
        let (n, e) = ev(&|g| {
            g.retired_pages_pending == Some(true)
                || g.remapped_rows_pending == Some(true)
                || g.remapping_failure == Some(true)
        });
        checks.push(check(
            "hardware.memory_retirement",
            "No pending page retirement, pending row remap or remap failure",
            s.retirement_points * n as f64,
            format!("{n} GPU(s) with pending retirement/remapping or a remapping failure"),
            e,
        ));
        let (n, e) = ev(&|g| s.too_hot(g.temperature_c, g.temperature_slowdown_c));
        let measured = gpus
            .iter()
            .filter(|(_, g)| g.temperature_c.is_some())
            .count();
        checks.push(check(
            "hardware.temperature",
            "No GPU at or above its slowdown temperature",
            s.temperature_points * n as f64,
            format!("{n} GPU(s) at or above slowdown temperature; {measured} of {} report a temperature", gpus.len()),
            e,
        ));
        let (n, e) = ev(&|g| {
            g.throttle_reasons_active
                .iter()
                .any(|r| s.counts_as_throttle(r))
        });
        checks.push(check(
            "hardware.throttling",
            "No thermal or hardware clock slowdown active",
            s.throttle_points * n as f64,
            format!("{n} GPU(s) with a thermal/hardware slowdown reason active"),
            e,
        ));
        // Runs only when there is something for it to read.
        if other_probes {
            let (ded, detail, e) = gpu_probes::hardware_check(c, s);
            checks.push(check(
                "hardware.gpu_probes",
                "No GPU fault in nvidia-smi CSV/text probes or DCGM diagnostics",
                ded,
                detail,
                e,
            ));
        }
        // Probe-value signals have their own checks above; count only what
        // logs reported, so one fault is not deducted twice.
        let from_logs: Vec<Finding> = inp
            .findings
            .iter()
            .filter(|f| !is_probe_signal(&f.rule))
            .cloned()
            .collect();
        checks.extend(super::checks::gpu_count_check(inp.campaign, s));
        let (log_events, e) = events_in(&from_logs, &["gpu_hardware", "thermal_power"]);
        checks.push(check(
            "hardware.log_errors",
            "No GPU hardware or thermal errors in logs",
            (s.hardware_log_points * log_events as f64).min(s.hardware_log_cap),
            format!("{log_events} GPU hardware/thermal event(s) in logs"),
            e,
        ));
    }
    let probed_nodes = probed
        .iter()
        .filter(|(n, _)| inp.nodes.contains(*n))
        .count();
    component(
        "hardware",
        "GPU hardware",
        s.weights.hardware,
        (
            probed_nodes,
            inp.nodes.len(),
            if other_probes {
                "nodes with a GPU probe (nvidia-smi XML/CSV/text or DCGM)".into()
            } else {
                "nodes with an nvidia-smi probe".into()
            },
        ),
        reason,
        checks,
    )
}

/// Signals raised from probe values (scored by their own checks, so not
/// counted again as log events).
fn is_probe_signal(rule: &str) -> bool {
    matches!(
        rule,
        "gpu.ecc_uncorrectable"
            | "gpu.memory_retirement_pending"
            | "gpu.row_remap_failure"
            | "gpu.count_below_expected"
            | "gpu.temperature_slowdown"
            | "gpu.throttle_active"
            | "gpu.power_capped"
            | "gpu.dcgm_test_failed_isolate"
            | "gpu.dcgm_test_failed"
            | "gpu.dcgm_test_warning"
            | "gpu.retired_pages_exhausted"
            | "gpu.telemetry_hot"
    )
}

/// Throttle reasons that mean heat or a hardware fault rather than normal
/// power management.
pub fn is_thermal_throttle(reason: &str) -> bool {
    matches!(
        reason,
        "hw_slowdown" | "hw_thermal_slowdown" | "sw_thermal_slowdown" | "hw_power_brake_slowdown"
    )
}

fn software(inp: &ScoreInputs<'_>, s: &Settings) -> Component {
    let c = inp.campaign;
    let has_steps = c.steps().next().is_some() || !c.step_logs.is_empty();
    let versioned: BTreeSet<&String> = inp
        .software
        .iter()
        .flat_map(|r| r.versions.keys())
        .collect();
    let reason = if !has_steps && versioned.is_empty() {
        Some("no step output and no version source was found".to_string())
    } else {
        None
    };
    let mut checks = Vec::new();
    if reason.is_none() {
        let drift: Vec<&SoftwareRow> = inp.software.iter().filter(|r| !r.consistent).collect();
        checks.push(check(
            "software.version_consistency",
            "Driver, CUDA, LoadGen and software-stack versions agree across nodes",
            s.drift_points * drift.len() as f64,
            if drift.is_empty() {
                format!(
                    "{} version source(s) compared, all consistent",
                    inp.software.len()
                )
            } else {
                format!(
                    "differs across nodes: {}",
                    drift
                        .iter()
                        .map(|r| r.component.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            drift
                .iter()
                .flat_map(|r| r.evidence.iter().cloned())
                .take(5)
                .collect(),
        ));
        let cats = ["dependency_missing", "config_error", "model_access"];
        let (n, e) = events_in(inp.findings, &cats);
        checks.push(check(
            "software.environment_errors",
            "No missing dependencies, configuration or model-access errors",
            (s.software_error_points * n as f64).min(s.software_error_cap),
            format!("{n} dependency/configuration/model-access event(s)"),
            e,
        ));
        let (n, e) = events_in(
            &inp.findings
                .iter()
                .filter(|f| f.rule != "software.version_drift")
                .cloned()
                .collect::<Vec<_>>(),
            &["gpu_driver"],
        );
        checks.push(check(
            "software.driver_errors",
            "No driver/library errors in logs",
            (s.software_error_points * n as f64).min(s.software_error_cap),
            format!("{n} driver/library event(s)"),
            e,
        ));
    }
    let with_versions = versioned.iter().filter(|n| inp.nodes.contains(**n)).count();
    component(
        "software",
        "Software stack",
        s.weights.software,
        (
            with_versions,
            inp.nodes.len(),
            "nodes with a version source (nvidia-smi, LoadGen)".into(),
        ),
        reason,
        checks,
    )
}

fn reliability(inp: &ScoreInputs<'_>, s: &Settings) -> Component {
    let c = inp.campaign;
    let executed: Vec<&StepResult> = c
        .steps()
        .filter(|st| st.outcome != Outcome::Skipped)
        .collect();
    let failed: Vec<&StepResult> = executed
        .iter()
        .copied()
        .filter(|st| st.outcome.is_failure())
        .collect();
    let reason = if executed.is_empty() {
        Some("no harness step results were found".to_string())
    } else {
        None
    };
    let mut checks = Vec::new();
    if reason.is_none() {
        let share = failed.len() as f64 / executed.len() as f64;
        let by = |o: Outcome| failed.iter().filter(|st| st.outcome == o).count();
        checks.push(check(
            "reliability.step_success",
            "Every harness step succeeded",
            100.0 * share,
            format!(
                "{} of {} executed step(s) did not succeed ({} failed, {} timed out, {} unreachable); deduction = 100 × failed share",
                failed.len(),
                executed.len(),
                by(Outcome::Failed),
                by(Outcome::TimedOut),
                by(Outcome::Unreachable)
            ),
            failed.iter().take(5).map(|st| st.evidence.clone()).collect(),
        ));
    }
    let nodes_with_steps: BTreeSet<&String> = executed.iter().map(|st| &st.node).collect();
    component(
        "reliability",
        "Service reliability",
        s.weights.reliability,
        (
            nodes_with_steps
                .iter()
                .filter(|n| inp.nodes.contains(**n))
                .count(),
            inp.nodes.len(),
            "nodes with harness step results".into(),
        ),
        reason,
        checks,
    )
}

fn performance(inp: &ScoreInputs<'_>, s: &Settings) -> Component {
    let c = inp.campaign;
    let with_result: Vec<&LoadGenRun> = c
        .runs
        .iter()
        .filter(|r| r.summary.as_ref().is_some_and(|(_, s)| s.valid.is_some()))
        .collect();
    let training = &inp.training.runs;
    // Training runs and compliance verdicts are results too: a campaign
    // with only those is assessed on them rather than left "not assessed".
    let reason = if with_result.is_empty() && training.is_empty() && inp.compliance.is_empty() {
        Some(
            "no LoadGen summary with a result, compliance test or MLPerf Training log was found"
                .to_string(),
        )
    } else {
        None
    };
    let mut checks = Vec::new();
    if !with_result.is_empty() {
        let invalid: Vec<&&LoadGenRun> = with_result
            .iter()
            .filter(|r| {
                r.summary
                    .as_ref()
                    .is_some_and(|(_, s)| s.valid == Some(false))
            })
            .collect();
        checks.push(check(
            "performance.validity",
            "Every LoadGen run is VALID",
            s.invalid_run_points * invalid.len() as f64 / with_result.len() as f64,
            format!(
                "{} of {} run(s) INVALID; deduction = {} × invalid share",
                invalid.len(),
                with_result.len(),
                s.invalid_run_points
            ),
            invalid
                .iter()
                .filter_map(|r| r.summary.as_ref()?.1.result_evidence.clone())
                .take(5)
                .collect(),
        ));
        let with_errors: Vec<(&LoadGenRun, u64)> = c
            .runs
            .iter()
            .filter_map(|r| Some((r, r.detail.as_ref()?.1.errors.total)))
            .filter(|(_, n)| *n > 0)
            .collect();
        checks.push(check(
            "performance.loadgen_errors",
            "No LoadGen errors in detail logs",
            (s.loadgen_error_points * with_errors.len() as f64).min(s.loadgen_error_cap),
            format!("{} run(s) with LoadGen errors", with_errors.len()),
            with_errors
                .iter()
                .filter_map(|(r, _)| {
                    let (path, d) = r.detail.as_ref()?;
                    let m = d.errors.items.first()?;
                    Some(Evidence::new(
                        path.clone(),
                        Some(m.line),
                        &format!("{}: {}", m.key, m.text),
                    ))
                })
                .take(5)
                .collect(),
        ));
        let mut detail = Vec::new();
        let mut ded = 0.0;
        let mut ev = Vec::new();
        for g in inp.groups {
            if let Some(cv) = g.throughput_cv {
                detail.push(format!("{}: CV {:.1}%", g.key, cv * 100.0));
                if cv > s.throughput_cv_threshold {
                    ded += (100.0 * (cv - s.throughput_cv_threshold)).min(s.consistency_cap);
                    for id in &g.runs {
                        if let Some(e) = c
                            .runs
                            .iter()
                            .find(|r| &r.id == id)
                            .and_then(|r| r.summary.as_ref())
                            .map(|(p, s)| {
                                Evidence::new(
                                    p.clone(),
                                    None,
                                    &format!(
                                        "samples/s {}",
                                        s.samples_per_second
                                            .map(|v| format!("{v:.2}"))
                                            .unwrap_or_default()
                                    ),
                                )
                            })
                        {
                            ev.push(e);
                        }
                    }
                }
            }
        }
        checks.extend(super::checks::performance_checks(
            inp.campaign,
            inp.groups,
            s,
        ));
        checks.push(check(
            "performance.throughput_consistency",
            &format!(
                "Throughput of comparable runs varies by at most {:.0}% (CV)",
                s.throughput_cv_threshold * 100.0
            ),
            ded.min(s.consistency_cap),
            if detail.is_empty() {
                "no group of two or more comparable runs".into()
            } else {
                detail.join("; ")
            },
            ev.into_iter().take(5).collect(),
        ));
    }
    if !inp.compliance.is_empty() {
        checks.push(compliance_check(inp.compliance, s));
    }
    if !training.is_empty() {
        checks.push(training_check(training, s));
    }
    let loadgen_covered = c
        .runs
        .iter()
        .filter(|r| r.summary.is_some() && r.detail.is_some())
        .count();
    let training_covered = training.iter().filter(|r| r.status_text.is_some()).count();
    let note = match (c.runs.is_empty(), training.is_empty()) {
        (false, true) | (true, true) => "LoadGen runs with both summary and detail log",
        (true, false) => "MLPerf Training logs with a run_stop status",
        (false, false) => {
            "LoadGen runs with both summary and detail log, and MLPerf Training logs with a run_stop status"
        }
    };
    component(
        "performance",
        "Performance",
        s.weights.performance,
        (
            loadgen_covered + training_covered,
            c.runs.len() + training.len(),
            note.into(),
        ),
        reason,
        checks,
    )
}

/// A submission whose compliance test failed, or did not finish, is not
/// accepted, so it weighs like an INVALID run.
fn compliance_check(tests: &[ComplianceTest], s: &Settings) -> Check {
    let bad: Vec<&ComplianceTest> = tests
        .iter()
        .filter(|t| t.verdict != ComplianceVerdict::Pass)
        .collect();
    let evidence = bad
        .iter()
        .filter_map(|t| {
            let label = format!(
                "{} {}",
                t.test.as_deref().unwrap_or("compliance test"),
                t.verdict.as_str()
            );
            match t.files.iter().find(|f| f.value.verdict == t.verdict) {
                Some(f) => Some(Evidence::new(
                    f.path.clone(),
                    f.value.verdict_line,
                    &format!(
                        "{label}: {}",
                        f.value.verdict_text.as_deref().unwrap_or("no verdict line")
                    ),
                )),
                None => t.missing.first().map(|m| {
                    Evidence::new(t.folder.clone(), None, &format!("{label}: {m} is missing"))
                }),
            }
        })
        .take(5)
        .collect();
    check(
        "performance.compliance_tests",
        "Every submission compliance test (TEST0N) passed",
        s.invalid_run_points * bad.len() as f64 / tests.len() as f64,
        format!(
            "{} of {} compliance test(s) failed or incomplete; deduction = {} × that share",
            bad.len(),
            tests.len(),
            s.invalid_run_points
        ),
        evidence,
    )
}

/// A training run that does not count towards its benchmark's result
/// (aborted, unfinished, target not reached, a compliance rule broken)
/// weighs like an INVALID inference run.
fn training_check(runs: &[TrainingRunReport], s: &Settings) -> Check {
    let dropped: Vec<&TrainingRunReport> = runs.iter().filter(|r| !r.scored).collect();
    check(
        "performance.training_runs",
        "Every MLPerf Training run finished, reached its target and passed the checked rules",
        s.invalid_run_points * dropped.len() as f64 / runs.len() as f64,
        format!(
            "{} of {} training run(s) not counted in their benchmark's result; deduction = {} × that share",
            dropped.len(),
            runs.len(),
            s.invalid_run_points
        ),
        dropped
            .iter()
            .map(|r| {
                let line = r
                    .evidence
                    .iter()
                    .rev()
                    .find(|e| e.path == r.path)
                    .and_then(|e| e.line);
                let status = r.status_text.as_deref().unwrap_or("no run_stop");
                Evidence::new(
                    r.path.clone(),
                    line,
                    &format!(
                        "not counted ({}); run_stop status: {status}",
                        r.dropped_reason
                    ),
                )
            })
            .take(5)
            .collect(),
    )
}

/// The overall score: the weighted mean of assessed components, capped by
/// the worst finding severity.
pub fn overall(components: &[Component], findings: &[Finding], s: &Settings) -> Overall {
    let assessed: Vec<&Component> = components.iter().filter(|c| c.score.is_some()).collect();
    let wsum: f64 = assessed.iter().map(|c| c.weight).sum();
    let mean = (wsum > 0.0).then(|| {
        assessed
            .iter()
            .map(|c| c.score.unwrap_or(0.0) * c.weight)
            .sum::<f64>()
            / wsum
    });
    let worst = findings.iter().map(|f| f.severity).max();
    let cap = match worst {
        Some(Severity::Critical) => Some(s.cap_critical),
        Some(Severity::High) => Some(s.cap_high),
        Some(Severity::Medium) => Some(s.cap_medium),
        _ => None,
    };
    let score = mean.map(|m| {
        let m = m.round();
        cap.map_or(m, |c| m.min(c))
    });
    let coverage = if components.is_empty() {
        0.0
    } else {
        components
            .iter()
            .map(|c| if c.score.is_some() { c.coverage } else { 0.0 })
            .sum::<f64>()
            / components.len() as f64
    };
    let status = Status::from_score(score);
    let verdict = match score {
        None => "Nothing could be assessed: no recognised artifacts with health data were found."
            .to_string(),
        Some(v) => {
            let capped = match (cap, mean) {
                (Some(c), Some(m)) if m.round() > c => format!(
                    " (weighted mean {:.0}, capped at {:.0} because of a {} finding)",
                    m,
                    c,
                    worst.map(|w| w.as_str()).unwrap_or("")
                ),
                _ => String::new(),
            };
            format!(
                "{} health, {:.0}/100{}; {} of {} components assessed, coverage {:.0}%.",
                status.as_str().replace('_', " "),
                v,
                capped,
                assessed.len(),
                components.len(),
                coverage * 100.0
            )
        }
    };
    Overall {
        score,
        status,
        weighted_mean: mean.map(|m| (m * 10.0).round() / 10.0),
        cap,
        worst_severity: worst,
        components_assessed: assessed.len() as u32,
        coverage: (coverage * 1000.0).round() / 1000.0,
        verdict,
    }
}
