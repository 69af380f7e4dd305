//! GPU probes beyond `nvidia-smi -q -x`: `--query-gpu` CSV snapshots and
//! telemetry series, plain `nvidia-smi -q` text (including page retirement),
//! and DCGM diagnostics.
//!
//! Everything here is bounded whatever the input size: a telemetry series of
//! a million rows becomes per-GPU running statistics and at most
//! [`TIMELINE_BUCKETS`] time buckets, never a list of rows.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::artifacts::GpuProbe;
use super::source::Evidence;

/// Most GPUs kept per probe file; rows of further GPUs are counted and
/// reported in a warning. Real nodes have at most a few dozen.
pub const MAX_GPUS: usize = 64;

/// Most time buckets in a telemetry timeline: enough for a chart, small
/// enough that memory does not depend on the number of rows.
pub const TIMELINE_BUCKETS: usize = 120;

/// Running statistics of one metric (Welford's online algorithm), with
/// memory independent of the number of samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct RunningStats {
    /// Samples that had a reading.
    pub count: u64,
    /// Smallest reading.
    pub min: Option<f64>,
    /// Largest reading.
    pub max: Option<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Population standard deviation.
    pub stddev: Option<f64>,
    /// Sum of squared differences from the mean (Welford's `M2`).
    #[serde(skip)]
    m2: f64,
}

impl RunningStats {
    /// Add one reading; non-finite readings are ignored.
    pub fn push(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        self.count += 1;
        let mean = self.mean.unwrap_or(0.0);
        let delta = v - mean;
        let mean = mean + delta / self.count as f64;
        self.m2 += delta * (v - mean);
        self.mean = Some(mean);
        self.stddev = Some((self.m2 / self.count as f64).max(0.0).sqrt());
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
    }
}

/// The metrics a telemetry series follows over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// `utilization.gpu`, percent.
    Utilization,
    /// `memory.used`, MiB.
    MemoryUsed,
    /// `power.draw` (or its average/instant variants), W.
    Power,
    /// `temperature.gpu`, °C.
    Temperature,
    /// `clocks.current.sm` / `clocks.sm`, MHz.
    SmClock,
}

impl Metric {
    /// Every metric, in field order.
    pub const ALL: [Metric; 5] = [
        Metric::Utilization,
        Metric::MemoryUsed,
        Metric::Power,
        Metric::Temperature,
        Metric::SmClock,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// Whether a timeline's x axis is wall time or row order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeAxis {
    /// Seconds since the GPU's first sample (from the `timestamp` column).
    #[default]
    Seconds,
    /// Sample number (no usable `timestamp` column).
    Samples,
}

/// One time bucket of a timeline: the mean of each metric over the samples
/// that fell into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct TelemetryBucket {
    /// Bucket start, in the timeline's axis unit, from the first sample.
    pub start: f64,
    /// Samples in the bucket.
    pub samples: u64,
    /// Mean `utilization.gpu`, percent.
    pub utilization_pct: Option<f64>,
    /// Mean `memory.used`, MiB.
    pub memory_used_mib: Option<f64>,
    /// Mean power draw, W.
    pub power_draw_w: Option<f64>,
    /// Mean GPU temperature, °C.
    pub temperature_c: Option<f64>,
    /// Mean SM clock, MHz.
    pub sm_clock_mhz: Option<f64>,
    #[serde(skip)]
    slot: u64,
    #[serde(skip)]
    sums: [(f64, u64); 5],
}

impl TelemetryBucket {
    fn add(&mut self, values: &[Option<f64>; 5]) {
        self.samples += 1;
        for (sum, v) in self.sums.iter_mut().zip(values) {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                sum.0 += v;
                sum.1 += 1;
            }
        }
        self.refresh();
    }

    fn absorb(&mut self, other: &TelemetryBucket) {
        self.samples += other.samples;
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.refresh();
    }

    fn refresh(&mut self) {
        let mean = |(s, n): (f64, u64)| (n > 0).then(|| s / n as f64);
        let [u, m, p, t, c] = self.sums;
        self.utilization_pct = mean(u);
        self.memory_used_mib = mean(m);
        self.power_draw_w = mean(p);
        self.temperature_c = mean(t);
        self.sm_clock_mhz = mean(c);
    }

    /// Mean of one metric in this bucket, with the number of readings.
    pub fn metric(&self, m: Metric) -> Option<(f64, u64)> {
        let (s, n) = *self.sums.get(m.slot())?;
        (n > 0).then(|| (s / n as f64, n))
    }
}

/// A downsampled timeline with at most [`TIMELINE_BUCKETS`] non-empty
/// buckets. Buckets start one axis unit wide; whenever a sample would need a
/// bucket past the last one, neighbouring buckets are merged in pairs and
/// the width doubles, so any series length fits in fixed memory.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TelemetryTimeline {
    /// What `start` and `bucket_width` count.
    pub axis: TimeAxis,
    /// Width of every bucket, in axis units.
    pub bucket_width: f64,
    /// Non-empty buckets, in time order.
    pub buckets: Vec<TelemetryBucket>,
}

impl Default for TelemetryTimeline {
    fn default() -> Self {
        TelemetryTimeline {
            axis: TimeAxis::Seconds,
            bucket_width: 1.0,
            buckets: Vec::new(),
        }
    }
}

impl TelemetryTimeline {
    /// Add a sample at `offset` (axis units since the first sample; negative
    /// offsets, from a clock that went backwards, land in the first bucket).
    pub fn add(&mut self, offset: f64, values: &[Option<f64>; 5]) {
        let offset = if offset.is_finite() {
            offset.max(0.0)
        } else {
            0.0
        };
        let mut slot = (offset / self.bucket_width).floor() as u64;
        while slot >= TIMELINE_BUCKETS as u64 {
            self.halve();
            slot = (offset / self.bucket_width).floor() as u64;
        }
        match self.buckets.binary_search_by_key(&slot, |b| b.slot) {
            Ok(i) => {
                if let Some(b) = self.buckets.get_mut(i) {
                    b.add(values);
                }
            }
            Err(i) => {
                let mut b = TelemetryBucket {
                    start: slot as f64 * self.bucket_width,
                    slot,
                    ..TelemetryBucket::default()
                };
                b.add(values);
                self.buckets.insert(i, b);
            }
        }
    }

    /// Merge buckets pairwise and double the width.
    fn halve(&mut self) {
        self.bucket_width *= 2.0;
        let mut merged: Vec<TelemetryBucket> = Vec::with_capacity(self.buckets.len());
        for mut b in std::mem::take(&mut self.buckets) {
            b.slot /= 2;
            b.start = b.slot as f64 * self.bucket_width;
            match merged.last_mut() {
                Some(last) if last.slot == b.slot => last.absorb(&b),
                _ => merged.push(b),
            }
        }
        self.buckets = merged;
    }
}

/// One GPU in a `--query-gpu` CSV: identity, running statistics and a
/// downsampled timeline. A snapshot (one row) has every count at 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuSeries {
    /// How rows were matched to this GPU (`pci.bus_id`, else `index`, else
    /// `uuid`), as `column=value`.
    pub key: String,
    /// `index`.
    pub index: Option<u32>,
    /// `uuid`.
    pub uuid: Option<String>,
    /// `pci.bus_id`.
    pub pci_bus_id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `driver_version`.
    pub driver_version: Option<String>,
    /// `memory.total`, MiB (last reading).
    pub memory_total_mib: Option<f64>,
    /// `enforced.power.limit` or `power.limit`, W (last reading).
    pub power_limit_w: Option<f64>,
    /// Rows read for this GPU.
    pub samples: u64,
    /// `timestamp` of the first row, as printed.
    pub first_timestamp: Option<String>,
    /// `timestamp` of the last row, as printed.
    pub last_timestamp: Option<String>,
    /// Seconds between the first and the last timestamp.
    pub duration_s: Option<f64>,
    /// `utilization.gpu`, percent.
    pub utilization_pct: RunningStats,
    /// `memory.used`, MiB.
    pub memory_used_mib: RunningStats,
    /// Power draw, W.
    pub power_draw_w: RunningStats,
    /// `temperature.gpu`, °C.
    pub temperature_c: RunningStats,
    /// `temperature.gpu.tlimit`: degrees below the GPU's T.Limit (0 or less
    /// means at or past its maximum operating temperature).
    pub temperature_tlimit_c: RunningStats,
    /// SM clock, MHz.
    pub sm_clock_mhz: RunningStats,
    /// Rows with `utilization.gpu` at or above the busy threshold
    /// (see `parse::nvidia_smi_csv::BUSY_UTIL_PCT`).
    pub busy_samples: u64,
    /// Rows with a thermal or hardware slowdown reason active.
    pub thermal_throttle_samples: u64,
    /// Busy rows with the software power cap active.
    pub power_capped_busy_samples: u64,
    /// Clock event / throttle reasons seen active in any row (except
    /// `gpu_idle`), by the XML element name (`sw_power_cap`, `hw_slowdown`…).
    pub throttle_reasons_seen: BTreeSet<String>,
    /// Largest `ecc.errors.uncorrected.volatile.total` (or aggregate when
    /// volatile is absent).
    pub ecc_uncorrectable_max: Option<u64>,
    /// Largest `retired_pages.double_bit.count`.
    pub retired_pages_dbe_max: Option<u64>,
    /// `retired_pages.pending` was `Yes` in some row.
    pub retired_pages_pending: Option<bool>,
    /// `remapped_rows.pending` was `Yes` (or non-zero) in some row.
    pub remapped_rows_pending: Option<bool>,
    /// `remapped_rows.failure` was `Yes` (or non-zero) in some row.
    pub remapping_failure: Option<bool>,
    /// The GPU's first row.
    pub evidence: Option<Evidence>,
    /// The first row showing each notable fact, by fact name
    /// (`peak_temperature`, `thermal_throttle`, `ecc_uncorrectable`,
    /// `retired_pages_pending`, `remapped_rows_pending`, `remapping_failure`).
    pub facts: BTreeMap<String, Evidence>,
    /// The downsampled series, for charts.
    pub timeline: TelemetryTimeline,
}

impl GpuSeries {
    /// Add one row's metric readings at `offset` on the timeline.
    pub fn add_sample(&mut self, offset: f64, values: [Option<f64>; 5]) {
        self.samples += 1;
        for (m, v) in Metric::ALL.iter().zip(values) {
            if let Some(v) = v {
                self.stats_mut(*m).push(v);
            }
        }
        self.timeline.add(offset, &values);
    }

    /// The statistics of one metric.
    pub fn stats(&self, m: Metric) -> &RunningStats {
        match m {
            Metric::Utilization => &self.utilization_pct,
            Metric::MemoryUsed => &self.memory_used_mib,
            Metric::Power => &self.power_draw_w,
            Metric::Temperature => &self.temperature_c,
            Metric::SmClock => &self.sm_clock_mhz,
        }
    }

    fn stats_mut(&mut self, m: Metric) -> &mut RunningStats {
        match m {
            Metric::Utilization => &mut self.utilization_pct,
            Metric::MemoryUsed => &mut self.memory_used_mib,
            Metric::Power => &mut self.power_draw_w,
            Metric::Temperature => &mut self.temperature_c,
            Metric::SmClock => &mut self.sm_clock_mhz,
        }
    }
}

/// `nvidia-smi --query-gpu=… --format=csv` (one snapshot, or a telemetry
/// series when rows repeat per GPU with timestamps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuCsv {
    /// Header fields in order, units stripped, aliases kept as printed.
    pub columns: Vec<String>,
    /// The header carries units (`memory.total [MiB]`): not `nounits`.
    pub units_in_header: bool,
    /// Data rows read (ragged rows included).
    pub rows: u64,
    /// Rows whose field count differs from the header's (skipped).
    pub ragged_rows: u64,
    /// More than one row for some GPU (`-l`/`-lms` telemetry).
    pub telemetry: bool,
    /// Rows of GPUs beyond [`MAX_GPUS`] (counted, not kept).
    pub dropped_rows: u64,
    /// One entry per GPU, in order of first appearance.
    pub gpus: Vec<GpuSeries>,
}

/// One GPU from plain `nvidia-smi -q` text. The values shared with the XML
/// dump use [`GpuProbe`]; the text-only ones are beside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct TextGpu {
    /// The values shared with `nvidia-smi -q -x` (evidence: the `GPU …`
    /// header line).
    #[serde(flatten)]
    pub probe: GpuProbe,
    /// `Retired Pages / Single Bit ECC`.
    pub retired_pages_sbe: Option<u64>,
    /// `Retired Pages / Double Bit ECC`.
    pub retired_pages_dbe: Option<u64>,
    /// `Performance State` (`P0`…).
    pub performance_state: Option<String>,
    /// `GPU T.Limit Temp`: degrees below the T.Limit (newer GPUs report
    /// temperatures relative to it).
    pub temperature_tlimit_c: Option<f64>,
    /// `GPU Slowdown T.Limit Temp`: the T.Limit margin at which slowdown
    /// starts (negative: past the limit).
    pub temperature_slowdown_tlimit_c: Option<f64>,
    /// The line of each notable value, by fact name (`retired_pages_sbe`,
    /// `retired_pages_dbe`, `retired_pages_pending`, `ecc_uncorrectable`,
    /// `remapped_rows_pending`, `remapping_failure`, `temperature`,
    /// `power_draw`, `throttle`).
    pub lines: BTreeMap<String, Evidence>,
}

/// Plain `nvidia-smi -q` text output (any `-d` subset, e.g. PAGE_RETIREMENT).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct NvidiaSmiText {
    /// `==============NVSMI LOG==============` banners seen (more than one
    /// when several dumps were appended to one file; later values win).
    pub logs: u32,
    /// `Timestamp`, as printed (the last one when several logs).
    pub timestamp: Option<String>,
    /// `Driver Version`.
    pub driver_version: Option<String>,
    /// `CUDA Version`.
    pub cuda_version: Option<String>,
    /// `Attached GPUs`.
    pub attached_gpus: Option<u32>,
    /// One entry per `GPU <bus id>` section, in file order (a bus id seen
    /// again updates its entry).
    pub gpus: Vec<TextGpu>,
    /// Where `Driver Version` was read.
    pub driver_evidence: Option<Evidence>,
    /// Where `CUDA Version` was read.
    pub cuda_evidence: Option<Evidence>,
}

/// A DCGM `error_severity`, by its `dcgm_errors.h` number.
pub fn dcgm_severity_name(code: i64) -> &'static str {
    match code {
        0 => "NONE",
        1 => "MONITOR",
        2 => "ISOLATE",
        3 => "UNKNOWN",
        4 => "TRIAGE",
        5 => "CONFIG",
        6 => "RESET",
        _ => "?",
    }
}

/// A DCGM `error_category`, by its `dcgm_errors.h` number.
pub fn dcgm_category_name(code: i64) -> &'static str {
    match code {
        0 => "NONE",
        1 => "PERF_THRESHOLD",
        2 => "PERF_VIOLATION",
        3 => "SOFTWARE_CONFIG",
        4 => "SOFTWARE_LIBRARY",
        5 => "SOFTWARE_XID",
        6 => "SOFTWARE_CUDA",
        7 => "SOFTWARE_EUD",
        8 => "SOFTWARE_OTHER",
        9 => "HARDWARE_THERMAL",
        10 => "HARDWARE_MEMORY",
        11 => "HARDWARE_NVLINK",
        12 => "HARDWARE_NVSWITCH",
        13 => "HARDWARE_PCIE",
        14 => "HARDWARE_POWER",
        15 => "HARDWARE_OTHER",
        16 => "INTERNAL_OTHER",
        _ => "?",
    }
}

/// One warning attached to a DCGM result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct DcgmWarning {
    /// The warning text (capped).
    pub warning: String,
    /// `error_id` (`dcgm_errors.h` `DCGM_FR_*` number).
    pub error_id: Option<i64>,
    /// `error_category` number.
    pub error_category: Option<i64>,
    /// `error_category` name (`HARDWARE_MEMORY`…).
    pub category_name: Option<String>,
    /// `error_severity` number.
    pub error_severity: Option<i64>,
    /// `error_severity` name (`ISOLATE`, `RESET`…).
    pub severity_name: Option<String>,
}

/// One result of one DCGM test: an entity (GPU) or the whole system.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DcgmResult {
    /// `entity_group` (4.x; `GPU`, `CPU`…); `GPU` for 3.x `gpu_ids`.
    pub entity_group: Option<String>,
    /// `entity_id` (4.x) or `gpu_ids` (3.x, may list several: `0,1`).
    pub entity: Option<String>,
    /// `status` as printed (`Pass`, `Skip`, `Warn`, `Fail`, `Not Run`).
    pub status: String,
    /// `info` text (capped; several joined with `; `).
    pub info: Option<String>,
    /// `warnings[]`.
    pub warnings: Vec<DcgmWarning>,
    /// Where the result object starts.
    pub evidence: Evidence,
}

/// One DCGM test (plugin) with its per-entity results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct DcgmTest {
    /// `category` of the enclosing test category (`Deployment`,
    /// `Integration`, `Hardware`, `Stress`…).
    pub category: Option<String>,
    /// `name` (`Memory`, `Diagnostic`, `Targeted Power`…).
    pub name: String,
    /// `test_summary.status` (4.x).
    pub summary_status: Option<String>,
    /// `test_summary.info` (4.x): notes about the whole test, such as a
    /// check it skipped (capped; several joined with `; `).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_info: Option<String>,
    /// Per-entity results.
    pub results: Vec<DcgmResult>,
}

impl DcgmTest {
    /// The test's overall status: the summary when given, else the worst
    /// result status (`Fail` > `Warn` > `Pass` > `Skip` > `Not Run`).
    pub fn status(&self) -> String {
        if let Some(s) = &self.summary_status {
            return s.clone();
        }
        self.results
            .iter()
            .map(|r| r.status.as_str())
            .max_by_key(|s| status_rank(s))
            .unwrap_or("")
            .to_string()
    }
}

/// Order of DCGM statuses from harmless to bad, for picking the worst.
pub fn status_rank(status: &str) -> u8 {
    match status.trim().to_ascii_lowercase().as_str() {
        "fail" => 5,
        "warn" | "warning" => 4,
        "pass" => 3,
        "skip" => 2,
        "not run" => 1,
        _ => 0,
    }
}

/// One entity in `entity_groups[]` (4.x).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct DcgmEntity {
    /// `entity_group` of the enclosing group (`GPU`…).
    pub entity_group: Option<String>,
    /// `entity_id`.
    pub entity_id: Option<i64>,
    /// `device_id` (PCI device id).
    pub device_id: Option<String>,
    /// `serial_num`.
    pub serial: Option<String>,
}

/// `dcgmi diag -j` output (DCGM 3.x and 4.x layouts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct DcgmDiag {
    /// The root key: `DCGM GPU Diagnostic` (3.x) or `DCGM Diagnostic` (4.x).
    pub root: Option<String>,
    /// `3.x` or `4.x`, from the root key.
    pub layout: Option<String>,
    /// `metadata.version` (the DCGM version that ran the diagnostic).
    pub version: Option<String>,
    /// `metadata["Driver Version Detected"]`.
    pub driver_version: Option<String>,
    /// `runtime_error`: the diagnostic could not run.
    pub runtime_error: Option<String>,
    /// `Overall Result` of multi-iteration runs.
    pub overall_result: Option<String>,
    /// Every test, in file order.
    pub tests: Vec<DcgmTest>,
    /// `entity_groups[].entities[]` (4.x).
    pub entities: Vec<DcgmEntity>,
    /// Results per status (`Pass` → 12, …), counted over every test.
    pub status_counts: BTreeMap<String, u64>,
}

/// A nvidia-smi CSV file in the report, with its node.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TelemetryRow {
    /// Node the file belongs to.
    pub node: String,
    /// File path relative to the artifacts root.
    pub path: String,
    /// More than one row per GPU.
    pub telemetry: bool,
    /// The GPU's statistics and timeline.
    #[serde(flatten)]
    pub gpu: GpuSeries,
}

/// A `nvidia-smi -q` text dump in the report, with its node.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TextDumpRow {
    /// Node the file belongs to.
    pub node: String,
    /// File path relative to the artifacts root.
    pub path: String,
    /// What the dump holds.
    #[serde(flatten)]
    pub dump: NvidiaSmiText,
}

/// A DCGM diagnostic in the report, with its node.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DcgmRow {
    /// Node the file belongs to.
    pub node: String,
    /// File path relative to the artifacts root.
    pub path: String,
    /// The tests and results.
    #[serde(flatten)]
    pub diag: DcgmDiag,
}

/// Report section for these probes (`report.json` → `gpu_probes`). Empty
/// lists are left out, so a campaign without these probes shows `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuProbesReport {
    /// Per node, per CSV file, per GPU: statistics and a downsampled series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telemetry: Vec<TelemetryRow>,
    /// DCGM diagnostics per node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dcgm: Vec<DcgmRow>,
    /// `nvidia-smi -q` text dumps per node, with their GPU facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_dumps: Vec<TextDumpRow>,
    /// Harness steps that ran while a telemetry series of the same node was
    /// recording, with each GPU's mean readings during the step (node-local
    /// times; see `docs/scoring.md`). At most [`STEP_TELEMETRY_MAX_STEPS`]
    /// steps per node, in start order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepTelemetry>,
    /// Overlapping steps past the per-node cap, not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub steps_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Most steps per node listed in [`GpuProbesReport::steps`].
pub const STEP_TELEMETRY_MAX_STEPS: usize = 64;

/// GPU telemetry while one harness step ran.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StepTelemetry {
    /// Node the step ran on (and the telemetry was read on).
    pub node: String,
    /// Step (task) name.
    pub step: String,
    /// Start, node-local time as the harness printed it.
    pub started_at: String,
    /// End, as printed.
    pub ended_at: String,
    /// Length of the step's window, seconds.
    pub duration_s: f64,
    /// The LoadGen run this step ran, when linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// One row per GPU with readings during the step.
    pub gpus: Vec<StepGpuTelemetry>,
}

/// One GPU's telemetry during one step: the means of the timeline buckets
/// that overlap the step's window.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StepGpuTelemetry {
    /// `GPU <bus id>` (else its index, else the CSV row key).
    pub gpu: String,
    /// CSV files the readings come from (one GPU may be in several).
    pub paths: Vec<String>,
    /// Telemetry rows in the overlapping buckets.
    pub samples: u64,
    /// Where the overlap starts in the series: seconds after the GPU's
    /// first reading (`first_timestamp` of its series).
    pub series_from_s: f64,
    /// Where the overlap ends, seconds after the first reading.
    pub series_to_s: f64,
    /// Mean `utilization.gpu`, percent.
    pub utilization_pct: Option<f64>,
    /// Mean `memory.used`, MiB.
    pub memory_used_mib: Option<f64>,
    /// Mean power draw, W.
    pub power_draw_w: Option<f64>,
    /// Mean GPU temperature, °C.
    pub temperature_c: Option<f64>,
    /// Mean SM clock, MHz.
    pub sm_clock_mhz: Option<f64>,
    /// Plain words, with the numbers.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_the_two_pass_formulas() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut s = RunningStats::default();
        for x in xs {
            s.push(x);
        }
        s.push(f64::NAN);
        assert_eq!(s.count, 8);
        assert_eq!(s.mean, Some(5.0));
        assert_eq!(s.stddev, Some(2.0));
        assert_eq!((s.min, s.max), (Some(2.0), Some(9.0)));
    }

    #[test]
    fn timeline_memory_is_bounded_and_keeps_the_mean() {
        let mut t = TelemetryTimeline::default();
        for i in 0..100_000u32 {
            let v = f64::from(i % 100);
            t.add(f64::from(i) * 0.1, &[Some(v), None, None, None, None]);
        }
        assert!(t.buckets.len() <= TIMELINE_BUCKETS);
        assert!(t.buckets.len() > TIMELINE_BUCKETS / 2);
        let total: u64 = t.buckets.iter().map(|b| b.samples).sum();
        assert_eq!(total, 100_000);
        // Each full bucket covers many 10 s periods of the 0..99 ramp.
        for b in &t.buckets[..t.buckets.len() - 1] {
            let (mean, _) = b.metric(Metric::Utilization).unwrap();
            assert!((mean - 49.5).abs() < 5.0, "{b:?}");
        }
        let starts: Vec<f64> = t.buckets.iter().map(|b| b.start).collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn backwards_and_non_finite_offsets_land_in_the_first_bucket() {
        let mut t = TelemetryTimeline::default();
        t.add(-5.0, &[Some(1.0), None, None, None, None]);
        t.add(f64::NAN, &[Some(3.0), None, None, None, None]);
        assert_eq!(t.buckets.len(), 1);
        assert_eq!(t.buckets[0].utilization_pct, Some(2.0));
    }

    #[test]
    fn test_status_is_the_summary_or_the_worst_result() {
        let r = |s: &str| DcgmResult {
            entity_group: None,
            entity: None,
            status: s.into(),
            info: None,
            warnings: Vec::new(),
            evidence: Evidence::new("d.json", Some(1), ""),
        };
        let mut t = DcgmTest {
            results: vec![r("Pass"), r("Fail"), r("Skip")],
            ..DcgmTest::default()
        };
        assert_eq!(t.status(), "Fail");
        t.summary_status = Some("Warn".into());
        assert_eq!(t.status(), "Warn");
    }
}
