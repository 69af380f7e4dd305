//! A stable in-tree fuzzer: drives every parser target of
//! `tests/fuzz/targets.rs` (the same functions `cargo fuzz` runs) with
//! mutated copies of the real fixtures, catching panics.
//!
//! * `fuzz_every_parser_briefly` runs in every `cargo test`: a fixed seed
//!   and a few hundred inputs per target, so a parser change that panics on
//!   bad input fails CI even where no nightly toolchain exists.
//! * `fuzz_every_parser_for_a_while` is `#[ignore]`d: it runs each target
//!   for `FUZZ_SECONDS` (default 60) with seed `FUZZ_SEED` (default: from
//!   the clock, printed so a run can be repeated); `FUZZ_TARGET=name` runs
//!   one target. See docs/fuzzing.md.
//! * `regressions_stay_fixed` replays every input that once crashed a
//!   parser (`fixtures/bad-input/regressions/<target>/`).
//!
//! A crashing input is written to `target/fuzz-crashes/<target>-<hash>.bin`
//! and the test fails naming it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::repo;

#[path = "../fuzz/targets.rs"]
mod targets;

/// Mutated inputs never grow past this, so the fuzzer itself stays small.
const MAX_INPUT: usize = 4 << 20;
/// Seeds are cut to this many bytes: mutations near the start matter most,
/// and debug-build parsing of whole fixtures would slow every iteration.
const SEED_BYTES: usize = 96 * 1024;
/// One input taking longer than this is reported: a parser that is not
/// linear in its input is a denial of service.
const SLOW_INPUT: Duration = Duration::from_secs(20);

/// xorshift64*: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n` (`0` when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Tokens that mean something to at least one parser: structure, numbers at
/// the edges of their types, entity and DOCTYPE syntax, log prefixes.
const DICTIONARY: &[&[u8]] = &[
    b":::MLLOG ",
    b"{\"key\": \"result_validity\", \"value\": ",
    b"\"value\": ",
    b"\"time_ms\": ",
    b"<!DOCTYPE x [<!ENTITY a \"&b;&b;\"><!ENTITY b \"lol\">]>",
    b"&a;",
    b"&#xFFFFFFFF;",
    b"&#0;",
    b"<![CDATA[",
    b"]]>",
    b"<gpu id=\"",
    b"</",
    b"NaN",
    b"-1e400",
    b"1e400",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"\"\\ud800\"",
    b"\\u0000",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b"\"\"",
    b",",
    b":",
    b" = ",
    b"\r\n",
    b"\t",
    b"%",
    b" MiB",
    b" W",
    b" C",
    b"N/A",
    b"[Not Supported]",
    b"[N/A]",
    b"Tue Mar  5 12:00:00 2024",
    b"2024-03-05T12:00:00.123456+00:00",
    b"[  123.456789] ",
    b"<3>",
    b"  File \"x.py\", line 1, in <module>\n",
    b"Traceback (most recent call last):\n",
    b"CUDA error: out of memory",
    b"NCCL WARN",
    b"Killed",
    b"Result is : INVALID\n",
    b"TEST PASS\n",
    b"TEST FAIL\n",
    b"EOS check pass: False\n",
    b"TEST06 verification complete\n",
    b"reference score = ",
    b"Samples per second: ",
    b"\x1b[31m",
    b"\xe2\x80\xae",
    b"\xc3\xa9",
    b"\xf0\x9d\x84\x9e",
    b"<script>alert(1)</script>",
    b"{{ x }}{% raw %}",
    b"|",
];

const INTERESTING_BYTES: &[u8] = b"\0\xff\x7f\n\r\"<>{}[],:-9&;'\\ ";

const INVALID_UTF8: &[&[u8]] = &[
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\xe2\x82",
];

/// Apply one random mutation to `data`; `other` is another seed to splice in.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    let pos = rng.below(len + 1);
    match rng.below(15) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        2 => data.truncate(pos),
        3 if len > 0 => {
            let end = (pos + 1 + rng.below(256)).min(len);
            data.drain(pos.min(end)..end);
        }
        4 if len > 0 => {
            // Duplicate a chunk, sometimes many times (caps, counters).
            let start = rng.below(len);
            let end = (start + 1 + rng.below(4096)).min(len);
            let chunk = data[start..end].to_vec();
            let times = if rng.chance(8) {
                1 + rng.below(2000)
            } else {
                1
            };
            let at = rng.below(data.len() + 1);
            let insert: Vec<u8> = chunk.repeat(times);
            data.splice(at..at, insert);
        }
        5 if !other.is_empty() => {
            let from = rng.below(other.len());
            data.truncate(pos);
            data.extend_from_slice(&other[from..]);
        }
        6 => {
            let n = 1 + rng.below(16);
            data.splice(pos..pos, std::iter::repeat_n(0u8, n));
        }
        7 => {
            let bad = INVALID_UTF8[rng.below(INVALID_UTF8.len())];
            data.splice(pos..pos, bad.iter().copied());
        }
        8 => {
            // A line far longer than the line reader keeps.
            let n = 64 * 1024 + rng.below(256 * 1024);
            let byte = [b'x', b'"', b'[', b' ', 0xff][rng.below(5)];
            data.splice(pos..pos, std::iter::repeat_n(byte, n));
        }
        9 => {
            // Deep nesting, up to 100 000 levels.
            let depth = 1 + rng.below(100_000);
            let unit: &[u8] = [
                b"[".as_slice(),
                b"{\"a\":",
                b"<a>",
                b"{\"plays\":[",
                b"{\"items\":[",
            ][rng.below(5)];
            let insert = unit.repeat(depth);
            data.splice(pos..pos, insert);
        }
        10 | 11 => {
            let tok = DICTIONARY[rng.below(DICTIONARY.len())];
            data.splice(pos..pos, tok.iter().copied());
        }
        12 => {
            let n = 1 + rng.below(64);
            let random: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let end = (pos + rng.below(n + 1)).min(len);
            data.splice(pos..end, random);
        }
        13 if len > 0 => {
            // Cut at a line boundary: a copy interrupted between lines.
            let nl: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect();
            if !nl.is_empty() {
                let at = nl[rng.below(nl.len())];
                data.truncate(at + rng.below(2));
            }
        }
        _ => {
            // Swap the order of two halves (elements out of order).
            if len > 1 {
                let mid = rng.below(len);
                data.rotate_left(mid);
            }
        }
    }
    data.truncate(MAX_INPUT);
}

/// One target's name and seed files, from `tests/fuzz/targets.txt`.
fn table() -> Vec<(String, Vec<PathBuf>)> {
    let text = std::fs::read_to_string(repo().join("tests/fuzz/targets.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap().to_string();
            let mut seeds = Vec::new();
            for dir in words {
                seeds.extend(seed_files(&repo().join(dir)));
            }
            seeds.sort();
            (name, seeds)
        })
        .collect()
}

fn seed_files(dir: &Path) -> Vec<PathBuf> {
    assert!(dir.exists(), "seed path {} does not exist", dir.display());
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| !matches!(e.file_name().to_str(), Some("README.md" | "SOURCES.md")))
        .map(|e| e.into_path())
        .collect()
}

fn target_fn(name: &str) -> fn(&[u8]) {
    targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("targets.txt names `{name}`, which targets.rs lacks"))
}

/// Run one input; on a panic, save it and describe it.
fn run_one(name: &str, run: fn(&[u8]), input: &[u8]) -> Result<Duration, String> {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| run(input)));
    let took = start.elapsed();
    let problem = match result {
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into());
            format!("panicked: {msg}")
        }
        Ok(()) if took > SLOW_INPUT => format!("took {took:?} for {} bytes", input.len()),
        Ok(()) => return Ok(took),
    };
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let dir = repo().join("target/fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("{name}-{hash:016x}.bin"));
    let _ = std::fs::write(&file, input);
    Err(format!(
        "{name}: {problem} (input saved to {})",
        file.display()
    ))
}

/// Fuzz one target until `budget` runs out (iterations or time).
fn fuzz_target(
    name: &str,
    seeds: &[PathBuf],
    rng: &mut Rng,
    iterations: Option<u64>,
    time: Option<Duration>,
) -> Result<(u64, Duration), String> {
    let run = target_fn(name);
    let corpus: Vec<Vec<u8>> = seeds
        .iter()
        .map(|p| {
            let mut b = std::fs::read(p).unwrap();
            b.truncate(SEED_BYTES);
            b
        })
        .collect();
    // The seeds themselves first: they must never panic either.
    let mut slowest = Duration::ZERO;
    for seed in &corpus {
        slowest = slowest.max(run_one(name, run, seed)?);
    }
    let start = Instant::now();
    let mut done = 0u64;
    loop {
        if iterations.is_some_and(|n| done >= n) || time.is_some_and(|t| start.elapsed() >= t) {
            break;
        }
        let mut input = if corpus.is_empty() || rng.chance(20) {
            (0..rng.below(512)).map(|_| rng.next() as u8).collect()
        } else {
            corpus[rng.below(corpus.len())].clone()
        };
        let other: &[u8] = if corpus.is_empty() {
            &[]
        } else {
            &corpus[rng.below(corpus.len())]
        };
        for _ in 0..1 + rng.below(4) {
            mutate(rng, &mut input, other);
        }
        slowest = slowest.max(run_one(name, run, &input)?);
        done += 1;
    }
    Ok((done, slowest))
}

#[test]
fn the_target_tables_agree() {
    let listed: Vec<String> = table().into_iter().map(|(n, _)| n).collect();
    let in_rs: Vec<String> = targets::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(
        listed, in_rs,
        "targets.txt and targets.rs list different targets"
    );
    let manifest = std::fs::read_to_string(repo().join("tests/fuzz/Cargo.toml")).unwrap();
    for name in &listed {
        let wrapper = repo().join(format!("tests/fuzz/fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&wrapper)
            .unwrap_or_else(|_| panic!("{} is missing", wrapper.display()));
        assert!(
            text.contains(&format!("targets::{name}(data)")),
            "{}",
            wrapper.display()
        );
        assert!(
            manifest.contains(&format!(
                "name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\""
            )),
            "tests/fuzz/Cargo.toml lacks a [[bin]] for {name}"
        );
    }
}

#[test]
fn fuzz_every_parser_briefly() {
    let mut failures = Vec::new();
    for (i, (name, seeds)) in table().iter().enumerate() {
        let mut rng = Rng::new(0x5eed_0000 + i as u64);
        if let Err(e) = fuzz_target(name, seeds, &mut rng, Some(60), None) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "long-running: FUZZ_SECONDS per target (default 60); see docs/fuzzing.md"]
fn fuzz_every_parser_for_a_while() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let only = std::env::var("FUZZ_TARGET").ok();
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("FUZZ_SEED={seed} FUZZ_SECONDS={seconds}");
    let mut failures = Vec::new();
    for (i, (name, seeds)) in table().iter().enumerate() {
        if only.as_ref().is_some_and(|o| o != name) {
            continue;
        }
        let mut rng = Rng::new(seed.wrapping_add(i as u64));
        match fuzz_target(
            name,
            seeds,
            &mut rng,
            None,
            Some(Duration::from_secs(seconds)),
        ) {
            Ok((n, slowest)) => {
                println!("{name:<18} {n:>8} inputs, slowest {slowest:?}")
            }
            Err(e) => {
                println!("{e}");
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn regressions_stay_fixed() {
    let root = repo().join("fixtures/bad-input/regressions");
    let mut replayed = 0;
    for (name, run) in targets::TARGETS {
        let dir = root.join(name);
        if !dir.is_dir() {
            continue;
        }
        for file in seed_files(&dir) {
            let input = std::fs::read(&file).unwrap();
            if let Err(e) = run_one(name, *run, &input) {
                panic!("{} regressed: {e}", file.display());
            }
            replayed += 1;
        }
    }
    // Every folder there is named after a target, so none is silently skipped.
    for entry in std::fs::read_dir(&root).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let n = entry.file_name().to_string_lossy().into_owned();
            assert!(
                targets::TARGETS.iter().any(|(t, _)| *t == n),
                "fixtures/bad-input/regressions/{n} is not a fuzz target"
            );
        }
    }
    println!("replayed {replayed} regression input(s)");
}
