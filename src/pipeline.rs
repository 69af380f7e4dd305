//! Wires the stages together: discover → parse → model → analyze → render,
//! then writes the outputs. The only library module that touches the output
//! directory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::analyze;
use crate::analyze::classify::Classifier;
use crate::analyze::rules::{DEFAULT_RULES, RuleSet};
use crate::discover::{self, Artifact, Discovery};
use crate::model::*;
use crate::parse::{self, LineSink};
use crate::render::{self, Format};

/// Read buffer per file: large enough that the bounded line reader rarely
/// refills, small enough to stay flat.
const READ_BUFFER: usize = 64 * 1024;

/// Everything `report` needs. `Default` gives an empty root and every
/// option off, for callers that set only what they need.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The artifacts root.
    pub root: PathBuf,
    /// Where to write the report.
    pub out_dir: PathBuf,
    /// Which formats.
    pub formats: Vec<Format>,
    /// Report title.
    pub title: Option<String>,
    /// Timestamp to print (RFC 3339); none by default so output is reproducible.
    pub generated_at: Option<String>,
    /// User rule/score config files, in order.
    pub configs: Vec<PathBuf>,
    /// Gate: fail (exit 1) when the overall score is below this.
    pub fail_under: Option<f64>,
    /// Gate: fail (exit 1) when a finding is at least this severe.
    pub fail_on: Option<Severity>,
    /// Gate: fail when any artifact was unreadable or had parse warnings.
    pub strict: bool,
    /// Also write the JUnit XML here (`--junit PATH`), wherever it is.
    pub junit_path: Option<PathBuf>,
    /// Append a compact Markdown summary to this file (the resolved
    /// `$GITHUB_STEP_SUMMARY` of `--github-summary`).
    pub github_summary: Option<PathBuf>,
    /// Earlier `report.json` or artifacts directory to compare against.
    pub baseline: Option<PathBuf>,
}

/// What a `report` run did.
#[derive(Debug)]
pub struct ReportOutcome {
    /// The analysed report.
    pub report: Report,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files that could not be written, with the reason.
    pub write_errors: Vec<String>,
    /// Gates that tripped, in words.
    pub gate_failures: Vec<String>,
    /// Problems that do not affect the report or the exit code (a summary
    /// that could not be appended), in words.
    pub warnings: Vec<String>,
}

/// Load the built-in rules plus user configs.
pub fn load_rules(configs: &[PathBuf]) -> Result<RuleSet> {
    let mut texts = vec![("builtin".to_string(), DEFAULT_RULES.to_string())];
    for path in configs {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config `{}`", path.display()))?;
        texts.push((path.display().to_string(), text));
    }
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Ok(RuleSet::load(&refs)?)
}

/// Told about each artifact as it is read, so a terminal can show a
/// progress bar; the pipeline itself never draws anything.
pub trait Progress {
    /// `art`, one of `found.artifacts`, is about to be read. Called in read
    /// order (not path order), once per artifact, recognised or not.
    fn artifact(&mut self, found: &Discovery, art: &Artifact);
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn artifact(&mut self, _found: &Discovery, _art: &Artifact) {}
}

/// Discover and parse everything under `root` into a campaign, streaming log
/// text through `sink`.
pub fn collect(root: &Path, exclude: Option<&Path>, sink: &mut dyn LineSink) -> Campaign {
    collect_with_progress(root, exclude, sink, &mut NoProgress)
}

/// [`collect`], telling `progress` about each artifact before it is read.
pub fn collect_with_progress(
    root: &Path,
    exclude: Option<&Path>,
    sink: &mut dyn LineSink,
    progress: &mut dyn Progress,
) -> Campaign {
    let found = discover::discover(root, exclude);
    let mut campaign = Campaign {
        root: root.display().to_string(),
        ..Campaign::default()
    };
    for s in &found.skipped {
        campaign
            .unreadable
            .push(ParseWarning::new(&s.rel, None, &s.reason));
    }
    // Step logs first, so the harness parser knows which (node, step)
    // outputs are on disk and does not count their lines twice; harness
    // records next, so host names are known before files are attributed.
    let mut order: Vec<&Artifact> = found.artifacts.iter().collect();
    order.sort_by_key(|a| (parse_rank(a.kind), a.rel.clone()));
    let logged: BTreeSet<(String, String)> = found
        .artifacts
        .iter()
        .filter_map(|a| Some((a.node.clone()?, a.step.clone()?)))
        .collect();
    let mut runs: BTreeMap<String, LoadGenRun> = BTreeMap::new();
    let mut entries: BTreeMap<String, FileEntry> = BTreeMap::new();
    for art in order {
        progress.artifact(&found, art);
        let mut entry = FileEntry {
            path: art.rel.clone(),
            bytes: art.bytes,
            kind: art.kind,
            node: art.node.clone(),
            run: None,
            step: art.step.clone(),
            warnings: 0,
        };
        if art.kind == ArtifactKind::Unrecognized {
            entries.insert(art.rel.clone(), entry);
            continue;
        }
        let file = match File::open(&art.fs_path) {
            Ok(f) => BufReader::with_capacity(READ_BUFFER, f),
            Err(e) => {
                let reason = if e.kind() == std::io::ErrorKind::PermissionDenied {
                    "permission denied".to_string()
                } else {
                    e.to_string()
                };
                campaign
                    .unreadable
                    .push(ParseWarning::new(&art.rel, None, reason));
                entry.kind = ArtifactKind::Unrecognized;
                entries.insert(art.rel.clone(), entry);
                continue;
            }
        };
        let path = art.rel.as_str();
        let node = art.node.as_deref();
        let warnings = match art.kind {
            ArtifactKind::AnsibleJson => {
                let p = parse::ansible::parse(path, file, &logged, sink);
                add_harness(&mut campaign, &art.rel, p.value);
                p.warnings
            }
            ArtifactKind::StepStdout | ArtifactKind::StepStderr => {
                let stream = if art.kind == ArtifactKind::StepStdout {
                    Stream::Stdout
                } else {
                    Stream::Stderr
                };
                let step = art.step.as_deref();
                let p = parse::step_log::parse(path, file, node, step, stream, sink);
                if let (Some(n), Some(s)) = (&art.node, &art.step) {
                    campaign.step_logs.push(StepLogFile {
                        node: n.clone(),
                        step: s.clone(),
                        stream,
                        path: art.rel.clone(),
                        log: p.value,
                    });
                }
                p.warnings
            }
            ArtifactKind::LoadgenSummary => {
                let p = parse::loadgen_summary::parse(path, file);
                run_for(&mut runs, art).summary = Some((art.rel.clone(), p.value));
                entry.run = Some(art.dir.clone());
                p.warnings
            }
            ArtifactKind::LoadgenDetail => {
                let step = run_step_guess(art);
                let p = parse::loadgen_detail::parse(path, file, node, step.as_deref(), sink);
                run_for(&mut runs, art).detail = Some((art.rel.clone(), p.value));
                entry.run = Some(art.dir.clone());
                p.warnings
            }
            ArtifactKind::NvidiaSmiXml => {
                let p = parse::nvidia_smi_xml::parse(path, file);
                let (data, owner) = node_data(&mut campaign, art);
                data.nvidia_smi.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::NvidiaSmiCsv => {
                let p = parse::nvidia_smi_csv::parse(path, file);
                let (data, owner) = node_data(&mut campaign, art);
                data.gpu_csv.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::NvidiaSmiText => {
                let p = parse::nvidia_smi_text::parse(path, file);
                let (data, owner) = node_data(&mut campaign, art);
                data.nvidia_smi_text.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::DcgmDiag => {
                let p = parse::dcgm::parse(path, file);
                let (data, owner) = node_data(&mut campaign, art);
                data.dcgm.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::KernelLog => {
                let owner = art
                    .node
                    .clone()
                    .or_else(|| node_from_hosts(&art.rel, &campaign));
                let p = parse::kernel_log::parse(path, file, owner.as_deref(), sink);
                let (data, owner) = node_data(&mut campaign, art);
                data.kernel_logs.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::SoftwareDump => {
                let p = parse::software::parse(path, file);
                let (data, owner) = node_data(&mut campaign, art);
                data.software.push((art.rel.clone(), p.value));
                entry.node = owner;
                p.warnings
            }
            ArtifactKind::Kubectl => {
                let p = parse::kubectl::parse(path, file, sink);
                if let Some(nodes) = p.value.nodes {
                    campaign.kube_nodes.push((art.rel.clone(), nodes));
                }
                if let Some(h) = p.value.harness {
                    add_harness(&mut campaign, &art.rel, h);
                }
                p.warnings
            }
            ArtifactKind::RunRecord => {
                let p = parse::run_record::parse(path, file, sink);
                add_harness(&mut campaign, &art.rel, p.value);
                p.warnings
            }
            ArtifactKind::LoadgenTrace => {
                let p = parse::loadgen_trace::parse(path, file);
                run_for(&mut runs, art).trace = Some((art.rel.clone(), p.value));
                entry.run = Some(art.dir.clone());
                p.warnings
            }
            ArtifactKind::LoadgenAccuracy => {
                let p = parse::loadgen_accuracy::parse(path, file);
                run_for(&mut runs, art).accuracy = Some((art.rel.clone(), p.value));
                entry.run = Some(art.dir.clone());
                p.warnings
            }
            ArtifactKind::AccuracyResult => {
                let p = parse::accuracy_result::parse(path, file);
                run_for(&mut runs, art).accuracy_result = Some((art.rel.clone(), p.value));
                entry.run = Some(art.dir.clone());
                p.warnings
            }
            ArtifactKind::LoadgenConfig => {
                let p = parse::loadgen_config::parse(path, file);
                campaign.loadgen_configs.push((art.rel.clone(), p.value));
                p.warnings
            }
            ArtifactKind::SubmissionMeta => {
                let p = parse::submission::parse(path, file);
                campaign.submission_meta.push((art.rel.clone(), p.value));
                p.warnings
            }
            ArtifactKind::TrainingLog => {
                let p = parse::training::parse(path, file, node, sink);
                campaign.training.push((art.rel.clone(), p.value));
                p.warnings
            }
            ArtifactKind::Unrecognized => Vec::new(),
        };
        entry.warnings = warnings.len() as u64;
        campaign.warnings.extend(warnings);
        entries.insert(art.rel.clone(), entry);
    }
    for art in &found.artifacts {
        if let Some(n) = &art.node {
            campaign.nodes.entry(n.clone()).or_default().has_folder = true;
        }
    }
    let steps: BTreeSet<(String, String)> = campaign
        .steps()
        .map(|s| (s.node.clone(), s.name.clone()))
        .collect();
    for (_, mut run) in runs {
        run.step = link_step(&run, &steps);
        run.submission = parse::submission::path_info(&run.id);
        campaign.runs.push(run);
    }
    campaign.files = entries.into_values().collect();
    campaign.warnings.sort();
    campaign.unreadable.sort();
    campaign
}

fn parse_rank(kind: ArtifactKind) -> u8 {
    match kind {
        ArtifactKind::StepStdout | ArtifactKind::StepStderr => 0,
        ArtifactKind::AnsibleJson | ArtifactKind::Kubectl | ArtifactKind::RunRecord => 1,
        _ => 2,
    }
}

/// Record a harness run and mark its hosts as nodes.
fn add_harness(campaign: &mut Campaign, rel: &str, run: HarnessRun) {
    for host in &run.hosts {
        campaign.nodes.entry(host.clone()).or_default().in_harness = true;
    }
    campaign.harness.push((rel.to_string(), run));
}

/// The node a probe belongs to (its `nodes/<name>/` folder, else a harness
/// host named on its path), and that node's data. Probes that name no node
/// are kept under `(unattributed)` rather than dropped.
fn node_data<'c>(campaign: &'c mut Campaign, art: &Artifact) -> (&'c mut NodeData, Option<String>) {
    let owner = art
        .node
        .clone()
        .or_else(|| node_from_hosts(&art.rel, campaign));
    let key = owner
        .clone()
        .unwrap_or_else(|| "(unattributed)".to_string());
    (campaign.nodes.entry(key).or_default(), owner)
}

fn run_for<'a>(runs: &'a mut BTreeMap<String, LoadGenRun>, art: &Artifact) -> &'a mut LoadGenRun {
    runs.entry(art.dir.clone()).or_insert_with(|| LoadGenRun {
        id: art.dir.clone(),
        node: art.node.clone(),
        step: None,
        summary: None,
        detail: None,
        trace: None,
        accuracy: None,
        accuracy_result: None,
        submission: None,
    })
}

/// The step a LoadGen run folder most likely belongs to, before harness
/// records are known: `loadgen/<name>/` → `loadgen_<name>`.
fn run_step_guess(art: &Artifact) -> Option<String> {
    let name = art.dir.rsplit('/').next()?;
    Some(format!("loadgen_{name}"))
}

/// Link a run in `…/<name>/` to a step on the same node named `<name>` or
/// `loadgen_<name>` (see docs/artifacts.md).
fn link_step(run: &LoadGenRun, steps: &BTreeSet<(String, String)>) -> Option<String> {
    let node = run.node.as_ref()?;
    let name = run.id.rsplit('/').next()?;
    [name.to_string(), format!("loadgen_{name}")]
        .into_iter()
        .find(|cand| steps.contains(&(node.clone(), cand.clone())))
}

/// A node for a file outside `nodes/<name>/`: a harness host name that is a
/// path component or the file name's stem.
fn node_from_hosts(rel: &str, campaign: &Campaign) -> Option<String> {
    let hosts: Vec<&String> = campaign
        .nodes
        .iter()
        .filter(|(_, d)| d.in_harness)
        .map(|(n, _)| n)
        .collect();
    let stem = rel.rsplit('/').next()?.split('.').next()?;
    rel.split('/')
        .chain(std::iter::once(stem))
        .find_map(|part| {
            hosts
                .iter()
                .find(|h| h.as_str() == part)
                .map(|h| h.to_string())
        })
}

/// Build the report for `root` without writing anything.
pub fn build_report(opts: &ReportOptions) -> Result<Report> {
    build_report_with_progress(opts, &mut NoProgress)
}

/// [`build_report`], telling `progress` about each artifact as it is read.
pub fn build_report_with_progress(
    opts: &ReportOptions,
    progress: &mut dyn Progress,
) -> Result<Report> {
    if !opts.root.is_dir() {
        return Err(crate::error::FatalError::BadRoot(opts.root.clone()).into());
    }
    let rules = load_rules(&opts.configs)?;
    let settings = analyze::config::load_settings(&opts.configs)?;
    let mut classifier = Classifier::new(&rules).with_window(settings.dedup_window_s);
    let campaign =
        collect_with_progress(&opts.root, Some(&opts.out_dir), &mut classifier, progress);
    let mut report = analyze::analyze(&campaign, classifier, &settings);
    report.title = opts
        .title
        .clone()
        .unwrap_or_else(|| "MLPerf campaign health report".to_string());
    report.generated_at = opts.generated_at.clone();
    if let Some(path) = &opts.baseline {
        report.baseline = Some(crate::history::baseline_comparison(&report, path, opts)?);
    }
    Ok(report)
}

/// Build the report and write every requested format into `out_dir`.
pub fn run_report(opts: &ReportOptions) -> Result<ReportOutcome> {
    run_report_with_progress(opts, &mut NoProgress)
}

/// [`run_report`], telling `progress` about each artifact as it is read.
///
/// Every requested file is attempted even when an earlier one fails, and
/// gates are evaluated only afterwards, so a tripped gate (exit 1) always
/// comes with a complete report on disk.
pub fn run_report_with_progress(
    opts: &ReportOptions,
    progress: &mut dyn Progress,
) -> Result<ReportOutcome> {
    let report = build_report_with_progress(opts, progress)?;
    let mut files = render::render_all(&report, &opts.formats)?;
    // `--junit PATH` may point anywhere (CI systems pick the path), so it
    // is resolved here rather than relative to the output directory.
    let mut targets: Vec<PathBuf> = files.iter().map(|f| opts.out_dir.join(&f.path)).collect();
    if let Some(path) = &opts.junit_path {
        files.push(render::OutputFile {
            path: path.display().to_string(),
            bytes: render::junit::render_junit(&report),
        });
        targets.push(path.clone());
    }
    std::fs::create_dir_all(&opts.out_dir).with_context(|| {
        format!(
            "cannot create output directory `{}`",
            opts.out_dir.display()
        )
    })?;
    let mut written = Vec::new();
    let mut write_errors = Vec::new();
    for (f, target) in files.iter().zip(targets) {
        match write_atomic(&target, &f.bytes) {
            Ok(()) => written.push(target),
            Err(e) => write_errors.push(format!("{}: {e:#}", target.display())),
        }
    }
    let mut warnings = Vec::new();
    if let Some(path) = &opts.github_summary {
        if let Err(e) = append_summary(path, &report) {
            warnings.push(format!(
                "could not append the job summary to `{}`: {e:#}",
                path.display()
            ));
        }
    }
    let gate_failures = gates(&report, opts);
    Ok(ReportOutcome {
        report,
        written,
        write_errors,
        gate_failures,
        warnings,
    })
}

/// Append the compact summary to `path`, within what is left of GitHub's
/// per-step limit after whatever earlier commands of the step wrote.
fn append_summary(path: &Path, report: &Report) -> Result<()> {
    let used = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let budget = render::summary::GITHUB_SUMMARY_LIMIT
        .saturating_sub(usize::try_from(used).unwrap_or(usize::MAX));
    let text = render::summary::github_summary(report, budget);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn gates(report: &Report, opts: &ReportOptions) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(min) = opts.fail_under {
        match report.overall.score {
            Some(s) if s < min => {
                out.push(format!("overall score {s:.0} is below --fail-under {min}"))
            }
            None => out.push(format!(
                "overall score is not assessed, so it cannot meet --fail-under {min}"
            )),
            _ => {}
        }
    }
    if let Some(sev) = opts.fail_on {
        let n = report.findings.iter().filter(|f| f.severity >= sev).count();
        if n > 0 {
            out.push(format!(
                "{n} finding(s) at severity {} or worse (--fail-on {})",
                sev.as_str(),
                sev.as_str()
            ));
        }
    }
    if opts.strict {
        let bad = report.inputs.unreadable_total + report.inputs.warnings_total;
        if bad > 0 {
            out.push(format!(
                "--strict: {} unreadable file(s) and {} parse warning(s)",
                report.inputs.unreadable_total, report.inputs.warnings_total
            ));
        }
    }
    out
}

/// Write via a temporary file in the same directory and rename, so an
/// interrupted run never leaves a half-written report behind.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f =
            File::create(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
            .with_context(|| format!("cannot rename into `{}`", target.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `SOURCE_DATE_EPOCH` (seconds) as an RFC 3339 UTC timestamp.
pub fn epoch_to_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic
    // Gregorian calendar; avoids a date-time dependency for one conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_conversion_matches_known_dates() {
        assert_eq!(epoch_to_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_to_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(epoch_to_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
