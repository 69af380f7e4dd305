#!/usr/bin/env python3
"""Generate benchmark inputs (never committed; default under target/bench-inputs/).

  gen_inputs.py loadgen SIZE_MB OUT   LoadGen artifacts of about SIZE_MB MiB:
      OUT/accuracy/run_{a,b}/     accuracy-mode runs whose mlperf_log_detail.txt
                                  is long (~20 % of the bytes each): the real
                                  header of fixtures/loadgen/offline_accuracy,
                                  then one block per loadable set as LoadGen
                                  writes it (loaded_qsl_set, generated_*,
                                  logger_* counters, power_begin/end), a few
                                  error/warning records, summary.
      OUT/performance/run_{a,b}/  performance runs with a real detail and
                                  summary (fixtures/loadgen/server_token_trace)
                                  and a synthetic mlperf_log_trace.json (~30 %
                                  of the bytes each; see gen_trace.py).
  gen_inputs.py tree RUNS OUT         RUNS small runs over 20 nodes:
      OUT/nodes/node-NN/loadgen/run_MMMM/{mlperf_log_summary,mlperf_log_detail}.txt
      (real fixture files, round robin) and
      OUT/nodes/node-NN/steps/loadgen_run_MMMM/{stdout,stderr}.log (the run's
      summary as printed to stdout after ~150 harness progress lines; stderr
      from the demo campaign's step logs, tracebacks and OOMs included).
  gen_inputs.py archive REPORTS OUT   REPORTS report.json files in OUT/<date>/,
      copies of fixtures/archive/*/report.json with the date, title and
      numbers varied.

Seeded: the same arguments give the same bytes. Numbers are made up; only
the shape is LoadGen's.
"""
import argparse
import json
import os
import random
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "fixtures")
sys.path.insert(0, HERE)
import gen_trace  # noqa: E402

MIB = 1024 * 1024


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines(keepends=True)


def with_value(template, value, time_ms):
    """A copy of MLLOG line `template` with another value and time_ms."""
    head, rest = template.split('"value": ', 1)
    _, tail = rest.split(', "time_ms": ', 1)
    tail = re.sub(r"^[0-9.]+", f"{time_ms:.6f}", tail)
    return f'{head}"value": {value}, "time_ms": {tail}'


def write_accuracy_detail(path, target, rng):
    lines = read_lines(os.path.join(FIX, "loadgen", "offline_accuracy", "mlperf_log_detail.txt"))
    first_set = next(i for i, l in enumerate(lines) if '"key": "loaded_qsl_set"' in l)
    header = lines[:first_set]
    block = lines[first_set:first_set + 12]
    err = next(l for l in read_lines(os.path.join(FIX, "loadgen", "offline_errors",
                                                  "mlperf_log_detail.txt"))
               if '"key": "error_runtime"' in l)
    written = 0
    t = 0.05
    sets = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        for l in header:
            f.write(l)
            written += len(l)
        while written < target:
            n = rng.choice((64, 64, 128, 256, 512, 1024))
            qsl = "[" + ",".join(str(rng.randrange(24576)) for _ in range(n)) + "]"
            values = [qsl, "1", str(n), "10000000", "0", "0", "0", "0",
                      str(rng.randrange(3)), "0",
                      f'"11-27-2026 04:{sets // 3600 % 60:02d}:{sets % 60:02d}.122"',
                      f'"11-27-2026 04:{sets // 3600 % 60:02d}:{sets % 60:02d}.140"']
            for tmpl, v in zip(block, values):
                t += rng.uniform(0.001, 2.0)
                line = with_value(tmpl, v, t)
                f.write(line)
                written += len(line)
            if sets % 300 == 299:
                line = with_value(err, '"Attempted to complete a sample twice."', t)
                f.write(line)
                written += len(line)
            sets += 1
    return written, sets


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    return os.path.getsize(dst)


def gen_loadgen(size_mb, out):
    total = int(size_mb * MIB)
    rng = random.Random(7)
    made = 0
    for name in ("a", "b"):
        run = os.path.join(out, "accuracy", f"run_{name}")
        os.makedirs(run, exist_ok=True)
        n, sets = write_accuracy_detail(os.path.join(run, "mlperf_log_detail.txt"),
                                        total // 5, rng)
        made += n
        made += copy(os.path.join(FIX, "loadgen", "offline_accuracy", "mlperf_log_summary.txt"),
                     os.path.join(run, "mlperf_log_summary.txt"))
        print(f"{run}: detail {n / MIB:.1f} MiB, {sets} sets")
    tmpl = os.path.join(FIX, "loadgen", "server_token_trace")
    for name, scenario, seed in (("a", "server-token", 1234), ("b", "offline", 4321)):
        run = os.path.join(out, "performance", f"run_{name}")
        os.makedirs(run, exist_ok=True)
        for f in ("mlperf_log_detail.txt", "mlperf_log_summary.txt"):
            made += copy(os.path.join(tmpl, f), os.path.join(run, f))
        n, samples = gen_trace.write_trace(os.path.join(run, "mlperf_log_trace.json"),
                                           total * 3 // 10, scenario, seed)
        made += n
        print(f"{run}: trace {n / MIB:.1f} MiB, {samples} samples")
    print(f"{out}: {made / MIB:.1f} MiB")


PROGRESS = [
    "INFO:harness:Loading model shard {i} of 8",
    "INFO:sut:issued {n} queries, {c} completed, {p:.1f}% done",
    "Processed prompts: {p:.0f}%|#####     | {c}/{n} [00:{s:02d}<00:{s:02d}, {r:.2f}it/s]",
    "[rank{i}] step {n}: throughput {r:.2f} samples/s",
]


def gen_tree(runs, out):
    rng = random.Random(11)
    cases = sorted(d for d in os.listdir(os.path.join(FIX, "loadgen"))
                   if os.path.isdir(os.path.join(FIX, "loadgen", d)))
    demo = os.path.join(FIX, "campaigns", "demo", "nodes")
    stderrs = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(demo) for f in fs
                     if f == "stderr.log")
    nodes = 20
    made = 0
    records = {}
    for k in range(runs):
        node = f"node-{k % nodes:02d}"
        run = f"run_{k:04d}"
        case = os.path.join(FIX, "loadgen", cases[k % len(cases)])
        base = os.path.join(out, "nodes", node)
        for f in ("mlperf_log_summary.txt", "mlperf_log_detail.txt"):
            made += copy(os.path.join(case, f), os.path.join(base, "loadgen", run, f))
        step = os.path.join(base, "steps", f"loadgen_{run}")
        os.makedirs(step, exist_ok=True)
        with open(os.path.join(step, "stdout.log"), "w", encoding="utf-8") as f:
            for i in range(150):
                n = rng.randrange(100, 5000)
                f.write(rng.choice(PROGRESS).format(i=i % 8, n=n, c=n // 2, p=rng.uniform(0, 100),
                                                    s=rng.randrange(60), r=rng.uniform(1, 900)))
                f.write("\n")
            with open(os.path.join(case, "mlperf_log_summary.txt"), encoding="utf-8") as s:
                f.write(s.read())
        made += os.path.getsize(os.path.join(step, "stdout.log"))
        made += copy(stderrs[k % len(stderrs)], os.path.join(step, "stderr.log"))
        records.setdefault(node, []).append(run_record(node, k, stderrs[k % len(stderrs)]))
    for node, recs in sorted(records.items()):
        path = os.path.join(out, "nodes", node, "harness.run.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(recs, f, indent=1)
        made += os.path.getsize(path)
    print(f"{out}: {runs} runs on {nodes} nodes, {made / MIB:.1f} MiB")


def run_record(node, k, stderr_path):
    """The generic run record (docs/run-record.md) of run k's LoadGen step:
    failed when its stderr holds a traceback."""
    with open(stderr_path, encoding="utf-8") as f:
        failed = "Traceback" in f.read()
    t = 1_700_000_000 + k * 60
    return {
        "record_version": 1,
        "name": f"loadgen_run_{k:04d}",
        "node": node,
        "command": ["python3", "harness.py", "--run", f"run_{k:04d}"],
        "exit_code": 1 if failed else 0,
        "started_at": iso(t),
        "ended_at": iso(t + 42),
        "timeout_s": 3600,
        "timed_out": False,
    }


def iso(secs):
    import datetime
    return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).isoformat()


def jitter(v, rng):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        return round(v * rng.uniform(0.9, 1.1), 3)
    if isinstance(v, dict):
        return {k: jitter(x, rng) for k, x in v.items()}
    if isinstance(v, list):
        return [jitter(x, rng) for x in v]
    return v


def gen_archive(reports, out):
    rng = random.Random(13)
    sources = sorted(os.path.join(FIX, "archive", d, "report.json")
                     for d in os.listdir(os.path.join(FIX, "archive"))
                     if os.path.isfile(os.path.join(FIX, "archive", d, "report.json")))
    templates = []
    for s in sources:
        with open(s, encoding="utf-8") as f:
            templates.append(json.load(f))
    import datetime
    day0 = datetime.date(2024, 1, 1)
    for k in range(reports):
        date = (day0 + datetime.timedelta(days=k)).isoformat()
        r = json.loads(json.dumps(templates[k % len(templates)]))
        r["generated_at"] = f"{date}T09:00:00Z"
        r["title"] = f"Campaign {date}"
        r["runs"] = jitter(r["runs"], rng)
        if isinstance(r["overall"].get("score"), float):
            r["overall"]["score"] = float(round(min(100.0, r["overall"]["score"] + rng.uniform(-8, 8))))
        d = os.path.join(out, date)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "report.json"), "w", encoding="utf-8") as f:
            json.dump(r, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print(f"{out}: {reports} reports")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("loadgen")
    a.add_argument("size_mb", type=float)
    a.add_argument("out")
    a = sub.add_parser("tree")
    a.add_argument("runs", type=int)
    a.add_argument("out")
    a = sub.add_parser("archive")
    a.add_argument("reports", type=int)
    a.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "loadgen":
        gen_loadgen(a.size_mb, a.out)
    elif a.cmd == "tree":
        gen_tree(a.runs, a.out)
    else:
        gen_archive(a.reports, a.out)


if __name__ == "__main__":
    main()
