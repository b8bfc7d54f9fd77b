#!/usr/bin/env python3
"""Benchmark `normsctl build` and `normsctl serve` rebuilds on a generated handbook.

    python3 bench/site.py [--policies 2000] [--commits 10000] [--runs 5] [--keep DIR]

Builds the release binary, generates a handbook with history (bench/gen_handbook.py), then
times, in the same run and on the same machine:
  - a cold `normsctl build` (a fresh output folder each run: no cache, as in a fresh CI
    clone), with its peak memory;
  - anchor 1: Hugo (Debian's `hugo`) building as many plain Markdown pages;
  - anchor 2: `git log --name-status` on the same repository;
  - a `normsctl serve` rebuild after one policy file changes (the time serve reports for
    the rebuild, from the debounced event to the last file written), over several edits.
Prints medians (and minimums) as a Markdown table. Hugo is skipped, with a note, where it is
not installed (`apt-get install hugo`).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_timed(cmd, **kw):
    """Runs cmd; returns (seconds, peak RSS in MB, exit code)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def median_min(samples):
    return statistics.median(samples), min(samples)


def hugo_site(work, n):
    """A Hugo site of n plain Markdown pages of about the size of a policy body."""
    site = os.path.join(work, "hugo")
    if os.path.exists(site):
        return site
    os.makedirs(os.path.join(site, "content", "p"))
    os.makedirs(os.path.join(site, "layouts", "_default"))
    with open(os.path.join(site, "hugo.toml"), "w") as f:
        f.write('baseURL = "https://example.org/"\ntitle = "Bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    page = "Some words of the policy body with **bold** and a [link](https://example.org).\n\n- item one\n- item two\n\n" * 8
    for i in range(n):
        with open(os.path.join(site, "content", "p", f"p{i}.md"), "w") as f:
            f.write(f"---\ntitle: Policy {i}\n---\n\n{page}")
    single = "<html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>"
    listing = "<html><body>{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}</body></html>"
    for name, text in [("single.html", single), ("list.html", listing)]:
        with open(os.path.join(site, "layouts", "_default", name), "w") as f:
            f.write(text)
    with open(os.path.join(site, "layouts", "index.html"), "w") as f:
        f.write(listing)
    return site


def serve_rebuilds(exe, hb, out, edits):
    """Starts serve, edits one policy `edits` times, returns the reported rebuild times (ms)."""
    p = subprocess.Popen([exe, "--repo", hb, "serve", "--port", "0", "--out", out],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    times = []
    try:
        for line in p.stderr:
            if "serving the handbook at" in line:
                break
        else:
            sys.exit("serve did not start")
        policy = None
        for dirpath, _, names in os.walk(os.path.join(hb, "policies")):
            for name in sorted(names):
                if name.endswith(".yaml"):
                    policy = os.path.join(dirpath, name)
                    break
            if policy:
                break
        original = open(policy).read()
        for i in range(edits):
            time.sleep(0.5)
            with open(policy, "w") as f:
                f.write(original.replace("body: |\n", f"body: |\n  Edit number {i}.\n", 1))
            for line in p.stderr:
                m = re.search(r"rebuilt in (\d+) ms", line)
                if m:
                    times.append(int(m.group(1)))
                    break
                if "error" in line:
                    sys.exit(f"serve reported an error: {line}")
        with open(policy, "w") as f:
            f.write(original)
    finally:
        p.terminate()
        p.wait()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policies", type=int, default=2000)
    ap.add_argument("--commits", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=7)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "normsctl")
    work = args.keep or tempfile.mkdtemp(prefix="normsctl-site-bench-")
    try:
        hb = os.path.join(work, "hb")
        if not os.path.exists(hb):
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), hb,
                            "--policies", str(args.policies), "--people", str(max(10, args.policies // 5)),
                            "--commits", str(args.commits)], check=True, stderr=subprocess.DEVNULL)
        out = os.path.join(work, "site")
        # warm the page cache once
        run_timed([exe, "--repo", hb, "build", "--out", out])
        builds, peaks = [], []
        # Each run writes a folder never used before, as a fresh CI clone does: ext4 is slow
        # to create files right after as many were deleted (it holds back freed inodes), which
        # would time the file system's bookkeeping rather than the build. Hugo gets the same.
        for n in range(args.runs):
            out = os.path.join(work, f"site-{n}")
            t, rss, code = run_timed([exe, "--repo", hb, "build", "--out", out])
            if code != 0:
                sys.exit(f"normsctl build failed with exit code {code}")
            builds.append(t)
            peaks.append(rss)
        gitlog = [run_timed(["git", "log", "--name-status"], cwd=hb)[0] for _ in range(args.runs)]
        hugo = None
        if shutil.which("hugo"):
            site = hugo_site(work, args.policies)
            samples = []
            for n in range(args.runs + 1):
                samples.append(run_timed(["hugo", "--quiet", "--destination", f"public-{n}"], cwd=site)[0])
            hugo = samples[1:]
        else:
            print("note: hugo is not installed (apt-get install hugo); its anchor is skipped", file=sys.stderr)
        rebuilds = serve_rebuilds(exe, hb, os.path.join(work, "served"), args.edits)

        b, bmin = median_min(builds)
        g, gmin = median_min(gitlog)
        print(f"{args.policies:,} policies, {args.commits:,} commits; medians of {args.runs} runs (min)\n")
        print("| what | time | goal |")
        print("|---|---:|---|")
        print(f"| `normsctl build`, cold | {b:.2f} s ({bmin:.2f} s) | at most hugo + git log |")
        if hugo:
            h, hmin = median_min(hugo)
            print(f"| anchor: hugo, {args.policies:,} Markdown pages | {h:.2f} s ({hmin:.2f} s) | |")
        print(f"| anchor: `git log --name-status` | {g:.2f} s ({gmin:.2f} s) | |")
        if hugo:
            print(f"| hugo + git log | {h + g:.2f} s | build / (hugo + git log) = {b / (h + g):.2f} |")
        r, rmin = median_min(rebuilds)
        print(f"| `serve` rebuild after one policy changes ({len(rebuilds)} edits) | {r:.0f} ms ({rmin:.0f} ms) | < 200 ms |")
        print(f"| peak memory of the build | {statistics.median(peaks):.0f} MB | < 500 MB |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
