#!/usr/bin/env python3
"""Benchmark `normsctl mcp` over its stdio transport on a generated handbook.

    python3 bench/mcp.py [--policies 2000] [--commits 10000] [--runs 7] [--calls 15] [--keep DIR] [--exe PATH]

Builds the release binary (unless --exe), generates a repository with bench/gen_handbook.py
(2,000 policies, 10,000 commits), warms the history cache with one `normsctl log`, then:
  - startup: from spawning `normsctl mcp --no-watch` to the `initialize` response, --runs
    times (the served state is read and validated before the first message is answered),
    and to the answer of a first `resources/list` (the site's data is collected when first
    asked);
  - each tool call: the first call (what it builds when first asked), then --calls calls
    of each (`what_applies` also on its second page), over one session, timed from writing the request to reading its response;
    JSON-RPC written by hand (no SDK: nothing but the server is measured);
  - an anchor measured in the same run: `normsctl validate` of the same handbook (--runs
    times), so that numbers taken under other load compare as ratios; and the load average
    before and after.
Prints a Markdown table of medians (and minimums).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Session:
    def __init__(self, exe, repo):
        self.p = subprocess.Popen(
            [exe, "mcp", "--no-watch"], cwd=repo, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        self.next = 1

    def request(self, method, params):
        rid = self.next
        self.next += 1
        self.p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                sys.exit(f"the server ended during {method}")
            m = json.loads(line)
            if m.get("id") == rid:
                return m

    def initialize(self):
        r = self.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        })
        self.p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        self.p.stdin.flush()
        return r

    def close(self):
        self.p.kill()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policies", type=int, default=2000)
    ap.add_argument("--commits", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--keep", help="generate into this folder (reused when it exists)")
    ap.add_argument("--exe", help="the normsctl binary (default: build the release binary)")
    args = ap.parse_args()
    exe = args.exe
    if not exe:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "normsctl")
    repo = args.keep or os.path.join(tempfile.mkdtemp(prefix="normsctl-bench-mcp-"), "hb")
    if not os.path.exists(os.path.join(repo, ".git")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), repo,
                        "--policies", str(args.policies), "--people", "500",
                        "--commits", str(args.commits)], check=True)
    # warm the history cache, as a server that ran before finds it
    subprocess.run([exe, "log", "--format", "json"], cwd=repo, stdout=subprocess.DEVNULL, check=True)

    load_before = os.getloadavg()
    anchors = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([exe, "validate"], cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        anchors.append(time.perf_counter() - t)

    starts = []
    readies = []
    for _ in range(args.runs):
        t = time.perf_counter()
        s = Session(exe, repo)
        r = s.initialize()
        starts.append(time.perf_counter() - t)
        assert "result" in r, r
        r = s.request("resources/list", {})
        readies.append(time.perf_counter() - t)
        assert "result" in r, r
        s.close()

    s = Session(exe, repo)
    s.initialize()
    resources = s.request("resources/list", {})["result"]["resources"]
    some = resources[len(resources) // 2]["name"]
    people = subprocess.run(["git", "show", "HEAD:people.yaml"], cwd=repo, capture_output=True, text=True).stdout
    team = next(l.split("id:")[1].split(",")[0].strip() for l in people.splitlines() if "id: team-" in l)
    calls = [
        ("resources/list", "resources/list", {}),
        ("resources/read", "resources/read", {"uri": f"normsctl://policy/{some}"}),
        ("search_policies", "tools/call", {"name": "search_policies", "arguments": {"query": "first response handover"}}),
        ("get_policy", "tools/call", {"name": "get_policy", "arguments": {"id": some}}),
        ("get_policy at", "tools/call", {"name": "get_policy", "arguments": {"id": some, "at": "2024-03-01"}}),
        ("what_applies team", "tools/call", {"name": "what_applies", "arguments": {"team": team}}),
        ("what_applies team at", "tools/call", {"name": "what_applies", "arguments": {"team": team, "at": "2024-06-01"}}),
        # what_applies is paged (50 policies a page): its second page, with the cursor the
        # first answered (the row is left out when there is none)
        ("what_applies team, page 2", "tools/call", None),
        ("changes", "tools/call", {"name": "changes", "arguments": {}}),
        ("changes policy", "tools/call", {"name": "changes", "arguments": {"policy": some}}),
        ("diff", "tools/call", {"name": "diff", "arguments": {"policy": some}}),
    ]
    rows = []
    cursor = applies_total = None
    for label, method, params in calls:
        if params is None:
            if not cursor:
                continue
            params = {"name": "what_applies", "arguments": {"team": team, "cursor": cursor}}
        t = time.perf_counter()
        r = s.request(method, params)
        first = time.perf_counter() - t
        if "result" not in r or r["result"].get("isError"):
            sys.exit(f"{label} failed: {json.dumps(r)[:500]}")
        size = len(json.dumps(r))
        if label == "what_applies team":
            cursor = r["result"]["structuredContent"].get("next_cursor")
            applies_total = r["result"]["structuredContent"].get("total")
        samples = []
        for _ in range(args.calls):
            t = time.perf_counter()
            s.request(method, params)
            samples.append(time.perf_counter() - t)
        rows.append((label, samples, first, size))
    s.close()
    load_after = os.getloadavg()
    print(f"{args.policies} policies, {args.commits} commits; {len(resources) - 1} policies served; "
          f"{applies_total} apply to {team}")
    print(f"load average (1, 5, 15 min): {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} before, "
          f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after\n")
    print("| measure | median | min | first call | response | goal |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| anchor: `normsctl validate` | {statistics.median(anchors) * 1000:.0f} ms | {min(anchors) * 1000:.0f} ms | | | |")
    print(f"| startup to initialize response | {statistics.median(starts) * 1000:.0f} ms | {min(starts) * 1000:.0f} ms | | | < 1 s |")
    print(f"| startup to first resources/list answered | {statistics.median(readies) * 1000:.0f} ms | {min(readies) * 1000:.0f} ms | | | |")
    for label, samples, first, size in rows:
        print(f"| {label} | {statistics.median(samples) * 1000:.1f} ms | {min(samples) * 1000:.1f} ms | {first * 1000:.1f} ms | {size // 1024} KiB | < 50 ms |")


if __name__ == "__main__":
    main()
