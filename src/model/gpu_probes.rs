//! GPU probes beyond `nvidia-smi -q -x`: `--query-gpu` CSV snapshots and
//! telemetry series, plain `nvidia-smi -q` text (including page retirement),
//! and DCGM diagnostics.

use schemars::JsonSchema;
use serde::Serialize;

/// `nvidia-smi --query-gpu=… --format=csv` (one snapshot, or a telemetry
/// series when rows repeat per GPU with timestamps).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GpuCsv {}

/// Plain `nvidia-smi -q` text output (any `-d` subset, e.g. PAGE_RETIREMENT).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NvidiaSmiText {}

/// `dcgmi diag -j` output (DCGM 3.x and 4.x layouts).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DcgmDiag {}

/// Report section for these probes (`report.json` → `gpu_probes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuProbesReport {}
