//! View of `report.gpu_probes`, shown inside "GPU memory and hardware":
//! `nvidia-smi --query-gpu` telemetry statistics with a chart per GPU,
//! `nvidia-smi -q` text facts, and DCGM diagnostic results.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{
    DcgmRow, Report, RunningStats, TelemetryRow, TextDumpRow, TimeAxis, status_rank,
};

use super::timecharts::{MAX_GPU_CHARTS, gpu_plan};
use super::view::{ChartRef, DASH, Esc, fmt_count, fmt_fixed, fmt_pct, fmt_trim, plural};

/// Shown for a value a probe did not report.
const NR: &str = "not reported";

/// GPU probes beyond the XML dump.
#[derive(Debug, Clone, Serialize)]
pub struct GpuProbesView {
    /// One row per node, CSV file and GPU.
    pub telemetry: Vec<TelemetryView>,
    /// Shown when no `--query-gpu` CSV was read.
    pub telemetry_empty_note: String,
    /// One chart per GPU series (capped).
    pub charts: Vec<ChartRef>,
    /// Why some or all GPUs have no chart, or empty.
    pub charts_note: String,
    /// `nvidia-smi -q` text dumps.
    pub text_dumps: Vec<TextDumpView>,
    /// One row per GPU in those dumps.
    pub text_gpus: Vec<TextGpuView>,
    /// Shown when no text dump was read.
    pub text_empty_note: String,
    /// DCGM diagnostics.
    pub dcgm: Vec<DcgmView>,
    /// Tests over all diagnostics.
    pub dcgm_tests_total: String,
    /// Results that failed or warned, across diagnostics.
    pub dcgm_problems: Vec<DcgmProblemView>,
    /// Shown when no DCGM diagnostic was read.
    pub dcgm_empty_note: String,
    /// Shown when diagnostics were read and none failed or warned.
    pub dcgm_problems_empty_note: String,
}

/// One GPU of one `--query-gpu` CSV.
#[derive(Debug, Clone, Serialize)]
pub struct TelemetryView {
    /// Node.
    pub node: String,
    /// `0 · NVIDIA H100 80GB HBM3`.
    pub gpu: String,
    /// PCI bus id, or `not reported`.
    pub pci_bus_id: String,
    /// `120 samples over 119.0 s`, or `1 snapshot`.
    pub samples: String,
    /// `mean 50%, max 100%; busy in 1 of 2 samples`.
    pub utilization: String,
    /// `max 19,818 of 81,559 MiB`.
    pub memory: String,
    /// `mean 351 W, max 632 W of 700 W limit`.
    pub power: String,
    /// CSS tone for power.
    pub power_tone: String,
    /// `mean 50 °C, max 59 °C; 26 °C from T.Limit at worst`.
    pub temperature: String,
    /// `mean 1,163 MHz, max 1,980 MHz`.
    pub sm_clock: String,
    /// Throttling seen, or `none seen`.
    pub throttle: String,
    /// CSS tone for throttling.
    pub throttle_tone: String,
    /// ECC, retired pages and row remapping, or `not reported`.
    pub memory_errors: String,
    /// CSS tone for memory errors.
    pub memory_errors_tone: String,
    /// `path:line` of the first row.
    pub source: String,
    /// `gpu_1` when the GPU has a chart, else empty.
    pub chart: String,
}

/// One `nvidia-smi -q` text dump.
#[derive(Debug, Clone, Serialize)]
pub struct TextDumpView {
    /// Node.
    pub node: String,
    /// The file.
    pub source: String,
    /// `Timestamp`, or `—`.
    pub timestamp: String,
    /// Driver version.
    pub driver: String,
    /// CUDA version.
    pub cuda: String,
    /// `8 attached, 8 listed`.
    pub gpus: String,
}

/// One GPU of a text dump.
#[derive(Debug, Clone, Serialize)]
pub struct TextGpuView {
    /// Node.
    pub node: String,
    /// `0 · 00000001:00:00.0`, with the product name when given.
    pub gpu: String,
    /// `60 single-bit, 5 double-bit; pending: no`.
    pub retired_pages: String,
    /// Uncorrectable ECC errors.
    pub ecc: String,
    /// Uncorrectable remapped rows, pending, failure.
    pub remapped_rows: String,
    /// CSS tone for retired pages.
    pub retired_tone: String,
    /// CSS tone for ECC.
    pub ecc_tone: String,
    /// CSS tone for remapped rows.
    pub remap_tone: String,
    /// `41 °C; 46 °C from T.Limit`.
    pub temperature: String,
    /// `69.85 W of 700 W limit`.
    pub power: String,
    /// `P0`, or `—`.
    pub performance_state: String,
    /// Active throttle reasons, or `none`.
    pub throttle: String,
    /// `path:line` of the GPU header.
    pub source: String,
}

/// One DCGM diagnostic.
#[derive(Debug, Clone, Serialize)]
pub struct DcgmView {
    /// Node.
    pub node: String,
    /// The file.
    pub source: String,
    /// `DCGM 3.x layout, version 3.3.5`.
    pub version: String,
    /// Driver detected, or `—`.
    pub driver: String,
    /// Worst status (`Fail`, `Warn`, `Pass`…), or `not run`.
    pub result: String,
    /// CSS tone.
    pub tone: String,
    /// `16 Pass, 3 Skip`.
    pub counts: String,
    /// The diagnostic could not run: why. Or `—`.
    pub runtime_error: String,
    /// Every test.
    pub tests: Vec<DcgmTestView>,
}

/// One DCGM test.
#[derive(Debug, Clone, Serialize)]
pub struct DcgmTestView {
    /// Test category, or `—`.
    pub category: String,
    /// Test name.
    pub name: String,
    /// Status as printed.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// `GPU 0: Pass, GPU 1: Fail`, or `system`.
    pub entities: String,
}

/// A DCGM result that failed or warned.
#[derive(Debug, Clone, Serialize)]
pub struct DcgmProblemView {
    /// Node.
    pub node: String,
    /// `Hardware / Memory`.
    pub test: String,
    /// `GPU 1`, or `system`.
    pub entity: String,
    /// Status as printed.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// Warnings with their DCGM category and severity.
    pub warnings: Vec<String>,
    /// Info text, or `—`.
    pub info: String,
    /// `path:line`.
    pub source: String,
}

fn stats(s: &RunningStats, decimals: usize, unit: &str) -> Option<(String, String)> {
    let (mean, max) = (s.mean?, s.max?);
    if !(mean.is_finite() && max.is_finite()) {
        return None;
    }
    Some((
        format!("{}{unit}", fmt_fixed(mean, decimals)),
        format!("{}{unit}", fmt_fixed(max, decimals)),
    ))
}

fn mean_max(s: &RunningStats, decimals: usize, unit: &str) -> String {
    match stats(s, decimals, unit) {
        Some((mean, max)) if s.count > 1 && mean == max => format!("{max} throughout"),
        Some((mean, max)) if s.count > 1 => format!("mean {mean}, max {max}"),
        Some((_, max)) => max,
        None => NR.to_string(),
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "YES",
        Some(false) => "no",
        None => "not reported",
    }
}

/// `status_rank` order as a tone.
fn dcgm_tone(status: &str) -> &'static str {
    match status_rank(status) {
        5 => "crit",
        4 => "warn",
        3 => "good",
        _ => "na",
    }
}

fn telemetry_row(r: &TelemetryRow, chart: Option<&str>, esc: Esc) -> TelemetryView {
    let g = &r.gpu;
    let index = g
        .index
        .map(|i| i.to_string())
        .unwrap_or_else(|| "?".to_string());
    let gpu = match g
        .name
        .as_deref()
        .map(|n| esc.t(n))
        .filter(|n| !n.is_empty())
    {
        Some(n) => format!("{index} · {n}"),
        None => index,
    };
    let samples = if g.samples <= 1 {
        "1 snapshot".to_string()
    } else {
        let span = match (g.timeline.axis, g.duration_s.filter(|d| d.is_finite())) {
            (TimeAxis::Seconds, Some(d)) => format!(" over {} s", fmt_trim(d, 1)),
            (TimeAxis::Samples, _) => " (no timestamps)".to_string(),
            _ => String::new(),
        };
        format!("{}{span}", plural(g.samples, "sample", "samples"))
    };
    let memory = match (
        g.memory_used_mib.max.filter(|v| v.is_finite()),
        g.memory_total_mib.filter(|v| v.is_finite()),
    ) {
        (Some(u), Some(t)) => format!("max {} of {} MiB", fmt_fixed(u, 0), fmt_fixed(t, 0)),
        (Some(u), None) => format!("max {} MiB (total not reported)", fmt_fixed(u, 0)),
        (None, Some(t)) => format!("{} MiB total, use not reported", fmt_fixed(t, 0)),
        (None, None) => NR.to_string(),
    };
    let limit = g.power_limit_w.filter(|l| l.is_finite() && *l > 0.0);
    let mut power = mean_max(&g.power_draw_w, 0, " W");
    if let Some(l) = limit {
        if power != NR {
            power.push_str(&format!(" of {} W limit", fmt_trim(l, 0)));
        }
    }
    let power_tone = match (g.power_draw_w.max, limit) {
        (Some(m), Some(l)) if m.is_finite() && m / l >= 0.98 => "warn",
        (Some(_), _) => "good",
        _ => "na",
    };
    let mut temperature = mean_max(&g.temperature_c, 0, " °C");
    if let Some(t) = g.temperature_tlimit_c.min.filter(|v| v.is_finite()) {
        temperature.push_str(&format!("; {} °C from T.Limit at worst", fmt_trim(t, 0)));
    }
    let mut throttle = Vec::new();
    if g.thermal_throttle_samples > 0 {
        throttle.push(format!(
            "thermal or hardware slowdown in {}",
            plural(g.thermal_throttle_samples, "sample", "samples")
        ));
    }
    if g.power_capped_busy_samples > 0 {
        throttle.push(format!(
            "power cap in {} of {} busy",
            fmt_count(g.power_capped_busy_samples),
            fmt_count(g.busy_samples)
        ));
    }
    let seen: Vec<String> = g
        .throttle_reasons_seen
        .iter()
        .map(|s| esc.t(s))
        .filter(|s| !s.is_empty())
        .collect();
    if !seen.is_empty() {
        throttle.push(format!("reasons seen: {}", seen.join(", ")));
    }
    let mut errors = Vec::new();
    let mut bad = false;
    let mut any = false;
    if let Some(e) = g.ecc_uncorrectable_max {
        any = true;
        bad |= e > 0;
        errors.push(format!("{} uncorrectable ECC", fmt_count(e)));
    }
    if let Some(p) = g.retired_pages_dbe_max {
        any = true;
        bad |= p > 0;
        errors.push(format!("{} retired pages (DBE)", fmt_count(p)));
    }
    for (label, v) in [
        ("retirement pending", g.retired_pages_pending),
        ("remap pending", g.remapped_rows_pending),
        ("remap failure", g.remapping_failure),
    ] {
        if let Some(v) = v {
            any = true;
            bad |= v;
            errors.push(format!("{label}: {}", yes_no(Some(v))));
        }
    }
    TelemetryView {
        node: esc.or(Some(&r.node), DASH),
        gpu,
        pci_bus_id: esc.or(g.pci_bus_id.as_deref(), NR),
        samples,
        utilization: {
            let mut u = mean_max(&g.utilization_pct, 0, "%");
            if g.utilization_pct.count > 1 {
                u.push_str(&format!(
                    "; busy in {} of {} samples",
                    fmt_count(g.busy_samples),
                    fmt_count(g.utilization_pct.count)
                ));
            }
            u
        },
        memory,
        power,
        power_tone: power_tone.to_string(),
        temperature,
        sm_clock: mean_max(&g.sm_clock_mhz, 0, " MHz"),
        throttle_tone: if throttle.is_empty() { "good" } else { "warn" }.to_string(),
        throttle: if throttle.is_empty() {
            "none seen".to_string()
        } else {
            throttle.join("; ")
        },
        memory_errors: if any {
            errors.join("; ")
        } else {
            NR.to_string()
        },
        memory_errors_tone: match (any, bad) {
            (false, _) => "na",
            (true, true) => "crit",
            (true, false) => "good",
        }
        .to_string(),
        source: g
            .evidence
            .as_ref()
            .map(|e| esc.t(&e.location()))
            .unwrap_or_else(|| esc.t(&r.path)),
        chart: chart.unwrap_or_default().to_string(),
    }
}

fn text_dump(d: &TextDumpRow, esc: Esc) -> TextDumpView {
    let v = &d.dump;
    TextDumpView {
        node: esc.or(Some(&d.node), DASH),
        source: esc.t(&d.path),
        timestamp: esc.or(v.timestamp.as_deref(), DASH),
        driver: esc.or(v.driver_version.as_deref(), NR),
        cuda: esc.or(v.cuda_version.as_deref(), NR),
        gpus: match v.attached_gpus {
            Some(a) => format!("{a} attached, {} listed", v.gpus.len()),
            None => format!("{} listed", v.gpus.len()),
        },
    }
}

fn text_gpus(d: &TextDumpRow, esc: Esc) -> Vec<TextGpuView> {
    d.dump
        .gpus
        .iter()
        .map(|t| {
            let p = &t.probe;
            let mut gpu = format!("{} · {}", p.index, esc.or(p.pci_bus_id.as_deref(), NR));
            if let Some(n) = p
                .name
                .as_deref()
                .map(|n| esc.t(n))
                .filter(|n| !n.is_empty())
            {
                gpu.push_str(&format!(" · {n}"));
            }
            let retired = match (t.retired_pages_sbe, t.retired_pages_dbe, p.retired_pages) {
                (None, None, None) => NR.to_string(),
                (s, d, total) => {
                    let mut parts = Vec::new();
                    if let Some(s) = s {
                        parts.push(format!("{} single-bit", fmt_count(s)));
                    }
                    if let Some(d) = d {
                        parts.push(format!("{} double-bit", fmt_count(d)));
                    }
                    if parts.is_empty() {
                        if let Some(n) = total {
                            parts.push(format!("{} retired", fmt_count(n)));
                        }
                    }
                    let mut s = parts.join(", ");
                    if let Some(pending) = p.retired_pages_pending {
                        s.push_str(&format!("; pending: {}", yes_no(Some(pending))));
                    }
                    s
                }
            };
            let ecc_n = p
                .ecc_volatile_uncorrectable
                .or(p.ecc_aggregate_uncorrectable);
            let ecc = match (p.ecc_mode.as_deref(), ecc_n) {
                (m, Some(n)) => format!(
                    "{}{} uncorrectable",
                    m.map(|m| format!("{}, ", esc.t(m))).unwrap_or_default(),
                    fmt_count(n)
                ),
                (Some(m), None) => format!("{}, counts not reported", esc.t(m)),
                (None, None) => NR.to_string(),
            };
            let remapped = match (
                p.remapped_rows_uncorrectable,
                p.remapped_rows_pending,
                p.remapping_failure,
            ) {
                (None, None, None) => NR.to_string(),
                (n, pending, failure) => format!(
                    "{} uncorrectable; pending: {}; failure: {}",
                    n.map(fmt_count).unwrap_or_else(|| NR.to_string()),
                    yes_no(pending),
                    yes_no(failure)
                ),
            };
            let retired_tone = if retired == NR {
                "na"
            } else if t.retired_pages_dbe.unwrap_or(0) > 0 || p.retired_pages_pending == Some(true)
            {
                "crit"
            } else if t.retired_pages_sbe.unwrap_or(0) > 0 || p.retired_pages.unwrap_or(0) > 0 {
                "warn"
            } else {
                "good"
            };
            let ecc_tone = match ecc_n {
                None => "na",
                Some(0) => "good",
                Some(_) => "crit",
            };
            let remap_tone = if remapped == NR {
                "na"
            } else if p.remapped_rows_pending == Some(true)
                || p.remapping_failure == Some(true)
                || p.remapped_rows_uncorrectable.unwrap_or(0) > 0
            {
                "crit"
            } else {
                "good"
            };
            let mut temperature = p
                .temperature_c
                .filter(|v| v.is_finite())
                .map(|v| format!("{} °C", fmt_trim(v, 0)))
                .unwrap_or_else(|| NR.to_string());
            if let Some(m) = t.temperature_tlimit_c.filter(|v| v.is_finite()) {
                temperature.push_str(&format!("; {} °C from T.Limit", fmt_trim(m, 0)));
            }
            let power = match (
                p.power_draw_w.filter(|v| v.is_finite()),
                p.power_limit_w.filter(|v| v.is_finite() && *v > 0.0),
            ) {
                (Some(d), Some(l)) => format!(
                    "{} W of {} W limit ({})",
                    fmt_trim(d, 1),
                    fmt_trim(l, 0),
                    fmt_pct(Some(d / l), 0)
                ),
                (Some(d), None) => format!("{} W", fmt_trim(d, 1)),
                _ => NR.to_string(),
            };
            let throttle: Vec<String> = p
                .throttle_reasons_active
                .iter()
                .map(|s| esc.t(s))
                .filter(|s| !s.is_empty())
                .collect();
            TextGpuView {
                node: esc.or(Some(&d.node), DASH),
                gpu,
                retired_pages: retired,
                ecc,
                remapped_rows: remapped,
                retired_tone: retired_tone.to_string(),
                ecc_tone: ecc_tone.to_string(),
                remap_tone: remap_tone.to_string(),
                temperature,
                power,
                performance_state: esc.or(t.performance_state.as_deref(), DASH),
                throttle: if throttle.is_empty() {
                    "none".to_string()
                } else {
                    throttle.join(", ")
                },
                source: p
                    .evidence
                    .as_ref()
                    .map(|e| esc.t(&e.location()))
                    .unwrap_or_else(|| esc.t(&d.path)),
            }
        })
        .collect()
}

fn entity_text(group: Option<&str>, entity: Option<&str>, esc: Esc) -> String {
    match (group, entity) {
        (None, None) => "system".to_string(),
        (g, e) => format!("{} {}", esc.or(g, "entity"), esc.or(e, "?")),
    }
}

fn dcgm(d: &DcgmRow, esc: Esc) -> (DcgmView, Vec<DcgmProblemView>) {
    let v = &d.diag;
    let mut counts: Vec<(&String, &u64)> = v.status_counts.iter().collect();
    counts.sort_by_key(|(s, _)| std::cmp::Reverse(status_rank(s)));
    let worst = v
        .tests
        .iter()
        .map(|t| t.status())
        .max_by_key(|s| status_rank(s));
    let (result, tone) = match (&v.runtime_error, worst) {
        (Some(_), _) => ("did not run".to_string(), "crit"),
        (None, Some(w)) if !w.is_empty() => (esc.t(&w), dcgm_tone(&w)),
        _ => ("no results".to_string(), "na"),
    };
    let mut version = format!("DCGM {} layout", esc.or(v.layout.as_deref(), "unknown"));
    if let Some(ver) = v.version.as_deref() {
        version.push_str(&format!(", version {}", esc.t(ver)));
    }
    let mut problems = Vec::new();
    let tests = v
        .tests
        .iter()
        .map(|t| {
            let name = esc.or(Some(&t.name), DASH);
            let category = esc.or(t.category.as_deref(), DASH);
            let entities: Vec<String> = t
                .results
                .iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        entity_text(r.entity_group.as_deref(), r.entity.as_deref(), esc),
                        esc.or(Some(&r.status), DASH)
                    )
                })
                .collect();
            for r in &t.results {
                if status_rank(&r.status) < 4 {
                    continue;
                }
                problems.push(DcgmProblemView {
                    node: esc.or(Some(&d.node), DASH),
                    test: format!("{category} / {name}"),
                    entity: entity_text(r.entity_group.as_deref(), r.entity.as_deref(), esc),
                    status: esc.or(Some(&r.status), DASH),
                    tone: dcgm_tone(&r.status).to_string(),
                    warnings: r
                        .warnings
                        .iter()
                        .map(|w| {
                            let tags: Vec<String> =
                                [w.category_name.as_deref(), w.severity_name.as_deref()]
                                    .into_iter()
                                    .flatten()
                                    .map(|s| esc.t(s))
                                    .filter(|s| !s.is_empty())
                                    .collect();
                            let text = esc.or(Some(&w.warning), DASH);
                            if tags.is_empty() {
                                text
                            } else {
                                format!("{text} ({})", tags.join(", "))
                            }
                        })
                        .collect(),
                    // A note about the whole test (4.x `test_summary.info`)
                    // stands in when the result has none of its own.
                    info: esc.or(r.info.as_deref().or(t.summary_info.as_deref()), DASH),
                    source: esc.t(&r.evidence.location()),
                });
            }
            let status = t.status();
            DcgmTestView {
                category,
                name,
                tone: dcgm_tone(&status).to_string(),
                status: esc.or(Some(&status), DASH),
                entities: if entities.is_empty() {
                    "no results".to_string()
                } else {
                    entities.join(", ")
                },
            }
        })
        .collect();
    let view = DcgmView {
        node: esc.or(Some(&d.node), DASH),
        source: esc.t(&d.path),
        version,
        driver: esc.or(v.driver_version.as_deref(), DASH),
        result,
        tone: tone.to_string(),
        counts: if counts.is_empty() {
            DASH.to_string()
        } else {
            counts
                .iter()
                .map(|(s, n)| format!("{} {}", fmt_count(**n), esc.t(s)))
                .collect::<Vec<_>>()
                .join(", ")
        },
        runtime_error: esc.or(v.runtime_error.as_deref(), DASH),
        tests,
    };
    (view, problems)
}

/// The GPU-probe parts of "GPU memory and hardware".
pub(super) fn gpu_probes(report: &Report, esc: Esc) -> GpuProbesView {
    let p = &report.gpu_probes;
    let plan = gpu_plan(report);
    let chart_of: BTreeMap<usize, &str> = plan
        .items
        .iter()
        .map(|c| (c.row, c.chart.name.as_str()))
        .collect();
    let telemetry: Vec<TelemetryView> = p
        .telemetry
        .iter()
        .enumerate()
        .map(|(i, r)| telemetry_row(r, chart_of.get(&i).copied(), esc))
        .collect();
    let charts = plan
        .items
        .iter()
        .filter_map(|c| {
            let r = p.telemetry.get(c.row)?;
            let index = r
                .gpu
                .index
                .map(|i| i.to_string())
                .unwrap_or_else(|| "?".to_string());
            Some(ChartRef {
                name: c.chart.name.clone(),
                file: format!("charts/{}.svg", c.chart.name),
                title: format!(
                    "GPU {index} on {}: utilisation, power and temperature over time ({})",
                    esc.or(Some(&r.node), DASH),
                    esc.t(&r.path)
                ),
            })
        })
        .collect();
    let charts_note = if telemetry.is_empty() {
        String::new()
    } else if plan.eligible == 0 {
        "No chart: every file holds one snapshot per GPU; a series over time needs nvidia-smi run with -l or -lms.".to_string()
    } else if plan.eligible > plan.items.len() {
        format!(
            "Charts for the first {MAX_GPU_CHARTS} of {} GPU series; the table lists every GPU.",
            plan.eligible
        )
    } else {
        String::new()
    };
    let mut dcgm_views = Vec::new();
    let mut dcgm_problems = Vec::new();
    for d in &p.dcgm {
        let (v, problems) = dcgm(d, esc);
        dcgm_views.push(v);
        dcgm_problems.extend(problems);
    }
    GpuProbesView {
        telemetry,
        telemetry_empty_note: esc.t("No nvidia-smi --query-gpu CSV was read: utilisation, power and temperature over time are not assessed (record them with nvidia-smi --query-gpu=timestamp,index,pci.bus_id,utilization.gpu,memory.used,power.draw,temperature.gpu,clocks.sm --format=csv -lms 1000 during the run)."),
        charts,
        charts_note,
        text_dumps: p.text_dumps.iter().map(|d| text_dump(d, esc)).collect(),
        text_gpus: p.text_dumps.iter().flat_map(|d| text_gpus(d, esc)).collect(),
        text_empty_note: esc.t("No plain nvidia-smi -q text dump was read."),
        dcgm_tests_total: fmt_count(p.dcgm.iter().map(|d| d.diag.tests.len() as u64).sum()),
        dcgm: dcgm_views,
        dcgm_problems,
        dcgm_empty_note: esc.t("No DCGM diagnostic (dcgmi diag -r 3 -j) was read: GPU diagnostics are not assessed."),
        dcgm_problems_empty_note: "No DCGM result failed or warned.".to_string(),
    }
}
