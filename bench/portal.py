#!/usr/bin/env python3
"""Benchmark `normsctl portal`: a person's page over HTTP on the acknowledgement ledger.

    python3 bench/portal.py [--people 5000] [--policies 500] [--entries 200000]
                            [--requests 50] [--rounds 3] [--keep DIR] [--layout old|new]
                            [--exe BIN ...] [--person ID]

Generates the ledger of bench/acks.py (a handbook from bench/gen_handbook.py with a short
history, and --entries valid entries written with one `git fast-import`; --layout old, the
default here, puts them where `ack` wrote them before the `x` folders, as the quiet
measurement of session 5 had them), commits a `portal:` section (the portal's key, and a
proxy trusted at 127.0.0.1 naming the person in `X-Forwarded-Email`), and warms the kept
indexes (`acks --person P` once). --keep DIR keeps it all in DIR and reuses it.

Then, for each binary given with --exe (default: this checkout's release build, built
first), in --rounds rounds that alternate the binaries (so each sees the same load):
  - starts `normsctl portal` on 127.0.0.1 and waits for its "listening" line,
  - times the first `GET /` of the person (the page made from nothing in this process),
  - times --requests more `GET /` of the same person on one keep-alive connection
    (median, fastest, 90th percentile), and the portal's CPU time (user + system, from
    /proc/PID/stat) per request over them: the wall times are noise on a loaded machine,
    the CPU time much less,
  - acknowledges one policy (`POST /ack` with the form's CSRF token and blob), then times
    the next `GET /` (the page made again after the ledger moved), and the one after it,
  - times `GET /healthz` as the floor of a request,
  - stops the portal (SIGTERM).
The person is --person, else the generated person with the most policies to acknowledge
among the first 50 (the page is biggest there). Each round acknowledges a different
policy, so the ledger grows by one entry a round. Prints one Markdown table a binary, the
page's size and count of policies to acknowledge, and the load average at the start and
the end of each round.
"""
import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acks as ackbench  # noqa: E402

ROOT = ackbench.ROOT
ENV = ackbench.ENV
CLK = os.sysconf("SC_CLK_TCK")


def git(hb, *args, **kw):
    return ackbench.git(hb, *args, **kw)


def generate(hb, a):
    """The handbook and its ledger, as bench/acks.py writes them, plus a portal section."""
    import random
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_handbook.py"), hb,
                    "--policies", str(a.policies), "--people", str(a.people),
                    "--commits", "200", "--gc"], check=True, stderr=subprocess.DEVNULL)
    git(hb, "config", "user.name", "Bench Portal")
    git(hb, "config", "user.email", "portal@example.com")
    key = os.path.join(os.path.dirname(hb), "portal-key")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "normsctl-portal",
                        "-f", key], check=True)
    public = open(key + ".pub").read().strip()
    settings = os.path.join(hb, "normsctl.yaml")
    with open(settings, "a") as f:
        f.write(f'portal:\n  key: "{public}"\n'
                '  proxy: { addresses: ["127.0.0.1"], header: X-Forwarded-Email }\n')
    git(hb, "add", "normsctl.yaml")
    git(hb, "-c", "user.name=Bench Lead", "-c", "user.email=lead@example.com",
        "commit", "-q", "-m", "Portal settings")
    head = git(hb, "rev-parse", "HEAD").decode().strip()
    policies = ackbench.policies_at_head(hb)
    width = max(5, len(str(a.people)))
    people = [f"person-{i + 1:0{width}d}" for i in range(a.people)]
    rng = random.Random(0)
    seen, pairs = set(), []
    if a.people * len(policies) < a.entries:
        sys.exit("not enough person/policy pairs for that many entries")
    while len(pairs) < a.entries:
        p = (rng.randrange(a.people), rng.randrange(len(policies)))
        if p not in seen:
            seen.add(p)
            pairs.append(p)
    ackbench.LAYOUT = a.layout
    ackbench.write_ledger(hb, pairs, policies, people, head, 10, 0, 1767603600, True)
    git(hb, "gc", "--quiet")
    return key


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


class Portal:
    def __init__(self, exe, hb, key):
        env = dict(ENV, NORMSCTL_PORTAL_KEY=key)
        self.proc = subprocess.Popen([exe, "portal", "--listen", "127.0.0.1:0"], cwd=hb, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"listening on http://([0-9.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            sys.exit(f"the portal did not start: {line}{self.proc.stderr.read()[-2000:]}")
        self.host, self.port = m.group(1), int(m.group(2))
        # Drain the log (one line a request) so the pipe never fills.
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def timed(self, method, path, person, body=None):
        """A request's wall time and the portal's CPU time for it, then status and body."""
        c = cpu_of(self.proc.pid)
        t, status, data = self.request(method, path, person, body)
        return t, cpu_of(self.proc.pid) - c, status, data

    def request(self, method, path, person, body=None):
        headers = {"Host": f"{self.host}:{self.port}", "X-Forwarded-Email": person}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        return time.perf_counter() - t, r.status, data

    def stop(self):
        self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def outstanding(page):
    return len(re.findall(rb'name="blob" value="', page))


def field(page, name, nth=0):
    found = re.findall(rb'name="' + name.encode() + rb'" value="([^"]*)"', page)
    return found[nth].decode() if len(found) > nth else None


def other_person(person):
    """Another generated person, near `person`."""
    n = int(person.rsplit("-", 1)[1])
    return f"{person.rsplit('-', 1)[0]}-{n + 1:0{len(person.rsplit('-', 1)[1])}d}"


def round_of(exe, hb, key, person, requests, nth):
    p = Portal(exe, hb, key)
    try:
        first, first_cpu, status, page = p.timed("GET", "/", person)
        if status != 200:
            sys.exit(f"GET / answered {status}: {page[:500]!r}")
        times = []
        cpu0 = cpu_of(p.proc.pid)
        for _ in range(requests):
            t, status, page = p.request("GET", "/", person)
            times.append(t)
        cpu = (cpu_of(p.proc.pid) - cpu0) / requests
        size, pending = len(page), outstanding(page)
        # Acknowledge one policy (a different one each round), then the page again.
        body = urllib.parse.urlencode({"csrf": field(page, "csrf"), "policy": field(page, "policy", nth),
                                       "blob": field(page, "blob", nth)})
        t_ack, ack_cpu, status, _ = p.timed("POST", "/ack", person, body)
        if status != 303:
            sys.exit(f"POST /ack answered {status}")
        after, after_cpu, _, _ = p.timed("GET", "/", person)
        again, again_cpu, _, _ = p.timed("GET", "/", person)
        health = statistics.median(p.request("GET", "/healthz", person)[0] for _ in range(11))
        # Someone else's page, made from nothing (the ledger moved since the portal started).
        other, other_cpu, _, _ = p.timed("GET", "/", other_person(person))
        return dict(first=first, first_cpu=first_cpu, times=times, cpu=cpu, size=size, pending=pending,
                    ack=t_ack, ack_cpu=ack_cpu, after=after, after_cpu=after_cpu, again=again,
                    again_cpu=again_cpu, other=other, other_cpu=other_cpu, health=health)
    finally:
        p.stop()


def ms(s):
    return f"{s * 1000:.1f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--policies", type=int, default=500)
    ap.add_argument("--entries", type=int, default=200000)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", help="work in this folder, keep it and reuse it")
    ap.add_argument("--layout", choices=["new", "old"], default="old")
    ap.add_argument("--exe", action="append", help="a normsctl binary (repeat to compare)")
    ap.add_argument("--person", help="the roster id whose page is timed")
    a = ap.parse_args()
    exes = a.exe
    if not exes:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
        exes = [os.path.join(ROOT, "target", "release", "normsctl")]
    work = a.keep or tempfile.mkdtemp(prefix="normsctl-portal-bench-")
    hb = os.path.join(work, "hb")
    key = os.path.join(work, "portal-key")
    if not os.path.exists(os.path.join(hb, ".git")):
        os.makedirs(work, exist_ok=True)
        t = time.perf_counter()
        key = generate(hb, a)
        print(f"generated in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    person = a.person
    if not person:
        width = max(5, len(str(a.people)))
        best = None
        for i in range(50):
            who = f"person-{i + 1:0{width}d}"
            r = subprocess.run([exes[0], "acks", "--person", who, "--format", "json"], cwd=hb, env=ENV,
                               capture_output=True, text=True)
            n = r.stdout.count('"state": "never"') + r.stdout.count('"state": "stale"')
            if best is None or n > best[0]:
                best = (n, who)
        person = best[1]
    print(f"{a.people:,} people, {a.policies} policies asked for, {a.entries:,} entries "
          f"(layout {a.layout}); person {person}; {a.requests} requests a round, {a.rounds} rounds\n")
    results = {exe: [] for exe in exes}
    for r in range(a.rounds):
        for exe in exes:
            l0 = os.getloadavg()[0]
            res = round_of(exe, hb, key, person, a.requests, r)
            res["load"] = (l0, os.getloadavg()[0])
            results[exe].append(res)
            print(f"round {r + 1}, {exe}: median {ms(statistics.median(res['times']))}, "
                  f"CPU {ms(res['cpu'])}/request, load {l0:.1f}-{res['load'][1]:.1f}", file=sys.stderr)
    for exe in exes:
        rs = results[exe]
        times = [t for res in rs for t in res["times"]]
        q = statistics.quantiles(times, n=10)
        print(f"### {exe}\n")
        print(f"Page: {rs[0]['size']:,} bytes, {rs[0]['pending']} policies to acknowledge. "
              f"Load average {min(x['load'][0] for x in rs):.1f} to {max(x['load'][1] for x in rs):.1f} "
              f"({os.cpu_count()} cores).\n")
        print("| measure | wall median | fastest | 90th pct | portal CPU, median |\n|---|---:|---:|---:|---:|")
        print(f"| `GET /`, the person's page ({len(times)} requests) | {ms(statistics.median(times))} | "
              f"{ms(min(times))} | {ms(q[-1])} | {ms(statistics.median(x['cpu'] for x in rs))} |")

        def row(what, key):
            w = [x[key] for x in rs]
            c = [x[key + "_cpu"] for x in rs]
            print(f"| {what} | {ms(statistics.median(w))} | {ms(min(w))} | | {ms(statistics.median(c))} |")
        row("first `GET /` after the portal starts", "first")
        row("`POST /ack` (one acknowledgement, answered 303)", "ack")
        row("first `GET /` after the acknowledgement (the redirect)", "after")
        row("the `GET /` after that", "again")
        row("another person's first `GET /` (made from nothing)", "other")
        hs = [x["health"] for x in rs]
        print(f"| `GET /healthz` | {ms(statistics.median(hs))} | {ms(min(hs))} | | |\n")


if __name__ == "__main__":
    main()
