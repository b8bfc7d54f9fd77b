#!/usr/bin/env python3
"""Benchmark and soak the acknowledgement ledger.

    python3 bench/acks.py [--people 5000] [--policies 500] [--entries 200000]
                          [--per-commit 10] [--runs 7] [--soak 256] [--kills 200] [--keep DIR]
                          [--layout new|old]

Builds the release binary, generates a handbook with bench/gen_handbook.py (with a short
history), then writes a ledger of --entries valid entries (distinct person/policy pairs,
bound to the texts at HEAD, --per-commit entries per commit) with one `git fast-import`
process (at the paths `ack` writes, `xx/person/x/policy.rN.id.ack`; `--layout old` puts them
where `ack` wrote them before the `x` folders, `xx/person/policy.rN.id.ack`), in two halves
so `acks verify` is timed at half and at full size (linear means
the second time is about twice the first). Then times, as medians of --runs runs:
  - `acks --format json` for the whole handbook, once cold (nothing kept in .git/normsctl)
    and then warm, `--format csv` and the human report (only who is outstanding),
  - `acks --person P`,
  - `ack POLICY --as P` (one new entry each run), and the bytes it reports writing,
  - `acks verify`.
Soak: --soak concurrent `ack` processes (each a different person): all present, ledger
verifies, no lock left. Then --kills `ack` processes killed with SIGKILL after a random
0-150 ms: every one that printed success is present, and the next `ack` works (a lock left
by a killed process is reported; it is aged past the one-minute limit with `touch` and
removed with `--break-lock`, which is what a person would do after reading the message).
Prints Markdown tables.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEDGER = "refs/heads/normsctl/acks"
# Where entries go: "new" (xx/person/x/policy.rN.id.ack, what `ack` writes) or "old"
# (xx/person/policy.rN.id.ack, what `ack` wrote before the x folders; still read).
LAYOUT = "new"
ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", TZ="UTC")


def git(hb, *args, **kw):
    return subprocess.run(["git", *args], cwd=hb, env=ENV, check=True, capture_output=True, **kw).stdout


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def timed(cmd, runs, cwd):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - t)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd} failed: {r.stderr.decode()[-2000:]}")
    return statistics.median(samples), min(samples)


def policies_at_head(hb):
    rows = []
    for line in git(hb, "ls-tree", "-r", "HEAD", "policies").decode().splitlines():
        meta, path = line.split("\t", 1)
        _, kind, oid = meta.split()
        if kind == "blob" and path.endswith((".yaml", ".yml")):
            rows.append((path, oid))
    batch = subprocess.run(["git", "cat-file", "--batch"], cwd=hb, env=ENV, check=True, capture_output=True,
                           input="".join(o + "\n" for _, o in rows).encode()).stdout
    out, pos = [], 0
    for path, oid in rows:
        header_end = batch.index(b"\n", pos)
        size = int(batch[pos:header_end].split()[2])
        text = batch[header_end + 1:header_end + 1 + size].decode()
        pos = header_end + 1 + size + 1
        m = re.search(r"^revision: (\d+)", text, re.M)
        if m and not re.search(r"^ack: none", text, re.M):
            pid = os.path.basename(path).rsplit(".", 1)[0]
            out.append((pid, path, oid, int(m.group(1))))
    return out


def entry_bytes(person, policy, head, t):
    pid, path, oid, rev = policy
    e = {
        "format": 1, "person": person, "policy": pid, "revision": rev, "path": path,
        "blob": oid, "commit": head,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t)),
        "writer": {"name": "Bench Writer", "email": f"{person}@example.com"},
        "tool": "normsctl bench",
    }
    payload = (json.dumps(e, indent=2, ensure_ascii=False) + "\n").encode()
    eid = blob_id(payload)
    bucket = blob_id(person.encode())[:2]
    if LAYOUT == "old":
        return f"{bucket}/{person}/{pid}.r{rev}.{eid}.ack", payload
    return f"{bucket}/{person}/{blob_id(pid.encode())[0]}/{pid}.r{rev}.{eid}.ack", payload


def write_ledger(hb, pairs, policies, people, head, per_commit, start, t0, first):
    """Appends entries for pairs[start:] to the ledger with one fast-import process."""
    fi = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=hb, env=ENV, stdin=subprocess.PIPE)
    w = fi.stdin
    t = t0
    for c, i in enumerate(range(start, len(pairs), per_commit)):
        chunk = pairs[i:i + per_commit]
        msg = f"ack: {len(chunk)} entries\n".encode()
        w.write(b"commit %s\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s" % (
            LEDGER.encode(), t, len(msg), msg))
        if c == 0 and not first:
            w.write(b"from %s^0\n" % LEDGER.encode())
        for person_i, policy_i in chunk:
            path, payload = entry_bytes(people[person_i], policies[policy_i], head, t)
            w.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(payload), payload))
        t += 60
    w.write(b"done\n")
    w.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--policies", type=int, default=500)
    ap.add_argument("--entries", type=int, default=200000)
    ap.add_argument("--per-commit", type=int, default=10)
    ap.add_argument("--commits", type=int, default=200, help="handbook history length")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--soak", type=int, default=256)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--keep", help="work in this folder and keep it")
    ap.add_argument("--layout", choices=["new", "old"], default="new",
                    help="ledger paths of the generated entries (old: without the x folders)")
    a = ap.parse_args()
    global LAYOUT
    LAYOUT = a.layout
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "normsctl")
    work = a.keep or tempfile.mkdtemp(prefix="normsctl-acks-bench-")
    hb = os.path.join(work, "hb")
    rng = random.Random(0)
    try:
        if os.path.exists(hb):
            shutil.rmtree(hb)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), hb,
                        "--policies", str(a.policies), "--people", str(a.people),
                        "--commits", str(a.commits), "--gc"], check=True, stderr=subprocess.DEVNULL)
        git(hb, "config", "user.name", "Bench Lead")
        git(hb, "config", "user.email", "lead@example.com")
        head = git(hb, "rev-parse", "HEAD").decode().strip()
        policies = policies_at_head(hb)
        width = max(5, len(str(a.people)))  # as gen_handbook.py names people
        people = [f"person-{i + 1:0{width}d}" for i in range(a.people)]
        # Distinct person/policy pairs; the last people are kept for the soak and the timed acks.
        spare = a.soak + 2 * a.kills + 3 * a.runs + 8
        pool = a.people - spare
        if pool * len(policies) < a.entries:
            sys.exit("not enough person/policy pairs for that many entries")
        seen, pairs = set(), []
        while len(pairs) < a.entries:
            p = (rng.randrange(pool), rng.randrange(len(policies)))
            if p not in seen:
                seen.add(p)
                pairs.append(p)

        print(f"{a.people:,} people, {len(policies)} policies, {a.entries:,} entries "
              f"({a.per_commit} per commit), handbook history {a.commits} commits\n")
        print(f"load average at the start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)\n")
        print("| measure | median | min |\n|---|---:|---:|")
        half = len(pairs) // 2
        t = write_ledger(hb, pairs[:half], policies, people, head, a.per_commit, 0, 1767603600, True)
        med, low = timed([exe, "acks", "verify"], 3, hb)
        print(f"| `acks verify`, {half:,} entries | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)
        write_ledger(hb, pairs, policies, people, head, a.per_commit, half, t, False)
        git(hb, "gc", "--quiet")
        med, low = timed([exe, "acks", "verify"], 3, hb)
        print(f"| `acks verify`, {len(pairs):,} entries | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)
        # Cold: nothing kept in .git/normsctl (the history index, parsed rosters, the
        # ledger's trees and entry facts), as after a fresh clone; one run builds them.
        shutil.rmtree(os.path.join(hb, ".git", "normsctl"), ignore_errors=True)
        med, low = timed([exe, "acks", "--format", "json"], 1, hb)
        print(f"| `acks --format json` (whole handbook), cold: nothing kept yet | {med*1000:.0f} ms | |", flush=True)
        med, low = timed([exe, "acks", "--format", "json"], a.runs, hb)
        print(f"| `acks --format json` (whole handbook) | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)
        med, low = timed([exe, "acks", "--format", "csv"], a.runs, hb)
        print(f"| `acks --format csv` (whole handbook) | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)
        med, low = timed([exe, "acks"], a.runs, hb)
        print(f"| `acks` (human) | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)
        med, low = timed([exe, "acks", "--person", people[pairs[0][0]]], a.runs, hb)
        print(f"| `acks --person P` | {med*1000:.0f} ms | {low*1000:.0f} ms |", flush=True)

        # One ack per run, each by a new person.
        spare_people = people[pool:]
        samples, written = [], []
        policy = policies[0][0]
        for i in range(a.runs):
            t0 = time.perf_counter()
            r = subprocess.run([exe, "ack", policy, "--as", spare_people.pop()], cwd=hb, env=ENV,
                               capture_output=True, text=True)
            samples.append(time.perf_counter() - t0)
            m = re.search(r"\((\d+) bytes written\)", r.stdout)
            if r.returncode != 0 or not m:
                sys.exit(f"ack failed: {r.stdout}{r.stderr}")
            written.append(int(m.group(1)))
        print(f"| `ack` of one policy | {statistics.median(samples)*1000:.0f} ms | {min(samples)*1000:.0f} ms |")
        print(f"| bytes written per `ack` (objects, uncompressed) | {statistics.median(written):,.0f} | {min(written):,} |")
        # The whole-handbook report right after an ack: the kept ledger facts catch up
        # with three new trees and one entry, and are written back.
        med, low = timed([exe, "acks", "--format", "json"], 1, hb)
        print(f"| `acks --format json` right after an `ack` | {med*1000:.0f} ms | |", flush=True)
        loose_before = git(hb, "count-objects").decode().split()[0]

        # Soak: concurrent acks.
        soakers = [spare_people.pop() for _ in range(a.soak)]
        t0 = time.perf_counter()
        procs = [subprocess.Popen([exe, "ack", policy, "--as", p], cwd=hb, env=ENV,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in soakers]
        ok = sum(1 for p in procs if p.wait() == 0)
        took = time.perf_counter() - t0
        present = git(hb, "ls-tree", "-r", "--name-only", LEDGER).decode()
        found = sum(1 for p in soakers if re.search(rf"/{p}/(?:[0-9a-f]/)?{policy}\.r", present))
        lock = os.path.exists(os.path.join(hb, ".git", LEDGER + ".lock"))
        v = subprocess.run([exe, "acks", "verify"], cwd=hb, env=ENV, capture_output=True, text=True)
        print(f"\nSoak: {a.soak} concurrent `ack`: {ok} succeeded, {found}/{a.soak} entries present, "
              f"verify exit {v.returncode}, lock left: {lock}, {took:.1f} s in all")

        # Kills.
        killed_ok, reported, leftover = 0, [], 0
        for i in range(a.kills):
            p = spare_people.pop() if spare_people else None
            if p is None:
                break
            proc = subprocess.Popen([exe, "ack", policy, "--as", p], cwd=hb, env=ENV,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 0.15))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate()
            if b"acknowledged" in out:
                reported.append(p)
            lockp = os.path.join(hb, ".git", LEDGER + ".lock")
            if os.path.exists(lockp):
                leftover += 1
                old = time.time() - 61
                os.utime(lockp, (old, old))
                fresh = spare_people.pop()
                r = subprocess.run([exe, "ack", policy, "--as", fresh], cwd=hb, env=ENV,
                                   capture_output=True, text=True)
                assert r.returncode == 2 and "locked" in r.stderr, r
                subprocess.run([exe, "ack", policy, "--as", fresh, "--break-lock"], cwd=hb, env=ENV,
                               check=True, capture_output=True)
        present = git(hb, "ls-tree", "-r", "--name-only", LEDGER).decode()
        lost = [p for p in reported if not re.search(rf"/{p}/(?:[0-9a-f]/)?{policy}\.r", present)]
        nxt = subprocess.run([exe, "ack", policies[1][0], "--as", people[1]], cwd=hb, env=ENV,
                             capture_output=True, text=True)
        v = subprocess.run([exe, "acks", "verify"], cwd=hb, env=ENV, capture_output=True, text=True)
        fsck = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=hb, env=ENV, capture_output=True)
        print(f"Kills: {a.kills} `ack` killed with SIGKILL after 0-150 ms: {len(reported)} had reported success, "
              f"{len(lost)} of those lost; {leftover} lock(s) left behind (reported, then --break-lock); "
              f"next ack exit {nxt.returncode}; verify exit {v.returncode}; fsck exit {fsck.returncode}")
        print(f"Loose objects after {a.runs} timed acks: {loose_before}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
