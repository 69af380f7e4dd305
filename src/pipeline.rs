//! Wires the stages together: discover → parse → model → analyze → render,
//! then writes the outputs. The only library module that touches the output
//! directory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::analyze;
use crate::analyze::classify::Classifier;
use crate::analyze::rules::{DEFAULT_RULES, RuleSet};
use crate::discover::{self, Artifact, Discovery};
use crate::model::*;
use crate::parse::{self, LineOrigin, LineSink};
use crate::render::{self, Format};

/// Read buffer per file: large enough that the bounded line reader rarely
/// refills, small enough to stay flat.
const READ_BUFFER: usize = 64 * 1024;

/// Read buffer for files of [`LARGE_FILE`] bytes or more: fewer reads, and
/// fewer records cut by the buffer's end (a LoadGen trace event cut there
/// takes the slow path). Small files keep the small buffer, whose
/// allocation is cheaper.
const LARGE_READ_BUFFER: usize = 256 * 1024;
const LARGE_FILE: u64 = 16 * 1024 * 1024;

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
///
/// Files are read in parallel (on rayon's pool; `RAYON_NUM_THREADS=1` reads
/// them one by one) and their results applied in the order a sequential
/// read would use, so the campaign and every line `sink` sees are the same
/// whatever the thread count.
pub fn collect_with_progress(
    root: &Path,
    exclude: Option<&Path>,
    sink: &mut dyn LineSink,
    progress: &mut dyn Progress,
) -> Campaign {
    collect_with(root, exclude, sink, progress, &Limits::DEFAULT)
}

/// How files are spread over threads (tests shrink these to exercise every
/// path on small inputs).
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Files read in parallel before their results are applied: enough to
    /// keep every thread busy on uneven file sizes; progress moves and
    /// recorded log text is freed once per batch.
    batch_files: usize,
    /// Bytes of log text one file may record on a worker thread. A file
    /// that would record more is read again on the calling thread, straight
    /// into the sink, so memory stays flat on huge logs.
    record_budget: usize,
    /// Batches smaller than this are read on the calling thread: for many
    /// small files, recording and replaying their lines costs more than the
    /// threads save (measured on the 1,000-run benchmark tree).
    parallel_bytes: u64,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        batch_files: 64,
        record_budget: 1 << 20,
        parallel_bytes: 8 << 20,
    };
}

fn collect_with(
    root: &Path,
    exclude: Option<&Path>,
    sink: &mut dyn LineSink,
    progress: &mut dyn Progress,
    limits: &Limits,
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
    // Files of the later ranks are attributed to the hosts the harness
    // records name, so they are read only once those records are applied.
    let split = order.partition_point(|a| parse_rank(a.kind) < 2);
    let (harness_side, rest) = order.split_at(split);
    for wave in [harness_side, rest] {
        let ctx = ReadContext {
            logged: &logged,
            hosts: campaign
                .nodes
                .iter()
                .filter(|(_, d)| d.in_harness)
                .map(|(n, _)| {
                    let data = NodeData {
                        in_harness: true,
                        ..NodeData::default()
                    };
                    (n.clone(), data)
                })
                .collect(),
        };
        read_in_order(wave, &ctx, sink, limits, |art, shard| {
            progress.artifact(&found, art);
            merge_shard(shard, &mut campaign, &mut runs, &mut entries);
        });
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

/// What reading one file may depend on: the same for every file of a wave.
struct ReadContext<'a> {
    /// (node, step) pairs whose step logs are on disk.
    logged: &'a BTreeSet<(String, String)>,
    /// Hosts named by the harness records read so far, as `in_harness`
    /// nodes: the seed of every shard's node map.
    hosts: BTreeMap<String, NodeData>,
}

/// What reading one file produced, before it is merged into the campaign:
/// a campaign holding only this file's contributions (plus the harness
/// hosts it was seeded with), its runs, and its file entry.
struct Shard {
    campaign: Campaign,
    runs: BTreeMap<String, LoadGenRun>,
    entry: FileEntry,
}

/// Read `arts` and hand each result to `apply` in the order given. With one
/// thread (or one file) this is a plain loop into `sink`; otherwise batches
/// are read on rayon's pool, each file's log text recorded and replayed into
/// `sink` just before its result is applied.
fn read_in_order(
    arts: &[&Artifact],
    ctx: &ReadContext<'_>,
    sink: &mut dyn LineSink,
    limits: &Limits,
    mut apply: impl FnMut(&Artifact, Shard),
) {
    if rayon::current_num_threads() <= 1 || arts.len() <= 1 {
        for art in arts {
            let shard = read_artifact(art, ctx, sink);
            apply(art, shard);
        }
        return;
    }
    for batch in arts.chunks(limits.batch_files.max(1)) {
        if batch.iter().map(|a| a.bytes).sum::<u64>() < limits.parallel_bytes {
            for art in batch {
                let shard = read_artifact(art, ctx, sink);
                apply(art, shard);
            }
            continue;
        }
        // Largest files first, each thread taking the next file when it is
        // free: splitting the batch in halves instead could leave both big
        // traces to one thread.
        let mut by_size: Vec<usize> = (0..batch.len()).collect();
        by_size.sort_by_key(|&i| std::cmp::Reverse(batch.get(i).map_or(0, |a| a.bytes)));
        let slots: Vec<Mutex<Option<(Shard, Recorder)>>> =
            batch.iter().map(|_| Mutex::new(None)).collect();
        by_size.into_iter().par_bridge().for_each(|i| {
            let (Some(art), Some(slot)) = (batch.get(i), slots.get(i)) else {
                return;
            };
            if reads_on_caller(art, limits) {
                return;
            }
            let mut rec = Recorder::new(limits.record_budget);
            let shard = read_artifact(art, ctx, &mut rec);
            if !rec.over {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((shard, rec));
            }
        });
        // An empty slot (kept on the calling thread, or over budget) is
        // read below, straight into the sink.
        let done = slots
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner));
        for (art, result) in batch.iter().zip(done) {
            let shard = match result {
                Some((shard, rec)) => {
                    rec.replay(sink);
                    shard
                }
                None => read_artifact(art, ctx, sink),
            };
            apply(art, shard);
        }
    }
}

/// Large files of kinds that send every line to the sink are read on the
/// calling thread from the start: recording them would only overflow the
/// budget and read them twice.
fn reads_on_caller(art: &Artifact, limits: &Limits) -> bool {
    let chatty = matches!(
        art.kind,
        ArtifactKind::StepStdout
            | ArtifactKind::StepStderr
            | ArtifactKind::KernelLog
            | ArtifactKind::AnsibleJson
            | ArtifactKind::Kubectl
            | ArtifactKind::RunRecord
    );
    chatty && art.bytes > limits.record_budget as u64
}

/// Read one artifact into a [`Shard`]: the per-kind dispatch. It may depend
/// only on the artifact, `ctx` and its own shard (never on other files of
/// its wave), since files of a wave are read in parallel.
fn read_artifact(art: &Artifact, ctx: &ReadContext<'_>, sink: &mut dyn LineSink) -> Shard {
    let logged = ctx.logged;
    let mut campaign = Campaign {
        nodes: ctx.hosts.clone(),
        ..Campaign::default()
    };
    let mut runs: BTreeMap<String, LoadGenRun> = BTreeMap::new();
    let mut entry = FileEntry {
        path: art.rel.clone(),
        bytes: art.bytes,
        kind: art.kind,
        node: art.node.clone(),
        run: None,
        step: art.step.clone(),
        warnings: 0,
    };
    'read: {
        if art.kind == ArtifactKind::Unrecognized {
            break 'read;
        }
        let file = match File::open(&art.fs_path) {
            Ok(f) if art.bytes >= LARGE_FILE => BufReader::with_capacity(LARGE_READ_BUFFER, f),
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
                break 'read;
            }
        };
        let path = art.rel.as_str();
        let node = art.node.as_deref();
        let warnings = match art.kind {
            ArtifactKind::AnsibleJson => {
                let p = parse::ansible::parse(path, file, logged, sink);
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
            ArtifactKind::ComplianceVerify => {
                let p = parse::verify::parse(path, file);
                campaign.compliance.push((art.rel.clone(), p.value));
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
    }
    Shard {
        campaign,
        runs,
        entry,
    }
}

/// Fold one file's shard into the campaign. Vectors are appended and runs
/// filled field by field, which in read order gives exactly what reading
/// every file into one campaign gives. The destructuring is exhaustive on
/// purpose: a new field must be merged here, or it does not compile.
fn merge_shard(
    shard: Shard,
    campaign: &mut Campaign,
    runs: &mut BTreeMap<String, LoadGenRun>,
    entries: &mut BTreeMap<String, FileEntry>,
) {
    let Shard {
        campaign: part,
        runs: part_runs,
        entry,
    } = shard;
    let Campaign {
        root: _,
        files: _,
        runs: _,
        unreadable,
        warnings,
        nodes,
        harness,
        step_logs,
        loadgen_configs,
        submission_meta,
        compliance,
        kube_nodes,
        training,
    } = part;
    campaign.unreadable.extend(unreadable);
    campaign.warnings.extend(warnings);
    campaign.harness.extend(harness);
    campaign.step_logs.extend(step_logs);
    campaign.loadgen_configs.extend(loadgen_configs);
    campaign.submission_meta.extend(submission_meta);
    campaign.compliance.extend(compliance);
    campaign.kube_nodes.extend(kube_nodes);
    campaign.training.extend(training);
    for (name, data) in nodes {
        merge_node(campaign.nodes.entry(name).or_default(), data);
    }
    for (dir, run) in part_runs {
        match runs.entry(dir) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(run);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => merge_run(o.get_mut(), run),
        }
    }
    entries.insert(entry.path.clone(), entry);
}

fn merge_node(into: &mut NodeData, from: NodeData) {
    let NodeData {
        nvidia_smi,
        gpu_csv,
        nvidia_smi_text,
        dcgm,
        kernel_logs,
        software,
        in_harness,
        has_folder,
    } = from;
    into.nvidia_smi.extend(nvidia_smi);
    into.gpu_csv.extend(gpu_csv);
    into.nvidia_smi_text.extend(nvidia_smi_text);
    into.dcgm.extend(dcgm);
    into.kernel_logs.extend(kernel_logs);
    into.software.extend(software);
    into.in_harness |= in_harness;
    into.has_folder |= has_folder;
}

/// A later file of the same run folder sets the parts it read, as it would
/// have reading into one map.
fn merge_run(into: &mut LoadGenRun, from: LoadGenRun) {
    let LoadGenRun {
        id: _,
        node: _,
        step,
        summary,
        detail,
        trace,
        accuracy,
        accuracy_result,
        submission,
    } = from;
    fn set<T>(slot: &mut Option<T>, v: Option<T>) {
        if v.is_some() {
            *slot = v;
        }
    }
    set(&mut into.step, step);
    set(&mut into.summary, summary);
    set(&mut into.detail, detail);
    set(&mut into.trace, trace);
    set(&mut into.accuracy, accuracy);
    set(&mut into.accuracy_result, accuracy_result);
    set(&mut into.submission, submission);
}

/// Log text a file sent to its sink while read on a worker thread, kept
/// compactly until it is replayed into the real sink in read order.
struct Recorder {
    budget: usize,
    /// Every string of every line, back to back.
    text: String,
    lines: Vec<RecordedLine>,
    /// The budget was exceeded: nothing is kept, the file is read again.
    over: bool,
}

/// One [`LineSink::line`] call; spans index [`Recorder::text`].
struct RecordedLine {
    line: u64,
    stream: Stream,
    path: Range<usize>,
    node: Option<Range<usize>>,
    step: Option<Range<usize>>,
    locator: Option<Range<usize>>,
    text: Range<usize>,
}

/// Budget charged per recorded line on top of its text.
const RECORDED_LINE_COST: usize = std::mem::size_of::<RecordedLine>();

impl Recorder {
    fn new(budget: usize) -> Self {
        Recorder {
            budget,
            text: String::new(),
            lines: Vec::new(),
            over: false,
        }
    }

    /// Store `s`, reusing `prev` when it holds the same text (path, node
    /// and step rarely change from one line to the next).
    fn store(&mut self, s: &str, prev: Option<&Range<usize>>) -> Range<usize> {
        if let Some(p) = prev {
            if self.text.get(p.clone()) == Some(s) {
                return p.clone();
            }
        }
        let start = self.text.len();
        self.text.push_str(s);
        start..self.text.len()
    }

    fn replay(&self, sink: &mut dyn LineSink) {
        let get = |r: &Range<usize>| self.text.get(r.clone()).unwrap_or("");
        for l in &self.lines {
            let origin = LineOrigin {
                path: get(&l.path),
                line: l.line,
                node: l.node.as_ref().map(get),
                step: l.step.as_ref().map(get),
                stream: l.stream,
                locator: l.locator.as_ref().map(get),
            };
            sink.line(&origin, get(&l.text));
        }
    }
}

impl LineSink for Recorder {
    fn line(&mut self, o: &LineOrigin<'_>, text: &str) {
        if self.over {
            return;
        }
        let cost = text.len()
            + o.path.len()
            + o.node.map_or(0, str::len)
            + o.step.map_or(0, str::len)
            + o.locator.map_or(0, str::len)
            + RECORDED_LINE_COST;
        if self.text.len() + self.lines.len() * RECORDED_LINE_COST + cost > self.budget {
            self.over = true;
            self.text = String::new();
            self.lines = Vec::new();
            return;
        }
        let last = self.lines.last();
        let (pp, pn, ps) = (
            last.map(|l| l.path.clone()),
            last.and_then(|l| l.node.clone()),
            last.and_then(|l| l.step.clone()),
        );
        let path = self.store(o.path, pp.as_ref());
        let node = o.node.map(|n| self.store(n, pn.as_ref()));
        let step = o.step.map(|s| self.store(s, ps.as_ref()));
        let locator = o.locator.map(|l| self.store(l, None));
        let text = self.store(text, None);
        self.lines.push(RecordedLine {
            line: o.line,
            stream: o.stream,
            path,
            node,
            step,
            locator,
            text,
        });
    }
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
    if rayon::current_num_threads() > 1 {
        crate::analyze::classify::prepare_in_background(&rules);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::parse::CollectSink;

    /// Collect `root` on a pool of `threads` with `limits`: the campaign and
    /// every line the sink saw, in order.
    fn collect_on(root: &Path, threads: usize, limits: &Limits) -> (Campaign, CollectSink) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut sink = CollectSink::default();
        let campaign =
            pool.install(|| collect_with(root, None, &mut sink, &mut NoProgress, limits));
        (campaign, sink)
    }

    #[test]
    fn parallel_reading_gives_what_sequential_reading_gives() {
        // Every fixture at once: all kinds, bad inputs, harness records that
        // name hosts, logs that go to the sink. Small batches and a tiny
        // recording budget exercise batch edges and re-reading on the
        // calling thread.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (campaign, sink) = collect_on(&root, 1, &Limits::DEFAULT);
        let lines = sink.lines;
        assert!(campaign.files.len() > 200 && lines.len() > 1000);
        assert!(!campaign.harness.is_empty() && !campaign.runs.is_empty());
        for limits in [
            Limits::DEFAULT,
            Limits {
                batch_files: 3,
                record_budget: 2000,
                parallel_bytes: 0,
            },
            Limits {
                batch_files: 1,
                record_budget: 0,
                parallel_bytes: 0,
            },
            Limits {
                batch_files: 50,
                record_budget: 1 << 20,
                parallel_bytes: 0,
            },
        ] {
            let (c, s) = collect_on(&root, 3, &limits);
            assert!(c == campaign, "campaign differs with {limits:?}");
            assert!(s.lines == lines, "sink lines differ with {limits:?}");
        }
    }

    #[test]
    fn recorder_replays_what_it_was_given() {
        let mut rec = Recorder::new(1 << 20);
        let mut direct = CollectSink::default();
        let origins = [
            ("a.log", 1, Some("n1"), Some("s1"), None, "first"),
            (
                "a.log",
                2,
                Some("n1"),
                Some("s1"),
                Some("stderr line 2"),
                "second",
            ),
            ("b.json", 7, Some("n2"), None, None, ""),
            ("b.json", 8, None, Some("s1"), None, "é ünïcode"),
        ];
        for (path, line, node, step, locator, text) in origins {
            let o = LineOrigin {
                path,
                line,
                node,
                step,
                stream: Stream::Stderr,
                locator,
            };
            rec.line(&o, text);
            direct.line(&o, text);
        }
        let mut replayed = CollectSink::default();
        rec.replay(&mut replayed);
        assert_eq!(replayed.lines, direct.lines);
        let mut small = Recorder::new(10);
        small.line(
            &LineOrigin {
                path: "a",
                line: 1,
                node: None,
                step: None,
                stream: Stream::Log,
                locator: None,
            },
            "more than ten bytes",
        );
        assert!(small.over && small.lines.is_empty());
    }
}
