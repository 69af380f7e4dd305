//! Signals from `nvidia-smi -q -x` values: ECC, retirement, temperature,
//! throttling, power.

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// Raise GPU probe signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    for (node, data) in &c.nodes {
        for (path, dump) in &data.nvidia_smi {
            for g in &dump.gpus {
                let ev = |text: String| {
                    let mut e = g
                        .evidence
                        .clone()
                        .unwrap_or_else(|| Evidence::new(path.clone(), None, ""));
                    e.text = format!(
                        "GPU {} ({}): {text}",
                        g.index,
                        g.pci_bus_id.as_deref().unwrap_or("?")
                    );
                    e
                };
                let n = Some(node.as_str());
                let ue = g
                    .ecc_volatile_uncorrectable
                    .or(g.ecc_aggregate_uncorrectable)
                    .unwrap_or(0);
                if ue > s.ecc_uncorrectable_threshold {
                    cl.signal(
                        "gpu_ecc_uncorrectable",
                        n,
                        None,
                        ev(format!("{ue} uncorrectable ECC error(s)")),
                    );
                }
                let mut pend = Vec::new();
                if g.retired_pages_pending == Some(true) {
                    pend.push("page retirement pending");
                }
                if g.remapped_rows_pending == Some(true) {
                    pend.push("row remapping pending");
                }
                if !pend.is_empty() {
                    cl.signal("gpu_retirement_pending", n, None, ev(pend.join(", ")));
                }
                if g.remapping_failure == Some(true) {
                    cl.signal(
                        "gpu_row_remap_failure",
                        n,
                        None,
                        ev("remapped_rows/remapping_failure_occurred = Yes".into()),
                    );
                }
                if s.too_hot(g.temperature_c, g.temperature_slowdown_c) {
                    let t = g.temperature_c.unwrap_or_default();
                    let limit = match (g.temperature_slowdown_c, s.max_gpu_temperature_c) {
                        (Some(l), _) if t >= l => format!("slowdown {l:.0} C"),
                        (_, Some(l)) => format!("configured limit {l:.0} C"),
                        _ => "limit".to_string(),
                    };
                    cl.signal(
                        "gpu_temperature_slowdown",
                        n,
                        None,
                        ev(format!("{t:.0} C >= {limit}")),
                    );
                }
                let thermal: Vec<&String> = g
                    .throttle_reasons_active
                    .iter()
                    .filter(|r| s.counts_as_throttle(r))
                    .collect();
                if !thermal.is_empty() {
                    let names: Vec<&str> = thermal.iter().map(|r| r.as_str()).collect();
                    cl.signal(
                        "gpu_throttle_active",
                        n,
                        None,
                        ev(format!("active: {}", names.join(", "))),
                    );
                }
                if let (Some(p), Some(l)) = (g.power_draw_w, g.power_limit_w) {
                    if l > 0.0 && p >= l * s.power_capped_share {
                        cl.signal(
                            "gpu_power_capped",
                            n,
                            None,
                            ev(format!("power draw {p:.1} W of {l:.1} W limit")),
                        );
                    }
                }
            }
        }
    }
}
