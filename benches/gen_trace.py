#!/usr/bin/env python3
"""Generate a synthetic mlperf_log_trace.json of a given size, in the shape
real LoadGen writes (see fixtures/loadgen/*_trace/): `{"traceEvents":[`, one
event per line, `Sample` begin/end pairs with `complete_ns`, Server
`Scheduling`/`IssueQuery`/`Latency`/`Token_Latency` events, logger internals,
`LogDetail` events with LoadGen's doubled-quote defect, `LastTrace`, and the
`otherData` trailer.

It is a benchmark input, not a fixture: the numbers are made up (seeded, so
the same arguments give the same file). Output goes under benches/out/
(git-ignored) by default.

Usage: benches/gen_trace.py SIZE_MB [--out DIR] [--scenario server-token|offline]
Writes DIR/run/mlperf_log_trace.json (default DIR: benches/out/trace-<SIZE>MB).
"""
import argparse
import os
import random

LOGGER = ["Thread", "Gather", "Process", "FlushAll", "IOThreadLoop", "Wait"]
DETAIL_KEYS = ["loadgen_version", "test_datetime", "effective_scenario", "result_validity",
               "result_50.00_percentile_latency_ns", "num_errors"]


def write_trace(path, target, scenario="server-token", seed=1234):
    """Write a trace of about `target` bytes to `path`; return (bytes, samples)."""
    rng = random.Random(seed)
    pid, main_tid, io_tid = 4242, 4242, 4250
    server = scenario == "server-token"
    written = 0
    i = 0
    t = 20.0  # µs since the trace origin
    with open(path, "w", buffering=1 << 20) as f:
        def w(line):
            nonlocal written
            f.write(line)
            written += len(line)

        w('{"traceEvents":[\n')
        w(f'{{"name":"GenerateLoadableSets","ph":"X","pid":{pid},"tid":{main_tid},"ts":19.0,"dur":7.5,"args":{{}}}},\n')
        w(f'{{"name":"GenerateQueries","ph":"X","pid":{pid},"tid":{main_tid},"ts":37.1,"dur":6.6,"args":{{}}}},\n')
        while written < target:
            t += rng.expovariate(1 / 1000.0) if server else 0.0
            delay = rng.randint(100, 100_000)
            latency = int(rng.lognormvariate(18.4, 0.15))  # ~100 ms
            ttft = latency // 2 + rng.randint(0, 5_000_000)
            tid = 4243 + i % 32
            if server:
                w(f'{{"name":"Scheduling","ph":"X","pid":{pid},"tid":{main_tid},"ts":{t:.3f},"dur":0.060,"args":{{}}}},\n')
                w(f'{{"name":"IssueQuery","ph":"X","pid":{pid},"tid":{main_tid},"ts":{t + 0.1:.3f},"dur":43.766,"args":{{}}}},\n')
                w(f'{{"name":"SampleLoop","ph":"X","pid":{pid},"tid":{main_tid},"ts":{t:.3f},"dur":44.0,"args":{{}}}},\n')
                w(f'{{"name":"Token_Latency","ph": "C","pid":{pid},"ts":{t:.3f},"args":{{ "issue_delay":{delay},"issue_to_done":{ttft}}}}},\n')
                w(f'{{"name":"FirstTokenComplete","ph":"X","pid":{pid},"tid":{tid},"ts":{t + ttft / 1e3:.3f},"dur":24.347,"args":{{}}}},\n')
                w(f'{{"name":"Latency","ph": "C","pid":{pid},"ts":{t:.3f},"args":{{ "issue_delay":{delay},"issue_to_done":{latency}}}}},\n')
            w(f'{{"name":"Sample","cat":"default","ph":"b","pid":{pid},"id":{i},"ts":{t:.3f},"args":{{"sample_seq":{i},"query_seq":{i},"sample_idx":{rng.randrange(24576)},"issue_start_ns":{delay},"complete_ns":{latency + delay}}}}},\n')
            w(f'{{"name":"Sample","cat":"default","ph":"e", "pid":{pid},"id":{i},"ts":{t + (latency + delay) / 1e3:.3f}}},\n')
            w(f'{{"name":"QuerySamplesComplete","ph":"X","pid":{pid},"tid":{tid},"ts":{t + (latency + delay) / 1e3:.3f},"dur":20.050,"args":{{}}}},\n')
            if i % 64 == 0:
                for name in LOGGER:
                    w(f'{{"name":"{name}","ph":"X","pid":{pid},"tid":{io_tid},"ts":{t:.3f},"dur":1.753,"args":{{}}}},\n')
            i += 1
        for k in DETAIL_KEYS:
            w(f'{{"name":"LogDetail","ph":"X","pid":{pid},"tid":{io_tid},"ts":{t:.3f},"dur":0.561,"args":{{"key":""{k}""}}}},\n')
        w('{"name":"LastTrace"}\n],\n"displayTimeUnit":"ns",\n"otherData":{\n"ts":1795720499231811.750,\n"version":"MLPerf LoadGen v1.0"\n}\n}\n')
    return written, i


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size_mb", type=float)
    ap.add_argument("--out")
    ap.add_argument("--scenario", choices=["server-token", "offline"], default="server-token")
    a = ap.parse_args()
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "out",
                                f"trace-{a.size_mb:g}MB")
    run = os.path.join(out, "run")
    os.makedirs(run, exist_ok=True)
    path = os.path.join(run, "mlperf_log_trace.json")
    written, i = write_trace(path, int(a.size_mb * 1024 * 1024), a.scenario)
    print(f"{path}: {written / 1048576:.1f} MiB, {i} samples")


if __name__ == "__main__":
    main()
