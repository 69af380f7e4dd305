//! What each parser produces from one file.
//!
//! These are bounded aggregates: a parser may read a gigabyte, but what it
//! hands on is a few kilobytes (counts, statistics, capped example lists).
//! Log lines themselves are not kept here; they stream through a
//! [`crate::parse::LineSink`] while the file is read.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::source::Evidence;

/// Most messages of one kind (errors, warnings…) kept per file; the count
/// beside the list keeps the true total.
pub const MESSAGES_KEPT: usize = 20;

/// A list that keeps the first `MESSAGES_KEPT` items and counts the rest.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Capped<T> {
    /// The first items seen, in input order.
    pub items: Vec<T>,
    /// How many were seen in all, kept or not.
    pub total: u64,
}

impl<T> Default for Capped<T> {
    fn default() -> Self {
        Capped {
            items: Vec::new(),
            total: 0,
        }
    }
}

impl<T> Capped<T> {
    /// Count `item`, and keep it while there is room.
    pub fn push(&mut self, item: T) {
        self.total += 1;
        if self.items.len() < MESSAGES_KEPT {
            self.items.push(item);
        }
    }

    /// True when items were counted but not kept.
    pub fn truncated(&self) -> bool {
        self.total > self.items.len() as u64
    }
}

/// LoadGen scenario. "Interactive" is not a LoadGen scenario (it is Server
/// with tighter latency bounds); it appears only in submission paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum Scenario {
    /// One query of one sample at a time.
    SingleStream,
    /// One query of N samples at a time.
    MultiStream,
    /// Poisson arrivals at a target QPS.
    Server,
    /// Everything at once.
    Offline,
    /// Server with interactive latency bounds (from the submission path only).
    Interactive,
}

impl Scenario {
    /// Parse the names LoadGen and submission trees use, old and new
    /// (`Single Stream`, `SingleStream`, `Offline`, …).
    pub fn parse(s: &str) -> Option<Scenario> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "singlestream" => Scenario::SingleStream,
            "multistream" => Scenario::MultiStream,
            "server" => Scenario::Server,
            "offline" => Scenario::Offline,
            "interactive" => Scenario::Interactive,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::SingleStream => "SingleStream",
            Scenario::MultiStream => "MultiStream",
            Scenario::Server => "Server",
            Scenario::Offline => "Offline",
            Scenario::Interactive => "Interactive",
        }
    }
}

/// Latency statistics in nanoseconds, as LoadGen prints them. Any field may be
/// missing (scenario- and version-dependent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencyStats {
    /// Minimum.
    pub min: Option<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// 50th percentile.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 97th percentile.
    pub p97: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

impl LatencyStats {
    /// True when no statistic was found.
    pub fn is_empty(&self) -> bool {
        self == &LatencyStats::default()
    }
}

/// `mlperf_log_summary.txt`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadGenSummary {
    /// `SUT name : …`
    pub sut_name: Option<String>,
    /// `Scenario : …`
    pub scenario: Option<Scenario>,
    /// `Mode     : …` as printed (`PerformanceOnly`, `AccuracyOnly`, …).
    pub mode: Option<String>,
    /// `Result is : VALID|INVALID`; `None` when the file has no result block
    /// (AccuracyOnly runs print only the trailer).
    pub valid: Option<bool>,
    /// Where `Result is` was printed, for evidence.
    pub result_evidence: Option<Evidence>,
    /// `Performance constraints satisfied` (Server only).
    pub perf_constraints_met: Option<bool>,
    /// `Min duration satisfied`.
    pub min_duration_met: Option<bool>,
    /// `Min queries satisfied`.
    pub min_queries_met: Option<bool>,
    /// `Early stopping satisfied`.
    pub early_stopping_met: Option<bool>,
    /// Each `Recommendations:` bullet, with its line.
    pub recommendations: Vec<Evidence>,
    /// Early-stopping bullet lines (all three variants: plain, TTFT, TPOT).
    pub early_stopping: Vec<Evidence>,
    /// Offline `Samples per second`, Server `Completed samples per second`,
    /// or for SingleStream/MultiStream the `QPS w/o loadgen overhead`.
    pub samples_per_second: Option<f64>,
    /// `Tokens per second` / `Completed tokens per second` (token runs).
    pub tokens_per_second: Option<f64>,
    /// Server `Scheduled samples per second`.
    pub scheduled_samples_per_second: Option<f64>,
    /// The headline latency percentile line for SingleStream/MultiStream:
    /// (percentile, ns).
    pub headline_latency: Option<(f64, f64)>,
    /// Per-sample (or per-query for MultiStream) latency block.
    pub latency_ns: LatencyStats,
    /// First-token latency block (token runs).
    pub ttft_ns: LatencyStats,
    /// Time-per-output-token block (token runs; both label generations).
    pub tpot_ns: LatencyStats,
    /// `Test Parameters Used`, verbatim keys (`target_qps`, `ttft_latency (ns)`…).
    pub settings: BTreeMap<String, String>,
    /// Trailer warning count (`No warnings` → 0).
    pub warnings_count: Option<u64>,
    /// Trailer error count (`No errors` → 0).
    pub errors_count: Option<u64>,
}

/// One `:::MLLOG` record of interest from the detail log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailMessage {
    /// 1-based line in the detail log.
    pub line: u64,
    /// The MLLOG key (`error_invalid_config`, `warning_generic_message`, …).
    pub key: String,
    /// The value rendered as text (capped).
    pub text: String,
}

/// `mlperf_log_detail.txt`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadGenDetail {
    /// `loadgen_version` value.
    pub loadgen_version: Option<String>,
    /// `effective_scenario`.
    pub scenario: Option<Scenario>,
    /// `effective_test_mode`.
    pub mode: Option<String>,
    /// `requested_*` settings, key without the prefix → value as text.
    pub requested_settings: BTreeMap<String, String>,
    /// `effective_*` settings, key without the prefix → value as text.
    pub effective_settings: BTreeMap<String, String>,
    /// `result_*` keys and other result-level values (`result_validity`,
    /// `result_samples_per_second`, `early_stopping_met`…) → value as text.
    pub results: BTreeMap<String, String>,
    /// Records whose `metadata.is_error` is true, or whose key starts with
    /// `error`.
    pub errors: Capped<DetailMessage>,
    /// Records whose `metadata.is_warning` is true, or whose key starts with
    /// `warning`.
    pub warnings: Capped<DetailMessage>,
    /// Wall time between the first and the last record (`time_ms`), seconds.
    pub duration_s: Option<f64>,
    /// Number of `:::MLLOG` records read.
    pub records: u64,
    /// Lines that looked like records but did not parse.
    pub malformed_lines: u64,
}

/// How a harness step ended on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Ran and succeeded.
    Ok,
    /// Ran and failed (non-zero exit or `failed: true`).
    Failed,
    /// Killed by a timeout.
    TimedOut,
    /// The host could not be reached.
    Unreachable,
    /// Not run on this host (condition false).
    Skipped,
}

impl Outcome {
    /// The name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed_out",
            Outcome::Unreachable => "unreachable",
            Outcome::Skipped => "skipped",
        }
    }

    /// How bad an outcome is, for picking the worst of several results
    /// (loop items, or one step seen twice on a node).
    pub fn rank(self) -> u8 {
        match self {
            Outcome::Skipped => 0,
            Outcome::Ok => 1,
            Outcome::Failed => 2,
            Outcome::TimedOut => 3,
            Outcome::Unreachable => 4,
        }
    }

    /// True for outcomes that count against reliability.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::TimedOut | Outcome::Unreachable
        )
    }
}

/// One task on one host, from a harness record (Ansible, and later
/// Kubernetes or generic run records).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    /// Task name.
    pub name: String,
    /// Host / node name.
    pub node: String,
    /// Play name, where the harness has plays.
    pub group: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// `rc`, where reported.
    pub exit_code: Option<i64>,
    /// Wall time in seconds (`delta`, or `end - start`).
    pub duration_s: Option<f64>,
    /// Killed by a timeout (Ansible task timeout, exit 124, …).
    pub timed_out: bool,
    /// Start time as printed by the harness.
    pub started_at: Option<String>,
    /// End time as printed by the harness.
    pub ended_at: Option<String>,
    /// The harness's one-line message (`msg`), capped.
    pub message: Option<String>,
    /// Where this result sits in the harness file.
    pub evidence: Evidence,
}

/// A harness record file (Ansible JSON callback output), parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HarnessRun {
    /// Which harness wrote it (`ansible`).
    pub harness: String,
    /// Play names in order.
    pub plays: Vec<String>,
    /// Every task × host result, in file order.
    pub steps: Vec<StepResult>,
    /// Host names seen (results and stats), sorted.
    pub hosts: Vec<String>,
}

/// Which output stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// A harness message field (`msg`).
    Message,
    /// A structured log (LoadGen detail, kernel log…).
    Log,
}

/// A step's `stdout.log` / `stderr.log`: counted here, classified line by line
/// through the sink while it is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepLog {
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines cut because they exceeded the line-length cap.
    pub long_lines: u64,
}

/// One GPU from `nvidia-smi -q -x`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuProbe {
    /// Order in the dump (0-based), which is nvidia-smi's own `-i` index.
    pub index: u32,
    /// `minor_number` (the `/dev/nvidiaN` number), where present; it can
    /// differ from `index`.
    pub minor_number: Option<u32>,
    /// `product_name`.
    pub name: Option<String>,
    /// `uuid`.
    pub uuid: Option<String>,
    /// `<gpu id="…">` / `pci/pci_bus_id`.
    pub pci_bus_id: Option<String>,
    /// `fb_memory_usage/total`, MiB.
    pub memory_total_mib: Option<f64>,
    /// `fb_memory_usage/used`, MiB.
    pub memory_used_mib: Option<f64>,
    /// `utilization/gpu_util`, percent.
    pub utilization_pct: Option<f64>,
    /// `temperature/gpu_temp`, °C.
    pub temperature_c: Option<f64>,
    /// `temperature/gpu_temp_slow_threshold`, °C.
    pub temperature_slowdown_c: Option<f64>,
    /// `temperature/gpu_temp_max_threshold` (shutdown), °C.
    pub temperature_shutdown_c: Option<f64>,
    /// `power_draw` (v8 `power_readings`, v12+ `gpu_power_readings`), W.
    pub power_draw_w: Option<f64>,
    /// Enforced or current power limit, W.
    pub power_limit_w: Option<f64>,
    /// `clocks/sm_clock`, MHz.
    pub sm_clock_mhz: Option<f64>,
    /// `max_clocks/sm_clock`, MHz.
    pub sm_clock_max_mhz: Option<f64>,
    /// `ecc_mode/current` (`Enabled`/`Disabled`).
    pub ecc_mode: Option<String>,
    /// Volatile uncorrectable (double-bit) ECC errors, summed over units.
    pub ecc_volatile_uncorrectable: Option<u64>,
    /// Aggregate uncorrectable ECC errors, summed over units.
    pub ecc_aggregate_uncorrectable: Option<u64>,
    /// Volatile correctable (single-bit) ECC errors.
    pub ecc_volatile_correctable: Option<u64>,
    /// Retired pages (single + double bit), where reported.
    pub retired_pages: Option<u64>,
    /// Retired pages pending a reboot (`Yes`).
    pub retired_pages_pending: Option<bool>,
    /// `remapped_rows/uncorrectable`.
    pub remapped_rows_uncorrectable: Option<u64>,
    /// `remapped_rows/pending` (`Yes`).
    pub remapped_rows_pending: Option<bool>,
    /// `remapped_rows/remapping_failure_occurred` (`Yes`).
    pub remapping_failure: Option<bool>,
    /// Clock event / throttle reasons that are `Active`, by element name
    /// (`hw_slowdown`, `sw_thermal_slowdown`, …), sorted.
    pub throttle_reasons_active: Vec<String>,
    /// Where the `<gpu>` element starts.
    pub evidence: Option<Evidence>,
}

/// `nvidia-smi -q -x`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NvidiaSmiDump {
    /// `driver_version`.
    pub driver_version: Option<String>,
    /// `cuda_version` (absent in old schemas).
    pub cuda_version: Option<String>,
    /// `timestamp` as printed.
    pub timestamp: Option<String>,
    /// `attached_gpus`.
    pub attached_gpus: Option<u32>,
    /// Every `<gpu>` element, in file order.
    pub gpus: Vec<GpuProbe>,
    /// Where `driver_version` was read, for evidence.
    pub driver_evidence: Option<Evidence>,
    /// Where `cuda_version` was read, for evidence.
    pub cuda_evidence: Option<Evidence>,
}
