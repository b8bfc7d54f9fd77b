#!/usr/bin/env python3
"""Measure every row of issue 19's table on the realistic shape, with its anchors.

    python3 bench/realistic.py [--runs 5] [--exe PATH] [--work DIR] [--outputs DIR]
        [--rows build,log,logid,validate,memory,growth,hostile,synthetic]
        [--growth-commits 2500,5000] [--growth-policies 1000,2000] [--hostile 3] [--scale F]

Generates (once; kept in --work, default a folder under /tmp) with bench/gen_handbook.py
--shape realistic: 2,000 policies / 500 people / 10,000 commits after the first (cloned with
`git clone --no-local`, as CI fetches it: one pack, no commit-graph), 10,000 policies / 2,000
people / one commit, and the growth and hostile corpora. Then, each row's normsctl runs
interleaved with its anchors' runs (so they share the machine's load), medians of --runs:

- build: cold `normsctl build` (`.git/normsctl` deleted, a folder never used before) against
  Hugo building as many plain Markdown pages (the policies' titles and bodies) plus
  `git log --name-status`; the phases (`NORMSCTL_TIMINGS=1`), CPU and peak RSS
  (`/usr/bin/time -v`) of the same runs;
- log: cold `log --format json` (`NORMSCTL_CACHE=0`) against `git log --name-status`;
- logid: cold `log ID --format json` of the most edited policy against
  `git log --follow -- PATH`;
- validate: `validate --strict` on 10,000 policies / 2,000 people against `cat` of the
  same files (settings, roster and policies);
- memory: a cold build of the 10,000-policy, one-commit handbook (time and peak RSS);
- growth: cold build and cold log at 2,500 / 5,000 / 10,000 commits (2,000 policies), and
  cold build and validate at 1,000 / 2,000 / 10,000 policies (one commit, 2,000 people);
- hostile: CPU (user + system) that each revision rewriting an 800 KB body adds to a cold
  build: (CPU with K rewrites - CPU with the policy only added) / K, on a small realistic
  handbook (200 policies, 200 commits);
- synthetic: the cold build and cold log on the synthetic shape (2,000 policies, 10,000
  commits), with the same anchors, to quote both shapes side by side.

Prints a Markdown table with the load average (1 minute) at the start and end of each row.
No benchmark runs in CI.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "bench", "gen_handbook.py")
sys.path.insert(0, os.path.join(ROOT, "bench"))
import realistic_shape  # noqa: E402  (the vocabulary of the hostile body)

COUNTER = [0]


def load():
    return os.getloadavg()[0]


def run(cmd, env=None, cwd=None, ok=(0,)):
    """Runs cmd; returns dict(wall, cpu, rss_mb, phases, stderr)."""
    full = ["/usr/bin/time", "-v", *cmd] if os.path.exists("/usr/bin/time") else cmd
    t = time.perf_counter()
    p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                         env={**os.environ, **(env or {})})
    err = p.stderr.read().decode("utf-8", "replace")
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(m.group(1)) / 1024 if m else ru.ru_maxrss / 1024
    phases = {k: int(v) / 1000 for k, v in re.findall(r"timing: (.+?): (\d+) ms", err)}
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": rss, "phases": phases,
            "stderr": err}


def med(xs):
    return statistics.median(xs)


def gen(work, name, *args):
    out = os.path.join(work, name)
    if not os.path.exists(out + ".done"):  # a marker beside it: generated completely
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, GEN, out, *args], check=True)
        open(out + ".done", "w").close()
    return out


def realistic(work, policies, people, commits):
    return gen(work, f"real-{policies}-{people}-{commits}", "--shape", "realistic",
               "--policies", str(policies), "--people", str(people), "--commits", str(commits))


def clone(origin):
    repo = origin + "-clone"
    if not os.path.exists(repo):
        subprocess.run(["git", "clone", "-q", "--no-local", origin, repo], check=True)
    return repo


class Bench:
    def __init__(self, exe, outputs, runs):
        self.exe, self.outputs, self.runs = exe, outputs, runs
        self.rows = []

    def fresh_out(self):
        COUNTER[0] += 1
        return os.path.join(self.outputs, f"{os.getpid()}-{COUNTER[0]}")

    def build(self, repo, extra_env=None):
        shutil.rmtree(os.path.join(repo, ".git", "normsctl"), ignore_errors=True)
        return run([self.exe, "--repo", repo, "build", "--out", self.fresh_out()],
                   env={"NORMSCTL_TIMINGS": "1", **(extra_env or {})})

    def side_by_side(self, jobs, runs=None):
        """jobs: name -> callable returning a run dict; interleaved runs, first one warms."""
        for f in jobs.values():
            f()
        res = {k: [] for k in jobs}
        l0 = load()
        for _ in range(runs or self.runs):
            for k, f in jobs.items():
                res[k].append(f())
        return res, (l0, load())

    def row(self, what, now, anchor, ratio, goal, loads):
        self.rows.append((what, now, anchor, ratio, goal, f"{loads[0]:.1f}-{loads[1]:.1f}"))
        print(f"[{time.strftime('%H:%M:%S')}] {what}: {now} | {anchor} | {ratio}", file=sys.stderr,
              flush=True)


def secs(samples, key="wall"):
    xs = [s[key] for s in samples]
    return med(xs), min(xs)


def fmt(samples):
    """Median wall time (min), and the median CPU time (user + system) of the same runs: under
    load, wall time hurts a program on two cores more than a one-core anchor."""
    m, lo = secs(samples)
    return f"{m:.2f} s ({lo:.2f}; CPU {secs(samples, 'cpu')[0]:.2f} s)"


def ratio(num, dens):
    """Wall and CPU ratio of the samples num to the sum of the samples in dens."""
    w = secs(num)[0] / sum(secs(d)[0] for d in dens)
    c = secs(num, "cpu")[0] / sum(secs(d, "cpu")[0] for d in dens)
    return f"{w:.2f}x (CPU {c:.2f}x)"


def hugo_site(work, repo):
    """Hugo site of one plain Markdown page per policy: its title and body."""
    site = os.path.join(work, "hugo-" + os.path.basename(repo))
    if os.path.exists(site):
        return site
    os.makedirs(os.path.join(site, "content", "p"))
    os.makedirs(os.path.join(site, "layouts", "_default"))
    with open(os.path.join(site, "hugo.toml"), "w") as f:
        f.write('baseURL = "https://example.org/"\ntitle = "Bench"\n'
                'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    n = 0
    for d, _, names in os.walk(os.path.join(repo, "policies")):
        for name in names:
            text = open(os.path.join(d, name), encoding="utf-8").read()
            title = re.search(r"^title: (.*)$", text, re.M).group(1).strip('"')
            body = text.split("\nbody: |\n", 1)[1]
            body = "\n".join(line[2:] for line in body.split("\n"))
            with open(os.path.join(site, "content", "p", name[:-5] + ".md"), "w") as f:
                f.write(f'---\ntitle: "{title}"\n---\n\n{body}')
            n += 1
    single = ("<html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>"
              "{{ .Content }}</body></html>")
    listing = ('<html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>'
               "{{ end }}</body></html>")
    for name, text in [("single.html", single), ("list.html", listing)]:
        with open(os.path.join(site, "layouts", "_default", name), "w") as f:
            f.write(text)
    with open(os.path.join(site, "layouts", "index.html"), "w") as f:
        f.write(listing)
    return site


def most_edited(repo):
    counts = {}
    out = subprocess.run(["git", "-C", repo, "log", "--name-only", "--format="],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("policies/"):
            counts[line] = counts.get(line, 0) + 1
    for path in sorted(counts, key=lambda p: (-counts[p], p)):
        if os.path.exists(os.path.join(repo, path)):
            return os.path.basename(path)[:-5], path, counts[path]


def hostile_repos(work, base, k):
    """Two clones of base: one adds a policy with an 800 KB body, the other also rewrites that
    body k times (every word drawn anew), raising its revision each time."""
    rng = random.Random(19)
    vocab = realistic_shape.VOCAB

    def body():
        words, size = [], 0
        while size < 800_000:
            w = rng.choice(vocab)
            words.append(w)
            size += len(w) + 1
        lines, cur = [], []
        for i in range(0, len(words), 12):
            lines.append("  " + " ".join(words[i:i + 12]))
        return "\n".join(lines) + "\n"

    def policy(rev):
        return ("id: expectation-hostile\nkind: expectation\ntitle: A very long policy\n"
                "summary: Its body is 800 KB.\nowner: team-01\napplies_to: [team-01, team-02]\n"
                f"revision: {rev}\nbody: |\n" + body())

    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    texts = [policy(r + 1) for r in range(k + 1)]
    out = []
    for n in (0, k):
        repo = os.path.join(work, f"hostile-{os.path.basename(base)}-{n}")
        if not os.path.exists(repo + ".done"):
            shutil.rmtree(repo, ignore_errors=True)
            subprocess.run(["git", "clone", "-q", "--no-local", base, repo], check=True)
            path = os.path.join(repo, "policies", "expectations", "breaks", "expectation-hostile.yaml")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            for r in range(n + 1):
                with open(path, "w") as f:
                    f.write(texts[r])
                t = 1800000000 + r * 3600
                e = {**env, "GIT_AUTHOR_DATE": f"@{t} +0000", "GIT_COMMITTER_DATE": f"@{t} +0000"}
                subprocess.run(["git", "-C", repo, "add", "-A", "policies"], check=True, env=e)
                subprocess.run(["git", "-C", repo, "commit", "-q", "-m", f"hostile revision {r + 1}"],
                               check=True, env=e)
            open(repo + ".done", "w").close()
        out.append(repo)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exe", default=os.path.join(ROOT, "target", "release", "normsctl"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "normsctl-realistic"))
    ap.add_argument("--outputs", help="where the builds write (default WORK/out; a tmpfs such "
                    "as /dev/shm leaves the file system out of the measure)")
    ap.add_argument("--rows", default="build,log,logid,validate,memory,growth,hostile,synthetic")
    ap.add_argument("--growth-commits", default="2500,5000")
    ap.add_argument("--growth-policies", default="1000,2000")
    ap.add_argument("--hostile", type=int, default=3, metavar="K")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every corpus size by this (e.g. 0.1 to try the script out)")
    a = ap.parse_args()
    S = lambda n: max(2, int(n * a.scale))  # noqa: E731
    rows = set(a.rows.split(","))
    if not os.path.exists(a.exe):
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    outputs = a.outputs or os.path.join(a.work, "out")
    os.makedirs(outputs, exist_ok=True)
    b = Bench(a.exe, outputs, a.runs)
    has_hugo = shutil.which("hugo") is not None
    if not has_hugo:
        print("note: hugo is not installed (apt-get install hugo); its anchor is skipped",
              file=sys.stderr)
    hugo_v = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1] \
        if has_hugo else "-"
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, exe {a.exe}, hugo {hugo_v}, "
          f"{a.runs} runs, load {load():.1f}", file=sys.stderr)

    SP = lambda n: max(realistic_shape.N_TEAMS, S(n))  # noqa: E731
    P, C, BIG, BIGP = S(2000), S(10000), S(10000), SP(2000)
    main_repo = clone(realistic(a.work, P, SP(500), C + 1))
    gitlog = lambda repo: lambda: run(["git", "-C", repo, "log", "--name-status"])  # noqa: E731

    def build_row(repo, label, n_pages):
        jobs = {"build": lambda: b.build(repo), "gitlog": gitlog(repo)}
        if has_hugo:
            site = hugo_site(a.work, repo)
            jobs["hugo"] = lambda: run(["hugo", "--quiet", "--destination", b.fresh_out()], cwd=site)
        res, loads = b.side_by_side(jobs)
        bm = secs(res["build"])[0]
        anchors = [res["gitlog"]] + ([res["hugo"]] if has_hugo else [])
        anchor = sum(secs(x)[0] for x in anchors)
        hugo_txt = f"Hugo {n_pages:,} pages {fmt(res['hugo'])} + " if has_hugo else ""
        b.row(f"cold `build`, {label}", fmt(res["build"]),
              f"{hugo_txt}`git log --name-status` {fmt(res['gitlog'])} = {anchor:.2f} s",
              ratio(res["build"], anchors), "<= 1x", loads)
        phases = {}
        for s in res["build"]:
            for k, v in s["phases"].items():
                phases.setdefault(k, []).append(v)
        b.row(f"where it goes (`NORMSCTL_TIMINGS`), {label}",
              ", ".join(f"{k} {med(v):.2f} s" for k, v in phases.items())
              + f"; CPU {secs(res['build'], 'cpu')[0]:.2f} s", "", "", "", loads)
        b.row(f"peak memory, cold `build`, {label}", f"{med([s['rss'] for s in res['build']]):.0f} MB",
              "", "", "< 500 MB", loads)


    def log_row(repo, label):
        cold = {"NORMSCTL_CACHE": "0"}
        res, loads = b.side_by_side({
            "log": lambda: run([a.exe, "--repo", repo, "log", "--format", "json"], env=cold),
            "gitlog": gitlog(repo)})
        b.row(f"cold `log --format json`, {label}", fmt(res["log"]),
              f"`git log --name-status` {fmt(res['gitlog'])}", ratio(res["log"], [res["gitlog"]]),
              "<= 2x", loads)

    if "build" in rows:
        build_row(main_repo, f"{P:,} policies, {C:,} commits", P)
    if "log" in rows:
        log_row(main_repo, f"{C:,} commits")
    if "logid" in rows:
        pid, path, n = most_edited(main_repo)
        res, loads = b.side_by_side({
            "log": lambda: run([a.exe, "--repo", main_repo, "log", pid, "--format", "json"],
                               env={"NORMSCTL_CACHE": "0"}),
            "follow": lambda: run(["git", "-C", main_repo, "log", "--follow", "--", path])})
        b.row(f"cold `log ID` ({pid}, {n} changes)", fmt(res["log"]),
              f"`git log --follow -- PATH` {fmt(res['follow'])}", ratio(res["log"], [res["follow"]]),
              "< 1x", loads)

    big = realistic(a.work, BIG, BIGP, 1)
    if "validate" in rows:
        check = run([a.exe, "--repo", big, "validate", "--strict"], ok=(0, 1))
        if "error" in check["stderr"] and "0 error" not in check["stderr"]:
            print(check["stderr"][-1500:], file=sys.stderr)
        cat = "find policies -name '*.yaml' -print0 | xargs -0 cat normsctl.yaml people.yaml > /dev/null"
        res, loads = b.side_by_side({
            "validate": lambda: run([a.exe, "--repo", big, "validate", "--strict"]),
            "cat": lambda: run(["sh", "-c", cat], cwd=big)})
        b.row(f"`validate --strict`, {BIG:,} policies, {BIGP:,} people", fmt(res["validate"]),
              f"`cat` of the same files {fmt(res['cat'])}", ratio(res["validate"], [res["cat"]]),
              "<= 2.5x", loads)
    if "memory" in rows:
        res, loads = b.side_by_side({"build": lambda: b.build(big)}, runs=max(1, a.runs // 2))
        b.row(f"cold `build`, {BIG:,} policies, one commit: peak memory",
              f"{med([s['rss'] for s in res['build']]):.0f} MB ({fmt(res['build'])})", "", "",
              "< 1 GB", loads)
    if "growth" in rows:
        per = []
        for n in [S(int(x)) for x in a.growth_commits.split(",") if x] + [C]:
            repo = main_repo if n == C else clone(realistic(a.work, P, SP(500), n + 1))
            res, loads = b.side_by_side({
                "build": lambda: b.build(repo),
                "log": lambda: run([a.exe, "--repo", repo, "log", "--format", "json"],
                                   env={"NORMSCTL_CACHE": "0"}),
                "gitlog": gitlog(repo)})
            bm, lm, gm = (secs(res[k])[0] for k in ("build", "log", "gitlog"))
            per.append(n)
            b.row(f"growth: {n:,} commits ({P:,} policies)",
                  f"build {fmt(res['build'])}, {bm / n * 1e6:.0f} µs/commit; log {fmt(res['log'])}, "
                  f"{lm / n * 1e6:.0f} µs/commit", f"`git log --name-status` {fmt(res['gitlog'])}",
                  f"log {ratio(res['log'], [res['gitlog']])}", "linear", loads)
        for n in [S(int(x)) for x in a.growth_policies.split(",") if x] + [BIG]:
            repo = big if n == BIG else realistic(a.work, n, BIGP, 1)
            res, loads = b.side_by_side({
                "build": lambda: b.build(repo),
                "validate": lambda: run([a.exe, "--repo", repo, "validate", "--strict"])})
            bm, vm = secs(res["build"])[0], secs(res["validate"])[0]
            b.row(f"growth: {n:,} policies (one commit, {BIGP:,} people)",
                  f"build {fmt(res['build'])}, {bm / n * 1e3:.2f} ms/policy, "
                  f"{med([s['rss'] for s in res['build']]):.0f} MB; validate {fmt(res['validate'])}, "
                  f"{vm / n * 1e6:.0f} µs/policy", "", "", "linear", loads)
    if "hostile" in rows:
        base = realistic(a.work, S(200), SP(100), S(200))
        h0, hk = hostile_repos(a.work, base, a.hostile)
        res, loads = b.side_by_side({"h0": lambda: b.build(h0), "hk": lambda: b.build(hk)})
        c0, ck = secs(res["h0"], "cpu")[0], secs(res["hk"], "cpu")[0]
        b.row(f"hostile: CPU per revision rewriting an 800 KB body ({a.hostile} revisions)",
              f"{(ck - c0) / a.hostile:.2f} s", f"build CPU {c0:.2f} s without, {ck:.2f} s with",
              "", "< 0.2 s", loads)
    if "synthetic" in rows:
        syn = clone(gen(a.work, f"synthetic-{P}-{C}", "--policies", str(P), "--people",
                        str(max(10, P // 5)), "--commits", str(C)))
        build_row(syn, f"synthetic shape, {P:,} policies, {C:,} commits", P)
        log_row(syn, f"synthetic shape, {C:,} commits")

    print(f"\nmedians of {a.runs} runs (min); anchors measured interleaved with normsctl in the "
          f"same run; hugo {hugo_v}; load average (1 min) at the start and end of each row\n")
    print("| what | normsctl | anchor, same run | ratio | goal | load |")
    print("|---|---:|---|---:|---|---|")
    for r in b.rows:
        print("| " + " | ".join(r) + " |")
    shutil.rmtree(outputs, ignore_errors=True)
    # ext4 (without a journal, as on some VMs) skips inodes freed in the last minutes when it
    # creates a file, and reads their inode blocks to know: after this deletion, creating
    # files is slow for a while, and normsctl (6,000 files) pays three times what Hugo does.
    print("note: the outputs were deleted; wait 5 minutes before measuring on this file "
          "system again (or use --outputs on a tmpfs)", file=sys.stderr)


if __name__ == "__main__":
    main()
