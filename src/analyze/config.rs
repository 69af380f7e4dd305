//! User configuration of the score: the `[scoring]` table of `--config`
//! files overrides [`Settings`] field by field. Several files layer in
//! order; each is checked on its own first so an error names its file.

use std::path::Path;

use crate::error::FatalError;

use super::Settings;

/// The effective settings: defaults, then each config file's `[scoring]`.
pub fn load_settings(configs: &[impl AsRef<Path>]) -> Result<Settings, FatalError> {
    let mut texts = Vec::new();
    for path in configs {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FatalError::Config {
            path: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        texts.push((path.display().to_string(), text));
    }
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    settings_from(&refs)
}

/// Settings from config texts `(origin, text)`, layered in order.
pub fn settings_from(files: &[(&str, &str)]) -> Result<Settings, FatalError> {
    let mut merged = toml::Table::new();
    for (origin, text) in files {
        let err = |message: String| FatalError::Config {
            path: origin.to_string(),
            message,
        };
        let doc: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let Some(scoring) = doc.get("scoring") else {
            continue;
        };
        let toml::Value::Table(scoring) = scoring else {
            return Err(err("`scoring` must be a table ([scoring])".into()));
        };
        // Checked alone so unknown keys and wrong types name this file.
        scoring
            .clone()
            .try_into::<Settings>()
            .map_err(|e| err(format!("[scoring]: {e}")))?;
        merge(&mut merged, scoring);
    }
    let s: Settings = merged.try_into().map_err(|e| FatalError::Config {
        path: "config".into(),
        message: format!("[scoring]: {e}"),
    })?;
    validate(&s)?;
    Ok(s)
}

/// Later tables win key by key; nested tables (`weights`, `expected_gpus`,
/// `min_throughput`) merge rather than replace.
fn merge(into: &mut toml::Table, from: &toml::Table) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn validate(s: &Settings) -> Result<(), FatalError> {
    let bad = |message: String| {
        Err(FatalError::Config {
            path: "config".into(),
            message: format!("[scoring]: {message}"),
        })
    };
    let w = &s.weights;
    let weights = [
        w.network,
        w.hardware,
        w.software,
        w.reliability,
        w.performance,
    ];
    if weights.iter().any(|v| !v.is_finite() || *v < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
        return bad("weights must be non-negative and not all zero".into());
    }
    for (name, v) in [
        ("throughput_cv_threshold", s.throughput_cv_threshold),
        ("latency_cv_threshold", s.latency_cv_threshold),
        ("dedup_window_s", s.dedup_window_s),
        ("cause_window_s", s.cause_window_s),
        ("power_capped_share", s.power_capped_share),
    ] {
        if !v.is_finite() || v < 0.0 {
            return bad(format!("{name} must be a non-negative number, got {v}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_scoring_table_gives_the_defaults() {
        let s = settings_from(&[("a.toml", "[[rule]]\nid = \"x\"\n")]);
        // Rules are not validated here; only [scoring] is read.
        let s = s.unwrap();
        assert_eq!(
            s.weights.reliability,
            Settings::default().weights.reliability
        );
        assert_eq!(s.dedup_window_s, 60.0);
    }

    #[test]
    fn scoring_overrides_layer_field_by_field() {
        let a = "[scoring]\nexpected_gpus_per_node = 8\n[scoring.weights]\nhardware = 0.5\n";
        let b = "[scoring]\nlatency_cv_threshold = 0.3\n[scoring.weights]\nnetwork = 0.0\n[scoring.min_throughput]\n\"llama2-70b-99\" = 2000.0\n";
        let s = settings_from(&[("a.toml", a), ("b.toml", b)]).unwrap();
        assert_eq!(s.expected_gpus_per_node, Some(8));
        assert_eq!(s.weights.hardware, 0.5);
        assert_eq!(s.weights.network, 0.0);
        assert_eq!(s.weights.software, 0.15);
        assert_eq!(s.latency_cv_threshold, 0.3);
        assert_eq!(s.min_throughput.get("llama2-70b-99"), Some(&2000.0));
    }

    #[test]
    fn unknown_keys_and_bad_types_name_the_file() {
        let e = settings_from(&[("ok.toml", ""), ("bad.toml", "[scoring]\nweigths = 1\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.toml") && e.contains("weigths"), "{e}");
        let e = settings_from(&[("t.toml", "[scoring]\ncap_high = \"x\"\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml") && e.contains("cap_high"), "{e}");
        let e = settings_from(&[("w.toml", "[scoring.weights]\nnetwork = -1.0\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("weights"), "{e}");
    }
}
