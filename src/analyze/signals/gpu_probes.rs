//! Signals and report section for nvidia-smi CSV snapshots and telemetry,
//! nvidia-smi text dumps and DCGM diagnostics.
//!
//! Where a probe value means exactly what an `nvidia-smi -q -x` value means
//! (uncorrectable ECC errors, pending retirement, slowdown temperature,
//! thermal throttling, power at the limit), the XML family's signal is
//! raised, so one rule covers every probe format. New signals cover what only
//! these probes show: DCGM test verdicts, a full page-retirement table, peak
//! temperature over a telemetry series and idle GPUs during a benchmark. The
//! thresholds are the constants below, documented in `docs/scoring.md`.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::analyze::score;
use crate::model::*;
use crate::parse::ansible::parse_timestamp_us;
use crate::parse::nvidia_smi_csv::parse_timestamp;

/// A telemetry series whose peak `temperature.gpu` reaches this (°C) ran
/// hot. Meta GCM's `gpu_temperature` check uses 80–85 °C; datacenter GPUs
/// slow down around 87–92 °C, so 85 °C warns before the slowdown does.
pub const HOT_C: f64 = 85.0;

/// Retired pages (single + double bit) at which the retirement table counts
/// as nearly full: aznhc's `NHC2018 ECCPageRetirementTableFull` uses 62 of
/// the at most 64 pages a GPU can retire.
pub const RETIRED_PAGES_FULL: u64 = 62;

/// Share of busy telemetry rows with `sw_power_cap` active above which the
/// GPU counts as power-capped under load.
pub const POWER_CAPPED_BUSY_SHARE: f64 = 0.5;

/// Mean `utilization.gpu` (percent) below which a GPU counts as idle while
/// a benchmark step ran.
pub const IDLE_UTIL_PCT: f64 = 10.0;

/// Fewest utilisation readings inside a step's time window before the idle
/// check speaks.
pub const IDLE_MIN_SAMPLES: u64 = 3;

/// Points the `hardware.gpu_probes` check takes per GPU with a failed DCGM
/// test (as many as an uncorrectable ECC error: DCGM failing a GPU means it
/// should not run work).
pub const DCGM_FAIL_POINTS: f64 = 40.0;

/// Points per GPU whose DCGM tests only warned.
pub const DCGM_WARN_POINTS: f64 = 10.0;

/// DCGM `error_severity` values that mean "take the GPU out of service":
/// ISOLATE (2) and RESET (6), per `dcgm_errors.h` (health-signals.md §b.1).
const ISOLATE_SEVERITIES: [i64; 2] = [2, 6];

/// DCGM `error_severity` CONFIG (5): the test failed because of a node
/// setting (persistence mode, a CUDA environment variable), not the GPU.
const CONFIG_SEVERITY: i64 = 5;

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    for (node, data) in &c.nodes {
        let n = Some(node.as_str());
        for (path, dump) in &data.nvidia_smi_text {
            for g in &dump.gpus {
                for (signal, ev) in text_gpu_signals(path, g, s) {
                    cl.signal(signal, n, None, ev);
                }
            }
        }
        for (path, csv) in &data.gpu_csv {
            for g in &csv.gpus {
                for (signal, ev) in csv_gpu_signals(path, g) {
                    cl.signal(signal, n, None, ev);
                }
            }
        }
        for (path, diag) in &data.dcgm {
            for (signal, ev) in dcgm_signals(path, diag) {
                cl.signal(signal, n, None, ev);
            }
        }
    }
    for (node, step, ev) in idle_during_benchmark(c) {
        cl.signal(
            "gpu_idle_during_benchmark",
            Some(node.as_str()),
            Some(step.as_str()),
            ev,
        );
    }
}

/// `GPU <bus id>` for evidence texts.
fn gpu_label(bus: Option<&str>, index: u32) -> String {
    match bus {
        Some(b) => format!("GPU {b}"),
        None => format!("GPU {index}"),
    }
}

/// Evidence at the line of `fact` (else the GPU's header line), its text
/// prefixed with the GPU so each GPU is its own event.
fn text_evidence(path: &str, g: &TextGpu, fact: &str, extra: Option<String>) -> Evidence {
    let mut e = g
        .lines
        .get(fact)
        .or(g.probe.evidence.as_ref())
        .cloned()
        .unwrap_or_else(|| Evidence::new(path, None, ""));
    let label = gpu_label(g.probe.pci_bus_id.as_deref(), g.probe.index);
    e.text = cap_text(
        &match extra {
            Some(x) => format!("{label}: {} ({x})", e.text),
            None => format!("{label}: {}", e.text),
        },
        EVIDENCE_TEXT_MAX,
    );
    e
}

/// Temperature at or past the slowdown point: absolute (`GPU Slowdown
/// Temp`) or relative to the T.Limit (`GPU Slowdown T.Limit Temp`).
fn text_slowdown(g: &TextGpu) -> Option<String> {
    let p = &g.probe;
    if let (Some(t), Some(l)) = (p.temperature_c, p.temperature_slowdown_c) {
        if t >= l {
            return Some(format!("{t:.0} C >= slowdown {l:.0} C"));
        }
    }
    if let (Some(m), Some(l)) = (g.temperature_tlimit_c, g.temperature_slowdown_tlimit_c) {
        if m <= l {
            return Some(format!(
                "T.Limit margin {m:.0} C <= slowdown margin {l:.0} C"
            ));
        }
    }
    None
}

fn retired_total(g: &TextGpu) -> u64 {
    g.retired_pages_sbe
        .unwrap_or(0)
        .saturating_add(g.retired_pages_dbe.unwrap_or(0))
}

fn text_gpu_signals(path: &str, g: &TextGpu, s: &Settings) -> Vec<(&'static str, Evidence)> {
    let p = &g.probe;
    let mut out = Vec::new();
    let ue = p
        .ecc_volatile_uncorrectable
        .or(p.ecc_aggregate_uncorrectable)
        .unwrap_or(0);
    let dbe = g.retired_pages_dbe.unwrap_or(0);
    if ue > 0 {
        out.push((
            "gpu_ecc_uncorrectable",
            text_evidence(path, g, "ecc_uncorrectable", None),
        ));
    } else if dbe > 0 {
        out.push((
            "gpu_ecc_uncorrectable",
            text_evidence(
                path,
                g,
                "retired_pages_dbe",
                Some(format!("{dbe} page(s) retired for double-bit ECC errors")),
            ),
        ));
    }
    if p.retired_pages_pending == Some(true) {
        out.push((
            "gpu_retirement_pending",
            text_evidence(path, g, "retired_pages_pending", None),
        ));
    } else if p.remapped_rows_pending == Some(true) {
        out.push((
            "gpu_retirement_pending",
            text_evidence(path, g, "remapped_rows_pending", None),
        ));
    } else if p.remapping_failure == Some(true) {
        out.push((
            "gpu_retirement_pending",
            text_evidence(path, g, "remapping_failure", None),
        ));
    }
    if retired_total(g) >= RETIRED_PAGES_FULL {
        out.push((
            "gpu_retired_pages_exhausted",
            text_evidence(
                path,
                g,
                "retired_pages_dbe",
                Some(format!(
                    "{} single-bit + {dbe} double-bit = {} retired pages, limit {RETIRED_PAGES_FULL}",
                    g.retired_pages_sbe.unwrap_or(0),
                    retired_total(g)
                )),
            ),
        ));
    }
    if let Some(why) = text_slowdown(g) {
        out.push((
            "gpu_temperature_slowdown",
            text_evidence(path, g, "temperature", Some(why)),
        ));
    }
    if p.throttle_reasons_active
        .iter()
        .any(|r| score::is_thermal_throttle(r))
    {
        out.push((
            "gpu_throttle_active",
            text_evidence(path, g, "throttle", None),
        ));
    }
    if let (Some(w), Some(l)) = (p.power_draw_w, p.power_limit_w) {
        if l > 0.0 && w >= l * s.power_capped_share {
            out.push((
                "gpu_power_capped",
                text_evidence(
                    path,
                    g,
                    "power_draw",
                    Some(format!("{w:.1} W of {l:.1} W limit")),
                ),
            ));
        }
    }
    out
}

/// Evidence at the row of `fact` (else the GPU's first row), with a
/// summary of the series appended.
fn csv_evidence(path: &str, g: &GpuSeries, fact: &str, summary: String) -> Evidence {
    let mut e = g
        .facts
        .get(fact)
        .or(g.evidence.as_ref())
        .cloned()
        .unwrap_or_else(|| Evidence::new(path, None, ""));
    e.text = cap_text(&format!("{}; {summary}", e.text), EVIDENCE_TEXT_MAX);
    e
}

fn csv_hot(g: &GpuSeries) -> Option<String> {
    let peak = g.temperature_c.max.filter(|t| *t >= HOT_C);
    let margin = g.temperature_tlimit_c.min.filter(|m| *m <= 0.0);
    match (peak, margin) {
        (Some(t), _) => Some(format!(
            "peak {t:.0} C over {} sample(s) >= {HOT_C:.0} C",
            g.temperature_c.count
        )),
        (None, Some(m)) => Some(format!(
            "T.Limit margin reached {m:.0} C (at or past the maximum operating temperature)"
        )),
        (None, None) => None,
    }
}

fn csv_gpu_signals(path: &str, g: &GpuSeries) -> Vec<(&'static str, Evidence)> {
    let mut out = Vec::new();
    let fact = |f: &'static str| if g.facts.contains_key(f) { f } else { "" };
    if let Some(why) = csv_hot(g) {
        out.push((
            "gpu_telemetry_hot",
            csv_evidence(path, g, "peak_temperature", why),
        ));
    }
    if g.thermal_throttle_samples > 0 {
        let reasons: Vec<&str> = g
            .throttle_reasons_seen
            .iter()
            .map(String::as_str)
            .filter(|r| score::is_thermal_throttle(r))
            .collect();
        out.push((
            "gpu_throttle_active",
            csv_evidence(
                path,
                g,
                "thermal_throttle",
                format!(
                    "{} in {} of {} sample(s)",
                    reasons.join(", "),
                    g.thermal_throttle_samples,
                    g.samples
                ),
            ),
        ));
    }
    if g.busy_samples > 0
        && g.power_capped_busy_samples as f64 >= POWER_CAPPED_BUSY_SHARE * g.busy_samples as f64
    {
        out.push((
            "gpu_power_capped",
            csv_evidence(
                path,
                g,
                "power_capped",
                format!(
                    "sw_power_cap active in {} of {} busy sample(s)",
                    g.power_capped_busy_samples, g.busy_samples
                ),
            ),
        ));
    }
    let ue = g.ecc_uncorrectable_max.unwrap_or(0);
    let dbe = g.retired_pages_dbe_max.unwrap_or(0);
    if ue > 0 || dbe > 0 {
        let f = if ue > 0 {
            "ecc_uncorrectable"
        } else {
            "retired_pages_dbe"
        };
        out.push((
            "gpu_ecc_uncorrectable",
            csv_evidence(
                path,
                g,
                fact(f),
                format!("max {ue} uncorrectable ECC error(s), {dbe} DBE-retired page(s)"),
            ),
        ));
    }
    let pending = [
        ("retired_pages_pending", g.retired_pages_pending),
        ("remapped_rows_pending", g.remapped_rows_pending),
        ("remapping_failure", g.remapping_failure),
    ];
    if let Some((f, _)) = pending.iter().find(|(_, v)| *v == Some(true)) {
        out.push((
            "gpu_retirement_pending",
            csv_evidence(path, g, fact(f), f.replace('_', " ")),
        ));
    }
    out
}

/// True for a DCGM status that fails a test.
fn is_fail(status: &str) -> bool {
    status.trim().eq_ignore_ascii_case("fail")
}

/// True for a DCGM status that warns.
fn is_warn(status: &str) -> bool {
    matches!(
        status.trim().to_ascii_lowercase().as_str(),
        "warn" | "warning"
    )
}

fn dcgm_signals(path: &str, d: &DcgmDiag) -> Vec<(&'static str, Evidence)> {
    let mut out = Vec::new();
    for t in &d.tests {
        let mut raised = false;
        for r in &t.results {
            let isolate = r.warnings.iter().find(|w| {
                w.error_severity
                    .is_some_and(|s| ISOLATE_SEVERITIES.contains(&s))
            });
            // Only when every warning says CONFIG: one hardware warning
            // beside it keeps the failure a GPU failure.
            let config_only = !r.warnings.is_empty()
                && r.warnings
                    .iter()
                    .all(|w| w.error_severity == Some(CONFIG_SEVERITY));
            let signal = if is_fail(&r.status) && isolate.is_some() {
                "dcgm_test_failed_isolate"
            } else if is_fail(&r.status) && config_only {
                "dcgm_test_failed_config"
            } else if is_fail(&r.status) {
                "dcgm_test_failed"
            } else if is_warn(&r.status) {
                "dcgm_test_warning"
            } else {
                continue;
            };
            let mut ev = r.evidence.clone();
            if let Some(w) = isolate.or(r.warnings.first()) {
                let codes = [
                    w.error_id.map(|i| format!("error_id {i}")),
                    w.category_name.clone(),
                    w.severity_name.clone(),
                ];
                let codes: Vec<String> = codes.into_iter().flatten().collect();
                if !codes.is_empty() {
                    ev.text = cap_text(
                        &format!("{} ({})", ev.text, codes.join(", ")),
                        EVIDENCE_TEXT_MAX,
                    );
                }
            }
            out.push((signal, ev));
            raised = true;
        }
        // A 4.x test summary can fail without a failing entity result.
        let status = t.status();
        if !raised && (is_fail(&status) || is_warn(&status)) {
            let signal = if is_fail(&status) {
                "dcgm_test_failed"
            } else {
                "dcgm_test_warning"
            };
            let ev =
                Evidence::new(path, None, &format!("{}: {status}", t.name)).with_locator(format!(
                    "test_categories / {} / {} / test_summary",
                    t.category.as_deref().unwrap_or("(no category)"),
                    t.name
                ));
            out.push((signal, ev));
        }
    }
    out
}

/// A step's time window in seconds, when both ends are the node's local
/// time as printed in command results (`2026-11-27 03:31:02.643084`). Times
/// with a `T` or `Z` come from the callback's UTC durations and are not
/// compared with nvidia-smi's local timestamps.
fn step_window(st: &StepResult) -> Option<(f64, f64)> {
    let local = |s: &str| !s.contains('T') && !s.contains('Z');
    let a = st.started_at.as_deref().filter(|s| local(s))?;
    let b = st.ended_at.as_deref().filter(|s| local(s))?;
    let (a, b) = (parse_timestamp_us(a)?, parse_timestamp_us(b)?);
    (b > a).then(|| (a as f64 / 1e6, b as f64 / 1e6))
}

/// What the timeline buckets overlapping a window hold: per metric the sum
/// and number of readings, the rows, and the overlap in series seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Window {
    sums: [(f64, u64); 5],
    samples: u64,
    from_s: f64,
    to_s: f64,
}

impl Window {
    fn mean(&self, m: Metric) -> Option<f64> {
        let i = Metric::ALL.iter().position(|x| *x == m)?;
        let (s, n) = *self.sums.get(i)?;
        (n > 0).then(|| s / n as f64)
    }

    fn absorb(&mut self, o: &Window) {
        if self.samples == 0 {
            self.from_s = o.from_s;
            self.to_s = o.to_s;
        } else {
            self.from_s = self.from_s.min(o.from_s);
            self.to_s = self.to_s.max(o.to_s);
        }
        self.samples += o.samples;
        for (a, b) in self.sums.iter_mut().zip(o.sums) {
            a.0 += b.0;
            a.1 += b.1;
        }
    }
}

/// The buckets of a series that overlap `[from, to]` (seconds on the same
/// clock as [`parse_timestamp`] of the series' `first_timestamp`). A bucket
/// counts whole, so with wide buckets (long series) the window's edges are
/// approximate. `None` without a wall-clock axis or without overlap.
fn window_stats(g: &GpuSeries, from: f64, to: f64) -> Option<Window> {
    if g.timeline.axis != TimeAxis::Seconds {
        return None;
    }
    let t0 = parse_timestamp(g.first_timestamp.as_deref()?)?;
    let (lo, hi) = (from - t0, to - t0);
    let w = g.timeline.bucket_width;
    let mut out = Window::default();
    for b in &g.timeline.buckets {
        if b.start + w <= lo || b.start > hi {
            continue;
        }
        let (a, z) = (b.start.max(lo), (b.start + w).min(hi));
        if out.samples == 0 {
            out.from_s = a;
        }
        out.to_s = z;
        out.samples += b.samples;
        for (slot, m) in out.sums.iter_mut().zip(Metric::ALL) {
            if let Some((mean, k)) = b.metric(m) {
                slot.0 += mean * k as f64;
                slot.1 += k;
            }
        }
    }
    (out.samples > 0).then_some(out)
}

/// Mean utilisation and readings of a series inside `[from, to]` seconds
/// (epoch-like), from the timeline buckets that overlap it.
fn window_utilization(g: &GpuSeries, from: f64, to: f64) -> Option<(f64, u64)> {
    let w = window_stats(g, from, to)?;
    let (sum, n) = w.sums.first().copied()?;
    (n > 0).then(|| (sum / n as f64, n))
}

/// GPU telemetry per harness step: for every node with a telemetry series
/// and every step on that node whose node-local window (see
/// [`step_window`]) overlaps it, each GPU's means over the overlapping
/// buckets. Steps are listed in start order, at most
/// [`STEP_TELEMETRY_MAX_STEPS`] per node; the rest are counted.
pub fn step_telemetry(c: &Campaign) -> (Vec<StepTelemetry>, u64) {
    let runs: BTreeMap<(&str, &str), &str> = c
        .runs
        .iter()
        .filter_map(|r| Some(((r.node.as_deref()?, r.step.as_deref()?), r.id.as_str())))
        .collect();
    let mut out = Vec::new();
    let mut omitted = 0u64;
    for (node, data) in &c.nodes {
        if !data.gpu_csv.iter().any(|(_, csv)| !csv.gpus.is_empty()) {
            continue;
        }
        let mut steps: Vec<(f64, f64, &StepResult)> = c
            .steps()
            .filter(|st| &st.node == node && st.outcome != Outcome::Skipped)
            .filter_map(|st| {
                let (a, b) = step_window(st)?;
                Some((a, b, st))
            })
            .collect();
        steps.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.2.name.cmp(&y.2.name)));
        let mut listed = 0usize;
        for (from, to, st) in steps {
            // One row per GPU: a GPU in several CSV files is merged by bus id.
            let mut gpus: BTreeMap<String, (String, Window, BTreeSet<String>)> = BTreeMap::new();
            for (path, csv) in &data.gpu_csv {
                for g in &csv.gpus {
                    let Some(w) = window_stats(g, from, to) else {
                        continue;
                    };
                    let key = g
                        .pci_bus_id
                        .as_deref()
                        .map(norm_bus)
                        .unwrap_or_else(|| format!("{path}#{}", g.key));
                    let e = gpus
                        .entry(key)
                        .or_insert_with(|| (g_label(g), Window::default(), BTreeSet::new()));
                    e.1.absorb(&w);
                    e.2.insert(path.clone());
                }
            }
            if gpus.is_empty() {
                continue;
            }
            if listed >= STEP_TELEMETRY_MAX_STEPS {
                omitted += 1;
                continue;
            }
            listed += 1;
            let started = st.started_at.clone().unwrap_or_default();
            let ended = st.ended_at.clone().unwrap_or_default();
            let rows = gpus
                .into_values()
                .map(|(label, w, paths)| {
                    step_gpu_row(&label, &st.name, &started, &ended, &w, paths)
                })
                .collect();
            out.push(StepTelemetry {
                node: node.clone(),
                step: st.name.clone(),
                started_at: started,
                ended_at: ended,
                duration_s: ((to - from) * 1000.0).round() / 1000.0,
                run: runs
                    .get(&(node.as_str(), st.name.as_str()))
                    .map(|r| r.to_string()),
                gpus: rows,
            });
        }
    }
    (out, omitted)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn step_gpu_row(
    label: &str,
    step: &str,
    started: &str,
    ended: &str,
    w: &Window,
    paths: BTreeSet<String>,
) -> StepGpuTelemetry {
    let mean = |m| w.mean(m).map(round1);
    let (util, mem, power, temp, sm) = (
        mean(Metric::Utilization),
        mean(Metric::MemoryUsed),
        mean(Metric::Power),
        mean(Metric::Temperature),
        mean(Metric::SmClock),
    );
    let mut parts = Vec::new();
    for (v, unit) in [
        (util, " % utilisation"),
        (power, " W"),
        (temp, " °C"),
        (mem, " MiB used"),
    ] {
        if let Some(v) = v {
            parts.push(format!("{v:.1}{unit}"));
        }
    }
    if let Some(v) = sm {
        parts.push(format!("SM {v:.0} MHz"));
    }
    let means = if parts.is_empty() {
        "no metric readings".to_string()
    } else {
        parts.join(", ")
    };
    let text = format!(
        "{label} while step `{step}` ran ({started} to {ended}): {means} (mean of {} reading(s), {:.1}–{:.1} s into the series)",
        w.samples, w.from_s, w.to_s
    );
    StepGpuTelemetry {
        gpu: label.to_string(),
        paths: paths.into_iter().collect(),
        samples: w.samples,
        series_from_s: (w.from_s * 1000.0).round() / 1000.0,
        series_to_s: (w.to_s * 1000.0).round() / 1000.0,
        utilization_pct: util,
        memory_used_mib: mem,
        power_draw_w: power,
        temperature_c: temp,
        sm_clock_mhz: sm,
        text: cap_text(&text, EVIDENCE_TEXT_MAX),
    }
}

/// GPUs whose telemetry shows them idle while a step that ran a LoadGen run
/// was executing on their node: (node, step, evidence).
fn idle_during_benchmark(c: &Campaign) -> Vec<(String, String, Evidence)> {
    let bench: BTreeSet<(&str, &str)> = c
        .runs
        .iter()
        .filter_map(|r| Some((r.node.as_deref()?, r.step.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    for st in c.steps() {
        if st.outcome == Outcome::Skipped || !bench.contains(&(st.node.as_str(), st.name.as_str()))
        {
            continue;
        }
        let Some((from, to)) = step_window(st) else {
            continue;
        };
        let Some(data) = c.nodes.get(&st.node) else {
            continue;
        };
        for (path, csv) in &data.gpu_csv {
            for g in &csv.gpus {
                let Some((mean, n)) = window_utilization(g, from, to) else {
                    continue;
                };
                if n < IDLE_MIN_SAMPLES || mean >= IDLE_UTIL_PCT {
                    continue;
                }
                let mut ev = g
                    .evidence
                    .clone()
                    .unwrap_or_else(|| Evidence::new(path.clone(), None, ""));
                ev.text = cap_text(
                    &format!(
                        "{}: mean utilization.gpu {mean:.1} % over {n} reading(s) while step `{}` ran ({} to {})",
                        g_label(g),
                        st.name,
                        st.started_at.as_deref().unwrap_or("?"),
                        st.ended_at.as_deref().unwrap_or("?")
                    ),
                    EVIDENCE_TEXT_MAX,
                );
                out.push((st.node.clone(), st.name.clone(), ev));
            }
        }
    }
    out
}

fn g_label(g: &GpuSeries) -> String {
    match (&g.pci_bus_id, g.index) {
        (Some(b), _) => format!("GPU {b}"),
        (None, Some(i)) => format!("GPU {i}"),
        (None, None) => g.key.clone(),
    }
}

/// True when a node has a probe of this family (CSV, text or DCGM), beyond
/// the XML dumps the other hardware checks already read.
pub fn has_gpu_probe(d: &NodeData) -> bool {
    !d.gpu_csv.is_empty() || !d.nvidia_smi_text.is_empty() || !d.dcgm.is_empty()
}

/// A kind of GPU fault, for the hardware score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Ecc,
    Retirement,
    Temperature,
    Throttle,
    DcgmFail,
    DcgmConfig,
    DcgmWarn,
}

impl Fault {
    fn points(self, s: &Settings) -> f64 {
        match self {
            Fault::Ecc => s.ecc_points,
            Fault::Retirement => s.retirement_points,
            Fault::Temperature => s.temperature_points,
            Fault::Throttle => s.throttle_points,
            Fault::DcgmFail => DCGM_FAIL_POINTS,
            Fault::DcgmConfig | Fault::DcgmWarn => DCGM_WARN_POINTS,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Fault::Ecc => "uncorrectable ECC / DBE-retired pages",
            Fault::Retirement => "pending retirement, remap failure or full retirement table",
            Fault::Temperature => "slowdown temperature or hot telemetry",
            Fault::Throttle => "thermal/hardware slowdown",
            Fault::DcgmFail => "DCGM test failed",
            Fault::DcgmConfig => "DCGM test failed on a node setting (CONFIG)",
            Fault::DcgmWarn => "DCGM test warned",
        }
    }
}

/// `00000000:3B:00.0` and `0000:3b:00.0` → `0000:3b:00.0`, so one GPU seen
/// by several probes is one GPU.
fn norm_bus(bus: &str) -> String {
    let lower = bus.trim().to_ascii_lowercase();
    let parts: Vec<&str> = lower.split(':').collect();
    match parts.as_slice() {
        [d, b, df] => match u64::from_str_radix(d, 16) {
            Ok(d) => format!("{d:04x}:{b}:{df}"),
            Err(_) => lower.clone(),
        },
        _ => lower.clone(),
    }
}

/// The `hardware.gpu_probes` check: deduction, detail and evidence for
/// faults found by CSV/text probes and DCGM, one deduction per GPU and kind
/// of fault. A fault that an `nvidia-smi -q -x` dump of the same GPU (same
/// bus id) already shows is left to the XML checks, so it is never deducted
/// twice.
pub fn hardware_check<'c>(c: &'c Campaign, s: &Settings) -> (f64, String, Vec<Evidence>) {
    let mut xml: BTreeSet<(&str, String, Fault)> = BTreeSet::new();
    for (node, data) in &c.nodes {
        for (_, dump) in &data.nvidia_smi {
            for g in &dump.gpus {
                let Some(bus) = g.pci_bus_id.as_deref().map(norm_bus) else {
                    continue;
                };
                let mut add = |f| {
                    xml.insert((node.as_str(), bus.clone(), f));
                };
                if g.ecc_volatile_uncorrectable
                    .or(g.ecc_aggregate_uncorrectable)
                    .unwrap_or(0)
                    > 0
                {
                    add(Fault::Ecc);
                }
                if g.retired_pages_pending == Some(true)
                    || g.remapped_rows_pending == Some(true)
                    || g.remapping_failure == Some(true)
                {
                    add(Fault::Retirement);
                }
                if matches!((g.temperature_c, g.temperature_slowdown_c), (Some(t), Some(l)) if t >= l)
                {
                    add(Fault::Temperature);
                }
                if g.throttle_reasons_active
                    .iter()
                    .any(|r| score::is_thermal_throttle(r))
                {
                    add(Fault::Throttle);
                }
            }
        }
    }
    let mut faults: BTreeMap<(&str, String, Fault), Evidence> = BTreeMap::new();
    let mut add = |node: &'c str, key: String, f: Fault, ev: Evidence| {
        faults.entry((node, key, f)).or_insert(ev);
    };
    for (node, data) in &c.nodes {
        let node = node.as_str();
        for (path, dump) in &data.nvidia_smi_text {
            for g in &dump.gpus {
                let key = g
                    .probe
                    .pci_bus_id
                    .as_deref()
                    .map(norm_bus)
                    .unwrap_or_else(|| format!("{path}#{}", g.probe.index));
                for (signal, ev) in text_gpu_signals(path, g, s) {
                    let f = match signal {
                        "gpu_ecc_uncorrectable" => Fault::Ecc,
                        "gpu_retirement_pending" | "gpu_retired_pages_exhausted" => {
                            Fault::Retirement
                        }
                        "gpu_temperature_slowdown" => Fault::Temperature,
                        "gpu_throttle_active" => Fault::Throttle,
                        _ => continue,
                    };
                    add(node, key.clone(), f, ev);
                }
            }
        }
        for (path, csv) in &data.gpu_csv {
            for g in &csv.gpus {
                let key = g
                    .pci_bus_id
                    .as_deref()
                    .map(norm_bus)
                    .unwrap_or_else(|| format!("{path}#{}", g.key));
                for (signal, ev) in csv_gpu_signals(path, g) {
                    let f = match signal {
                        "gpu_ecc_uncorrectable" => Fault::Ecc,
                        "gpu_retirement_pending" => Fault::Retirement,
                        "gpu_telemetry_hot" => Fault::Temperature,
                        "gpu_throttle_active" => Fault::Throttle,
                        _ => continue,
                    };
                    add(node, key.clone(), f, ev);
                }
            }
        }
        for (path, diag) in &data.dcgm {
            for (signal, ev) in dcgm_signals(path, diag) {
                let entity = ev
                    .locator
                    .as_deref()
                    .and_then(|l| l.rsplit(" / ").next())
                    .unwrap_or("system")
                    .to_string();
                let f = match signal {
                    "dcgm_test_warning" => Fault::DcgmWarn,
                    "dcgm_test_failed_config" => Fault::DcgmConfig,
                    _ => Fault::DcgmFail,
                };
                add(node, format!("dcgm:{entity}"), f, ev);
            }
        }
    }
    // A warning on a GPU that also failed is not a second deduction.
    let failed: BTreeSet<(&str, String)> = faults
        .keys()
        .filter(|(_, _, f)| *f == Fault::DcgmFail)
        .map(|(n, k, _)| (*n, k.clone()))
        .collect();
    faults.retain(|(n, k, f), _| {
        let lesser = matches!(f, Fault::DcgmWarn | Fault::DcgmConfig);
        let shadowed = lesser && failed.contains(&(*n, k.clone()));
        let in_xml = xml.contains(&(*n, k.clone(), *f));
        !shadowed && !in_xml
    });
    let mut by_kind: BTreeMap<Fault, usize> = BTreeMap::new();
    let mut deduction = 0.0;
    for (_, _, f) in faults.keys() {
        *by_kind.entry(*f).or_default() += 1;
        deduction += f.points(s);
    }
    let detail = if by_kind.is_empty() {
        "no GPU fault in nvidia-smi CSV/text probes or DCGM diagnostics".to_string()
    } else {
        let parts: Vec<String> = by_kind
            .iter()
            .map(|(f, n)| format!("{n} GPU(s) with {} ({:.0} each)", f.label(), f.points(s)))
            .collect();
        format!(
            "{}; faults an nvidia-smi -q -x dump of the same GPU shows are scored by the checks above",
            parts.join("; ")
        )
    };
    let evidence = faults.into_values().take(5).collect();
    (deduction, detail, evidence)
}

/// This family's report section.
pub fn report(c: &Campaign) -> GpuProbesReport {
    let mut r = GpuProbesReport::default();
    for (node, data) in &c.nodes {
        for (path, csv) in &data.gpu_csv {
            for g in &csv.gpus {
                r.telemetry.push(TelemetryRow {
                    node: node.clone(),
                    path: path.clone(),
                    telemetry: csv.telemetry,
                    gpu: g.clone(),
                });
            }
        }
        for (path, diag) in &data.dcgm {
            r.dcgm.push(DcgmRow {
                node: node.clone(),
                path: path.clone(),
                diag: diag.clone(),
            });
        }
        for (path, dump) in &data.nvidia_smi_text {
            r.text_dumps.push(TextDumpRow {
                node: node.clone(),
                path: path.clone(),
                dump: dump.clone(),
            });
        }
    }
    (r.steps, r.steps_omitted) = step_telemetry(c);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_ids_normalise() {
        assert_eq!(norm_bus("00000000:3B:00.0"), "0000:3b:00.0");
        assert_eq!(norm_bus("0000:3b:00.0"), "0000:3b:00.0");
        assert_eq!(norm_bus("00000001:00:00.0"), "0001:00:00.0");
        assert_eq!(norm_bus("weird"), "weird");
    }

    #[test]
    fn step_windows_use_local_times_only() {
        let mut st = StepResult {
            name: "s".into(),
            node: "n".into(),
            group: None,
            outcome: Outcome::Ok,
            exit_code: Some(0),
            duration_s: None,
            timed_out: false,
            started_at: Some("2026-07-14 08:00:00.000000".into()),
            ended_at: Some("2026-07-14 08:01:00.500000".into()),
            message: None,
            evidence: Evidence::new("a.json", Some(1), ""),
        };
        let (a, b) = step_window(&st).unwrap();
        assert!((b - a - 60.5).abs() < 1e-6);
        st.ended_at = Some("2026-07-14T08:01:00.5Z".into());
        assert_eq!(step_window(&st), None);
    }

    /// A node whose telemetry runs hot, throttles, and idles while its
    /// LoadGen step runs.
    fn telemetry_campaign() -> Campaign {
        let mut csv = String::from(
            "timestamp, index, pci.bus_id, utilization.gpu [%], temperature.gpu, clocks_event_reasons.active\n",
        );
        for i in 0..120u32 {
            // Idle from 08:00:10 to 08:00:40 (the benchmark step), busy
            // and hot otherwise, with a thermal slowdown at the peak.
            let util = if (10..=40).contains(&i) { 1 } else { 95 };
            let temp = 60 + i / 4;
            let mask = if temp >= 88 { "0x40" } else { "0x0" };
            csv.push_str(&format!(
                "2026/07/14 08:{:02}:{:02}.000, 0, 00000000:3B:00.0, {util} %, {temp}, {mask}\n",
                i / 60,
                i % 60
            ));
        }
        let parsed = crate::parse::nvidia_smi_csv::parse("n1/gpu.csv", csv.as_bytes());
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let mut c = Campaign::default();
        c.nodes.entry("n1".into()).or_default().gpu_csv = vec![("n1/gpu.csv".into(), parsed.value)];
        c.runs.push(LoadGenRun {
            id: "n1/loadgen/offline".into(),
            node: Some("n1".into()),
            step: Some("loadgen_offline".into()),
            summary: None,
            detail: None,
            trace: None,
            accuracy: None,
            accuracy_result: None,
            submission: None,
        });
        let step = StepResult {
            name: "loadgen_offline".into(),
            node: "n1".into(),
            group: None,
            outcome: Outcome::Ok,
            exit_code: Some(0),
            duration_s: Some(30.0),
            timed_out: false,
            started_at: Some("2026-07-14 08:00:10.000000".into()),
            ended_at: Some("2026-07-14 08:00:40.000000".into()),
            message: None,
            evidence: Evidence::new("a.json", Some(9), ""),
        };
        c.harness.push((
            "a.json".into(),
            HarnessRun {
                harness: "ansible".into(),
                steps: vec![step],
                ..HarnessRun::default()
            },
        ));
        c
    }

    #[test]
    fn telemetry_raises_hot_throttled_and_idle_signals() {
        let c = telemetry_campaign();
        let rules = crate::analyze::rules::RuleSet::builtin().unwrap();
        let mut cl = Classifier::new(&rules);
        raise(&c, &mut cl, &Settings::default());
        let mut got: Vec<(String, Option<String>, Option<u64>)> = cl
            .finish()
            .into_iter()
            .map(|g| {
                let line = g.evidence.first().and_then(|e| e.line);
                (rules.rules[g.rule].id.clone(), g.step, line)
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                // Peak 89 C first seen on row 116 (line 118).
                ("gpu.telemetry_hot".to_string(), None, Some(118)),
                // hw_thermal_slowdown from 88 C on (row 112, line 114).
                ("gpu.throttle_active".to_string(), None, Some(114)),
                // The GPU's first row is the evidence of the idle GPU.
                (
                    "perf.gpu_idle_during_benchmark".to_string(),
                    Some("loadgen_offline".to_string()),
                    Some(2)
                ),
            ]
        );
        let idle = idle_during_benchmark(&c);
        assert_eq!(
            idle[0].2.text,
            "GPU 00000000:3B:00.0: mean utilization.gpu 1.0 % over 31 reading(s) while step `loadgen_offline` ran (2026-07-14 08:00:10.000000 to 2026-07-14 08:00:40.000000)"
        );
        let (ded, detail, ev) = hardware_check(&c, &Settings::default());
        let s = Settings::default();
        assert_eq!(ded, s.temperature_points + s.throttle_points, "{detail}");
        assert_eq!(ev.len(), 2);
    }

    #[test]
    fn each_step_gets_one_row_per_gpu_with_its_means() {
        let mut c = telemetry_campaign();
        // A second step, in the callback's UTC times, is never compared with
        // nvidia-smi's local timestamps; one before the series has no rows.
        let mut utc = c.harness[0].1.steps[0].clone();
        utc.name = "utc_step".into();
        utc.started_at = Some("2026-07-14T08:00:10Z".into());
        utc.ended_at = Some("2026-07-14T08:00:40Z".into());
        let mut before = c.harness[0].1.steps[0].clone();
        before.name = "before".into();
        before.started_at = Some("2026-07-14 07:00:00.000000".into());
        before.ended_at = Some("2026-07-14 07:00:05.000000".into());
        c.harness[0].1.steps.extend([utc, before]);
        let (steps, omitted) = step_telemetry(&c);
        assert_eq!(omitted, 0);
        assert_eq!(steps.len(), 1, "{steps:?}");
        let s = &steps[0];
        assert_eq!(
            (s.node.as_str(), s.step.as_str()),
            ("n1", "loadgen_offline")
        );
        assert_eq!(s.run.as_deref(), Some("n1/loadgen/offline"));
        assert_eq!(s.duration_s, 30.0);
        assert_eq!(s.gpus.len(), 1);
        let g = &s.gpus[0];
        assert_eq!(g.samples, 31);
        assert_eq!(g.utilization_pct, Some(1.0));
        // temperature 60 + i/4 (integer) for rows 10..=40: 62 … 70, mean 65.87.
        assert_eq!(g.temperature_c, Some(65.9));
        assert_eq!((g.series_from_s, g.series_to_s), (10.0, 30.0 + 10.0));
        assert_eq!(
            g.text,
            "GPU 00000000:3B:00.0 while step `loadgen_offline` ran (2026-07-14 08:00:10.000000 to 2026-07-14 08:00:40.000000): 1.0 % utilisation, 65.9 °C (mean of 31 reading(s), 10.0–40.0 s into the series)"
        );
    }

    #[test]
    fn steps_past_the_cap_are_counted_not_listed() {
        let mut c = telemetry_campaign();
        let base = c.harness[0].1.steps[0].clone();
        c.harness[0].1.steps = (0..STEP_TELEMETRY_MAX_STEPS + 5)
            .map(|i| {
                let mut st = base.clone();
                st.name = format!("s{i:03}");
                st.started_at = Some(format!("2026-07-14 08:00:{:02}.000000", i % 60));
                st.ended_at = Some(format!("2026-07-14 08:01:{:02}.000000", i % 60));
                st
            })
            .collect();
        let (steps, omitted) = step_telemetry(&c);
        assert_eq!(steps.len(), STEP_TELEMETRY_MAX_STEPS);
        assert_eq!(omitted, 5);
        assert!(steps.windows(2).all(|w| w[0].started_at <= w[1].started_at));
    }

    #[test]
    fn csv_windows_average_the_overlapping_buckets() {
        let mut g = GpuSeries {
            first_timestamp: Some("2026/07/14 08:00:00.000".into()),
            ..GpuSeries::default()
        };
        for i in 0..100 {
            let util = if (40..60).contains(&i) { 2.0 } else { 90.0 };
            g.add_sample(f64::from(i), [Some(util), None, None, None, None]);
        }
        let t0 = parse_timestamp("2026/07/14 08:00:00.000").unwrap();
        let (mean, n) = window_utilization(&g, t0 + 40.0, t0 + 59.0).unwrap();
        assert_eq!(n, 20);
        assert!((mean - 2.0).abs() < 1e-9);
        assert_eq!(window_utilization(&g, t0 + 500.0, t0 + 600.0), None);
    }
}
