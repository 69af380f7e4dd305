//! `nvidia-smi --query-gpu=… --format=csv[,nounits]`, snapshot or `-l`/`-lms`
//! telemetry series.
//!
//! The first line is the header: field names as listed by
//! `nvidia-smi --help-query-gpu`, each followed by its unit in brackets
//! unless `nounits` was given (`memory.used [MiB]`). Values have a leading
//! space, carry the unit (`631.95 W`, `100 %`) and are `[N/A]`,
//! `[Not Supported]` or `[Requested functionality has been deprecated]` when
//! the GPU has no reading.
//!
//! A telemetry series has many rows per GPU. Rows are matched to GPUs by
//! `pci.bus_id`, else `index`, else `uuid`, and folded as they are read into
//! per-GPU running statistics and a downsampled timeline
//! ([`crate::model::TelemetryTimeline`]), so memory does not grow with the number of
//! rows. Input reaches the `csv` crate through [`LineCap`], which cuts lines
//! longer than [`MAX_LINE`] (a real header of every field is about 6 KiB), so
//! one endless line cannot grow the record buffer either.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read};

use super::Parsed;
use super::lines::MAX_LINE;
use super::nvidia_smi_xml::is_no_value;
use crate::model::{
    Evidence, GpuCsv, GpuSeries, MAX_GPUS, ParseWarning, TelemetryTimeline, TimeAxis, cap_text,
};

/// `utilization.gpu` at or above this counts a row as "under load" (for
/// power-capping under load and for telling idle GPUs from busy ones).
pub const BUSY_UTIL_PCT: f64 = 50.0;

/// Most value and structure warnings reported per file; the rest are counted
/// in one closing warning.
const MAX_WARNINGS: usize = 20;

/// Most header columns kept by name; a real header of every field has 212.
const MAX_COLUMNS: usize = 1024;

/// Field names from `nvidia-smi --help-query-gpu` (driver 590.48.01, the
/// H100 capture in `fixtures/probes/nvidia-smi-text/`), each group being the
/// canonical name followed by its aliases.
const KNOWN_FIELDS: &[&[&str]] = &[
    &["timestamp"],
    &["driver_version"],
    &["vgpu_driver_capability.heterogenous_multivGPU"],
    &["count"],
    &["name", "gpu_name"],
    &["serial", "gpu_serial"],
    &["uuid", "gpu_uuid"],
    &["pci.bus_id", "gpu_bus_id"],
    &["pci.domain"],
    &["pci.bus"],
    &["pci.device"],
    &["pci.baseClass"],
    &["pci.subClass"],
    &["pci.device_id"],
    &["pci.sub_device_id"],
    &["vgpu_device_capability.fractional_multiVgpu"],
    &["vgpu_device_capability.heterogeneous_timeSlice_profile"],
    &["vgpu_device_capability.heterogeneous_timeSlice_sizes"],
    &["vgpu_device_capability.homogeneous_placements"],
    &["vgpu_device_capability.mig_timeSlicing"],
    &["vgpu_device_capability.mig_timeSlicing_mode"],
    &["pcie.link.gen.current"],
    &["pcie.link.gen.gpucurrent"],
    &["pcie.link.gen.max"],
    &["pcie.link.gen.gpumax"],
    &["pcie.link.gen.hostmax"],
    &["pcie.link.width.current"],
    &["pcie.link.width.max"],
    &["index"],
    &["display_mode"],
    &["display_attached"],
    &["display_active"],
    &["persistence_mode"],
    &["addressing_mode"],
    &["accounting.mode"],
    &["accounting.buffer_size"],
    &["driver_model.current"],
    &["driver_model.pending"],
    &["vbios_version"],
    &["inforom.img", "inforom.image"],
    &["inforom.oem"],
    &["inforom.ecc"],
    &["inforom.pwr", "inforom.power"],
    &["inforom.checksum_validation"],
    &["gpu_recovery_action"],
    &["gom.current", "gpu_operation_mode.current"],
    &["gom.pending", "gpu_operation_mode.pending"],
    &["fan.speed"],
    &["pstate"],
    &[
        "clocks_event_reasons.supported",
        "clocks_throttle_reasons.supported",
    ],
    &[
        "clocks_event_reasons.active",
        "clocks_throttle_reasons.active",
    ],
    &[
        "clocks_event_reasons.gpu_idle",
        "clocks_throttle_reasons.gpu_idle",
    ],
    &[
        "clocks_event_reasons.applications_clocks_setting",
        "clocks_throttle_reasons.applications_clocks_setting",
    ],
    &[
        "clocks_event_reasons.sw_power_cap",
        "clocks_throttle_reasons.sw_power_cap",
    ],
    &[
        "clocks_event_reasons.hw_slowdown",
        "clocks_throttle_reasons.hw_slowdown",
    ],
    &[
        "clocks_event_reasons.hw_thermal_slowdown",
        "clocks_throttle_reasons.hw_thermal_slowdown",
    ],
    &[
        "clocks_event_reasons.hw_power_brake_slowdown",
        "clocks_throttle_reasons.hw_power_brake_slowdown",
    ],
    &[
        "clocks_event_reasons.sw_thermal_slowdown",
        "clocks_throttle_reasons.sw_thermal_slowdown",
    ],
    &[
        "clocks_event_reasons.sync_boost",
        "clocks_throttle_reasons.sync_boost",
    ],
    &["clocks_event_reasons_counters.sw_power_cap"],
    &["clocks_event_reasons_counters.sync_boost"],
    &["clocks_event_reasons_counters.sw_thermal_slowdown"],
    &["clocks_event_reasons_counters.hw_thermal_slowdown"],
    &["clocks_event_reasons_counters.hw_power_brake_slowdown"],
    &["memory.total"],
    &["memory.reserved"],
    &["memory.used"],
    &["memory.free"],
    &["compute_mode"],
    &["compute_cap"],
    &["utilization.gpu"],
    &["utilization.memory"],
    &["utilization.encoder"],
    &["utilization.decoder"],
    &["utilization.jpeg"],
    &["utilization.ofa"],
    &["encoder.stats.sessionCount"],
    &["encoder.stats.averageFps"],
    &["encoder.stats.averageLatency"],
    &["dramEncryption.mode.current"],
    &["dramEncryption.mode.pending"],
    &["ecc.mode.current"],
    &["ecc.mode.pending"],
    &["ecc.errors.corrected.volatile.device_memory"],
    &["ecc.errors.corrected.volatile.dram"],
    &["ecc.errors.corrected.volatile.register_file"],
    &["ecc.errors.corrected.volatile.l1_cache"],
    &["ecc.errors.corrected.volatile.l2_cache"],
    &["ecc.errors.corrected.volatile.texture_memory"],
    &["ecc.errors.corrected.volatile.cbu"],
    &["ecc.errors.corrected.volatile.sram"],
    &["ecc.errors.corrected.volatile.total"],
    &["ecc.errors.corrected.aggregate.device_memory"],
    &["ecc.errors.corrected.aggregate.dram"],
    &["ecc.errors.corrected.aggregate.register_file"],
    &["ecc.errors.corrected.aggregate.l1_cache"],
    &["ecc.errors.corrected.aggregate.l2_cache"],
    &["ecc.errors.corrected.aggregate.texture_memory"],
    &["ecc.errors.corrected.aggregate.cbu"],
    &["ecc.errors.corrected.aggregate.sram"],
    &["ecc.errors.corrected.aggregate.total"],
    &["ecc.errors.uncorrected.volatile.device_memory"],
    &["ecc.errors.uncorrected.volatile.dram"],
    &["ecc.errors.uncorrected.volatile.register_file"],
    &["ecc.errors.uncorrected.volatile.l1_cache"],
    &["ecc.errors.uncorrected.volatile.l2_cache"],
    &["ecc.errors.uncorrected.volatile.texture_memory"],
    &["ecc.errors.uncorrected.volatile.cbu"],
    &["ecc.errors.uncorrected.volatile.sram"],
    &["ecc.errors.uncorrected.volatile.total"],
    &["ecc.errors.uncorrected.aggregate.device_memory"],
    &["ecc.errors.uncorrected.aggregate.dram"],
    &["ecc.errors.uncorrected.aggregate.register_file"],
    &["ecc.errors.uncorrected.aggregate.l1_cache"],
    &["ecc.errors.uncorrected.aggregate.l2_cache"],
    &["ecc.errors.uncorrected.aggregate.texture_memory"],
    &["ecc.errors.uncorrected.aggregate.cbu"],
    &["ecc.errors.uncorrected.aggregate.sram"],
    &["ecc.errors.uncorrected.aggregate.total"],
    &["ecc.errors.uncorrected.volatile.sram.parity"],
    &["ecc.errors.uncorrected.volatile.sram.secded"],
    &["ecc.errors.uncorrected.aggregate.sram.parity"],
    &["ecc.errors.uncorrected.aggregate.sram.secded"],
    &["ecc.errors.uncorrected.aggregate.sram.thresholdExceeded"],
    &["ecc.errors.uncorrected.aggregate.sram.l2"],
    &["ecc.errors.uncorrected.aggregate.sram.sm"],
    &["ecc.errors.uncorrected.aggregate.sram.mcu"],
    &["ecc.errors.uncorrected.aggregate.sram.pcie"],
    &["ecc.errors.uncorrected.aggregate.sram.other"],
    &["retired_pages.single_bit_ecc.count", "retired_pages.sbe"],
    &["retired_pages.double_bit.count", "retired_pages.dbe"],
    &["retired_pages.pending"],
    &["remapped_rows.correctable", "remapped_rows.sbe"],
    &["remapped_rows.uncorrectable", "remapped_rows.dbe"],
    &["remapped_rows.pending"],
    &["remapped_rows.failure"],
    &["remapped_rows.histogram.max"],
    &["remapped_rows.histogram.high"],
    &["remapped_rows.histogram.partial"],
    &["remapped_rows.histogram.low"],
    &["remapped_rows.histogram.none"],
    &["temperature.gpu"],
    &["temperature.gpu.tlimit"],
    &["temperature.memory"],
    &["power.management"],
    &["power.draw"],
    &["power.draw.average", "gpu.power.draw.average"],
    &["power.draw.instant", "gpu.power.draw.instant"],
    &["power.limit", "gpu.power.requested_limit"],
    &["enforced.power.limit", "gpu.power.current_limit"],
    &["power.default_limit", "gpu.power.default_limit"],
    &["power.min_limit", "gpu.power.min_limit"],
    &["power.max_limit", "gpu.power.max_limit"],
    &["module.power.draw.average"],
    &["module.power.draw.instant"],
    &["module.power.limit", "module.power.requested_limit"],
    &["module.enforced.power.limit", "module.power.current_limit"],
    &["module.power.default_limit"],
    &["module.power.min_limit"],
    &["module.power.max_limit"],
    &["power_smoothing.delayed_power_smoothing_supported"],
    &["power_smoothing.primary_power_floor"],
    &["power_smoothing.secondary_power_floor"],
    &["power_smoothing.min_primary_floor_activation_offset"],
    &["power_smoothing.min_primary_floor_activation_point"],
    &["power_smoothing.window_multiplier"],
    &["power_smoothing.curr_profile.secondary_power_floor"],
    &["power_smoothing.curr_profile.primary_floor_act_window_multiplier"],
    &["power_smoothing.curr_profile.primary_floor_tar_window_multiplier"],
    &["power_smoothing.curr_profile.primary_floor_act_offset"],
    &["power_smoothing.admin_override.secondary_power_floor"],
    &["power_smoothing.admin_override.primary_floor_act_window_multiplier"],
    &["power_smoothing.admin_override.primary_floor_tar_window_multiplier"],
    &["power_smoothing.admin_override.primary_floor_act_offset"],
    &["edpp_multiplier"],
    &["clocks.current.graphics", "clocks.gr"],
    &["clocks.current.sm", "clocks.sm"],
    &["clocks.current.memory", "clocks.mem"],
    &["clocks.current.video", "clocks.video"],
    &["clocks.applications.graphics", "clocks.applications.gr"],
    &["clocks.applications.memory", "clocks.applications.mem"],
    &[
        "clocks.default_applications.graphics",
        "clocks.default_applications.gr",
    ],
    &[
        "clocks.default_applications.memory",
        "clocks.default_applications.mem",
    ],
    &["clocks.max.graphics", "clocks.max.gr"],
    &["clocks.max.sm", "clocks.max.sm"],
    &["clocks.max.memory", "clocks.max.mem"],
    &["mig.mode.current"],
    &["mig.mode.pending"],
    &["gsp.mode.current"],
    &["gsp.mode.default"],
    &["c2c.mode"],
    &["protected_memory.total"],
    &["protected_memory.used"],
    &["protected_memory.free"],
    &["fabric.state"],
    &["fabric.status"],
    &["fabric.cliqueId"],
    &["fabric.clusterUuid"],
    &["fabric.health.summary"],
    &["fabric.health.bandwidth"],
    &["fabric.health.route_recovery_in_progress"],
    &["fabric.health.route_unhealthy"],
    &["fabric.health.access_timeout_recovery"],
    &["fabric.health.incorrect_configuration"],
    &["platform.chassis_serial_number"],
    &["platform.slot_number"],
    &["platform.tray_index"],
    &["platform.host_id"],
    &["platform.peer_type"],
    &["platform.module_id"],
    &["platform.gpu_fabric_guid"],
    &["hostname"],
];

/// Clock event reason bits of `clocks_event_reasons.active` (values from
/// aznhc's constants, health-signals.md §d.6), with the XML element name and
/// whether the reason means heat or a hardware fault.
const REASON_BITS: [(u64, &str, bool); 9] = [
    (0x1, "gpu_idle", false),
    (0x2, "applications_clocks_setting", false),
    (0x4, "sw_power_cap", false),
    (0x8, "hw_slowdown", true),
    (0x10, "sync_boost", false),
    (0x20, "sw_thermal_slowdown", true),
    (0x40, "hw_thermal_slowdown", true),
    (0x80, "hw_power_brake_slowdown", true),
    (0x100, "display_clock_setting", false),
];

/// The canonical field name for a header name (units stripped), when
/// `nvidia-smi --help-query-gpu` lists it or one of its aliases.
pub fn canonical_field(name: &str) -> Option<&'static str> {
    KNOWN_FIELDS
        .iter()
        .find(|group| group.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|group| group.first().copied())
}

/// `memory.used [MiB]` → (`memory.used`, `Some("MiB")`).
fn split_header_field(raw: &str) -> (&str, Option<&str>) {
    let raw = raw.trim();
    if let Some(open) = raw.rfind(" [") {
        if let Some(unit) = raw.get(open + 2..).and_then(|u| u.strip_suffix(']')) {
            return (raw.get(..open).unwrap_or(raw).trim_end(), Some(unit));
        }
    }
    (raw, None)
}

/// A name shaped like a query field (`foo.bar_baz`), for fields newer than
/// the list above.
fn looks_like_field(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

/// True when the head of a file is a `--query-gpu` CSV: its first non-empty
/// line is a header of comma-separated query fields (with or without units),
/// all known, or at least four in five known when there are five or more
/// (drivers add fields). A header cut by the end of the head loses its last,
/// possibly partial, field. `noheader` output cannot be recognised.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let rest = head.get(start..).unwrap_or_default();
    let (line, complete) = match memchr::memchr(b'\n', rest) {
        Some(i) => (rest.get(..i).unwrap_or_default(), true),
        None => (rest, false),
    };
    let line = match std::str::from_utf8(line) {
        Ok(s) => s,
        // A head can end inside a multi-byte character; the valid part is
        // still a header.
        Err(e) if !complete => {
            std::str::from_utf8(line.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default()
        }
        Err(_) => return false,
    };
    let mut fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
    if !complete {
        fields.pop();
    }
    let (mut known, mut unknown, mut units) = (0usize, 0usize, 0usize);
    for f in &fields {
        let (name, unit) = split_header_field(f);
        units += usize::from(unit.is_some());
        if canonical_field(name).is_some() {
            known += 1;
        } else if looks_like_field(name) {
            unknown += 1;
        } else {
            return false;
        }
    }
    let enough = fields.len() >= 2 || units > 0;
    enough && known > 0 && (unknown == 0 || (fields.len() >= 5 && unknown * 5 <= fields.len()))
}

/// Column positions of the fields this parser reads.
#[derive(Debug, Default)]
struct Cols {
    timestamp: Option<usize>,
    index: Option<usize>,
    uuid: Option<usize>,
    bus_id: Option<usize>,
    name: Option<usize>,
    driver: Option<usize>,
    mem_total: Option<usize>,
    mem_used: Option<usize>,
    util: Option<usize>,
    power: Option<usize>,
    power_limit: Option<usize>,
    temp: Option<usize>,
    tlimit: Option<usize>,
    sm_clock: Option<usize>,
    active_mask: Option<usize>,
    ecc_volatile: Option<usize>,
    ecc_aggregate: Option<usize>,
    retired_pending: Option<usize>,
    retired_dbe: Option<usize>,
    remap_pending: Option<usize>,
    remap_failure: Option<usize>,
    /// `clocks_event_reasons.<reason>` columns (`Active`/`Not Active`).
    reasons: Vec<(usize, &'static str, bool)>,
}

/// The header as read: names and where each field of interest sits.
#[derive(Debug)]
struct Header {
    /// Field names as printed (units stripped).
    names: Vec<String>,
    cols: Cols,
}

impl Header {
    fn build(names: Vec<String>) -> Header {
        let canon: Vec<Option<&'static str>> = names.iter().map(|n| canonical_field(n)).collect();
        let find = |field: &str| canon.iter().position(|c| *c == Some(field));
        let first = |fields: &[&str]| fields.iter().find_map(|f| find(f));
        let mut cols = Cols {
            timestamp: find("timestamp"),
            index: find("index"),
            uuid: find("uuid"),
            bus_id: find("pci.bus_id"),
            name: find("name"),
            driver: find("driver_version"),
            mem_total: find("memory.total"),
            mem_used: find("memory.used"),
            util: find("utilization.gpu"),
            power: first(&["power.draw", "power.draw.average", "power.draw.instant"]),
            power_limit: first(&["enforced.power.limit", "power.limit"]),
            temp: find("temperature.gpu"),
            tlimit: find("temperature.gpu.tlimit"),
            sm_clock: find("clocks.current.sm"),
            active_mask: find("clocks_event_reasons.active"),
            ecc_volatile: find("ecc.errors.uncorrected.volatile.total"),
            ecc_aggregate: find("ecc.errors.uncorrected.aggregate.total"),
            retired_pending: find("retired_pages.pending"),
            retired_dbe: find("retired_pages.double_bit.count"),
            remap_pending: find("remapped_rows.pending"),
            remap_failure: find("remapped_rows.failure"),
            reasons: Vec::new(),
        };
        for (bit_name, thermal) in REASON_BITS.iter().map(|(_, n, t)| (*n, *t)) {
            if let Some(i) = find(&format!("clocks_event_reasons.{bit_name}")) {
                cols.reasons.push((i, bit_name, thermal));
            }
        }
        Header { names, cols }
    }
}

/// Per-GPU parser state that does not belong in the model.
#[derive(Debug, Default)]
struct Track {
    first_ts: Option<i64>,
    last_offset: f64,
}

struct State<'a> {
    path: &'a str,
    out: GpuCsv,
    by_key: BTreeMap<String, usize>,
    tracks: Vec<Track>,
    warnings: Vec<ParseWarning>,
    suppressed: u64,
    warned_columns: std::collections::BTreeSet<usize>,
    warned_timestamp: bool,
    invalid_utf8: u64,
    first_invalid_utf8: Option<u64>,
}

/// One data row, decoded lazily field by field.
struct Row<'r> {
    rec: &'r csv::ByteRecord,
    line: u64,
}

impl State<'_> {
    fn warn(&mut self, line: Option<u64>, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings
                .push(ParseWarning::new(self.path, line, message));
        } else {
            self.suppressed += 1;
        }
    }

    /// The field at `col`, trimmed, lossily decoded; `None` when absent.
    fn text(&mut self, row: &Row<'_>, col: Option<usize>) -> Option<String> {
        let raw = row.rec.get(col?)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Some(s.trim().to_string()),
            Err(_) => {
                self.invalid_utf8 += 1;
                self.first_invalid_utf8.get_or_insert(row.line);
                Some(String::from_utf8_lossy(raw).trim().to_string())
            }
        }
    }

    /// The field at `col` when it holds a reading (not `[N/A]` and the like).
    fn value(&mut self, row: &Row<'_>, col: Option<usize>) -> Option<String> {
        self.text(row, col).filter(|v| !is_unavailable(v))
    }

    /// A number with an optional unit (`631.95 W`, `100 %`, `59`); an
    /// unreadable value is reported once per column.
    fn number(&mut self, row: &Row<'_>, col: Option<usize>) -> Option<f64> {
        let v = self.value(row, col)?;
        let parsed = v
            .split_whitespace()
            .next()
            .map(|t| t.trim_end_matches('%'))
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|x| x.is_finite());
        if parsed.is_none() {
            self.bad_value(row.line, col, &v, "a number");
        }
        parsed
    }

    fn count(&mut self, row: &Row<'_>, col: Option<usize>) -> Option<u64> {
        let v = self.value(row, col)?;
        let parsed = v.parse::<u64>().ok();
        if parsed.is_none() {
            self.bad_value(row.line, col, &v, "a count");
        }
        parsed
    }

    /// `Yes`/`No` (or a count, where non-zero means yes).
    fn flag(&mut self, row: &Row<'_>, col: Option<usize>) -> Option<bool> {
        let v = self.value(row, col)?;
        let parsed = match v.to_ascii_lowercase().as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            n => n.parse::<u64>().ok().map(|n| n > 0),
        };
        if parsed.is_none() {
            self.bad_value(row.line, col, &v, "Yes or No");
        }
        parsed
    }

    fn bad_value(&mut self, line: u64, col: Option<usize>, value: &str, what: &str) {
        let Some(col) = col else { return };
        if self.warned_columns.insert(col) {
            let name = self.out.columns.get(col).cloned().unwrap_or_default();
            self.warn(
                Some(line),
                format!(
                    "column `{name}`: value `{}` is not {what}; ignored (further bad values in this column are not listed)",
                    cap_text(value, 80)
                ),
            );
        }
    }

    /// Read the header line; `None` when it is not a `--query-gpu` header.
    fn header(&mut self, row: &Row<'_>) -> Option<Header> {
        let mut names = Vec::new();
        let mut unknown = Vec::new();
        let mut units = false;
        for i in 0..row.rec.len().min(MAX_COLUMNS) {
            let raw = self.text(row, Some(i)).unwrap_or_default();
            let (name, unit) = split_header_field(&raw);
            units |= unit.is_some();
            if canonical_field(name).is_none() {
                unknown.push(name.to_string());
            }
            names.push(name.to_string());
        }
        if names.len() == unknown.len() {
            let shown: Vec<String> = names
                .iter()
                .take(3)
                .map(|n| format!("`{}`", cap_text(n, 40)))
                .collect();
            self.warn(
                Some(row.line),
                format!(
                    "first line is not a --query-gpu header: none of its fields ({}{}) is listed by `nvidia-smi --help-query-gpu` (written with `noheader`, or not nvidia-smi output); nothing read",
                    shown.join(", "),
                    if names.len() > 3 { ", …" } else { "" }
                ),
            );
            return None;
        }
        if !unknown.is_empty() {
            let shown: Vec<String> = unknown
                .iter()
                .take(5)
                .map(|n| format!("`{}`", cap_text(n, 60)))
                .collect();
            self.warn(
                Some(row.line),
                format!(
                    "{} header field(s) not listed by `nvidia-smi --help-query-gpu` (kept by name, not interpreted): {}{}",
                    unknown.len(),
                    shown.join(", "),
                    if unknown.len() > 5 { ", …" } else { "" }
                ),
            );
        }
        if row.rec.len() > MAX_COLUMNS {
            self.warn(
                Some(row.line),
                format!(
                    "header has {} fields; only the first {MAX_COLUMNS} are read",
                    row.rec.len()
                ),
            );
        }
        self.out.columns = names.clone();
        self.out.units_in_header = units;
        let header = Header::build(names);
        if header.cols.bus_id.is_none() && header.cols.index.is_none() && header.cols.uuid.is_none()
        {
            self.warn(
                Some(row.line),
                "no `pci.bus_id`, `index` or `uuid` column: every row is taken as the same GPU"
                    .into(),
            );
        }
        Some(header)
    }

    fn row(&mut self, h: &Header, row: &Row<'_>) {
        if row.rec.len() != h.names.len() {
            if self.is_repeated_header(h, row) {
                return;
            }
            self.out.rows += 1;
            self.out.ragged_rows += 1;
            let first = self.text(row, Some(0)).unwrap_or_default();
            self.warn(
                Some(row.line),
                format!(
                    "row has {} field(s) but the header has {}; row skipped (starts `{}`)",
                    row.rec.len(),
                    h.names.len(),
                    cap_text(&first, 80)
                ),
            );
            return;
        }
        if self.is_repeated_header(h, row) {
            return;
        }
        self.out.rows += 1;
        let c = &h.cols;
        let key = [
            (c.bus_id, "pci.bus_id"),
            (c.index, "index"),
            (c.uuid, "uuid"),
        ]
        .into_iter()
        .find_map(|(col, name)| Some(format!("{name}={}", self.value(row, col)?)))
        .unwrap_or_else(|| "(no id)".to_string());
        let Some(gi) = self.gpu_slot(&key, h, row.line) else {
            return;
        };
        let ts_text = self.value(row, c.timestamp);
        let ts = ts_text.as_deref().and_then(timestamp_us);
        let identity = [
            self.value(row, c.index),
            self.value(row, c.uuid),
            self.value(row, c.bus_id),
            self.value(row, c.name),
            self.value(row, c.driver),
        ];
        let mem_total = self.number(row, c.mem_total);
        let power_limit = self.number(row, c.power_limit);
        let values = [
            self.number(row, c.util),
            self.number(row, c.mem_used),
            self.number(row, c.power),
            self.number(row, c.temp),
            self.number(row, c.sm_clock),
        ];
        let tlimit = self.number(row, c.tlimit);
        let reasons = self.reasons(h, row);
        let ecc = match self.count(row, c.ecc_volatile) {
            Some(n) => Some(n),
            None => self.count(row, c.ecc_aggregate),
        };
        let dbe = self.count(row, c.retired_dbe);
        let retired_pending = self.flag(row, c.retired_pending);
        let remap_pending = self.flag(row, c.remap_pending);
        let remap_failure = self.flag(row, c.remap_failure);
        if c.timestamp.is_some() && ts.is_none() && !self.warned_timestamp {
            self.warned_timestamp = true;
            self.warn(
                Some(row.line),
                format!(
                    "timestamp `{}` is not `YYYY/MM/DD HH:MM:SS.mmm`; such rows are placed at the previous row's time",
                    cap_text(ts_text.as_deref().unwrap_or(""), 60)
                ),
            );
        }

        let path = self.path;
        let line = row.line;
        let (Some(g), Some(track)) = (self.out.gpus.get_mut(gi), self.tracks.get_mut(gi)) else {
            return;
        };
        let ev = |what: String| {
            let when = ts_text
                .as_deref()
                .map(|t| format!("{t} "))
                .unwrap_or_default();
            Evidence::new(path, Some(line), &format!("{when}{}: {what}", g_key(&key)))
        };
        let [index, uuid, bus, name, driver] = identity;
        if g.index.is_none() {
            g.index = index.and_then(|i| i.parse().ok());
        }
        g.uuid = g.uuid.take().or(uuid);
        g.pci_bus_id = g.pci_bus_id.take().or(bus);
        g.name = g.name.take().or(name);
        g.driver_version = g.driver_version.take().or(driver);
        g.memory_total_mib = mem_total.or(g.memory_total_mib);
        g.power_limit_w = power_limit.or(g.power_limit_w);

        let offset = match (c.timestamp, ts) {
            (None, _) => g.samples as f64,
            (Some(_), Some(t)) => {
                let first = *track.first_ts.get_or_insert(t);
                t.saturating_sub(first) as f64 / 1e6
            }
            (Some(_), None) => track.last_offset,
        };
        track.last_offset = offset;
        if let Some(t) = &ts_text {
            if g.first_timestamp.is_none() {
                g.first_timestamp = Some(t.clone());
            }
            g.last_timestamp = Some(t.clone());
        }
        if ts.is_some() {
            g.duration_s = Some(g.duration_s.unwrap_or(0.0).max(offset));
        }
        if g.evidence.is_none() {
            g.evidence = Some(ev("first row".into()));
        }
        if let Some(t) = values[3] {
            if g.temperature_c.max.is_none_or(|m| t > m) {
                g.facts.insert(
                    "peak_temperature".into(),
                    ev(format!("temperature.gpu {t} C")),
                );
            }
        }
        g.add_sample(offset, values);
        if let Some(t) = tlimit {
            g.temperature_tlimit_c.push(t);
        }
        let busy = values[0].is_some_and(|u| u >= BUSY_UTIL_PCT);
        g.busy_samples += u64::from(busy);
        let active: Vec<&(&str, bool)> = reasons.iter().filter(|(n, _)| *n != "gpu_idle").collect();
        for (n, _) in &active {
            g.throttle_reasons_seen.insert((*n).to_string());
        }
        let thermal: Vec<&str> = active.iter().filter(|(_, t)| *t).map(|(n, _)| *n).collect();
        if !thermal.is_empty() {
            g.thermal_throttle_samples += 1;
            if !g.facts.contains_key("thermal_throttle") {
                g.facts.insert(
                    "thermal_throttle".into(),
                    ev(format!(
                        "clock event reasons active: {}",
                        thermal.join(", ")
                    )),
                );
            }
        }
        if busy && active.iter().any(|(n, _)| *n == "sw_power_cap") {
            g.power_capped_busy_samples += 1;
            if !g.facts.contains_key("power_capped") {
                g.facts.insert(
                    "power_capped".into(),
                    ev(format!(
                        "sw_power_cap active at utilization.gpu {} %",
                        values[0].unwrap_or_default()
                    )),
                );
            }
        }
        if let Some(n) = ecc {
            g.ecc_uncorrectable_max = Some(g.ecc_uncorrectable_max.unwrap_or(0).max(n));
            if n > 0 && !g.facts.contains_key("ecc_uncorrectable") {
                g.facts.insert(
                    "ecc_uncorrectable".into(),
                    ev(format!("{n} uncorrectable ECC error(s)")),
                );
            }
        }
        if let Some(n) = dbe {
            g.retired_pages_dbe_max = Some(g.retired_pages_dbe_max.unwrap_or(0).max(n));
            if n > 0 && !g.facts.contains_key("retired_pages_dbe") {
                g.facts.insert(
                    "retired_pages_dbe".into(),
                    ev(format!("retired_pages.double_bit.count {n}")),
                );
            }
        }
        for (flag, slot, fact, label) in [
            (
                retired_pending,
                &mut g.retired_pages_pending,
                "retired_pages_pending",
                "retired_pages.pending",
            ),
            (
                remap_pending,
                &mut g.remapped_rows_pending,
                "remapped_rows_pending",
                "remapped_rows.pending",
            ),
            (
                remap_failure,
                &mut g.remapping_failure,
                "remapping_failure",
                "remapped_rows.failure",
            ),
        ] {
            if let Some(f) = flag {
                *slot = Some(slot.unwrap_or(false) || f);
                if f && !g.facts.contains_key(fact) {
                    g.facts.insert(fact.into(), ev(format!("{label} Yes")));
                }
            }
        }
    }

    /// `-l` output may print the header again; such a row is skipped.
    fn is_repeated_header(&mut self, h: &Header, row: &Row<'_>) -> bool {
        let first = self.text(row, Some(0)).unwrap_or_default();
        let (name, _) = split_header_field(&first);
        h.names.first().is_some_and(|n| n == name) && canonical_field(name).is_some()
    }

    /// The GPU slot for `key`, creating it when there is room.
    fn gpu_slot(&mut self, key: &str, h: &Header, line: u64) -> Option<usize> {
        if let Some(i) = self.by_key.get(key) {
            return Some(*i);
        }
        if self.out.gpus.len() >= MAX_GPUS {
            self.out.dropped_rows += 1;
            if self.out.dropped_rows == 1 {
                self.warn(
                    Some(line),
                    format!("more than {MAX_GPUS} GPUs in one file; rows of further GPUs are counted, not read"),
                );
            }
            return None;
        }
        let i = self.out.gpus.len();
        self.out.gpus.push(GpuSeries {
            key: key.to_string(),
            timeline: TelemetryTimeline {
                axis: if h.cols.timestamp.is_some() {
                    TimeAxis::Seconds
                } else {
                    TimeAxis::Samples
                },
                ..TelemetryTimeline::default()
            },
            ..GpuSeries::default()
        });
        self.tracks.push(Track::default());
        self.by_key.insert(key.to_string(), i);
        Some(i)
    }

    /// Active clock event reasons of a row: from the bitmask when it is
    /// there and readable, else from the per-reason columns.
    fn reasons(&mut self, h: &Header, row: &Row<'_>) -> Vec<(&'static str, bool)> {
        if let Some(mask) = self.value(row, h.cols.active_mask) {
            let hex = mask.trim_start_matches("0x").trim_start_matches("0X");
            match u64::from_str_radix(hex, 16) {
                Ok(bits) => {
                    return REASON_BITS
                        .iter()
                        .filter(|(b, _, _)| bits & b != 0)
                        .map(|(_, n, t)| (*n, *t))
                        .collect();
                }
                Err(_) => self.bad_value(row.line, h.cols.active_mask, &mask, "a hex bitmask"),
            }
        }
        let mut out = Vec::new();
        for (col, name, thermal) in h.cols.reasons.clone() {
            if self
                .value(row, Some(col))
                .is_some_and(|v| v.eq_ignore_ascii_case("Active"))
            {
                out.push((name, thermal));
            }
        }
        out
    }
}

/// The GPU key as shown in evidence (`pci.bus_id=00000000:3B:00.0` →
/// `GPU 00000000:3B:00.0`).
fn g_key(key: &str) -> String {
    match key.split_once('=') {
        Some(("index", v)) => format!("GPU {v}"),
        Some((_, v)) => format!("GPU {v}"),
        None => "GPU".to_string(),
    }
}

/// `[N/A]`, `[Not Supported]`, `[…deprecated]` and other placeholders.
fn is_unavailable(v: &str) -> bool {
    let v = v.trim();
    v.is_empty() || v.starts_with('[') || is_no_value(v)
}

/// `2026/07/14 08:12:38.696` → seconds since the epoch (local time as
/// printed; only differences are used).
pub fn parse_timestamp(s: &str) -> Option<f64> {
    timestamp_us(s).map(|us| us as f64 / 1e6)
}

/// The same in whole microseconds, so offsets between rows are exact.
fn timestamp_us(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once(' ')?;
    if date.matches('/').count() != 2 {
        return None;
    }
    let iso = format!("{} {}", date.replace('/', "-"), time.trim());
    super::ansible::parse_timestamp_us(&iso)
}

/// Parse a CSV with fixed memory (statistics, not rows).
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<GpuCsv> {
    let mut st = State {
        path,
        out: GpuCsv::default(),
        by_key: BTreeMap::new(),
        tracks: Vec::new(),
        warnings: Vec::new(),
        suppressed: 0,
        warned_columns: Default::default(),
        warned_timestamp: false,
        invalid_utf8: 0,
        first_invalid_utf8: None,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quoting(false)
        .trim(csv::Trim::All)
        .from_reader(LineCap::new(reader));
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<Header> = None;
    let mut saw_header_line = false;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                st.warn(line, format!("read failed, rest of file skipped: {e}"));
                break;
            }
        }
        // Blank lines come through as one empty field; nvidia-smi never
        // writes them, so they carry nothing.
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue;
        }
        let row = Row {
            line: rec.position().map_or(0, |p| p.line()),
            rec: &rec,
        };
        match &header {
            Some(h) => st.row(h, &row),
            None => {
                saw_header_line = true;
                header = st.header(&row);
                if header.is_none() {
                    break;
                }
            }
        }
    }
    let cap = rdr.into_inner();
    if cap.cut_lines > 0 {
        st.warnings.push(ParseWarning::new(
            path,
            cap.first_cut,
            format!(
                "{} line(s) longer than {} KiB were cut to that length",
                cap.cut_lines,
                MAX_LINE / 1024
            ),
        ));
    }
    if let Some(first) = st.first_invalid_utf8 {
        st.warnings.push(ParseWarning::new(
            path,
            Some(first),
            format!(
                "{} field(s) are not valid UTF-8; invalid bytes were replaced with U+FFFD",
                st.invalid_utf8
            ),
        ));
    }
    if !saw_header_line {
        st.warnings
            .push(ParseWarning::new(path, None, "empty file: no header line"));
    } else if header.is_some() && st.out.rows == 0 {
        st.warnings
            .push(ParseWarning::new(path, None, "header only: no data rows"));
    }
    if st.suppressed > 0 {
        st.warnings.push(ParseWarning::new(
            path,
            None,
            format!("{} further warning(s) not listed", st.suppressed),
        ));
    }
    st.out.telemetry = st.out.gpus.iter().any(|g| g.samples > 1);
    Parsed {
        value: st.out,
        warnings: st.warnings,
    }
}

/// Passes bytes through to the CSV reader but keeps at most [`MAX_LINE`]
/// bytes of any line, dropping the rest up to its newline, so the reader's
/// record buffer stays bounded whatever the input.
struct LineCap<R> {
    inner: R,
    line_len: usize,
    skipping: bool,
    line: u64,
    cut_lines: u64,
    first_cut: Option<u64>,
}

impl<R> LineCap<R> {
    fn new(inner: R) -> Self {
        LineCap {
            inner,
            line_len: 0,
            skipping: false,
            line: 1,
            cut_lines: 0,
            first_cut: None,
        }
    }
}

impl<R: BufRead> Read for LineCap<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(0);
            }
            let nl = memchr::memchr(b'\n', buf);
            if self.skipping {
                match nl {
                    Some(i) => {
                        self.inner.consume(i);
                        self.skipping = false;
                    }
                    None => {
                        let n = buf.len();
                        self.inner.consume(n);
                    }
                }
                continue;
            }
            let content = nl.unwrap_or(buf.len());
            let room = MAX_LINE.saturating_sub(self.line_len);
            if content > room {
                // Hand out what fits, then drop the rest of the line.
                if room == 0 {
                    self.skipping = true;
                    self.cut_lines += 1;
                    self.first_cut.get_or_insert(self.line);
                    continue;
                }
            }
            let take = if content <= room && nl.is_some() {
                content + 1
            } else {
                content.min(room)
            };
            let n = take.min(out.len());
            let (Some(src), Some(dst)) = (buf.get(..n), out.get_mut(..n)) else {
                return Ok(0);
            };
            dst.copy_from_slice(src);
            if nl.is_some() && n == content + 1 {
                self.line_len = 0;
                self.line += 1;
            } else {
                self.line_len += n;
            }
            self.inner.consume(n);
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Parsed<GpuCsv> {
        parse("t.csv", io::Cursor::new(input.as_bytes().to_vec()))
    }

    #[test]
    fn sniff_accepts_headers_with_and_without_units() {
        assert!(sniff(
            b"index, temperature.gpu, utilization.gpu [%]\n0, 40, 3 %\n"
        ));
        assert!(sniff(b"timestamp, index, power.draw\n"));
        assert!(sniff(b"\xef\xbb\xbfname, pci.bus_id\n"));
        // A head cut inside the header keeps only whole fields.
        assert!(sniff(b"timestamp, index, power.dr"));
        assert!(!sniff(b"temperature.gpu\n40\n"));
        assert!(!sniff(b"==============NVSMI LOG==============\n"));
        assert!(!sniff(b"{\"a\": 1}\n"));
        assert!(!sniff(b"hello, world\n"));
        assert!(!sniff(b"0, 40, 3\n"));
        assert!(!sniff(b""));
    }

    #[test]
    fn aliases_and_units_resolve() {
        assert_eq!(canonical_field("clocks.sm"), Some("clocks.current.sm"));
        assert_eq!(canonical_field("gpu_bus_id"), Some("pci.bus_id"));
        assert_eq!(
            canonical_field("clocks_throttle_reasons.active"),
            Some("clocks_event_reasons.active")
        );
        assert_eq!(
            split_header_field(" memory.used [MiB]"),
            ("memory.used", Some("MiB"))
        );
        assert_eq!(split_header_field("index"), ("index", None));
    }

    #[test]
    fn a_series_folds_into_statistics_per_gpu() {
        let mut s = String::from(
            "timestamp, index, utilization.gpu [%], temperature.gpu, clocks_event_reasons.active\n",
        );
        for i in 0..1000u32 {
            let (mm, ss) = (i / 60, i % 60);
            for gpu in 0..2 {
                let temp = 40 + (i % 40) + gpu * 20;
                let mask = if temp >= 95 {
                    "0x0000000000000040"
                } else {
                    "0x0000000000000000"
                };
                s.push_str(&format!(
                    "2026/07/14 08:{mm:02}:{ss:02}.000, {gpu}, {} %, {temp}, {mask}\n",
                    i % 101
                ));
            }
        }
        let p = run(&s);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let v = p.value;
        assert!(v.telemetry);
        assert_eq!(v.rows, 2000);
        assert_eq!(v.gpus.len(), 2);
        let g1 = &v.gpus[1];
        assert_eq!(g1.key, "index=1");
        assert_eq!(g1.samples, 1000);
        assert_eq!(g1.temperature_c.max, Some(99.0));
        assert_eq!(g1.duration_s, Some(999.0));
        assert!(g1.timeline.buckets.len() <= crate::model::TIMELINE_BUCKETS);
        assert!(g1.thermal_throttle_samples > 0);
        assert_eq!(
            g1.throttle_reasons_seen.iter().collect::<Vec<_>>(),
            ["hw_thermal_slowdown"]
        );
        assert!(g1.facts.contains_key("thermal_throttle"));
        assert_eq!(v.gpus[0].thermal_throttle_samples, 0);
    }

    #[test]
    fn placeholders_are_not_readings_and_ragged_rows_warn() {
        let p = run(
            "index, power.draw [W], memory.used [MiB]\n0, [N/A], 5 MiB\n0, 7\n0, 20.5 W, [Not Supported]\n",
        );
        let g = &p.value.gpus[0];
        assert_eq!(g.samples, 2);
        assert_eq!(g.power_draw_w.count, 1);
        assert_eq!(g.memory_used_mib.count, 1);
        assert_eq!(p.value.ragged_rows, 1);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(3));
        assert!(p.warnings[0].message.contains("2 field(s)"));
    }

    #[test]
    fn unknown_header_fields_are_named_once() {
        let p = run("index, temperature.gpu, fan.rpm, gpu.magic\n0, 40, 1, 2\n");
        assert_eq!(p.value.gpus[0].temperature_c.max, Some(40.0));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(
            p.warnings[0].message,
            "2 header field(s) not listed by `nvidia-smi --help-query-gpu` (kept by name, not interpreted): `fan.rpm`, `gpu.magic`"
        );
    }

    #[test]
    fn noheader_output_is_refused_with_a_warning() {
        let p = run("0, 40, 3 %\n");
        assert!(p.value.gpus.is_empty());
        assert_eq!(p.warnings[0].line, Some(1));
        assert!(p.warnings[0].message.contains("noheader"));
    }

    #[test]
    fn long_lines_are_cut_not_buffered() {
        let mut s = String::from("index, name\n0, ");
        s.push_str(&"x".repeat(MAX_LINE * 3));
        s.push_str("\n1, ok\n");
        let p = run(&s);
        assert_eq!(p.value.gpus.len(), 2);
        let name = p.value.gpus[0].name.as_deref().unwrap_or_default();
        assert!(name.len() < MAX_LINE);
        assert!(p.warnings.iter().any(|w| w.message.contains("longer than")));
    }

    #[test]
    fn timestamps_parse() {
        let a = parse_timestamp("2026/07/14 08:12:38.696").unwrap();
        let b = parse_timestamp("2026/07/14 08:12:53.353").unwrap();
        assert!((b - a - 14.657).abs() < 1e-6);
        assert_eq!(parse_timestamp("14/07/2026"), None);
        assert_eq!(parse_timestamp("2026-07-14 08:12:38"), None);
    }
}
