//! Software-stack dumps: `python -m torch.utils.collect_env`, `pip list
//! --format=json`, `pip freeze`, `nvcc --version`, `uname -a`,
//! `/etc/os-release`, `lscpu`, `/proc/meminfo`.
//!
//! One parser for all of them: the kind is recognised from the first bytes
//! (falling back to the file name), then the text is streamed line by line
//! through [`LineReader`] — except `pip list` JSON, which is one line and is
//! streamed element by element through serde_json with a byte budget.
//! Every value lands in one normalised key → version map (see
//! [`SoftwareDump::versions`]) so dumps of different kinds compare.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Parsed;
use super::lines::LineReader;
use crate::model::{DumpKind, ParseWarning, SoftwareDump, VersionValue, cap_text};

/// Most packages kept per dump; the rest are counted. A real environment has
/// a few hundred, so this only bites on hostile or concatenated input.
pub const MAX_PACKAGES: usize = 5000;

/// Most bytes of `pip list` JSON read. 5,000 entries are ~250 KiB; the
/// budget bounds what serde_json may buffer for one hostile string.
pub const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// Longest value or package name kept, in bytes.
const VALUE_MAX: usize = 160;

/// Packages promoted to a bare key (`torch`, not only `pip:torch`) because
/// node-to-node drift in them matters.
const PROMOTED: &[&str] = &[
    "torch",
    "torchvision",
    "torchaudio",
    "transformers",
    "vllm",
    "mlcommons-loadgen",
    "numpy",
    "tensorrt",
    "tensorrt-llm",
    "triton",
    "flash-attn",
    "accelerate",
    "onnxruntime",
    "onnxruntime-gpu",
    "nvidia-nccl-cu11",
    "nvidia-nccl-cu12",
    "nvidia-nccl-cu13",
    "nvidia-cudnn-cu12",
    "deepspeed",
    "jax",
    "jaxlib",
    "tensorflow",
];

/// Values that mean "no value" in `collect_env`.
const NO_VALUE: &[&str] = &["N/A", "Could not collect", "No CUDA", ""];

/// True when a file is one of the dumps, by name or content.
pub fn sniff(name: &str, head: &[u8]) -> bool {
    kind_by_content(head).is_some() || kind_by_name(name).is_some()
}

/// The kind a file name suggests (`collect_env*.txt`, `pip-list*.json`,
/// `pip-freeze*.txt`, `requirements*.txt`, `nvcc*.txt`, `uname*.txt`,
/// `os-release`, `lscpu*.txt`, `meminfo*`, each possibly after a prefix
/// ending in `-`, `_` or `.`).
pub fn kind_by_name(name: &str) -> Option<DumpKind> {
    let name = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s, e),
        None => (name.as_str(), ""),
    };
    let text = matches!(ext, "txt" | "log" | "out" | "");
    // At the start of the name or after a separator, so per-node names
    // (`node07-pip-freeze.txt`, `gpu-a.lscpu.txt`) are recognised too.
    let starts = |prefixes: &[&str]| {
        prefixes.iter().any(|p| {
            stem.match_indices(p)
                .any(|(i, _)| i == 0 || stem.get(..i).is_some_and(|s| s.ends_with(['-', '_', '.'])))
        })
    };
    Some(if starts(&["collect_env", "collect-env"]) && text {
        DumpKind::CollectEnv
    } else if starts(&["pip-list", "pip_list"]) && ext == "json" {
        DumpKind::PipList
    } else if starts(&["pip-freeze", "pip_freeze", "requirements"]) && text {
        DumpKind::PipFreeze
    } else if starts(&["nvcc"]) && text {
        DumpKind::Nvcc
    } else if starts(&["uname"]) && text {
        DumpKind::Uname
    } else if starts(&["os-release", "os_release"]) && text {
        DumpKind::OsRelease
    } else if starts(&["lscpu"]) && text {
        DumpKind::Lscpu
    } else if starts(&["meminfo"]) && text {
        DumpKind::Meminfo
    } else {
        return None;
    })
}

/// The kind the first bytes show, if they are specific enough.
pub fn kind_by_content(head: &[u8]) -> Option<DumpKind> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let has = |s: &str| memchr::memmem::find(head, s.as_bytes()).is_some();
    if has("PyTorch version:") && (has("Is debug build:") || has("CUDA used to build PyTorch:")) {
        return Some(DumpKind::CollectEnv);
    }
    if has("Cuda compilation tools, release") {
        return Some(DumpKind::Nvcc);
    }
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    if let Some(i) = first {
        let rest = &head[i..];
        if rest.starts_with(b"[") {
            let after = rest[1..].iter().find(|b| !b.is_ascii_whitespace());
            return (after == Some(&b'{') && has("\"name\"") && has("\"version\""))
                .then_some(DumpKind::PipList);
        }
    }
    // Text formats: judge complete lines only (the head may end mid-line).
    let text = String::from_utf8_lossy(head);
    let complete = match text.rfind('\n') {
        Some(i) => &text[..i],
        None => &text[..],
    };
    let lines: Vec<&str> = complete
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let first = lines.first().copied().unwrap_or("");
    if uname_fields(first).is_some() && lines.len() == 1 {
        return Some(DumpKind::Uname);
    }
    let key_is = |l: &&str, k: &str| l.split_once(':').is_some_and(|(a, _)| a.trim() == k);
    if first.starts_with("MemTotal:")
        && first.ends_with("kB")
        && lines.iter().any(|l| l.starts_with("MemFree:"))
    {
        return Some(DumpKind::Meminfo);
    }
    if lines.iter().any(|l| key_is(l, "Architecture"))
        && lines.iter().any(|l| key_is(l, "CPU(s)"))
        && lines
            .iter()
            .any(|l| key_is(l, "Model name") || key_is(l, "Byte Order"))
    {
        return Some(DumpKind::Lscpu);
    }
    let assignments = lines
        .iter()
        .filter(|l| !l.starts_with('#'))
        .all(|l| os_release_pair(l).is_some());
    let has_key = |k: &str| lines.iter().any(|l| l.starts_with(&format!("{k}=")));
    if !lines.is_empty()
        && assignments
        && (has_key("PRETTY_NAME") || (has_key("NAME") && has_key("ID")))
    {
        return Some(DumpKind::OsRelease);
    }
    let reqs: Vec<&&str> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    let pins = reqs.iter().filter(|l| l.contains("==")).count();
    if pins >= 3
        && reqs
            .iter()
            .all(|l| matches!(freeze_line(l), Freeze::Package(..)))
    {
        return Some(DumpKind::PipFreeze);
    }
    None
}

/// Parse a dump (its kind is recognised from the content, else the name).
pub fn parse<R: BufRead>(path: &str, mut reader: R) -> Parsed<SoftwareDump> {
    let by_content = match reader.fill_buf() {
        Ok(head) => kind_by_content(head),
        Err(_) => None,
    };
    let kind = by_content
        .or_else(|| kind_by_name(path))
        .unwrap_or(DumpKind::Unknown);
    let mut b = Builder::new(path, kind);
    match kind {
        DumpKind::PipList => pip_list(&mut b, reader),
        DumpKind::Unknown => {}
        _ => lines(&mut b, reader),
    }
    b.finish()
}

/// Collects values with the caps, and the warnings.
struct Builder<'p> {
    path: &'p str,
    dump: SoftwareDump,
    kept: usize,
    warnings: Vec<ParseWarning>,
}

impl<'p> Builder<'p> {
    fn new(path: &'p str, kind: DumpKind) -> Self {
        Builder {
            path,
            dump: SoftwareDump {
                kind,
                ..SoftwareDump::default()
            },
            kept: 0,
            warnings: Vec::new(),
        }
    }

    /// Record `key = value` unless the key is already set: the first source
    /// of a value in a file is the authoritative one (`PyTorch version:`
    /// comes before the `[pip3] torch==…` line).
    fn set(&mut self, key: &str, value: &str, line: Option<u64>) {
        let value = value.trim();
        if NO_VALUE.contains(&value) || self.dump.versions.contains_key(key) {
            return;
        }
        self.dump.versions.insert(
            cap_text(key, VALUE_MAX),
            VersionValue {
                value: cap_text(value, VALUE_MAX),
                line,
            },
        );
    }

    /// Record a package under `<source>:<name>` (and its bare name when it
    /// is a well-known one), counting it against [`MAX_PACKAGES`].
    fn package(&mut self, source: &str, name: &str, version: &str, line: Option<u64>) {
        self.dump.packages += 1;
        let name = normalise(name);
        if self.kept >= MAX_PACKAGES {
            self.dump.packages_dropped += 1;
            return;
        }
        let key = format!("{source}:{name}");
        let before = self.dump.versions.len();
        self.set(&key, version, line);
        if self.dump.versions.len() > before {
            self.kept += 1;
        }
        let bare = if name == "pytorch" { "torch" } else { &name };
        if PROMOTED.contains(&bare) {
            self.set(bare, version, line);
        }
    }

    fn warn(&mut self, line: Option<u64>, message: impl Into<String>) {
        self.warnings
            .push(ParseWarning::new(self.path, line, message));
    }

    fn finish(mut self) -> Parsed<SoftwareDump> {
        if self.dump.packages_dropped > 0 {
            let msg = format!(
                "{} package(s) beyond the first {MAX_PACKAGES} were counted but not kept",
                self.dump.packages_dropped
            );
            self.warn(None, msg);
        }
        if self.dump.kind == DumpKind::Unknown {
            self.warn(
                None,
                "not a recognised software dump (collect_env, pip list/freeze, nvcc, uname, os-release, lscpu, meminfo): nothing read",
            );
        } else if self.dump.versions.is_empty()
            && self.dump.packages == 0
            && self.warnings.is_empty()
        {
            let msg = format!("no values found in this {} dump", self.dump.kind.as_str());
            self.warn(None, msg);
        }
        Parsed {
            value: self.dump,
            warnings: self.warnings,
        }
    }
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    cap_text(&out, VALUE_MAX)
}

// ------------------------------------------------------------- text dumps

/// Where in a `collect_env` dump we are.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Section {
    Header,
    GpuList,
    CudnnList,
    Cpu,
    Libraries,
}

/// Per-file line state.
struct TextState {
    section: Section,
    /// First line that no rule of the kind understood, and how many.
    odd_first: Option<(u64, String)>,
    odd: u64,
    gpus: u64,
    lines: u64,
}

fn lines<R: BufRead>(b: &mut Builder<'_>, reader: R) {
    let mut r = LineReader::new(reader);
    let mut st = TextState {
        section: Section::Header,
        odd_first: None,
        odd: 0,
        gpus: 0,
        lines: 0,
    };
    loop {
        let line = match r.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                let w = r.read_failed(b.path, &e);
                b.warnings.push(w);
                break;
            }
        };
        st.lines += 1;
        let (n, text) = (line.number, line.text);
        let understood = match b.dump.kind {
            DumpKind::CollectEnv => collect_env_line(b, &mut st, n, text),
            DumpKind::PipFreeze => match freeze_line(text) {
                Freeze::Package(name, version) => {
                    b.package("pip", &name, &version, Some(n));
                    true
                }
                Freeze::Unpinned | Freeze::Ignored => true,
                Freeze::Malformed => false,
            },
            DumpKind::Nvcc => {
                nvcc_line(b, n, text);
                true
            }
            DumpKind::Uname => uname_line(b, n, text),
            DumpKind::OsRelease => os_release_line(b, n, text),
            DumpKind::Lscpu => {
                lscpu_line(b, n, text);
                text.trim().is_empty() || text.contains(':')
            }
            DumpKind::Meminfo => meminfo_line(b, n, text),
            DumpKind::PipList | DumpKind::Unknown => true,
        };
        if !understood {
            st.odd += 1;
            if st.odd_first.is_none() {
                st.odd_first = Some((n, cap_text(text, 80)));
            }
        }
    }
    b.warnings.extend(r.warnings(b.path));
    if b.dump.kind == DumpKind::OsRelease {
        // PRETTY_NAME is optional in os-release(5); NAME + VERSION_ID is the
        // documented fallback.
        if !b.dump.versions.contains_key("os") {
            if let Some(name) = b.dump.versions.get("os.name").cloned() {
                let v = match b.dump.get("os.version_id") {
                    Some(id) => format!("{} {id}", name.value),
                    None => name.value,
                };
                b.set("os", &v, name.line);
            }
        }
    }
    if st.gpus > 0 {
        b.set("gpu.count", &st.gpus.to_string(), None);
    }
    if let Some((line, text)) = st.odd_first {
        let what = match b.dump.kind {
            DumpKind::PipFreeze => "not a `name==version` requirement",
            DumpKind::OsRelease => "not a `KEY=value` assignment",
            DumpKind::Meminfo => "not a `Name: value` line",
            DumpKind::Lscpu => "not a `Field: value` line",
            _ => "not understood",
        };
        b.warn(
            Some(line),
            format!("{} line(s) {what}; first: `{text}`", st.odd),
        );
    }
    if st.lines == 0 {
        b.warn(None, "empty file");
    }
}

/// `Key: value` with the key trimmed, or `None`.
fn field(text: &str) -> Option<(&str, &str)> {
    let (k, v) = text.split_once(':')?;
    Some((k.trim(), v.trim()))
}

fn collect_env_line(b: &mut Builder<'_>, st: &mut TextState, n: u64, text: &str) -> bool {
    let line = Some(n);
    let trimmed = text.trim();
    if trimmed == "CPU:" {
        st.section = Section::Cpu;
        return true;
    }
    if trimmed == "Versions of relevant libraries:" {
        st.section = Section::Libraries;
        return true;
    }
    match st.section {
        Section::Cpu => {
            lscpu_line(b, n, text);
            return true;
        }
        Section::Libraries => {
            libraries_line(b, n, trimmed);
            return true;
        }
        Section::GpuList => {
            if let Some(model) = trimmed
                .strip_prefix("GPU ")
                .and_then(|r| r.split_once(": "))
                .map(|(_, m)| m)
            {
                st.gpus += 1;
                b.set("gpu.model", model, line);
                return true;
            }
            st.section = Section::Header;
        }
        Section::CudnnList => {
            if let Some(v) = cudnn_from_path(trimmed) {
                b.set("cudnn", &v, line);
                return true;
            }
            if trimmed.starts_with('/') {
                return true;
            }
            st.section = Section::Header;
        }
        Section::Header => {}
    }
    let Some((key, value)) = field(text) else {
        return true;
    };
    match key {
        "PyTorch version" => b.set("torch", value, line),
        "Is debug build" => b.set("torch.debug_build", value, line),
        // `None` here is a real answer: a CPU-only build.
        "CUDA used to build PyTorch" => b.set("torch.cuda", value, line),
        "ROCM used to build PyTorch" => b.set("torch.rocm", value, line),
        "OS" => b.set("os", strip_arch(value), line),
        "GCC version" => b.set("gcc", last_version_token(value), line),
        "Clang version" => b.set("clang", value, line),
        "CMake version" => b.set("cmake", value.trim_start_matches("version "), line),
        "Libc version" => b.set("libc", value, line),
        "Python version" => b.set(
            "python",
            value.split_whitespace().next().unwrap_or(""),
            line,
        ),
        "Python platform" => {
            b.set("python.platform", value, line);
            if let Some(k) = kernel_from_platform(value) {
                b.set("kernel", k, line);
            }
        }
        "Is CUDA available" => b.set("torch.cuda_available", value, line),
        "CUDA runtime version" => b.set("cuda.runtime", none_is_absent(value), line),
        "GPU models and configuration" => {
            if value.is_empty() {
                st.section = Section::GpuList;
            } else if let Some((_, m)) = value.strip_prefix("GPU ").and_then(|r| r.split_once(": "))
            {
                st.gpus += 1;
                b.set("gpu.model", m, line);
            }
        }
        "Nvidia driver version" => b.set("nvidia.driver", none_is_absent(value), line),
        "cuDNN version" => {
            if value.starts_with("Probably one of the following") {
                st.section = Section::CudnnList;
            } else if let Some(v) = cudnn_from_path(value) {
                b.set("cudnn", &v, line);
            } else {
                b.set("cudnn", none_is_absent(value), line);
            }
        }
        "HIP runtime version" => b.set("hip.runtime", value, line),
        "MIOpen runtime version" => b.set("miopen", value, line),
        _ => {}
    }
    true
}

fn none_is_absent(v: &str) -> &str {
    if v == "None" { "" } else { v }
}

/// `Ubuntu 22.04.4 LTS (x86_64)` → `Ubuntu 22.04.4 LTS`, to match
/// os-release's `PRETTY_NAME`.
fn strip_arch(v: &str) -> &str {
    match v.rsplit_once(" (") {
        Some((os, arch)) if arch.ends_with(')') && !arch.contains(' ') => os,
        _ => v,
    }
}

/// `(Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0` → `11.4.0`.
fn last_version_token(v: &str) -> &str {
    match v.split_whitespace().last() {
        Some(t) if t.starts_with(|c: char| c.is_ascii_digit()) => t,
        _ => v,
    }
}

/// `Linux-5.15.0-91-generic-x86_64-with-glibc2.35` → `5.15.0-91-generic`.
fn kernel_from_platform(p: &str) -> Option<&str> {
    let rest = p.strip_prefix("Linux-")?;
    let rest = rest.split_once("-with-").map_or(rest, |(a, _)| a);
    let (kernel, _machine) = rest.rsplit_once('-')?;
    (!kernel.is_empty()).then_some(kernel)
}

/// `/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2` → `8.9.2`.
fn cudnn_from_path(s: &str) -> Option<String> {
    let name = s.rsplit('/').next()?;
    let v = name
        .strip_prefix("libcudnn.so.")
        .or_else(|| name.strip_prefix("libcudnn_graph.so."))?;
    (v.contains('.') && v.chars().all(|c| c.is_ascii_digit() || c == '.')).then(|| v.to_string())
}

/// `[pip3] torch==2.3.0`, `[conda] numpy  1.26.4  pypi_0  pypi`.
fn libraries_line(b: &mut Builder<'_>, n: u64, text: &str) {
    let Some(rest) = text.strip_prefix('[') else {
        return;
    };
    let Some((source, spec)) = rest.split_once(']') else {
        return;
    };
    let spec = spec.trim();
    if source.starts_with("pip") {
        if let Freeze::Package(name, version) = freeze_line(spec) {
            b.package("pip", &name, &version, Some(n));
        }
    } else if source == "conda" {
        let mut parts = spec.split_whitespace();
        if let (Some(name), Some(version)) = (parts.next(), parts.next()) {
            if name != "Could" {
                b.package("conda", name, version, Some(n));
            }
        }
    }
}

/// What one `pip freeze` / requirements line is.
#[derive(Debug, PartialEq)]
enum Freeze {
    /// An installed package: name and version (or direct reference).
    Package(String, String),
    /// A requirement without a pin (`torch>=2.0`): nothing installed to read.
    Unpinned,
    /// Blank, comment or pip option line.
    Ignored,
    /// Not a requirement at all.
    Malformed,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Split `name[extra]` into the name, checking both parts.
fn requirement_name(s: &str) -> Option<&str> {
    let s = s.trim();
    let name = match s.split_once('[') {
        Some((n, extras)) if extras.ends_with(']') => n,
        Some(_) => return None,
        None => s,
    };
    valid_name(name).then_some(name)
}

fn freeze_line(text: &str) -> Freeze {
    // Environment markers and hashes do not change what is installed.
    let t = text.split(" #").next().unwrap_or(text);
    let t = t.split(';').next().unwrap_or(t);
    let t = t.split(" --hash").next().unwrap_or(t);
    let t = t.trim().trim_end_matches('\\').trim();
    if t.is_empty() || t.starts_with('#') {
        return Freeze::Ignored;
    }
    if let Some(spec) = t
        .strip_prefix("-e ")
        .or_else(|| t.strip_prefix("--editable "))
    {
        return editable(spec.trim());
    }
    if t.starts_with('-') {
        return Freeze::Ignored;
    }
    if let Some((name, url)) = t.split_once(" @ ") {
        let Some(name) = requirement_name(name) else {
            return Freeze::Malformed;
        };
        let url = url.trim();
        let version = wheel_version(url).unwrap_or_else(|| format!("@ {url}"));
        return Freeze::Package(name.to_string(), version);
    }
    let pin = t.split_once("===").or_else(|| t.split_once("=="));
    if let Some((name, version)) = pin {
        let version = version.trim();
        return match requirement_name(name) {
            Some(n) if !version.is_empty() && !version.contains(char::is_whitespace) => {
                Freeze::Package(n.to_string(), version.to_string())
            }
            _ => Freeze::Malformed,
        };
    }
    let spec_at = t.find(['<', '>', '~', '!', '=']);
    match spec_at {
        Some(i) if requirement_name(&t[..i]).is_some() => Freeze::Unpinned,
        None if requirement_name(t).is_some() => Freeze::Unpinned,
        _ => Freeze::Malformed,
    }
}

/// `-e git+https://host/org/repo@<rev>#egg=name` → (`name`, the reference).
fn editable(spec: &str) -> Freeze {
    let name = spec
        .split_once("#egg=")
        .map(|(_, n)| n.split('&').next().unwrap_or(n))
        .or_else(|| {
            spec.trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|s| valid_name(s))
        });
    match name.and_then(requirement_name) {
        Some(n) => Freeze::Package(n.to_string(), format!("-e {spec}")),
        None => Freeze::Malformed,
    }
}

/// `…/name-1.2.3-py3-none-any.whl` → `1.2.3` (wheel file names are
/// `{name}-{version}-…`, with `-` in the name escaped to `_`).
fn wheel_version(url: &str) -> Option<String> {
    let file = url.rsplit('/').next()?.strip_suffix(".whl")?;
    let mut parts = file.split('-');
    let _name = parts.next()?;
    let v = parts.next()?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_string())
}

fn nvcc_line(b: &mut Builder<'_>, n: u64, text: &str) {
    // `Cuda compilation tools, release 12.4, V12.4.131`
    let Some(rest) = text.trim().strip_prefix("Cuda compilation tools, release ") else {
        return;
    };
    let mut parts = rest.split(',').map(str::trim);
    let release = parts.next().unwrap_or("");
    let full = parts
        .next()
        .and_then(|v| v.strip_prefix('V'))
        .unwrap_or(release);
    b.set("cuda.toolkit", full, Some(n));
    b.set("cuda.toolkit_release", release, Some(n));
}

/// `uname -a` fields: (kernel name, host, release, machine).
fn uname_fields(text: &str) -> Option<(&str, &str, &str, Option<&str>)> {
    let t: Vec<&str> = text.split_whitespace().collect();
    let sys = *t.first()?;
    if !matches!(sys, "Linux" | "Darwin") {
        return None;
    }
    let host = *t.get(1)?;
    let release = *t.get(2)?;
    if !release.starts_with(|c: char| c.is_ascii_digit()) || !t.get(3)?.starts_with(['#', 'D']) {
        return None;
    }
    // `… x86_64 x86_64 x86_64 GNU/Linux` or, where the processor and
    // platform are unknown, `… x86_64 GNU/Linux`: the field before the OS
    // name is the hardware either way.
    let machine = match t.last() {
        Some(&"GNU/Linux") => t.len().checked_sub(2).and_then(|i| t.get(i)).copied(),
        other => other.copied(),
    };
    Some((sys, host, release, machine))
}

fn uname_line(b: &mut Builder<'_>, n: u64, text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return true;
    }
    if let Some((_, host, release, machine)) = uname_fields(trimmed) {
        b.set("kernel", release, Some(n));
        b.set("hostname", host, Some(n));
        if let Some(m) = machine.filter(|m| !m.contains('/')) {
            b.set("arch", m, Some(n));
        }
        return true;
    }
    // `uname -r` alone: one release-looking token.
    if !trimmed.contains(' ') && trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        b.set("kernel", trimmed, Some(n));
        return true;
    }
    false
}

/// `KEY=value` / `KEY="value"` as os-release(5) writes them.
fn os_release_pair(text: &str) -> Option<(&str, String)> {
    let (k, v) = text.split_once('=')?;
    let key_ok = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        return None;
    }
    let v = v.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| v.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
        .unwrap_or(v);
    Some((k, unquoted.replace("\\\"", "\"").replace("\\\\", "\\")))
}

fn os_release_line(b: &mut Builder<'_>, n: u64, text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return true;
    }
    let Some((k, v)) = os_release_pair(t) else {
        return false;
    };
    let key = match k {
        "PRETTY_NAME" => "os",
        "NAME" => "os.name",
        "ID" => "os.id",
        "VERSION_ID" => "os.version_id",
        "VERSION" => "os.version",
        "VERSION_CODENAME" => "os.codename",
        "ID_LIKE" => "os.id_like",
        _ => return true,
    };
    b.set(key, &v, Some(n));
    true
}

fn lscpu_line(b: &mut Builder<'_>, n: u64, text: &str) {
    let Some((k, v)) = field(text) else {
        return;
    };
    let key = match k {
        "Architecture" => "arch",
        "CPU(s)" => "cpu.count",
        "Model name" => "cpu.model",
        "Vendor ID" => "cpu.vendor",
        "Socket(s)" => "cpu.sockets",
        "Core(s) per socket" => "cpu.cores_per_socket",
        "Thread(s) per core" => "cpu.threads_per_core",
        "NUMA node(s)" => "numa.nodes",
        _ => return,
    };
    b.set(key, v, Some(n));
}

fn meminfo_line(b: &mut Builder<'_>, n: u64, text: &str) -> bool {
    if text.trim().is_empty() {
        return true;
    }
    let Some((k, v)) = field(text) else {
        return false;
    };
    let number = v.trim_end_matches("kB").trim();
    if number.parse::<u64>().is_err() {
        return false;
    }
    let key = match k {
        "MemTotal" => "mem.total_kib",
        "MemAvailable" => "mem.available_kib",
        "SwapTotal" => "swap.total_kib",
        "HugePages_Total" => "hugepages.total",
        "HugePages_Free" => "hugepages.free",
        "Hugepagesize" => "hugepages.size_kib",
        _ => return true,
    };
    b.set(key, number, Some(n));
    true
}

// ------------------------------------------------------------- pip list JSON

/// Counts newlines as serde_json pulls bytes (it reads one byte at a time
/// from an `io::Read`), so each entry can cite its line.
struct Counting<'c, R> {
    inner: R,
    newlines: &'c Cell<u64>,
    bytes: &'c Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or(&[]);
        self.newlines
            .set(self.newlines.get() + memchr::memchr_iter(b'\n', got).count() as u64);
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// One array element: an object's `name` and `version` if they are
/// strings; anything else is skipped without building it.
#[derive(Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
}

impl<'de> de::Deserialize<'de> for Entry {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a {name, version} object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let mut e = Entry::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => e.name = map.next_value::<Scalar>()?.0,
                Key::Version => e.version = map.next_value::<Scalar>()?.0,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(e)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Entry::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Entry, E> {
        Ok(Entry::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Entry, E> {
        Ok(Entry::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Entry, E> {
        Ok(Entry::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Entry, E> {
        Ok(Entry::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Entry, E> {
        Ok(Entry::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Entry, E> {
        Ok(Entry::default())
    }
}

enum Key {
    Name,
    Version,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "name" => Key::Name,
                    "version" => Key::Version,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A string value (capped), or `None` for anything else.
struct Scalar(Option<String>);

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(cap_text(s, VALUE_MAX))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Visits the top-level array, handing each entry to the builder as soon as
/// it is read, so what was read survives a later syntax error.
struct ListSeed<'a, 'p> {
    b: &'a mut Builder<'p>,
    newlines: &'a Cell<u64>,
    bad: &'a mut (u64, Option<u64>),
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of {name, version} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<Entry>()? {
            let line = Some(self.newlines.get() + 1);
            match (e.name, e.version) {
                (Some(n), Some(v)) if !n.trim().is_empty() => {
                    self.b.package("pip", &n, &v, line);
                }
                _ => {
                    self.bad.0 += 1;
                    self.bad.1.get_or_insert(self.newlines.get() + 1);
                }
            }
        }
        Ok(())
    }
}

fn pip_list<R: BufRead>(b: &mut Builder<'_>, reader: R) {
    let newlines = Cell::new(0);
    let bytes = Cell::new(0);
    let counting = Counting {
        inner: reader.take(MAX_JSON_BYTES),
        newlines: &newlines,
        bytes: &bytes,
    };
    let mut bad = (0, None);
    let mut de = serde_json::Deserializer::from_reader(counting);
    let result = ListSeed {
        b,
        newlines: &newlines,
        bad: &mut bad,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = result {
        let kept = b.dump.packages;
        let msg = if bytes.get() >= MAX_JSON_BYTES {
            format!(
                "pip list JSON is larger than {} MiB; read the first {kept} package(s) only",
                MAX_JSON_BYTES / (1024 * 1024)
            )
        } else if e.is_eof() {
            format!(
                "pip list JSON ends early (truncated?): {e}; kept the {kept} package(s) read before it"
            )
        } else {
            format!("pip list JSON is malformed: {e}; kept the {kept} package(s) read before it")
        };
        let line = (e.line() > 0).then_some(e.line() as u64);
        b.warn(line, msg);
    }
    if bad.0 > 0 {
        b.warn(
            bad.1,
            format!(
                "{} pip list entr(ies) without a string `name` and `version` were skipped",
                bad.0
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(path: &str, s: &str) -> Parsed<SoftwareDump> {
        parse(path, s.as_bytes())
    }

    fn get<'a>(p: &'a Parsed<SoftwareDump>, k: &str) -> Option<&'a str> {
        p.value.get(k)
    }

    /// Laid out as `torch/utils/collect_env.py`'s `env_info_fmt` (torch
    /// 2.11) prints it on a CUDA node; the values are illustrative.
    const COLLECT_ENV_CUDA: &str = "Collecting environment information...
PyTorch version: 2.3.0+cu121
Is debug build: False
CUDA used to build PyTorch: 12.1
ROCM used to build PyTorch: N/A

OS: Ubuntu 22.04.4 LTS (x86_64)
GCC version: (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0
Clang version: Could not collect
CMake version: version 3.29.2
Libc version: glibc-2.35

Python version: 3.10.12 (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] (64-bit runtime)
Python platform: Linux-5.15.0-105-generic-x86_64-with-glibc2.35
Is CUDA available: True
CUDA runtime version: 12.1.105
CUDA_MODULE_LOADING set to: LAZY
GPU models and configuration: 
GPU 0: NVIDIA H100 80GB HBM3
GPU 1: NVIDIA H100 80GB HBM3

Nvidia driver version: 550.54.15
cuDNN version: Probably one of the following:
/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7
/usr/lib/x86_64-linux-gnu/libcudnn_adv_infer.so.8.9.7
HIP runtime version: N/A
MIOpen runtime version: N/A
Is XNNPACK available: True

CPU:
Architecture:                       x86_64
CPU(s):                             224
Model name:                         Intel(R) Xeon(R) Platinum 8480+
Socket(s):                          2
NUMA node(s):                       2

Versions of relevant libraries:
[pip3] numpy==1.26.4
[pip3] nvidia-nccl-cu12==2.20.5
[pip3] torch==2.3.0
[pip3] transformers==4.41.2
[conda] Could not collect
";

    #[test]
    fn collect_env_with_cuda() {
        let p = parse_str("x/env.txt", COLLECT_ENV_CUDA);
        assert_eq!(p.value.kind, DumpKind::CollectEnv);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let want = [
            ("torch", "2.3.0+cu121"),
            ("torch.cuda", "12.1"),
            ("os", "Ubuntu 22.04.4 LTS"),
            ("gcc", "11.4.0"),
            ("cmake", "3.29.2"),
            ("python", "3.10.12"),
            ("kernel", "5.15.0-105-generic"),
            ("cuda.runtime", "12.1.105"),
            ("nvidia.driver", "550.54.15"),
            ("cudnn", "8.9.7"),
            ("gpu.count", "2"),
            ("gpu.model", "NVIDIA H100 80GB HBM3"),
            ("cpu.model", "Intel(R) Xeon(R) Platinum 8480+"),
            ("cpu.count", "224"),
            ("numa.nodes", "2"),
            ("transformers", "4.41.2"),
            ("pip:torch", "2.3.0"),
            ("nvidia-nccl-cu12", "2.20.5"),
        ];
        for (k, v) in want {
            assert_eq!(get(&p, k), Some(v), "{k}");
        }
        assert_eq!(p.value.versions["torch"].line, Some(2));
        assert_eq!(p.value.versions["transformers"].line, Some(41));
        assert_eq!(get(&p, "clang"), None);
        assert_eq!(p.value.packages, 4);
    }

    #[test]
    fn collect_env_old_layout_with_conda() {
        let text = "PyTorch version: 1.7.1\nIs debug build: False\nCUDA used to build PyTorch: None\n\nOS: macOS 11.1 (x86_64)\nPython version: 3.7 (64-bit runtime)\nGPU models and configuration: GPU 0: Quadro RTX 6000\nNvidia driver version: No CUDA\n\nVersions of relevant libraries:\n[pip] numpy==1.18.1\n[conda] pytorch                   1.7.1                   py3.7_0    pytorch\n[conda] mkl_fft                   1.2.0            py37hc64f4ea_0  \n";
        let p = parse_str("collect_env.txt", text);
        assert_eq!(get(&p, "torch"), Some("1.7.1"));
        assert_eq!(get(&p, "torch.cuda"), Some("None"));
        assert_eq!(get(&p, "nvidia.driver"), None);
        assert_eq!(get(&p, "python"), Some("3.7"));
        assert_eq!(get(&p, "os"), Some("macOS 11.1"));
        assert_eq!(get(&p, "gpu.model"), Some("Quadro RTX 6000"));
        assert_eq!(get(&p, "conda:mkl-fft"), Some("1.2.0"));
        assert_eq!(get(&p, "conda:pytorch"), Some("1.7.1"));
        assert_eq!(get(&p, "numpy"), Some("1.18.1"));
    }

    #[test]
    fn pip_freeze_forms() {
        let text = "# comment\n--index-url https://example.invalid/simple\nNumPy==1.26.4\nzope.interface===6.0\nrequests[socks]==2.31.0 ; python_version >= \"3.8\"\nsw-probe @ file:///tmp/x/sw-probe\nmlcommons_loadgen @ file:///w/mlcommons_loadgen-4.1-cp310-cp310-linux_x86_64.whl\n-e git+https://github.com/org/repo@0123abc#egg=my_pkg\ntorch>=2.0\n!!garbage!!\n";
        let p = parse_str("requirements.txt", text);
        assert_eq!(p.value.kind, DumpKind::PipFreeze);
        assert_eq!(get(&p, "pip:numpy"), Some("1.26.4"));
        assert_eq!(get(&p, "numpy"), Some("1.26.4"));
        assert_eq!(get(&p, "pip:zope-interface"), Some("6.0"));
        assert_eq!(get(&p, "pip:requests"), Some("2.31.0"));
        assert_eq!(get(&p, "pip:sw-probe"), Some("@ file:///tmp/x/sw-probe"));
        assert_eq!(get(&p, "mlcommons-loadgen"), Some("4.1"));
        assert_eq!(
            get(&p, "pip:my-pkg"),
            Some("-e git+https://github.com/org/repo@0123abc#egg=my_pkg")
        );
        assert_eq!(get(&p, "pip:torch"), None);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(10));
        assert!(p.warnings[0].message.contains("!!garbage!!"));
    }

    #[test]
    fn pip_list_json_lines_and_cap() {
        let text = "[\n  {\"name\": \"Torch\", \"version\": \"2.3.0\"},\n  {\"name\": \"x\", \"version\": 3},\n  \"junk\",\n  {\"name\": \"a_b.c\", \"version\": \"1\", \"editable_project_location\": \"/w\"}\n]\n";
        let p = parse_str("whatever.json", text);
        assert_eq!(p.value.kind, DumpKind::PipList);
        assert_eq!(get(&p, "torch"), Some("2.3.0"));
        assert_eq!(p.value.versions["pip:torch"].line, Some(2));
        assert_eq!(get(&p, "pip:a-b-c"), Some("1"));
        assert_eq!(p.value.versions["pip:a-b-c"].line, Some(5));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(3));

        let mut big = String::from("[");
        for i in 0..(MAX_PACKAGES + 7) {
            if i > 0 {
                big.push(',');
            }
            big.push_str(&format!("{{\"name\":\"p{i}\",\"version\":\"1\"}}"));
        }
        big.push(']');
        let p = parse_str("pip-list.json", &big);
        assert_eq!(p.value.packages, MAX_PACKAGES as u64 + 7);
        assert_eq!(p.value.packages_dropped, 7);
        assert_eq!(p.value.versions.len(), MAX_PACKAGES);
        assert!(p.warnings[0].message.contains("beyond the first 5000"));
    }

    #[test]
    fn pip_list_truncated_keeps_what_was_read() {
        let p = parse_str(
            "pip-list.json",
            "[{\"name\": \"numpy\", \"version\": \"2.0\"}, {\"name\": \"pa",
        );
        assert_eq!(get(&p, "numpy"), Some("2.0"));
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].message.contains("ends early"),
            "{:?}",
            p.warnings
        );
        assert_eq!(p.warnings[0].line, Some(1));
        let p = parse_str("pip-list.json", "{\"name\": \"numpy\"}");
        assert!(
            p.warnings[0].message.contains("malformed"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn nvcc_uname_os_release_lscpu_meminfo() {
        let p = parse_str(
            "a.txt",
            "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 12.4, V12.4.131\n",
        );
        assert_eq!(get(&p, "cuda.toolkit"), Some("12.4.131"));
        assert_eq!(get(&p, "cuda.toolkit_release"), Some("12.4"));
        let p = parse_str(
            "a.txt",
            "Linux gpu-07 5.15.0-105-generic #115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux\n",
        );
        assert_eq!(p.value.kind, DumpKind::Uname);
        assert_eq!(get(&p, "kernel"), Some("5.15.0-105-generic"));
        assert_eq!(get(&p, "hostname"), Some("gpu-07"));
        assert_eq!(get(&p, "arch"), Some("x86_64"));
        let p = parse_str("uname-r.txt", "6.8.0-45-generic\n");
        assert_eq!(get(&p, "kernel"), Some("6.8.0-45-generic"));
        let p = parse_str(
            "os-release",
            "NAME='Rocky Linux'\nVERSION_ID=\"9.3\"\nID=rocky\n",
        );
        assert_eq!(get(&p, "os"), Some("Rocky Linux 9.3"));
        let p = parse_str("x", "MemTotal: 100 kB\nMemFree: 5 kB\nbroken\n");
        assert_eq!(get(&p, "mem.total_kib"), Some("100"));
        assert_eq!(p.warnings[0].line, Some(3));
    }

    #[test]
    fn unknown_and_empty_inputs_warn() {
        let p = parse_str("notes.md", "hello\n");
        assert_eq!(p.value.kind, DumpKind::Unknown);
        assert!(p.warnings[0].message.contains("not a recognised"));
        let p = parse_str("meminfo", "");
        assert_eq!(p.value.kind, DumpKind::Meminfo);
        assert!(p.warnings.iter().any(|w| w.message == "empty file"));
    }

    #[test]
    fn names_normalise_per_pep_503() {
        assert_eq!(normalise("Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalise("mlcommons_loadgen"), "mlcommons-loadgen");
    }

    #[test]
    fn sniffing_is_specific() {
        assert!(sniff("x", b"PyTorch version: 2.1\nIs debug build: False\n"));
        assert!(!sniff("x", b"PyTorch version: 2.1\n"));
        assert!(sniff("x", b"[{\"name\": \"a\", \"version\": \"1\"}]"));
        assert!(!sniff("x", b"[1, 2, 3]"));
        assert!(sniff("x", b"a==1\nb==2\nc==3\n"));
        assert!(!sniff("x", b"a==1\nb==2\nhello world\n"));
        assert!(!sniff("x", b"KEY=1\nOTHER=2\n"));
        assert!(sniff("pip_list-node1.json", b""));
        assert!(sniff("node07.pip-freeze.txt", b""));
        assert!(!sniff("flipped.txt", b""));
        assert!(!sniff("pip_list.txt", b""));
        assert!(!sniff("x.log", b"Linux is great\n"));
    }
}
