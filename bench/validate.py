#!/usr/bin/env python3
"""Benchmark `normsctl validate` on generated handbooks.

    python3 bench/validate.py [--sizes 1000,2500,5000,10000] [--runs 7] [--keep DIR]

Builds the release binary, generates one handbook per size with bench/gen_handbook.py
(no git history), then times, in the same run and on the same files:
  - `normsctl validate --strict` (the job),
  - `cat` of every policy file (the baseline: reading the bytes, nothing else).
Prints the median and min of each over --runs runs, and microseconds per policy, so the
cost per file shows whether growth is linear.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, runs, **kw):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), min(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,2500,5000,10000")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "normsctl")
    work = args.keep or tempfile.mkdtemp(prefix="normsctl-bench-")
    print(f"| policies | validate median (min) | cat baseline median | validate per policy |")
    print(f"|---:|---:|---:|---:|")
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            hb = os.path.join(work, f"hb-{n}")
            if not os.path.exists(hb):
                subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), hb,
                                "--policies", str(n), "--people", str(max(10, n // 5))],
                               check=True, stderr=subprocess.DEVNULL)
            check = subprocess.run([exe, "--repo", hb, "validate", "--strict"], capture_output=True, text=True)
            if check.returncode != 0:
                sys.exit(f"generated handbook of {n} does not validate:\n{check.stdout[-2000:]}")
            # warm the page cache once, as both measurements then read from memory
            timed([exe, "--repo", hb, "validate", "--strict"], 1)
            med, low = timed([exe, "--repo", hb, "validate", "--strict"], args.runs)
            cat_med, _ = timed(["sh", "-c", "find policies -name '*.yaml' -print0 | xargs -0 cat > /dev/null"],
                               args.runs, cwd=hb)
            print(f"| {n:,} | {med*1000:.0f} ms ({low*1000:.0f} ms) | {cat_med*1000:.0f} ms | {med/n*1e6:.1f} µs |",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
