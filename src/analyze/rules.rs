//! The rule catalogue: default rules compiled in from `rules.toml`, with
//! user rules from `--config` layered on top.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::error::FatalError;
use crate::model::Severity;

/// The default catalogue, compiled into the binary.
pub const DEFAULT_RULES: &str = include_str!("rules.toml");

/// Every category id, in report order, with its display name.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("gpu_hardware", "GPU hardware"),
    ("gpu_driver", "GPU driver and versions"),
    ("thermal_power", "Thermal and power"),
    ("gpu_oom", "GPU out of memory"),
    ("host_oom", "Host out of memory"),
    ("distributed_comm", "Distributed communication"),
    ("connectivity", "Connectivity"),
    ("timeout", "Timeouts"),
    ("config_error", "Configuration errors"),
    ("dependency_missing", "Missing dependencies"),
    ("software_drift", "Software version drift"),
    ("model_access", "Model access"),
    ("kernel_os", "Kernel and OS"),
    ("kubernetes", "Kubernetes"),
    ("benchmark_invalid", "Benchmark validity"),
    ("sample_processing", "Sample processing"),
    ("performance_variance", "Performance variance"),
    ("application_crash", "Application crashes"),
    ("unclassified", "Unclassified failures"),
];

/// Display name of a category id (the id itself when unknown).
pub fn category_name(id: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, n)| *n)
        .unwrap_or(id)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
    #[serde(default)]
    impact: BTreeMap<String, String>,
    /// `[[target]]` entries belong to `index` (src/history/targets.rs).
    #[serde(default, rename = "target")]
    _targets: Vec<toml::Value>,
    /// Score settings of a user config; read by `config::load_settings`.
    #[serde(default)]
    #[allow(dead_code)]
    scoring: Option<toml::Table>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    category: String,
    severity: String,
    title: String,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    signal: Option<String>,
    remediation: String,
    example: String,
    #[serde(default)]
    example_source: Option<String>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id (`gpu.cuda_oom`).
    pub id: String,
    /// Category id (one of [`CATEGORIES`]).
    pub category: String,
    /// Severity of a match.
    pub severity: Severity,
    /// Short title.
    pub title: String,
    /// Regex over log lines, for text rules (compiled into
    /// [`RuleSet`]'s set when the first line is matched).
    pub pattern: Option<String>,
    /// Signal name, for rules raised from structured data.
    pub signal: Option<String>,
    /// What to do.
    pub remediation: String,
    /// A real line that must match (or, for signals, what raises it).
    pub example: String,
    /// Where the example comes from.
    pub example_source: Option<String>,
    /// `builtin` or the config path that defined it.
    pub origin: String,
}

/// The effective rules, in match order.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Rules in match order (user rules first).
    pub rules: Vec<Rule>,
    /// Indices into `rules` of the text rules, in order.
    text_rules: Vec<usize>,
    /// One regex set over the text rules, to find candidates in one pass.
    /// Compiled on first use: compiling the catalogue is most of the
    /// tool's start-up, and a run may have no log line to match. Shared,
    /// so that [`RuleSet::set_compiler`] can compile it on another thread.
    set: Arc<OnceLock<Result<RegexSet, regex::Error>>>,
    /// Signal name → rule index.
    signals: BTreeMap<String, usize>,
    /// Category → impact text.
    impact: BTreeMap<String, String>,
}

impl RuleSet {
    /// The built-in catalogue.
    pub fn builtin() -> Result<RuleSet, FatalError> {
        RuleSet::load(&[("builtin", DEFAULT_RULES)])
    }

    /// Layer rule files: later files come first in match order and replace
    /// rules of the same id; impact texts are merged likewise.
    pub fn load(files: &[(&str, &str)]) -> Result<RuleSet, FatalError> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut impact = BTreeMap::new();
        for (origin, text) in files {
            let file: RuleFile = toml::from_str(text).map_err(|e| FatalError::Config {
                path: origin.to_string(),
                message: e.to_string(),
            })?;
            let mut layer = Vec::new();
            for def in file.rule {
                layer.push(compile(def, origin, *text == DEFAULT_RULES)?);
            }
            // A user rule with a known id replaces the default in place of
            // priority: it moves to the front with the rest of its layer.
            rules.retain(|r| !layer.iter().any(|l| l.id == r.id));
            layer.extend(rules);
            rules = layer;
            impact.extend(file.impact);
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &rules {
            if !seen.insert(r.id.clone()) {
                return Err(FatalError::Config {
                    path: r.origin.clone(),
                    message: format!("rule id `{}` is defined twice", r.id),
                });
            }
        }
        let text_rules: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.pattern.is_some())
            .map(|(i, _)| i)
            .collect();
        let signals = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.signal.clone().map(|s| (s, i)))
            .collect();
        let set = RuleSet {
            rules,
            text_rules,
            set: Arc::default(),
            signals,
            impact,
        };
        // The built-in patterns are known to compile (the tests compile
        // them); a user's are compiled now, so a bad one is reported here.
        if files.iter().any(|(_, text)| *text != DEFAULT_RULES) {
            set.compile_set().map_err(|e| FatalError::Config {
                path: "rules".into(),
                message: e.to_string(),
            })?;
        }
        Ok(set)
    }

    /// The regex set over the text rules, compiled on the first call.
    fn compile_set(&self) -> Result<&RegexSet, &regex::Error> {
        self.set
            .get_or_init(|| RegexSet::new(self.patterns()))
            .as_ref()
    }

    fn patterns(&self) -> impl Iterator<Item = &str> {
        self.text_rules
            .iter()
            .filter_map(|&i| self.rules.get(i)?.pattern.as_deref())
    }

    /// A job that compiles the regex set, to run on another thread while
    /// files are read. Matching waits for it if it is still compiling.
    pub fn set_compiler(&self) -> impl FnOnce() + Send + 'static {
        let set = Arc::clone(&self.set);
        let patterns: Vec<String> = self.patterns().map(str::to_string).collect();
        move || {
            set.get_or_init(|| RegexSet::new(patterns));
        }
    }

    /// The first text rule matching `line`, if any.
    pub fn match_line(&self, line: &str) -> Option<&Rule> {
        // Most lines match no rule. `is_match` may stop early; `matches`
        // runs every pattern to the end of the line: testing first halved
        // the cost per log line (measured on the benchmark step logs).
        let set = self.compile_set().ok()?;
        if !set.is_match(line) {
            return None;
        }
        let first = set.matches(line).into_iter().next()?;
        self.text_rules.get(first).map(|&i| &self.rules[i])
    }

    /// The rule raised by a structured signal.
    pub fn for_signal(&self, signal: &str) -> Option<&Rule> {
        self.signals.get(signal).map(|&i| &self.rules[i])
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Impact text for a category at a severity.
    pub fn impact(&self, category: &str, severity: Severity) -> String {
        let base = self
            .impact
            .get(category)
            .map(String::as_str)
            .unwrap_or("Impact not described for this category.");
        let urgency = match severity {
            Severity::Critical => "Critical: stop and fix before further runs.",
            Severity::High => "High: fix before the next campaign.",
            Severity::Medium => "Medium: plan a fix.",
            Severity::Low => "Low: monitor.",
            Severity::Info => "Informational.",
        };
        format!("{base} {urgency}")
    }
}

/// Check a rule definition. The pattern of a rule from a user's file is
/// compiled on its own, so an error names the rule; the built-in patterns
/// are checked by the tests instead.
fn compile(def: RuleDef, origin: &str, builtin: bool) -> Result<Rule, FatalError> {
    let err = |message: String| FatalError::Config {
        path: origin.to_string(),
        message: format!("rule `{}`: {message}", def.id),
    };
    let severity = Severity::parse(&def.severity)
        .ok_or_else(|| err(format!("unknown severity `{}`", def.severity)))?;
    if !CATEGORIES.iter().any(|(c, _)| *c == def.category) {
        return Err(err(format!("unknown category `{}`", def.category)));
    }
    let pattern = match (&def.pattern, &def.signal) {
        (Some(p), None) => {
            if !builtin {
                Regex::new(p).map_err(|e| err(e.to_string()))?;
            }
            Some(p.clone())
        }
        (None, Some(_)) => None,
        _ => return Err(err("needs exactly one of `pattern` or `signal`".into())),
    };
    Ok(Rule {
        id: def.id.clone(),
        category: def.category,
        severity,
        title: def.title,
        pattern,
        signal: def.signal,
        remediation: def.remediation,
        example: def.example,
        example_source: def.example_source,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads() {
        let rules = RuleSet::builtin().unwrap();
        assert!(rules.rules.len() >= 50);
        // Loading leaves the built-in patterns uncompiled; they must compile.
        assert!(rules.set.get().is_none());
        assert!(rules.compile_set().is_ok());
        for r in &rules.rules {
            if let Some(p) = &r.pattern {
                Regex::new(p).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            }
        }
    }

    #[test]
    fn bad_user_patterns_are_reported_at_load() {
        let user = r#"
[[rule]]
id = "my.bad"
category = "timeout"
severity = "high"
title = "Bad"
pattern = "unclosed ("
remediation = "x"
example = "x"
"#;
        let err = RuleSet::load(&[("builtin", DEFAULT_RULES), ("user.toml", user)]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("user.toml") && text.contains("my.bad"),
            "{text}"
        );
    }

    #[test]
    fn every_text_rule_matches_its_own_example_first() {
        let rules = RuleSet::builtin().unwrap();
        for r in rules.rules.iter().filter(|r| r.pattern.is_some()) {
            let hit = rules.match_line(&r.example).map(|m| m.id.as_str());
            assert_eq!(
                hit,
                Some(r.id.as_str()),
                "example of {} matched {:?}",
                r.id,
                hit
            );
        }
    }

    #[test]
    fn every_signal_rule_is_reachable() {
        let rules = RuleSet::builtin().unwrap();
        for r in rules.rules.iter().filter(|r| r.signal.is_some()) {
            let s = r.signal.as_deref().unwrap();
            assert_eq!(rules.for_signal(s).map(|m| &m.id), Some(&r.id));
        }
    }

    #[test]
    fn every_category_has_impact_text() {
        let rules = RuleSet::builtin().unwrap();
        for (c, _) in CATEGORIES {
            assert!(rules.impact.contains_key(*c), "no impact text for {c}");
        }
    }

    #[test]
    fn user_rules_come_first_and_replace_by_id() {
        let user = r#"
[[rule]]
id = "deps.module_not_found"
category = "dependency_missing"
severity = "critical"
title = "Overridden"
pattern = "No module named"
remediation = "x"
example = "No module named foo"
"#;
        let rules = RuleSet::load(&[("builtin", DEFAULT_RULES), ("user.toml", user)]).unwrap();
        let hit = rules
            .match_line("ModuleNotFoundError: No module named 'x'")
            .unwrap();
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(hit.origin, "user.toml");
        assert_eq!(rules.rules.iter().filter(|r| r.id == hit.id).count(), 1);
    }

    #[test]
    fn bad_user_rules_name_the_file() {
        let err = RuleSet::load(&[("my.toml", "[[rule]]\nid = 1\n")]).unwrap_err();
        assert!(err.to_string().contains("my.toml"), "{err}");
    }
}
