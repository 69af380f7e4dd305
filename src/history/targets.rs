//! Health targets from the `--config` TOML, and progress toward them.
//!
//! ```toml
//! [[target]]
//! component = "reliability"     # a component id, or "overall"
//! min_score = 85
//! by = "2026-12-31"             # optional deadline (UTC date)
//!
//! [[target]]
//! metric = "samples_per_second" # or tokens_per_second, latency_p99_ms,
//! node = "node-a"               #    ttft_p99_ms, tpot_p99_ms, failed_steps,
//! scenario = "Offline"          #    findings, overall
//! min = 700                     # or max = …
//! ```
//!
//! Run metrics are the mean over the report's runs that match the optional
//! `node`, `scenario` and `mode` filters. Other tables of the file (`[[rule]]`,
//! `[impact]`) are ignored here; they belong to the rule loader.

use serde::Deserialize;

use super::compare::RUN_METRICS;
use super::load::{ArchivedRun, PastReport, epoch_to_date, rfc3339_to_epoch};

/// One target as written in the config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Optional display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Component id (`reliability`) or `overall`.
    #[serde(default)]
    pub component: Option<String>,
    /// Metric id (see the module docs).
    #[serde(default)]
    pub metric: Option<String>,
    /// Minimum score (components).
    #[serde(default)]
    pub min_score: Option<f64>,
    /// Minimum value.
    #[serde(default)]
    pub min: Option<f64>,
    /// Maximum value.
    #[serde(default)]
    pub max: Option<f64>,
    /// Deadline, `YYYY-MM-DD`.
    #[serde(default)]
    pub by: Option<String>,
    /// Run filter: node.
    #[serde(default)]
    pub node: Option<String>,
    /// Run filter: scenario.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Run filter: mode.
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TargetFile {
    #[serde(default)]
    target: Vec<Target>,
}

/// Read the `[[target]]` entries of each config file, in order.
pub fn load_targets(configs: &[std::path::PathBuf]) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for path in configs {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config `{}`: {e}", path.display()))?;
        let file: TargetFile =
            toml::from_str(&text).map_err(|e| format!("config `{}`: {e}", path.display()))?;
        for t in file.target {
            t.validate()
                .map_err(|e| format!("config `{}`: target: {e}", path.display()))?;
            out.push(t);
        }
    }
    Ok(out)
}

const SCALAR_METRICS: [&str; 3] = ["overall", "failed_steps", "findings"];

impl Target {
    fn validate(&self) -> Result<(), String> {
        match (&self.component, &self.metric) {
            (Some(_), Some(_)) | (None, None) => {
                return Err("needs exactly one of `component` or `metric`".into());
            }
            (None, Some(m))
                if !SCALAR_METRICS.contains(&m.as_str())
                    && !RUN_METRICS.iter().any(|r| r.id == m) =>
            {
                let mut known: Vec<&str> = SCALAR_METRICS.to_vec();
                known.extend(RUN_METRICS.iter().map(|r| r.id));
                return Err(format!(
                    "unknown metric `{m}` (known: {})",
                    known.join(", ")
                ));
            }
            _ => {}
        }
        if self.bound().is_none() {
            return Err("needs `min_score`, `min` or `max`".into());
        }
        if let Some(by) = &self.by {
            if rfc3339_to_epoch(&format!("{by}T23:59:59Z")).is_none() {
                return Err(format!("`by = \"{by}\"` is not a YYYY-MM-DD date"));
            }
        }
        Ok(())
    }

    /// (threshold, higher is better).
    fn bound(&self) -> Option<(f64, bool)> {
        self.min_score
            .or(self.min)
            .map(|v| (v, true))
            .or(self.max.map(|v| (v, false)))
    }

    /// `reliability ≥ 85 by 2026-12-31`.
    pub fn describe(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let mut what = match (&self.component, &self.metric) {
            (Some(c), _) if c == "overall" => "overall score".to_string(),
            (Some(c), _) => format!("{c} score"),
            (_, Some(m)) => m.clone(),
            _ => String::new(),
        };
        let filters: Vec<String> = [&self.node, &self.scenario, &self.mode]
            .iter()
            .filter_map(|f| f.as_ref().cloned())
            .collect();
        if !filters.is_empty() {
            what.push_str(&format!(" ({})", filters.join(", ")));
        }
        if let Some((v, higher)) = self.bound() {
            what.push_str(&format!(
                " {} {}",
                if higher { "≥" } else { "≤" },
                super::compare::trim(v)
            ));
        }
        if let Some(by) = &self.by {
            what.push_str(&format!(" by {by}"));
        }
        what
    }

    /// The target's value in one report, if it has one.
    pub fn value(&self, r: &PastReport) -> Option<f64> {
        if let Some(c) = &self.component {
            return if c == "overall" {
                r.overall.score
            } else {
                r.component_score(c)
            };
        }
        let m = self.metric.as_deref()?;
        match m {
            "overall" => r.overall.score,
            "failed_steps" => Some(r.failed_steps() as f64),
            "findings" => Some(r.findings.len() as f64),
            _ => {
                let rm = RUN_METRICS.iter().find(|x| x.id == m)?;
                let matches = |want: &Option<String>, have: &Option<String>| {
                    want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
                };
                let vals: Vec<f64> = r
                    .runs
                    .iter()
                    .filter(|run| {
                        matches(&self.node, &run.node)
                            && matches(&self.scenario, &run.scenario)
                            && matches(&self.mode, &run.mode)
                    })
                    .filter_map(|run| (rm.get)(run))
                    .filter(|v| v.is_finite())
                    .collect();
                super::stats::mean(&vals)
            }
        }
    }
}

/// Progress toward one target.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Progress {
    /// The target in words.
    pub target: String,
    /// Latest value, formatted (`—` when no run has it).
    pub latest: String,
    /// Date (or folder) of the run the latest value comes from.
    pub latest_from: String,
    /// Distance to the target, formatted (`0` when met).
    pub gap: String,
    /// `met`, `on track`, `off track`, `missed`, `not met`, `no data`.
    pub status: String,
    /// CSS tone.
    pub tone: String,
    /// How the status was decided.
    pub note: String,
}

/// Most recent runs used for the projection.
const PROJECTION_RUNS: usize = 5;

/// Progress toward `t` given `runs` newest first. Dates come from the
/// reports (`generated_at`), never from the clock, so the page is
/// reproducible: a deadline counts as passed once the latest report is
/// dated after it.
pub fn progress(t: &Target, runs: &[ArchivedRun]) -> Progress {
    let Some((bound, higher)) = t.bound() else {
        return no_data(t);
    };
    let valued: Vec<(&ArchivedRun, f64)> = runs
        .iter()
        .filter_map(|r| t.value(&r.report).map(|v| (r, v)))
        .collect();
    let Some(&(latest_run, latest)) = valued.first() else {
        return no_data(t);
    };
    let meets = |v: f64| if higher { v >= bound } else { v <= bound };
    let gap = if meets(latest) { 0.0 } else { bound - latest };
    let latest_from = latest_run
        .time
        .map(epoch_to_date)
        .unwrap_or_else(|| latest_run.folder.clone());
    let deadline =
        t.by.as_ref()
            .and_then(|d| rfc3339_to_epoch(&format!("{d}T23:59:59Z")));
    let passed = matches!((deadline, latest_run.time), (Some(dl), Some(now)) if now > dl);
    let (status, tone, note) = if meets(latest) {
        (
            "met",
            "good",
            "the latest value meets the target".to_string(),
        )
    } else if passed {
        (
            "missed",
            "crit",
            "the latest report is dated after the deadline".to_string(),
        )
    } else if let Some(dl) = deadline {
        let pts: Vec<(f64, f64)> = valued
            .iter()
            .take(PROJECTION_RUNS)
            .filter_map(|(r, v)| r.time.map(|t| (t as f64, *v)))
            .collect();
        // Scores cannot leave 0–100, whatever the line says.
        let projected = project(&pts, dl as f64).map(|p| {
            if self_is_score(t) {
                p.clamp(0.0, 100.0)
            } else {
                p
            }
        });
        match projected {
            Some(p) if meets(p) => (
                "on track",
                "good",
                format!(
                    "a linear fit of the last {} dated runs reaches {} by the deadline",
                    pts.len(),
                    super::compare::trim((p * 10.0).round() / 10.0)
                ),
            ),
            Some(p) => (
                "off track",
                "bad",
                format!(
                    "a linear fit of the last {} dated runs reaches only {} by the deadline",
                    pts.len(),
                    super::compare::trim((p * 10.0).round() / 10.0)
                ),
            ),
            None => (
                "not met",
                "warn",
                "fewer than two dated runs: no trend to project".to_string(),
            ),
        }
    } else {
        ("not met", "warn", "no deadline set".to_string())
    };
    Progress {
        target: t.describe(),
        latest: super::compare::trim((latest * 100.0).round() / 100.0),
        latest_from,
        gap: fmt_gap(gap),
        status: status.into(),
        tone: tone.into(),
        note,
    }
}

/// `+10`, `−3`, `+146.07`, `0`.
fn fmt_gap(gap: f64) -> String {
    let mag = super::compare::trim((gap.abs() * 100.0).round() / 100.0);
    if mag == "0" {
        mag
    } else if gap < 0.0 {
        format!("−{mag}")
    } else {
        format!("+{mag}")
    }
}

fn self_is_score(t: &Target) -> bool {
    t.component.is_some() || t.metric.as_deref() == Some("overall")
}

fn no_data(t: &Target) -> Progress {
    Progress {
        target: t.describe(),
        latest: "—".into(),
        latest_from: "—".into(),
        gap: "—".into(),
        status: "no data".into(),
        tone: "na".into(),
        note: "no report in the archive has this value".into(),
    }
}

/// Least-squares line through `pts` (x = seconds), evaluated at `at`.
fn project(pts: &[(f64, f64)], at: f64) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let v = my + sxy / sxx * (at - mx);
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Target>, String> {
        let f: TargetFile = toml::from_str(s).map_err(|e| e.to_string())?;
        for t in &f.target {
            t.validate()?;
        }
        Ok(f.target)
    }

    #[test]
    fn targets_parse_and_validate() {
        let ok = parse(
            "[[rule]]\nid='x'\n[[target]]\ncomponent='reliability'\nmin_score=85\nby='2026-12-31'\n",
        );
        let Ok(ok) = ok else { panic!("{ok:?}") };
        assert_eq!(ok[0].describe(), "reliability score ≥ 85 by 2026-12-31");
        for bad in [
            "[[target]]\nmin=1\n",
            "[[target]]\nmetric='nope'\nmin=1\n",
            "[[target]]\ncomponent='x'\n",
            "[[target]]\ncomponent='x'\nmin=1\nby='soon'\n",
            "[[target]]\ncomponent='x'\nmin=1\ntypo=2\n",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn projection_is_a_least_squares_line() {
        let p = project(&[(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)], 4.0);
        assert_eq!(p, Some(5.0));
        assert_eq!(project(&[(1.0, 1.0)], 2.0), None);
        assert_eq!(project(&[(1.0, 1.0), (1.0, 2.0)], 2.0), None);
    }
}
