#!/usr/bin/env python3
"""Measure mlperf-health on the inputs of benches/gen_inputs.py, next to
`wc -l` and the Python baseline on the same bytes, and print Markdown
tables. Called by benches/run.sh (which builds and generates first).

Every command runs under `/usr/bin/time -v` REPS times, after one untimed
warm-up run that also puts the files in the page cache; the table shows the
median wall time (measured here around the process), the median CPU time
(user + sys, from time -v) and the largest peak RSS. Ratios are of medians.
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024


def files_under(d):
    out = []
    for dp, dns, fns in os.walk(d):
        dns.sort()
        out += [os.path.join(dp, f) for f in sorted(fns)]
    return out


def run_once(cmd, env=None):
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        text = tf.read()
    if p.returncode not in (0, 1):
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return wall, user + sys_, rss


def measure(cmd, reps, threads=None):
    env = dict(os.environ)
    if threads is not None:
        env["RAYON_NUM_THREADS"] = str(threads)
    run_once(cmd, env)  # warm-up: page cache, lazy binding
    runs = [run_once(cmd, env) for _ in range(reps)]
    return {
        "wall": statistics.median(r[0] for r in runs),
        "cpu": statistics.median(r[1] for r in runs),
        "rss": max(r[2] for r in runs) / 1024,
    }


def wc_cmd(files, listfile):
    with open(listfile, "wb") as f:
        f.write(b"\0".join(p.encode() for p in files) + b"\0")
    return ["wc", "-l", "--files0-from=" + listfile]


def row(label, m, mib, ref=None, ref_label="wc -l"):
    ratio = f"{m['wall'] / ref['wall']:.2f}× / {m['cpu'] / max(ref['cpu'], 1e-3):.2f}×" if ref else ""
    return (f"| {label} | {m['wall']:.3f} | {m['cpu']:.3f} | {mib / m['wall']:.0f} | "
            f"{m['rss']:.1f} | {ratio} |")


def same_outputs(a, b):
    for name in ("report.json", "report.md", "report.html"):
        pa, pb = os.path.join(a, name), os.path.join(b, name)
        if not os.path.exists(pa):
            continue
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            if fa.read() != fb.read():
                return False
    return True


def machine():
    def sh(c):
        try:
            return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    model = sh("lscpu | sed -n 's/^Model name: *//p'")
    return (f"- nproc: {os.cpu_count()}; CPU: {model}; {sh('free -h | sed -n 2p')}\n"
            f"- {platform.system()} {platform.release()}, {sh('rustc --version')}, "
            f"{sh('python3 --version')}, {sh('wc --version | head -1')}\n"
            f"- load average at start: {os.getloadavg()[0]:.2f} (other work on the machine)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", nargs="+", default=["10", "100", "1024"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    lst = os.path.join(a.out, "files0.list")
    print(machine())
    print(f"- binary: `{a.bin}`; {a.reps} timed runs per row after one warm-up; "
          "wall and CPU (user + sys) are medians, RSS the largest peak.")
    print()
    print("Ratios: wall / CPU against the reference row (`wc -l` on the same bytes, or the "
          "Python baseline, whose ratio is baseline ÷ tool).")
    for size in a.sizes:
        d = os.path.join(a.inputs, f"loadgen-{size}MB")
        files = files_under(d)
        mib = sum(os.path.getsize(f) for f in files) / MIB
        acc = os.path.join(d, "accuracy")
        det = [f for f in files_under(acc) if f.endswith("mlperf_log_detail.txt")]
        det_mib = sum(os.path.getsize(f) for f in files_under(acc)) / MIB
        wc = measure(wc_cmd(files, lst), a.reps)
        o1, on = os.path.join(a.out, f"{size}-t1"), os.path.join(a.out, f"{size}-tn")
        fmt = ["--format", "json,md,html"]
        tool = measure([a.bin, "report", d, "--out", on] + fmt, a.reps)
        tool1 = measure([a.bin, "report", d, "--out", o1] + fmt, a.reps, threads=1)
        wc_det = measure(wc_cmd(files_under(acc), lst), a.reps)
        tool_det = measure([a.bin, "report", acc, "--out", os.path.join(a.out, f"{size}-acc"),
                            "--format", "json"], a.reps)
        py = measure([sys.executable, os.path.join(os.path.dirname(__file__),
                                                   "baseline_detail.py"), acc], a.reps)
        print()
        print(f"### LoadGen artifacts, {mib:.0f} MiB ({len(files)} files; "
              f"`{os.path.relpath(d)}`)")
        print()
        print("| Command | Wall s | CPU s | MiB/s (wall) | Peak RSS MiB | Ratio wall / CPU |")
        print("|---|---:|---:|---:|---:|---|")
        print(row("`wc -l` (all files)", wc, mib))
        print(row("`report` md+html+json, default threads", tool, mib, wc))
        print(row("`report` md+html+json, `RAYON_NUM_THREADS=1`", tool1, mib, wc))
        print(row(f"`wc -l` (detail logs, {det_mib:.0f} MiB)", wc_det, det_mib))
        print(row("`report` json, detail logs only", tool_det, det_mib, wc_det))
        print(row("Python baseline, detail logs only", py, det_mib, wc_det))
        print()
        print(f"Python baseline ÷ tool on the {len(det)} detail logs: "
              f"**{py['wall'] / tool_det['wall']:.1f}×** wall, "
              f"{py['cpu'] / tool_det['cpu']:.1f}× CPU. "
              f"Report with 1 thread and default threads byte-identical: "
              f"**{'yes' if same_outputs(o1, on) else 'NO'}**.")
    tree = os.path.join(a.inputs, "tree-1000")
    arch = os.path.join(a.inputs, "archive-500")
    if os.path.isdir(tree) and os.path.isdir(arch):
        tfiles = files_under(tree)
        tmib = sum(os.path.getsize(f) for f in tfiles) / MIB
        afiles = files_under(arch)
        amib = sum(os.path.getsize(f) for f in afiles) / MIB
        t1, tn = os.path.join(a.out, "tree-t1"), os.path.join(a.out, "tree-tn")
        fmt = ["--format", "json,md,html"]
        rows = [
            (f"`wc -l`, tree ({len(tfiles)} files)", measure(wc_cmd(tfiles, lst), a.reps), tmib),
            ("`report` md+html+json, tree, default threads",
             measure([a.bin, "report", tree, "--out", tn] + fmt, a.reps), tmib),
            ("`report` md+html+json, tree, `RAYON_NUM_THREADS=1`",
             measure([a.bin, "report", tree, "--out", t1] + fmt, a.reps, threads=1), tmib),
            (f"`wc -l`, archive ({len(afiles)} files)", measure(wc_cmd(afiles, lst), a.reps), amib),
            ("`index`, 500 reports",
             measure([a.bin, "index", arch, "--out", os.path.join(a.out, "site")], a.reps), amib),
        ]
        print()
        print(f"### Fan-out: 1,000-run tree ({tmib:.0f} MiB), 500-report archive ({amib:.0f} MiB)")
        print()
        print("| Command | Wall s | CPU s | MiB/s (wall) | Peak RSS MiB | Ratio wall / CPU |")
        print("|---|---:|---:|---:|---:|---|")
        for label, m, mb in rows:
            print(row(label, m, mb))
        print()
        print(f"Tree report with 1 thread and default threads byte-identical: "
              f"**{'yes' if same_outputs(t1, tn) else 'NO'}**.")
    print()
    print(f"- load average at end: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(os.path.join(a.out, "site"), ignore_errors=True)


if __name__ == "__main__":
    main()
