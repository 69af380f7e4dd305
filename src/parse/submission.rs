//! MLPerf submission trees: metadata files and what a path says (format
//! notes, §4.1).
//!
//! A run folder's path is read from the right, anchored on the scenario
//! folder followed by a run kind (`performance/run_1`, `accuracy`,
//! `TEST06/accuracy`, …), so the same rule works whether the root is the
//! repository (`closed/AMD/results/<system>/…`), `results/`, or one
//! system's folder — and a campaign folder that merely happens to be
//! called `offline` is not mistaken for a scenario.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::Parsed;
use crate::model::{
    Measurements, ParseWarning, Scenario, SubmissionMeta, SubmissionPath, SystemDescription,
    cap_text,
};

/// Largest metadata file read. Real ones are about 2 KB; the cap bounds
/// memory on anything else that got these names.
const MAX_META_BYTES: u64 = 1024 * 1024;

/// Longest field value kept, in bytes.
const FIELD_MAX: usize = 300;

/// The `measurements.json` fields the submission checker requires.
const MEASUREMENT_FIELDS: [&str; 5] = [
    "input_data_types",
    "retraining",
    "starting_weights_filename",
    "weight_data_types",
    "weight_transformations",
];

/// What a run folder's path says (`closed/<org>/results/<system>/<benchmark>/<scenario>/performance/run_1`).
pub fn path_info(rel_dir: &str) -> Option<SubmissionPath> {
    let parts: Vec<&str> = rel_dir.split('/').filter(|p| !p.is_empty()).collect();
    for s in (1..parts.len()).rev() {
        let (Some(dir), Some(rest)) = (parts.get(s), parts.get(s + 1..)) else {
            continue;
        };
        let Some(scenario) = Scenario::parse(dir) else {
            continue;
        };
        let Some((kind, mode, run)) = run_kind(rest) else {
            continue;
        };
        let mut info = context(&parts, s, scenario);
        info.kind = Some(kind);
        info.mode = mode;
        info.run = run;
        return Some(info);
    }
    None
}

/// What a scenario folder's path says (where `user.conf`,
/// `measurements.json` and `README.md` sit): its last component must be a
/// scenario, written as LoadGen writes it (`Offline`, not `offline`) unless a
/// `results/`, `compliance/` or `measurements/` folder anchors the path.
pub fn scope(rel_dir: &str) -> Option<SubmissionPath> {
    let parts: Vec<&str> = rel_dir.split('/').filter(|p| !p.is_empty()).collect();
    let s = parts.len().checked_sub(1).filter(|s| *s >= 1)?;
    let dir = parts.get(s)?;
    let scenario = Scenario::parse(dir)?;
    let anchored = s >= 3 && parts.get(s - 3).is_some_and(|a| is_anchor(a));
    if !anchored && scenario.as_str() != *dir {
        return None;
    }
    Some(context(&parts, s, scenario))
}

fn is_anchor(part: &str) -> bool {
    matches!(part, "results" | "compliance" | "measurements")
}

/// Division, org, system and benchmark around the scenario at `s`.
fn context(parts: &[&str], s: usize, scenario: Scenario) -> SubmissionPath {
    let at = |i: Option<usize>| i.and_then(|i| parts.get(i)).map(|p| p.to_string());
    let anchored = s
        .checked_sub(3)
        .and_then(|i| parts.get(i))
        .is_some_and(|a| is_anchor(a));
    let (org, division) = if anchored {
        let division =
            at(s.checked_sub(5)).filter(|d| matches!(d.as_str(), "closed" | "open" | "network"));
        (at(s.checked_sub(4)), division)
    } else {
        (None, None)
    };
    SubmissionPath {
        division,
        org,
        system: at(s.checked_sub(2)),
        benchmark: at(s.checked_sub(1)).unwrap_or_default(),
        scenario: Some(scenario),
        scenario_dir: at(Some(s)).unwrap_or_default(),
        kind: None,
        mode: None,
        run: None,
    }
}

/// `performance[/run_N]`, `accuracy`, `TEST0N[/performance[/run_N]|/accuracy]`.
#[allow(
    clippy::type_complexity,
    reason = "a private helper; the tuple is destructured at its one call site"
)]
fn run_kind(rest: &[&str]) -> Option<(String, Option<String>, Option<String>)> {
    let lower: Vec<String> = rest.iter().map(|p| p.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let run = |r: &str| is_run(r).then(|| r.to_string());
    match l.as_slice() {
        ["performance"] => Some(("performance".into(), None, None)),
        ["performance", r] => Some(("performance".into(), None, Some(run(r)?))),
        ["accuracy"] => Some(("accuracy".into(), None, None)),
        [t] if is_test(t) => Some((t.to_ascii_uppercase(), None, None)),
        [t, m @ ("performance" | "accuracy")] if is_test(t) => {
            Some((t.to_ascii_uppercase(), Some(m.to_string()), None))
        }
        [t, "performance", r] if is_test(t) => Some((
            t.to_ascii_uppercase(),
            Some("performance".into()),
            Some(run(r)?),
        )),
        _ => None,
    }
}

fn is_test(p: &str) -> bool {
    p.strip_prefix("test")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_run(p: &str) -> bool {
    matches!(p, "ranging" | "power")
        || p.strip_prefix("run_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parse `systems/<system>.json` or `measurements.json`.
pub fn parse<R: BufRead>(path: &str, reader: R) -> Parsed<SubmissionMeta> {
    let mut warnings = Vec::new();
    let mut limited = reader.take(MAX_META_BYTES + 1);
    let parsed: Result<Value, serde_json::Error> = serde_json::from_reader(&mut limited);
    let over = limited.limit() == 0;
    let map = match parsed {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            warnings.push(ParseWarning::new(
                path,
                Some(1),
                format!(
                    "expected a JSON object of submission metadata, found {}",
                    kind_name(&other)
                ),
            ));
            return Parsed {
                value: SubmissionMeta::default(),
                warnings,
            };
        }
        Err(e) => {
            let why = if over {
                format!(
                    "file is larger than {} KiB; not read",
                    MAX_META_BYTES / 1024
                )
            } else {
                format!("not valid JSON: {e}")
            };
            let line = (e.line() > 0).then_some(e.line() as u64);
            warnings.push(ParseWarning::new(path, line, why));
            return Parsed {
                value: SubmissionMeta::default(),
                warnings,
            };
        }
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_systems = path.rsplit('/').nth(1) == Some("systems");
    let is_measurements = name == "measurements.json"
        || (!in_systems && MEASUREMENT_FIELDS.iter().any(|k| map.contains_key(*k)));
    let mut out = SubmissionMeta {
        keys: map.len() as u64,
        ..SubmissionMeta::default()
    };
    if is_measurements {
        let m = measurements(&map);
        if !m.missing.is_empty() {
            warnings.push(ParseWarning::new(
                path,
                None,
                format!(
                    "measurements.json lacks required field(s): {}",
                    m.missing.join(", ")
                ),
            ));
        }
        out.measurements = Some(m);
    } else {
        out.system = Some(system(&map));
        if !map.contains_key("accelerator_model_name") && !map.contains_key("system_name") {
            warnings.push(ParseWarning::new(
                path,
                None,
                "no `system_name` or `accelerator_model_name`: not a system description",
            ));
        }
    }
    Parsed {
        value: out,
        warnings,
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field as text: strings trimmed (empty → none), numbers and booleans
/// as written.
fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(cap_text(s.trim(), FIELD_MAX)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A count given as a number or a numeric string (`8`, `"64"`).
fn count(map: &Map<String, Value>, key: &str) -> Option<u64> {
    match map.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn system(map: &Map<String, Value>) -> SystemDescription {
    SystemDescription {
        system_name: text(map, "system_name"),
        submitter: text(map, "submitter"),
        division: text(map, "division"),
        status: text(map, "status"),
        system_type: text(map, "system_type"),
        number_of_nodes: count(map, "number_of_nodes"),
        accelerator_model_name: text(map, "accelerator_model_name"),
        accelerators_per_node: count(map, "accelerators_per_node"),
        accelerator_memory_capacity: text(map, "accelerator_memory_capacity"),
        host_processor_model_name: text(map, "host_processor_model_name"),
        host_processors_per_node: count(map, "host_processors_per_node"),
        host_processor_core_count: count(map, "host_processor_core_count"),
        host_memory_capacity: text(map, "host_memory_capacity"),
        framework: text(map, "framework"),
        operating_system: text(map, "operating_system"),
        other_software_stack: text(map, "other_software_stack"),
    }
}

fn measurements(map: &Map<String, Value>) -> Measurements {
    Measurements {
        input_data_types: text(map, "input_data_types"),
        retraining: text(map, "retraining"),
        starting_weights_filename: text(map, "starting_weights_filename"),
        weight_data_types: text(map, "weight_data_types"),
        weight_transformations: text(map, "weight_transformations"),
        missing: MEASUREMENT_FIELDS
            .iter()
            .filter(|k| !map.contains_key(**k))
            .map(|k| k.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_repository_path() {
        assert_eq!(
            path_info("closed/AMD/results/8xMI300X/llama2-70b-99/Interactive/performance/run_1"),
            Some(SubmissionPath {
                division: Some("closed".into()),
                org: Some("AMD".into()),
                system: Some("8xMI300X".into()),
                benchmark: "llama2-70b-99".into(),
                scenario: Some(Scenario::Interactive),
                scenario_dir: "Interactive".into(),
                kind: Some("performance".into()),
                mode: None,
                run: Some("run_1".into()),
            })
        );
    }

    #[test]
    fn rooted_at_results_or_at_the_system() {
        let i = path_info("8xMI300X/llama2-70b-99/Offline/accuracy").unwrap();
        assert_eq!(i.system.as_deref(), Some("8xMI300X"));
        assert_eq!((i.division, i.org), (None, None));
        assert_eq!(i.kind.as_deref(), Some("accuracy"));
        let i = path_info("llama2-70b-99/Server/performance/run_1").unwrap();
        assert_eq!(i.system, None);
        assert_eq!(i.benchmark, "llama2-70b-99");
        assert_eq!(i.scenario, Some(Scenario::Server));
    }

    #[test]
    fn compliance_tests_and_lowercase_open_scenarios() {
        let i = path_info("sys/sdxl/Offline/TEST01/performance/run_1").unwrap();
        assert_eq!(
            (i.kind.as_deref(), i.mode.as_deref(), i.run.as_deref()),
            (Some("TEST01"), Some("performance"), Some("run_1"))
        );
        let i = path_info("open/Krai/compliance/xd670/llama/server/TEST06/accuracy").unwrap();
        assert_eq!(i.scenario, Some(Scenario::Server));
        assert_eq!(i.scenario_dir, "server");
        assert_eq!(i.org.as_deref(), Some("Krai"));
        assert_eq!(i.division.as_deref(), Some("open"));
        assert_eq!(i.kind.as_deref(), Some("TEST06"));
        let i = path_info("sys/sdxl/Server/TEST04").unwrap();
        assert_eq!(i.kind.as_deref(), Some("TEST04"));
    }

    #[test]
    fn campaign_folders_are_not_submissions() {
        assert_eq!(path_info("nodes/node-a/loadgen/offline"), None);
        assert_eq!(path_info("loadgen/offline_valid"), None);
        assert_eq!(path_info("Offline/performance/run_1"), None);
        assert_eq!(path_info(""), None);
        assert_eq!(path_info("a/b/Offline/performance/run_x"), None);
    }

    #[test]
    fn scope_of_scenario_folders() {
        let i = scope("8xMI300X/llama2-70b-99/Offline").unwrap();
        assert_eq!(i.benchmark, "llama2-70b-99");
        assert_eq!(i.kind, None);
        assert_eq!(scope("nodes/node-a/loadgen/offline"), None);
        assert!(scope("closed/Krai/measurements/sys/llama/server").is_some());
        assert_eq!(scope("Offline"), None);
    }

    #[test]
    fn system_and_measurements_files() {
        let sys = br#"{"system_name": "S", "accelerator_model_name": "MI300X", "accelerators_per_node": 8, "host_processor_core_count": "64", "hw_notes": ""}"#;
        let p = parse("systems/S.json", &sys[..]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let d = p.value.system.unwrap();
        assert_eq!(d.accelerators_per_node, Some(8));
        assert_eq!(d.host_processor_core_count, Some(64));
        assert_eq!(p.value.keys, 5);
        let p = parse("a/measurements.json", &br#"{"retraining": "No"}"#[..]);
        assert_eq!(
            p.value.measurements.unwrap().retraining.as_deref(),
            Some("No")
        );
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn bad_metadata_warns_with_line() {
        let p = parse("systems/S.json", &b"{\n\"a\": 1,\n"[..]);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(3));
        let p = parse("systems/S.json", &b"[1]"[..]);
        assert!(p.warnings[0].message.contains("found an array"));
        let big = vec![b' '; (MAX_META_BYTES + 10) as usize];
        let p = parse("systems/S.json", &big[..]);
        assert!(
            p.warnings[0].message.contains("larger than"),
            "{:?}",
            p.warnings
        );
    }
}
