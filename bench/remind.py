#!/usr/bin/env python3
"""Benchmark `acks remind`: every digest of a large roster rendered.

    python3 bench/remind.py [--people 5000] [--policies 100] [--commits 200] [--acked 0.2]
                            [--runs 7] [--keep DIR] [--exe BIN] [--same-as BIN]

Builds the release binary, generates a handbook with bench/gen_handbook.py (with a short
history), records acknowledgements for a share (--acked) of the people of one in two
policies (so some digests carry stale items with a briefing, some are empty), raises the
revision of those policies (material changes), and then times, as medians of --runs runs,
with "now" 60 days after the history (everything overdue):
  - `acks` (the acknowledgement report remind starts from: the same-run anchor),
  - `acks remind --format json` (every digest as one document),
  - `acks remind` (text),
  - `acks remind --send smtp --send webhook --dry-run` (every e-mail, plain text and
    HTML, and every webhook body, rendered and printed).
The commands' runs are interleaved (run 1 of each, then run 2 of each, ...) so they see
the same load; the load average is printed at the start and the end. Prints a Markdown
table with the wall median, the fastest run, the median CPU (user + system) and the ratio
of each median to the anchor's. The goal (issue 15): under 2 s for 5,000 people.

--shape worst (the default) is the above: one `ack` process per acknowledging person (slow
to set up), and everyone owes about every policy. --shape realistic instead has the --acked
share of people acknowledge every policy (entries written with one `git fast-import`, as
bench/acks.py does) and then raises --raise policies (default 4): with --acked 0.9 most
people owe those few policies, with a briefing each, and the rest owe everything. --keep DIR keeps the handbook in
DIR and reuses it when it is there. --same-as BIN also runs every command once with
another binary (say, the one before a change) and says whether the outputs are
byte-identical.
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
ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", TZ="UTC")


def git(hb, *args):
    return subprocess.run(["git", *args], cwd=hb, env=ENV, check=True, capture_output=True).stdout


def run(exe, hb, args, env, keep=False):
    t = time.perf_counter()
    before = os.times()
    r = subprocess.run([exe, *args], cwd=hb, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.perf_counter() - t
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if r.returncode not in (0, 1):
        sys.exit(f"{args} failed: {r.stderr.decode()[-2000:]}")
    return took, len(r.stdout), cpu, r.stdout if keep else None


def load():
    return open("/proc/loadavg").read().split()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--acked", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--shape", choices=["worst", "realistic"], default="worst")
    ap.add_argument("--raise", dest="raise_", type=int, default=4,
                    help="realistic shape: how many policies get a material change")
    ap.add_argument("--keep")
    ap.add_argument("--exe", help="a normsctl binary to time (default: build the release one)")
    ap.add_argument("--same-as", help="another normsctl binary whose outputs must be the same")
    a = ap.parse_args()
    exe = a.exe and os.path.abspath(a.exe)
    if not exe:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "normsctl")
    base = a.keep or tempfile.mkdtemp(prefix="normsctl-remind-")
    os.makedirs(base, exist_ok=True)
    hb = os.path.join(base, "hb")
    marker = os.path.join(base, f"ready-{a.shape}-{a.people}-{a.policies}-{a.commits}-{a.acked}-{a.raise_}")
    if not os.path.exists(marker):
        prepare(a, exe, hb)
        open(marker, "w").close()
    now = int(git(hb, "log", "-1", "--format=%ct").decode()) + 60 * 86400
    env = dict(ENV, SOURCE_DATE_EPOCH=str(now))
    rows = []
    commands = [
        ("`acks` (the report remind starts from; anchor)", ["acks"]),
        ("`acks remind --format json`", ["acks", "remind", "--format", "json"]),
        ("`acks remind` (text)", ["acks", "remind"]),
        ("`acks remind --send smtp --send webhook --dry-run`", ["acks", "remind", "--send", "smtp", "--send", "webhook", "--dry-run"]),
    ]
    if a.same_as:
        for label, args in commands:
            mine = run(exe, hb, args, env, keep=True)[3]
            theirs = run(os.path.abspath(a.same_as), hb, args, env, keep=True)[3]
            same = "identical" if mine == theirs else "DIFFERENT"
            print(f"{label}: {len(mine)} bytes, {same} to {a.same_as}", file=sys.stderr)
    if a.runs == 0:
        return
    for _, args in commands:
        run(exe, hb, args, env)  # warm the caches (.git/normsctl) once
    start_load = load()
    samples = {label: [] for label, _ in commands}
    for _ in range(a.runs):
        for label, args in commands:
            samples[label].append(run(exe, hb, args, env))
    end_load = load()
    anchor = statistics.median(s[0] for s in samples[commands[0][0]])
    for label, _ in commands:
        got = samples[label]
        med = statistics.median(s[0] for s in got)
        cpu = statistics.median(s[2] for s in got)
        rows.append((label, med, min(s[0] for s in got), cpu, med / anchor, got[0][1]))
    acked = int(a.people * a.acked)
    print(f"\n{a.people} people, {a.policies} policies, {a.commits} commits, {acked} with acknowledgements;"
          f" load average {start_load} at the start, {end_load} at the end; medians of {a.runs}\n")
    print("| command | median | fastest | CPU (median) | / anchor | output |\n|---|---:|---:|---:|---:|---:|")
    for label, med, best, cpu, ratio, size in rows:
        print(f"| {label} | {med * 1000:.0f} ms | {best * 1000:.0f} ms | {cpu * 1000:.0f} ms | {ratio:.2f}x | {size / 1e6:.1f} MB |")
    if not a.keep:
        shutil.rmtree(base)


def prepare(a, exe, hb):
    for old in os.listdir(os.path.dirname(hb)):
        if old.startswith("ready-"):
            os.remove(os.path.join(os.path.dirname(hb), old))
    if os.path.exists(hb):
        shutil.rmtree(hb)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), hb,
                    "--policies", str(a.policies), "--people", str(a.people),
                    "--commits", str(a.commits)], check=True, env=ENV)
    git(hb, "config", "user.name", "Bench")
    git(hb, "config", "user.email", "bench@example.com")
    # Who is on the roster, and which policies ask for acknowledgement (ids from HEAD).
    people = [line.split("id:")[1].strip().split(",")[0].strip()
              for line in open(os.path.join(hb, "people.yaml")) if line.strip().startswith("- id:") or line.strip().startswith("- { id:")]
    files = git(hb, "ls-files", "policies").decode().split()
    asks = [f for f in files if "\nack: none" not in open(os.path.join(hb, f)).read()]
    half = asks[::2]
    ids = [os.path.splitext(os.path.basename(f))[0] for f in half]
    head = int(git(hb, "log", "-1", "--format=%ct").decode())
    env = dict(ENV, SOURCE_DATE_EPOCH=str(head + 3600), GIT_COMMITTER_DATE=f"@{head + 3600} +0000")
    acked = people[: int(len(people) * a.acked)]
    t = time.perf_counter()
    if a.shape == "realistic":
        # Every policy acknowledged by the acked people, written with one `git
        # fast-import` (bench/acks.py's valid entries, bound to HEAD), then a few raised.
        sys.path.insert(0, os.path.join(ROOT, "bench"))
        import acks as ledger
        at_head = ledger.policies_at_head(hb)
        index = {p: i for i, p in enumerate(people)}
        pairs = [(index[p], j) for p in acked for j in range(len(at_head))]
        sha = git(hb, "rev-parse", "HEAD").decode().strip()
        ledger.write_ledger(hb, pairs, at_head, people, sha, 100, 0, head + 3600, True)
        half = [path for _, path, _, _ in at_head][:: max(1, len(at_head) // a.raise_)][: a.raise_]
    else:
        for p in acked:
            r = subprocess.run([exe, "ack", "--as", p, *ids], cwd=hb, env=env, capture_output=True)
            if r.returncode != 0:
                sys.exit(f"ack --as {p} failed: {r.stderr.decode()[-2000:]}")
    print(f"recorded acknowledgements for {len(acked)} people in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    # Material changes: raise the revision of the acknowledged half (realistic: --raise).
    for f in half:
        path = os.path.join(hb, f)
        text = open(path).read()
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("revision:"):
                lines[i] = f"revision: {int(line.split(':')[1]) + 1}"
        open(path, "w").write("\n".join(lines).replace("summary: ", "summary: Now, ", 1))
    # Every message printed by the dry run, not only the first remind.max_messages.
    with open(os.path.join(hb, "normsctl.yaml"), "a") as f:
        f.write("remind:\n  max_messages: 100000\n")
    git(hb, "commit", "-qam", "Raise half the revisions")


if __name__ == "__main__":
    main()
