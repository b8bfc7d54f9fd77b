#!/usr/bin/env python3
"""Benchmark the history commands on generated repositories.

    python3 bench/history.py [--commits 2500,5000,10000] [--policies 2000] [--runs 7] [--keep DIR]

Builds the release binary, generates one repository per commit count with
bench/gen_handbook.py (2,000 policies, each commit touching 1 to 3 of them), clones it
the way CI does (`git clone --no-local`: one pack, no commit-graph), then times in the
clone, cold in the sense of a fresh CI clone (no cache of ours exists; the OS page cache
is warm for every command alike):
  - `normsctl log --format json` (the whole history) against
    `git log --name-status --first-parent` (the baseline: git's own walk of the same line),
  - `normsctl log ID --format json` for one policy against `git log --follow -- FILE`,
  - `normsctl diff FIRST HEAD --format json` (the whole range),
  - warm runs: `log` and `log ID` again with the history cache of the previous run
    (`.git/normsctl/`) in place and no new commits.
Cold runs delete the cache before every run.
Prints medians (and minimums) of --runs runs and the ratios; cost per commit shows
whether growth is linear.
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


def timed(cmd, runs, before=None, **kw):
    samples = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
        samples.append(time.perf_counter() - t)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd} failed: {r.stderr.decode()[-500:]}")
    return statistics.median(samples), min(samples)


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", default="2500,5000,10000")
    ap.add_argument("--policies", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "normsctl")
    work = args.keep or tempfile.mkdtemp(prefix="normsctl-bench-")
    print("| commits | log (json) | git log --name-status | ratio | log ID | git log --follow | diff FIRST HEAD | log per commit | warm log | warm log ID |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(s) for s in args.commits.split(",")]:
        origin = os.path.join(work, f"repo-{args.policies}-{n}")
        if not os.path.exists(origin):
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), origin,
                            "--policies", str(args.policies), "--people", "100",
                            "--commits", str(n)], check=True, stderr=subprocess.DEVNULL)
        repo = origin + "-clone"
        if not os.path.exists(repo):
            subprocess.run(["git", "clone", "-q", "--no-local", origin, repo], check=True)
        first = git(repo, "rev-list", "--max-parents=0", "HEAD").split()[0]
        # The policy changed most often, and its file now.
        counts = {}
        for line in git(repo, "log", "--first-parent", "--name-only", "--format=").splitlines():
            if line.endswith(".yaml") and line.startswith("policies/"):
                counts[line] = counts.get(line, 0) + 1
        path = max(counts, key=counts.get)
        while not os.path.exists(os.path.join(repo, path)):
            del counts[path]
            path = max(counts, key=counts.get)
        pid = os.path.basename(path)[:-5]
        norm = [exe, "--repo", repo]
        cache = os.path.join(repo, ".git", "normsctl")
        cold = lambda: shutil.rmtree(cache, ignore_errors=True)
        timed(norm + ["log", "--format", "json"], 1, cold)
        log_m, log_lo = timed(norm + ["log", "--format", "json"], args.runs, cold)
        git_m, _ = timed(["git", "-C", repo, "log", "--name-status", "--first-parent"], args.runs)
        one_m, _ = timed(norm + ["log", pid, "--format", "json"], args.runs, cold)
        follow_m, _ = timed(["git", "-C", repo, "log", "--follow", "--", path], args.runs)
        diff_m, _ = timed(norm + ["diff", first, "HEAD", "--format", "json"], args.runs, cold)
        timed(norm + ["log", "--format", "json"], 1)
        warm_m, _ = timed(norm + ["log", "--format", "json"], args.runs)
        warm_one_m, _ = timed(norm + ["log", pid, "--format", "json"], args.runs)
        print(f"| {n:,} | {log_m*1000:.0f} ms ({log_lo*1000:.0f}) | {git_m*1000:.0f} ms | {log_m/git_m:.2f}x "
              f"| {one_m*1000:.0f} ms | {follow_m*1000:.0f} ms | {diff_m*1000:.0f} ms | {log_m/n*1e6:.0f} µs "
              f"| {warm_m*1000:.0f} ms | {warm_one_m*1000:.0f} ms |",
              flush=True)
    if not args.keep:
        print(f"(generated repositories left in {work}; delete them when done)", file=sys.stderr)


if __name__ == "__main__":
    main()
