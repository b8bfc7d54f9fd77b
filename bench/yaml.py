#!/usr/bin/env python3
"""Benchmark the YAML loader: the cost per byte of one policy file, by shape and size.

    python3 bench/yaml.py [--sizes 10000,100000,1000000] [--runs 9] [--many-runs 5]
                          [--shapes flow,block,plain,quoted,literal] [--exe PATH] [--keep DIR]

Builds the release binary (or times --exe, e.g. an older build), then for each shape and
size writes a handbook holding settings, a two-person roster and 1 MB of policy files of
that size (100 files of 10 KB, 10 of 100 KB, 1 of 1 MB): norms whose `tags` (lists) or
`body` (strings) fill each file. It checks that `normsctl validate` accepts the handbook
(exit 0) and times it over --runs runs. A handbook with the same number of one-line norms
is the baseline (process start, settings, roster, per-file work); the cost per byte is
(median - baseline median) / bytes of policy files, so a flat column means linear time.

Shapes (every file stays within the documented limits, 1 MiB and 200,000 values):
  flow     `tags: [abcdef, abcdef, ...]` on one line (8 bytes a value)
  block    `tags:` then one `- abcdef` line per value (9 bytes a value)
  plain    `body: word word ...` one plain scalar on one line
  quoted   `body: "word word ..."` one double-quoted scalar on one line
  literal  `body: |` then 64-byte lines

Then times `normsctl validate` of a handbook with 20 policy files of 400 KB, each a
one-line flow list of one-letter tags (133,000 values a file: the most values a byte a
flow list can hold), over --many-runs runs (0 skips it).

Prints a Markdown table of wall-time medians (min), CPU-time (user + system) medians and ns
per byte of each, and the load average at the start: on a shared machine the CPU column
is the steadier one.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETTINGS = "title: YAML bench\ntimezone: Europe/Madrid\n"
ROSTER = """\
teams:
  - { id: tier1, name: Tier 1, lead: ana }
roles:
  - { id: agent, name: Agent }
people:
  - { id: ana, name: Ana Diaz, email: ana@example.com, teams: [tier1], roles: [agent] }
  - { id: bo, name: Bo Chen, email: bo@example.com, teams: [tier1], roles: [agent] }
"""


def norm(pid, tail="body: Tell the channel.\n"):
    return (f"id: {pid}\nkind: norm\ntitle: A norm\nsummary: One line.\nowner: tier1\n"
            f"revision: 1\n{tail}")


def fill(head, unit, sep, end, size):
    """head + unit (sep unit)* + end, as close to `size` bytes as whole units allow."""
    n = max(1, (size - len(head) - len(end) + len(sep)) // (len(unit) + len(sep)))
    return head + sep.join([unit] * n) + end


def shape_text(shape, pid, size):
    base = len(norm(pid, ""))
    if shape == "flow":
        return norm(pid, "body: x\n" + fill("tags: [", "abcdef", ", ", "]\n", size - base - 8))
    if shape == "block":
        return norm(pid, "body: x\n" + fill("tags:\n", "- abcdef", "\n", "\n", size - base - 8))
    if shape == "plain":
        return norm(pid, fill("body: ", "word", " ", "\n", size - base))
    if shape == "quoted":
        return norm(pid, fill('body: "', "word", " ", '"\n', size - base))
    if shape == "literal":
        return norm(pid, fill("body: |\n", "  " + "w" * 61, "\n", "\n", size - base))
    raise SystemExit(f"unknown shape {shape}")


def handbook(path, policies):
    os.makedirs(os.path.join(path, "policies"))
    with open(os.path.join(path, "normsctl.yaml"), "w") as f:
        f.write(SETTINGS)
    with open(os.path.join(path, "people.yaml"), "w") as f:
        f.write(ROSTER)
    for name, text in policies.items():
        with open(os.path.join(path, "policies", name + ".yaml"), "w") as f:
            f.write(text)


def timed(cmd, runs):
    """Median and min wall time, and median CPU time (user + system) of the child."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def accepted(exe, hb):
    run = subprocess.run([exe, "--repo", hb, "validate"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{hb} does not validate:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--shapes", default="flow,block,plain,quoted,literal")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--many-runs", type=int, default=5)
    ap.add_argument("--exe", help="time this binary instead of building the release one")
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    if args.exe:
        exe = os.path.abspath(args.exe)
    else:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "normsctl")
    work = args.keep or tempfile.mkdtemp(prefix="normsctl-bench-yaml-")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    try:
        total = max(int(x) for x in args.sizes.split(","))
        print("| shape | file size | files | values a file | validate median (min) | CPU median "
              "| ns per byte (wall) | ns per byte (CPU) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        baselines = {}
        for shape in args.shapes.split(","):
            for size in [int(x) for x in args.sizes.split(",")]:
                count = max(1, total // size)
                if count not in baselines:
                    base = os.path.join(work, f"base-{count}")
                    if not os.path.exists(base):
                        handbook(base, {f"n{i:03}": norm(f"n{i:03}") for i in range(count)})
                    accepted(exe, base)
                    timed([exe, "--repo", base, "validate"], 2)
                    baselines[count] = timed([exe, "--repo", base, "validate"], args.runs)
                base_med, _, base_cpu = baselines[count]
                texts = {f"n{i:03}": shape_text(shape, f"n{i:03}", size) for i in range(count)}
                text = texts["n000"]
                hb = os.path.join(work, f"{shape}-{size}")
                if not os.path.exists(hb):
                    handbook(hb, texts)
                accepted(exe, hb)
                timed([exe, "--repo", hb, "validate"], 1)
                med, low, cpu = timed([exe, "--repo", hb, "validate"], args.runs)
                values = {"flow": text.count(", ") + 1, "block": text.count("\n- ")}.get(shape, 1)
                nbytes = sum(len(t) for t in texts.values())
                per_byte = max(0.0, med - base_med) / nbytes * 1e9
                cpu_per_byte = max(0.0, cpu - base_cpu) / nbytes * 1e9
                print(f"| {shape} | {len(text):,} | {count} | {values:,} | {med*1000:.1f} ms "
                      f"({low*1000:.1f} ms) | {cpu*1000:.1f} ms | {per_byte:.0f} | {cpu_per_byte:.0f} |",
                      flush=True)
        if args.many_runs:
            hb = os.path.join(work, "many")
            if not os.path.exists(hb):
                letters = "abcdefghijklmnopqrstuvwxyz"
                items = ", ".join(letters[i % 26] for i in range(133_000))
                handbook(hb, {f"n{i:02}": norm(f"n{i:02}", f"body: x\ntags: [{items}]\n")
                              for i in range(20)})
            accepted(exe, hb)
            size = sum(os.path.getsize(os.path.join(hb, "policies", f))
                       for f in os.listdir(os.path.join(hb, "policies")))
            med, low, cpu = timed([exe, "--repo", hb, "validate"], args.many_runs)
            print(f"\n20 files of 400 KB flow lists ({size:,} bytes, 2,660,000 values): "
                  f"validate {med:.2f} s median ({low:.2f} s min), CPU {cpu:.2f} s median, "
                  f"over {args.many_runs} runs")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
