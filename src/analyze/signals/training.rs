//! Signals and report section for MLPerf Training / HPC logs: per run the
//! status, time-to-train, eval-accuracy curve and where the target was
//! reached; per benchmark folder the MLPerf result as `result_summarizer`
//! computes it; findings for aborted, unfinished or non-converging runs,
//! for compliance rules a run breaks, and for folders without a result.
//!
//! Run counts, targets and the compliance rule table live in
//! `training_rules.toml` beside this module, with their sources.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::analyze::Settings;
use crate::analyze::classify::Classifier;
use crate::model::*;

/// The rule table, compiled in.
pub const TRAINING_RULES: &str = include_str!("../training_rules.toml");

/// Comparison of an `eval_accuracy` value with a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Op {
    /// Higher is better, target included.
    #[serde(rename = ">=")]
    Ge,
    /// Higher is better, target excluded.
    #[serde(rename = ">")]
    Gt,
    /// Lower is better, target included.
    #[serde(rename = "<=")]
    Le,
    /// Lower is better, target excluded.
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    /// The operator as written in the rule table.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }

    /// True when `value` meets `target`.
    pub fn met(self, value: f64, target: f64) -> bool {
        match self {
            Op::Ge => value >= target,
            Op::Gt => value > target,
            Op::Le => value <= target,
            Op::Lt => value < target,
        }
    }

    fn higher_is_better(self) -> bool {
        matches!(self, Op::Ge | Op::Gt)
    }
}

/// How often a key must appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Req {
    /// `REQ: EXACTLY_ONE`.
    ExactlyOne,
    /// `REQ: AT_LEAST_ONE` (or `AT_LEAST_ONE_OR(...)` with alternatives).
    AtLeastOne,
}

/// One required key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    /// The key.
    pub name: String,
    /// How often.
    pub req: Req,
    /// Keys that count instead (`block_start` for `epoch_start`).
    #[serde(default, rename = "or")]
    pub alternatives: Vec<String>,
    /// The compliance-checker file it comes from.
    pub source: String,
}

/// One benchmark's run count and target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkRule {
    /// `submission_benchmark` value.
    pub name: String,
    /// `training` or `hpc`.
    #[serde(default = "training_usage")]
    pub usage: String,
    /// Result files the package checker wants.
    pub required_runs: u64,
    /// Fastest and slowest runs dropped by olympic scoring.
    #[serde(default = "one")]
    pub drop_each_side: u64,
    /// Convergence target, where the metric is one number.
    #[serde(default)]
    pub target: Option<f64>,
    /// Its comparison.
    #[serde(default)]
    pub op: Option<Op>,
    /// Where the numbers come from.
    pub source: String,
}

fn training_usage() -> String {
    "training".into()
}

fn one() -> u64 {
    1
}

/// Limits of the lifecycle checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRules {
    /// Minutes from the first `init_start` to `init_stop`, closed division.
    pub init_limit_min_closed: f64,
    /// The same, open division.
    pub init_limit_min_open: f64,
}

/// The seed rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRules {
    /// Every run must log a seed.
    pub required: bool,
}

/// The whole rule table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRules {
    /// Where it comes from, in one line.
    pub source: String,
    /// Lifecycle limits.
    pub order: OrderRules,
    /// Seed rules.
    pub seed: SeedRules,
    /// Required keys.
    #[serde(default)]
    pub key: Vec<KeyRule>,
    /// Benchmarks.
    #[serde(default)]
    pub benchmark: Vec<BenchmarkRule>,
}

impl TrainingRules {
    /// The built-in table. A test checks it parses; should it not, the
    /// checks that need it are skipped rather than the run failing.
    pub fn builtin() -> TrainingRules {
        toml::from_str(TRAINING_RULES).unwrap_or_else(|_| TrainingRules {
            source: "built-in training rules could not be read".into(),
            order: OrderRules {
                init_limit_min_closed: f64::INFINITY,
                init_limit_min_open: f64::INFINITY,
            },
            seed: SeedRules { required: false },
            key: Vec::new(),
            benchmark: Vec::new(),
        })
    }

    /// The rule for a benchmark name.
    pub fn benchmark(&self, name: &str) -> Option<&BenchmarkRule> {
        self.benchmark.iter().find(|b| b.name == name)
    }
}

// ------------------------------------------------------------------ runs

/// What the checks found for one run, beside its report entry.
struct RunCheck<'a> {
    path: &'a str,
    log: &'a TrainingLog,
    report: TrainingRunReport,
    /// Required keys missing or repeated: the compliance checker fails the
    /// file.
    keys_failed: bool,
    /// Lifecycle order broken: the checker fails the file.
    order_failed: bool,
}

fn group_of(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_else(|| ".".into())
}

/// Node from `nodes/<name>/` on the path.
fn node_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .windows(3)
        .find(|w| w.first() == Some(&"nodes"))
        .and_then(|w| w.get(1))
        .map(|n| n.to_string())
}

/// A number with about six significant digits, trailing zeros dropped
/// (`0.80275`, `3.3`, `12256`).
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "?".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor();
    let decimals = (5.0 - mag).clamp(0.0, 12.0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn status_of(log: &TrainingLog) -> TrainingStatus {
    if log.run_start.is_none() || log.run_stop.is_none() {
        return TrainingStatus::Incomplete;
    }
    match log.run_stop_status.as_deref().map(str::to_ascii_lowercase) {
        Some(s) if s == "success" => TrainingStatus::Success,
        Some(s) if s == "aborted" => TrainingStatus::Aborted,
        _ => TrainingStatus::Other,
    }
}

fn target_of(log: &TrainingLog, rules: &TrainingRules) -> Option<(TrainingTarget, Op)> {
    let rule = log
        .benchmark
        .as_ref()
        .and_then(|b| rules.benchmark(&b.value));
    if let Some(r) = rule {
        if let (Some(value), Some(op)) = (r.target, r.op) {
            return Some((
                TrainingTarget {
                    value,
                    op: op.as_str().into(),
                    source: format!("mlperf-logging compliance_checker/{}", r.source),
                },
                op,
            ));
        }
    }
    // A harness may log its own target; the benchmark's direction is used
    // where known, else higher-is-better (accuracy-like metrics).
    let logged = log.target_accuracy.as_ref()?;
    let value = logged
        .value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())?;
    let op = rule.and_then(|r| r.op).unwrap_or(Op::Ge);
    Some((
        TrainingTarget {
            value,
            op: op.as_str().into(),
            source: format!("target_accuracy logged at line {}", logged.line),
        },
        op,
    ))
}

/// The curve's axis: `samples` when every point has `samples_count`, else
/// `epoch` when every point has `epoch_num`, else the evaluation number.
fn curve(eval: &[EvalPoint]) -> (String, Vec<CurvePoint>) {
    let all =
        |f: fn(&EvalPoint) -> Option<f64>| !eval.is_empty() && eval.iter().all(|p| f(p).is_some());
    let (axis, pick): (&str, fn(usize, &EvalPoint) -> f64) = if all(|p| p.samples_count) {
        ("samples", |_, p| p.samples_count.unwrap_or(0.0))
    } else if all(|p| p.epoch_num) {
        ("epoch", |_, p| p.epoch_num.unwrap_or(0.0))
    } else {
        ("eval", |i, _| (i + 1) as f64)
    };
    let points = eval
        .iter()
        .enumerate()
        .map(|(i, p)| CurvePoint {
            x: pick(i, p),
            value: p.value,
        })
        .collect();
    (axis.to_string(), points)
}

/// Where an evaluation sits, in words (`epoch 0.999`, `12,256 samples`).
fn position(p: &EvalPoint, index: usize) -> String {
    match (p.samples_count, p.epoch_num) {
        (Some(s), _) => format!("samples_count {}", sig(s)),
        (None, Some(e)) => format!("epoch {}", sig(e)),
        _ => format!("evaluation {}", index + 1),
    }
}

fn minutes_between(start: Option<f64>, stop: Option<f64>) -> Option<f64> {
    let (a, b) = (start?, stop?);
    let m = (b - a) / 60_000.0;
    (m.is_finite() && m >= 0.0).then_some(m)
}

/// Required keys missing or repeated, and `run_stop` without a status.
fn key_issue(path: &str, log: &TrainingLog, rules: &TrainingRules) -> Option<ComplianceIssue> {
    let mut missing = Vec::new();
    let mut repeated = Vec::new();
    let mut evidence = Vec::new();
    for k in &rules.key {
        // A missing run_start/run_stop is an unfinished run, reported as
        // such rather than as a key problem.
        if matches!(k.name.as_str(), "run_start" | "run_stop") && log.count(&k.name) == 0 {
            continue;
        }
        let own = log.count(&k.name);
        let total = own + k.alternatives.iter().map(|a| log.count(a)).sum::<u64>();
        if total == 0 {
            let mut name = k.name.clone();
            for a in &k.alternatives {
                name.push_str(" or ");
                name.push_str(a);
            }
            missing.push(name);
        } else if k.req == Req::ExactlyOne && own > 1 {
            repeated.push(format!("{} ×{own}", k.name));
            let span = match k.name.as_str() {
                "init_stop" => log.init_stop.as_ref(),
                "run_start" => log.run_start.as_ref(),
                "run_stop" => log.run_stop.as_ref(),
                _ => None,
            };
            if let Some(s) = span {
                for m in [&s.first, &s.last] {
                    evidence.push(Evidence::new(path, Some(m.line), &m.text));
                }
            }
        }
    }
    let no_status = log.run_stop.is_some() && log.run_stop_status.is_none();
    if missing.is_empty() && repeated.is_empty() && !no_status {
        return None;
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
        evidence.insert(
            0,
            Evidence::new(
                path,
                None,
                &format!(
                    "no {} event in {} :::MLLOG lines",
                    missing.join(", "),
                    log.mllog_lines
                ),
            ),
        );
    }
    if !repeated.is_empty() {
        parts.push(format!(
            "logged more than once where exactly one is required: {}",
            repeated.join(", ")
        ));
    }
    if no_status {
        parts.push("run_stop has no metadata.status".into());
        if let Some(s) = &log.run_stop {
            evidence.push(Evidence::new(path, Some(s.first.line), &s.first.text));
        }
    }
    evidence.truncate(3);
    Some(ComplianceIssue {
        rule: "required_keys".into(),
        detail: parts.join("; "),
        evidence,
    })
}

/// The lifecycle order the compliance checker enforces, in file order:
/// `init_start` … `init_stop` → `run_start` → `run_stop`, with init done
/// within the division's limit.
fn order_issue(path: &str, log: &TrainingLog, rules: &TrainingRules) -> Option<ComplianceIssue> {
    let mut parts = Vec::new();
    let mut evidence = Vec::new();
    let ev = |m: &EventMark| Evidence::new(path, Some(m.line), &m.text);
    if let (Some(start), Some(stop)) = (&log.run_start, &log.run_stop) {
        let (a, b) = (&start.first, &stop.first);
        if b.line < a.line {
            parts.push(format!(
                "run_stop (line {}) comes before run_start (line {})",
                b.line, a.line
            ));
            evidence.extend([ev(b), ev(a)]);
        } else if let (Some(ta), Some(tb)) = (a.time_ms, b.time_ms) {
            if tb < ta {
                parts.push(format!(
                    "run_stop time_ms {} is earlier than run_start time_ms {}",
                    sig(tb),
                    sig(ta)
                ));
                evidence.extend([ev(a), ev(b)]);
            }
        }
    }
    if let (Some(init), Some(run)) = (&log.init_stop, &log.run_start) {
        if run.first.line < init.first.line {
            parts.push(format!(
                "run_start (line {}) comes before init_stop (line {})",
                run.first.line, init.first.line
            ));
            evidence.extend([ev(&run.first), ev(&init.first)]);
        }
    }
    if let (Some(start), Some(stop)) = (&log.init_start, &log.init_stop) {
        if start.last.line > stop.first.line {
            parts.push(format!(
                "init_start (line {}) comes after init_stop (line {})",
                start.last.line, stop.first.line
            ));
            evidence.extend([ev(&stop.first), ev(&start.last)]);
        }
        let open = log.division.as_ref().is_some_and(|d| d.value == "open");
        let limit = if open {
            rules.order.init_limit_min_open
        } else {
            rules.order.init_limit_min_closed
        };
        if let Some(m) = minutes_between(start.first.time_ms, stop.first.time_ms) {
            if m >= limit {
                parts.push(format!(
                    "init took {} min (first init_start to init_stop); the {} division allows less than {} min",
                    sig(m),
                    if open { "open" } else { "closed" },
                    sig(limit)
                ));
                evidence.extend([ev(&start.first), ev(&stop.first)]);
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    evidence.truncate(3);
    Some(ComplianceIssue {
        rule: "event_order".into(),
        detail: parts.join("; "),
        evidence,
    })
}

/// No seed, or several different seeds in one run.
fn seed_issue(path: &str, log: &TrainingLog, rules: &TrainingRules) -> Option<ComplianceIssue> {
    if log.seeds_total == 0 {
        return rules.seed.required.then(|| ComplianceIssue {
            rule: "seed".into(),
            detail: "no seed logged (the seed checker requires one per run)".into(),
            evidence: vec![Evidence::new(path, None, "no `seed` event in the log")],
        });
    }
    let values: BTreeSet<&str> = log.seeds.iter().map(|s| s.value.as_str()).collect();
    if values.len() < 2 {
        return None;
    }
    Some(ComplianceIssue {
        rule: "seed".into(),
        detail: format!(
            "{} different seeds logged in one run: {}",
            values.len(),
            values.into_iter().collect::<Vec<_>>().join(", ")
        ),
        evidence: log
            .seeds
            .iter()
            .take(3)
            .map(|s| Evidence::new(path, Some(s.line), &format!("seed = {}", s.value)))
            .collect(),
    })
}

fn check_run<'a>(path: &'a str, log: &'a TrainingLog, rules: &TrainingRules) -> RunCheck<'a> {
    let status = status_of(log);
    let target = target_of(log, rules);
    let start = log.run_start.as_ref().map(|s| &s.first);
    let stop = log.run_stop.as_ref().map(|s| &s.first);
    let time_to_train_min =
        minutes_between(start.and_then(|m| m.time_ms), stop.and_then(|m| m.time_ms));
    let op = target.as_ref().map(|(_, op)| *op);
    let best = log.eval.iter().map(|p| p.value).reduce(|a, b| {
        let higher = op.is_none_or(Op::higher_is_better);
        if (b > a) == higher { b } else { a }
    });
    let reached = target.as_ref().and_then(|(t, op)| {
        let (i, p) = log
            .eval
            .iter()
            .enumerate()
            .find(|(_, p)| op.met(p.value, t.value))?;
        let text = format!(
            "eval_accuracy {} at {} meets the target {} {}",
            sig(p.value),
            position(p, i),
            t.op,
            sig(t.value)
        );
        Some(TargetReached {
            value: p.value,
            epoch_num: p.epoch_num,
            samples_count: p.samples_count,
            eval_index: i as u64 + 1,
            minutes: minutes_between(start.and_then(|m| m.time_ms), p.time_ms),
            evidence: Evidence::new(path, Some(p.line), &text),
        })
    });
    let converged = match &target {
        Some(_) if reached.is_some() => Some(true),
        Some(_) if log.eval_non_numeric == 0 || !log.eval.is_empty() => Some(false),
        _ => None,
    };
    let (curve_axis, curve) = curve(&log.eval);
    let mut compliance = Vec::new();
    let keys = key_issue(path, log, rules);
    let order = order_issue(path, log, rules);
    let (keys_failed, order_failed) = (keys.is_some(), order.is_some());
    compliance.extend(keys);
    compliance.extend(order);
    compliance.extend(seed_issue(path, log, rules));
    let mut evidence = Vec::new();
    for m in [start, stop].into_iter().flatten() {
        evidence.push(Evidence::new(path, Some(m.line), &m.text));
    }
    let report = TrainingRunReport {
        path: path.to_string(),
        group: group_of(path),
        node: node_of(path),
        benchmark: log.benchmark.as_ref().map(|v| v.value.clone()),
        org: log.org.as_ref().map(|v| v.value.clone()),
        division: log.division.as_ref().map(|v| v.value.clone()),
        platform: log.platform.as_ref().map(|v| v.value.clone()),
        status,
        status_text: log.run_stop_status.clone(),
        time_to_train_min,
        target: target.map(|(t, _)| t),
        converged,
        reached,
        best_eval: best,
        evals: log.eval_total,
        curve_axis,
        curve,
        global_batch_size: log.global_batch_size.as_ref().map(|v| v.value.clone()),
        seed: log.seeds.first().map(|s| s.value.clone()),
        hyperparameters: log
            .hyperparameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        compliance,
        scored: false,
        dropped_reason: String::new(),
        evidence,
    };
    let mut check = RunCheck {
        path,
        log,
        report,
        keys_failed,
        order_failed,
    };
    score_run(&mut check);
    check
}

/// Whether result_summarizer would count the run, and why not.
fn score_run(c: &mut RunCheck<'_>) {
    let r = &c.report;
    let mut why = Vec::new();
    match r.status {
        TrainingStatus::Success => {}
        TrainingStatus::Aborted => why.push("aborted".to_string()),
        TrainingStatus::Incomplete => why.push(if c.log.run_start.is_none() {
            "no run_start".to_string()
        } else {
            "no run_stop".to_string()
        }),
        TrainingStatus::Other => why.push(format!(
            "run_stop status {}",
            r.status_text.as_deref().unwrap_or("missing")
        )),
    }
    if r.status != TrainingStatus::Incomplete && r.time_to_train_min.is_none() {
        why.push("no time-to-train (run_start/run_stop time_ms missing or reversed)".into());
    }
    if r.converged == Some(false)
        && matches!(r.status, TrainingStatus::Success | TrainingStatus::Other)
    {
        why.push("target not reached".into());
    }
    if c.keys_failed {
        why.push("required keys".into());
    }
    if c.order_failed {
        why.push("event order".into());
    }
    c.report.scored = why.is_empty();
    c.report.dropped_reason = why.join(", ");
}

/// The seed checker's cross-run rule: no two runs of a benchmark log the
/// same seed from the same call site.
fn shared_seeds(checks: &mut [RunCheck<'_>]) {
    let mut seen: BTreeMap<(String, String, Option<String>, Option<u64>), String> = BTreeMap::new();
    for c in checks.iter_mut() {
        let bench = c.report.benchmark.clone().unwrap_or_default();
        let group = c.report.group.clone();
        let mut evidence = Vec::new();
        let mut details = Vec::new();
        for s in &c.log.seeds {
            let key = (
                format!("{group}\u{0}{bench}"),
                s.value.clone(),
                s.file.clone(),
                s.lineno,
            );
            match seen.get(&key) {
                Some(first) => {
                    details.push(format!(
                        "seed {} logged from {}:{}, as in {}",
                        s.value,
                        s.file.as_deref().unwrap_or("?"),
                        s.lineno
                            .map(|l| l.to_string())
                            .unwrap_or_else(|| "?".into()),
                        first
                    ));
                    evidence.push(Evidence::new(
                        c.path,
                        Some(s.line),
                        &format!("seed = {}", s.value),
                    ));
                }
                None => {
                    seen.insert(key, c.path.to_string());
                }
            }
        }
        if !details.is_empty() {
            evidence.truncate(3);
            c.report.compliance.push(ComplianceIssue {
                rule: "seed".into(),
                detail: format!("same seed as another run: {}", details.join("; ")),
                evidence,
            });
        }
    }
}

fn checks<'c>(c: &'c Campaign, rules: &TrainingRules) -> Vec<RunCheck<'c>> {
    let mut out: Vec<RunCheck<'_>> = c
        .training
        .iter()
        // A file without a single event is a parse warning, not a run.
        .filter(|(_, log)| log.mllog_lines > 0)
        .map(|(path, log)| check_run(path, log, rules))
        .collect();
    out.sort_by(|a, b| a.path.cmp(b.path));
    shared_seeds(&mut out);
    out
}

// ------------------------------------------------------------- benchmarks

/// The olympic average as `result_summarizer._compute_olympic_average`:
/// sort, drop `drop` from the fast end and `drop − dropped` from the slow
/// end (dropped runs count as the slowest), average the rest. `None` when
/// too many runs were dropped or nothing remains.
pub fn olympic_average(scores: &[f64], dropped: u64, drop: u64) -> Option<f64> {
    if dropped > drop {
        return None;
    }
    let mut s: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let start = usize::try_from(drop).ok()?;
    let end = s
        .len()
        .saturating_sub(usize::try_from(drop - dropped).ok()?);
    let kept = s.get(start..end).filter(|k| !k.is_empty())?;
    Some(kept.iter().sum::<f64>() / kept.len() as f64)
}

fn benchmarks(checks: &[RunCheck<'_>], rules: &TrainingRules) -> Vec<TrainingBenchmarkReport> {
    let mut groups: BTreeMap<(String, String), Vec<&TrainingRunReport>> = BTreeMap::new();
    for c in checks {
        let bench = c
            .report
            .benchmark
            .clone()
            .unwrap_or_else(|| "unknown".into());
        groups
            .entry((c.report.group.clone(), bench))
            .or_default()
            .push(&c.report);
    }
    groups
        .into_iter()
        .map(|((group, benchmark), runs)| {
            let rule = rules.benchmark(&benchmark);
            let n = runs.len() as u64;
            let mut scores: Vec<f64> = runs
                .iter()
                .filter(|r| r.scored)
                .filter_map(|r| r.time_to_train_min)
                .collect();
            scores.sort_by(f64::total_cmp);
            let scored = scores.len() as u64;
            let dropped = n - scored;
            let drop = rule.map_or(1, |r| r.drop_each_side);
            let result = olympic_average(&scores, dropped, drop);
            let note = if dropped > drop {
                format!(
                    "no result: {dropped} of {n} runs dropped (aborted, unfinished, not converged or failing the compliance rules) and olympic scoring allows {drop}; result_summarizer prints CRITICAL ERROR: Too many non-converging runs"
                )
            } else if result.is_none() {
                format!(
                    "no result: {scored} scored run(s) leave nothing after dropping the {drop} fastest and the {} slowest",
                    drop - dropped
                )
            } else {
                format!(
                    "olympic average of {} of {scored} scored run(s): the {drop} fastest and the {} slowest dropped{}, the rest averaged; scaling.json is not applied",
                    scored.saturating_sub(drop + drop - dropped),
                    drop - dropped,
                    if dropped > 0 {
                        format!(" ({dropped} non-converged run(s) count as the slowest)")
                    } else {
                        String::new()
                    }
                )
            };
            TrainingBenchmarkReport {
                group,
                benchmark,
                runs: n,
                required_runs: rule.map(|r| r.required_runs),
                runs_met: rule.map(|r| r.required_runs == n),
                scored_runs: scored,
                dropped_runs: dropped,
                drop_each_side: drop,
                scores_min: scores,
                result_min: result,
                note,
            }
        })
        .collect()
}

// ---------------------------------------------------------------- signals

fn bench_name(r: &TrainingRunReport) -> &str {
    r.benchmark.as_deref().unwrap_or("training")
}

/// `run_stop; best eval_accuracy at line N`.
fn stop_locator(best: &Option<(String, u64)>) -> String {
    match best {
        Some((_, line)) => format!("run_stop; best eval_accuracy at line {line}"),
        None => "run_stop".into(),
    }
}

fn best_text(c: &RunCheck<'_>) -> Option<(String, u64)> {
    let r = &c.report;
    let best = r.best_eval?;
    let (i, p) = c
        .log
        .eval
        .iter()
        .enumerate()
        .find(|(_, p)| p.value == best)?;
    let target = r
        .target
        .as_ref()
        .map(|t| format!(", target {} {}", t.op, sig(t.value)))
        .unwrap_or_default();
    Some((
        format!(
            "best eval_accuracy {} at {}{target}",
            sig(best),
            position(p, i)
        ),
        p.line,
    ))
}

/// Raise one event at `line` of `path`. Lines are not raised one by one:
/// the classifier counts lines of one identity far apart in one file as
/// separate events, and this is one event per run; `locator` names the
/// other lines instead.
fn raise_at(
    cl: &mut Classifier<'_>,
    signal: &str,
    node: Option<&str>,
    text: &str,
    at: (&str, Option<u64>),
    locator: String,
) {
    let mut ev = Evidence::new(at.0, at.1, text);
    if !locator.is_empty() {
        ev = ev.with_locator(locator);
    }
    cl.signal(signal, node, None, ev);
}

/// Raise this family's signals.
pub fn raise(c: &Campaign, cl: &mut Classifier<'_>, s: &Settings) {
    let _ = s;
    let rules = TrainingRules::builtin();
    let checks = checks(c, &rules);
    for ch in &checks {
        let r = &ch.report;
        let node = r.node.as_deref();
        let best = best_text(ch);
        let stop = ch.log.run_stop.as_ref().map(|s| &s.first);
        match r.status {
            TrainingStatus::Aborted => {
                let text = format!(
                    "{} run aborted (run_stop status \"aborted\"){}{}",
                    bench_name(r),
                    r.time_to_train_min
                        .map(|m| format!(" after {} min", sig(m)))
                        .unwrap_or_default(),
                    best.as_ref()
                        .map(|(b, _)| format!("; {b}"))
                        .unwrap_or_default()
                );
                raise_at(
                    cl,
                    "training_run_aborted",
                    node,
                    &text,
                    (ch.path, stop.map(|m| m.line)),
                    stop_locator(&best),
                );
            }
            TrainingStatus::Incomplete => {
                let text = if ch.log.run_start.is_none() {
                    format!(
                        "{} log has no run_start: the run never started timing ({} lines read)",
                        bench_name(r),
                        ch.log.lines
                    )
                } else {
                    format!(
                        "{} run has no run_stop: the log ends at line {}{}",
                        bench_name(r),
                        ch.log.lines,
                        best.as_ref()
                            .map(|(b, _)| format!("; {b}"))
                            .unwrap_or_default()
                    )
                };
                let start = ch.log.run_start.as_ref().map(|s| s.first.line);
                raise_at(
                    cl,
                    "training_run_incomplete",
                    node,
                    &text,
                    (ch.path, start.or(Some(ch.log.lines))),
                    if start.is_some() { "run_start" } else { "" }.to_string(),
                );
            }
            TrainingStatus::Success | TrainingStatus::Other => {
                if r.converged == Some(false) {
                    let text = format!(
                        "{} run stopped with status {} without reaching the target; {}",
                        bench_name(r),
                        r.status_text.as_deref().unwrap_or("(none)"),
                        best.as_ref()
                            .map(|(b, _)| b.clone())
                            .unwrap_or_else(|| "no numeric eval_accuracy logged".into())
                    );
                    raise_at(
                        cl,
                        "training_target_not_reached",
                        node,
                        &text,
                        (ch.path, stop.map(|m| m.line)),
                        stop_locator(&best),
                    );
                }
            }
        }
        for issue in &r.compliance {
            let signal = match issue.rule.as_str() {
                "required_keys" => "training_required_keys",
                "event_order" => "training_event_order",
                _ => "training_seed",
            };
            let text = format!("{}: {}", bench_name(r), issue.detail);
            let lines: Vec<String> = issue
                .evidence
                .iter()
                .skip(1)
                .filter_map(|e| e.line.map(|l| l.to_string()))
                .collect();
            let locator = if lines.is_empty() {
                String::new()
            } else {
                format!("also line(s) {}", lines.join(", "))
            };
            let first = issue.evidence.first();
            raise_at(
                cl,
                signal,
                node,
                &text,
                (ch.path, first.and_then(|e| e.line)),
                locator,
            );
        }
    }
    for b in benchmarks(&checks, &rules) {
        let first = checks
            .iter()
            .find(|c| c.report.group == b.group && bench_name(&c.report) == b.benchmark)
            .map(|c| c.path)
            .unwrap_or(b.group.as_str());
        if let (Some(req), Some(false)) = (b.required_runs, b.runs_met) {
            let text = format!(
                "{} in {}: {} result file(s), the rules require {req}",
                b.benchmark, b.group, b.runs
            );
            raise_at(
                cl,
                "training_run_count",
                None,
                &text,
                (first, None),
                String::new(),
            );
        }
        if b.dropped_runs > b.drop_each_side {
            let text = format!(
                "{} in {}: {} of {} runs dropped, olympic scoring allows {}: no MLPerf result",
                b.benchmark, b.group, b.dropped_runs, b.runs, b.drop_each_side
            );
            raise_at(
                cl,
                "training_no_result",
                None,
                &text,
                (first, None),
                String::new(),
            );
        }
    }
}

/// This family's report section.
pub fn report(c: &Campaign) -> TrainingReport {
    let rules = TrainingRules::builtin();
    let checks = checks(c, &rules);
    let benchmarks = benchmarks(&checks, &rules);
    TrainingReport {
        runs: checks.into_iter().map(|c| c.report).collect(),
        benchmarks,
        rules_source: rules.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::rules::RuleSet;
    use crate::parse::{NullSink, training};

    #[test]
    fn builtin_table_parses_and_names_its_sources() {
        let r: TrainingRules = toml::from_str(TRAINING_RULES).expect("training_rules.toml");
        assert!(r.source.contains("mlperf-logging"));
        assert!(r.key.iter().any(|k| k.name == "run_stop"));
        let names: BTreeSet<&str> = r.benchmark.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), r.benchmark.len(), "benchmark listed twice");
        for b in &r.benchmark {
            assert!(b.required_runs > 0, "{}", b.name);
            assert_eq!(b.target.is_some(), b.op.is_some(), "{}", b.name);
            assert!(!b.source.is_empty());
        }
        assert_eq!(r.benchmark("unet3d").map(|b| b.drop_each_side), Some(4));
        assert_eq!(r.benchmark("llama31_8b").map(|b| b.required_runs), Some(10));
        assert_eq!(r.benchmark("flux1").and_then(|b| b.op), Some(Op::Le));
    }

    #[test]
    fn olympic_average_matches_result_summarizer() {
        // Five runs, none dropped: drop fastest and slowest, average 3.
        assert_eq!(olympic_average(&[5.0, 1.0, 3.0, 2.0, 4.0], 0, 1), Some(3.0));
        // One dropped run counts as the slowest: only the fastest goes.
        assert_eq!(olympic_average(&[1.0, 2.0, 3.0, 4.0], 1, 1), Some(3.0));
        // Two dropped with one allowed: no result.
        assert_eq!(olympic_average(&[1.0, 2.0, 3.0], 2, 1), None);
        // One scored run and one dropped: nothing left.
        assert_eq!(olympic_average(&[95.0], 1, 1), None);
        assert_eq!(olympic_average(&[], 0, 1), None);
        // unet3d drops four each side.
        let s: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(olympic_average(&s, 0, 4), Some(20.5));
    }

    fn line(t: u64, key: &str, value: &str, meta: &str) -> String {
        format!(
            ":::MLLOG {{\"namespace\": \"\", \"time_ms\": {t}, \"event_type\": \"POINT_IN_TIME\", \"key\": \"{key}\", \"value\": {value}, \"metadata\": {{\"file\": \"t.py\", \"lineno\": 1{meta}}}}}\n"
        )
    }

    fn log(status: &str, evals: &[f64], seed: &str) -> TrainingLog {
        let mut t = String::new();
        for (k, v) in [
            ("cache_clear", "true"),
            ("init_start", "null"),
            ("submission_benchmark", "\"dlrm_dcnv2\""),
            ("submission_org", "\"x\""),
            ("submission_platform", "\"p\""),
            ("submission_division", "\"closed\""),
            ("seed", seed),
            ("global_batch_size", "1"),
            ("gradient_accumulation_steps", "1"),
            ("train_samples", "1"),
            ("eval_samples", "1"),
        ] {
            t.push_str(&line(1_000, k, v, ""));
        }
        t.push_str(&line(2_000, "init_stop", "null", ""));
        t.push_str(&line(2_000, "run_start", "null", ""));
        t.push_str(&line(2_000, "epoch_start", "null", ", \"epoch_num\": 0"));
        t.push_str(&line(2_000, "eval_start", "null", ", \"epoch_num\": 0"));
        for (i, v) in evals.iter().enumerate() {
            t.push_str(&line(
                2_000 + 60_000 * (i as u64 + 1),
                "eval_accuracy",
                &v.to_string(),
                &format!(", \"epoch_num\": {}", i + 1),
            ));
        }
        t.push_str(&line(2_000, "eval_stop", "null", ", \"epoch_num\": 0"));
        t.push_str(&line(2_000, "epoch_stop", "null", ", \"epoch_num\": 0"));
        t.push_str(&line(
            2_000 + 60_000 * evals.len() as u64 + 30_000,
            "run_stop",
            "null",
            &format!(", \"status\": \"{status}\""),
        ));
        let p = training::parse("x", t.as_bytes(), None, &mut NullSink);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        p.value
    }

    fn campaign(logs: Vec<(&str, TrainingLog)>) -> Campaign {
        Campaign {
            training: logs.into_iter().map(|(p, l)| (p.to_string(), l)).collect(),
            ..Campaign::default()
        }
    }

    #[test]
    fn runs_report_status_time_and_where_the_target_was_met() {
        let c = campaign(vec![
            ("b/result_0.txt", log("success", &[0.79, 0.803, 0.81], "1")),
            ("b/result_1.txt", log("aborted", &[0.79, 0.8025], "2")),
        ]);
        let r = report(&c);
        assert_eq!(r.runs.len(), 2);
        let ok = &r.runs[0];
        assert_eq!(ok.status, TrainingStatus::Success);
        assert_eq!(ok.time_to_train_min, Some(3.5));
        assert_eq!(ok.converged, Some(true));
        let reached = ok.reached.as_ref().expect("reached");
        assert_eq!(reached.epoch_num, Some(2.0));
        assert_eq!(reached.eval_index, 2);
        assert_eq!(reached.minutes, Some(2.0));
        assert!(ok.scored, "{}", ok.dropped_reason);
        assert!(ok.compliance.is_empty(), "{:?}", ok.compliance);
        assert_eq!(ok.curve_axis, "epoch");
        let bad = &r.runs[1];
        assert_eq!(bad.status, TrainingStatus::Aborted);
        assert_eq!(bad.converged, Some(false));
        assert_eq!(bad.best_eval, Some(0.8025));
        assert!(!bad.scored);
        assert_eq!(bad.dropped_reason, "aborted");
        let b = &r.benchmarks[0];
        assert_eq!((b.runs, b.scored_runs, b.dropped_runs), (2, 1, 1));
        assert_eq!(b.required_runs, Some(10));
        assert_eq!(b.runs_met, Some(false));
        assert_eq!(b.result_min, None);
    }

    #[test]
    fn signals_cite_the_run_stop_and_best_eval_lines() {
        let c = campaign(vec![
            ("b/result_0.txt", log("aborted", &[0.79, 0.8025], "7")),
            ("b/result_1.txt", log("success", &[0.79], "7")),
        ]);
        let rules = RuleSet::builtin().expect("rules");
        let mut cl = Classifier::new(&rules);
        raise(&c, &mut cl, &Settings::default());
        let events = cl.finish();
        let ids: Vec<&str> = events
            .iter()
            .map(|e| rules.rules[e.rule].id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "training.run_aborted",
                "training.target_not_reached",
                "training.seed",
                "training.run_count",
                "training.no_result"
            ]
        );
        assert_eq!(events[0].events, 1);
        let aborted = &events[0].evidence;
        assert_eq!(aborted.len(), 1);
        assert_eq!(
            aborted[0].locator.as_deref(),
            Some("run_stop; best eval_accuracy at line 17")
        );
        assert!(
            aborted[0]
                .text
                .contains("best eval_accuracy 0.8025 at epoch 2, target >= 0.80275"),
            "{}",
            aborted[0].text
        );
        assert_eq!(aborted[0].line, Some(20));
    }

    #[test]
    fn compliance_finds_missing_repeated_and_misordered_keys() {
        let text = concat!(
            ":::MLLOG {\"key\": \"run_stop\", \"time_ms\": 5, \"value\": null, \"metadata\": {}}\n",
            ":::MLLOG {\"key\": \"run_start\", \"time_ms\": 9, \"value\": null, \"metadata\": {}}\n",
            ":::MLLOG {\"key\": \"run_start\", \"time_ms\": 9, \"value\": null, \"metadata\": {}}\n",
        );
        let log = training::parse("x", text.as_bytes(), None, &mut NullSink).value;
        let c = campaign(vec![("result_0.txt", log)]);
        let r = report(&c);
        let run = &r.runs[0];
        assert_eq!(run.group, ".");
        assert_eq!(run.status, TrainingStatus::Other);
        let rules: Vec<&str> = run.compliance.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules, ["required_keys", "event_order", "seed"]);
        assert!(run.compliance[0].detail.contains("run_start ×2"));
        assert!(
            run.compliance[0]
                .detail
                .contains("run_stop has no metadata.status")
        );
        assert!(
            run.compliance[1]
                .detail
                .contains("run_stop (line 1) comes before run_start (line 2)")
        );
        assert_eq!(run.time_to_train_min, None);
        assert!(!run.scored);
        assert_eq!(r.benchmarks[0].benchmark, "unknown");
        assert_eq!(r.benchmarks[0].required_runs, None);
    }

    #[test]
    fn sig_keeps_six_digits() {
        assert_eq!(sig(0.80275), "0.80275");
        assert_eq!(sig(3.3), "3.3");
        assert_eq!(sig(12256.0), "12256");
        assert_eq!(sig(95.96895), "95.969");
        assert_eq!(sig(f64::NAN), "?");
        assert_eq!(node_of("nodes/a/x/result_0.txt").as_deref(), Some("a"));
    }
}
