//! Software-stack dumps: `collect_env`, `pip list`/`pip freeze`, `nvcc
//! --version`, `uname -a`, `/etc/os-release`, `lscpu`, `/proc/meminfo`.

use schemars::JsonSchema;
use serde::Serialize;

/// One software dump, whatever command produced it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SoftwareDump {}

/// Report section for software dumps (`report.json` → `software_inventory`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct SoftwareReport {}
