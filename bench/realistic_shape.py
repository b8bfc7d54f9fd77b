"""The realistic handbook shape of issue 19, for `gen_handbook.py --shape realistic`.

    python3 bench/gen_handbook.py OUT_DIR --shape realistic --policies 2000 --people 500 \
        --commits 10001 [--seed S] [--gc]

- N policies, a third of each kind (expectation, norm, metric, interleaved), in 25 folders
  per kind (`policies/<kind>s/<topic>/<id>.yaml`, the folder drawn at random);
- bodies of 2-5 paragraphs of 20-40 words of prose (a fixed vocabulary drawn with
  Zipf-like weights, so words repeat as in real text);
- every metric carries every metric key: level, measures, source, unit, statistic, target,
  window, controllable, visibility, gaming_risk and guardrails (1-2 other metrics);
- a roster of P people in 20 teams (a lead each), each policy applying to two teams,
  owned by a team or a lead;
- with --commits M, a linear history of M commits: the first adds the handbook, each later
  one edits 1-3 policies (one paragraph rewritten); 20% of edits also raise the revision
  (for metrics, the target moves too) and 0.3% also move the file to another folder of its
  kind. Written by one `git fast-import` with fixed times (1-3 hours apart from
  2024-01-01T09:00:00Z) and authors taken from the roster.

Same arguments and seed give byte-identical files and identical commit ids. The output
passes `normsctl validate --strict`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import gen_handbook as gh

N_TEAMS = 20
FOLDERS_PER_KIND = 25
KINDS = ("expectation", "norm", "metric")
MATERIAL_SHARE = 0.20
MOVE_SHARE = 0.003

TOPICS = ["breaks", "chat", "email", "phone", "billing", "returns", "weekends", "nights",
          "enterprise", "onboarding", "escalations", "social", "marketplace", "payments",
          "logistics", "training", "privacy", "security", "quality", "tooling", "handover",
          "scheduling", "leave", "knowledge", "wellbeing"]
assert len(TOPICS) == FOLDERS_PER_KIND

# Prose vocabulary, most common first (the draw weights fall off as 1/(rank + 8)).
VOCAB = """
the a to and of in is for you that on with your we it be as are this or at by when
if not from can before after every all one our team customer ticket shift lead who
them their what time should each will any more than have they do within about other
queue agent reply work day week hours minutes first last next new open help ask write
note channel status tool helpdesk account person people colleague support case issue
order refund data call chat message conversation escalation handover break meeting
plan change rule policy review example page link wiki follow keep make take give use
check tell share agree expect need know read answer close solve wait move start end
clear short long simple safe fair early late often never always usually only also
still again instead because while until unless though so then there here where how
which most some many few both either same different right wrong good better best
quick slow busy quiet urgent important known usual rare common written private public
internal external direct shared personal local remote weekly daily monthly yearly
quarterly morning evening night weekend holiday training onboarding security privacy
quality backlog priority target level measure source window risk guardrail incident
outage report update macro template draft reason exception approval limit budget
schedule rota calendar leave absence cover swap request form system record log entry
field value number count share rate score result trend goal progress feedback praise
question problem mistake fix step process practice habit routine standard guideline
""".split()

SOURCES_EXTRA = ["WFM export", "helpdesk API", "QA tool export", "survey tool", "telephony log"]


class Realistic:
    def __init__(self, rng: random.Random, n_people: int, n_policies: int):
        self.rng = rng
        self.cum = []
        total = 0.0
        for i in range(len(VOCAB)):
            total += 1.0 / (i + 8)
            self.cum.append(total)
        self.pw = max(4, len(str(n_people)))
        self.idw = max(5, len(str(n_policies)))
        self.team_ids = [f"team-{i + 1:02d}" for i in range(N_TEAMS)]
        self.team_names = [f"{gh.TEAM_FUNCS[i % len(gh.TEAM_FUNCS)]} Support {i + 1:02d}"
                           for i in range(N_TEAMS)]
        self.people = []  # (id, name, team index, is lead)
        self.leads = []
        for i in range(n_people):
            pid = f"person-{i + 1:0{self.pw}d}"
            name = f"{rng.choice(gh.FIRST)} {rng.choice(gh.LAST)}"
            lead = i < N_TEAMS
            self.people.append((pid, name, i % N_TEAMS, lead))
            if lead:
                self.leads.append(pid)
        self.next_num = {k: 1 for k in KINDS}

    # -- prose -----------------------------------------------------------------
    def words(self, n: int) -> list[str]:
        return self.rng.choices(VOCAB, cum_weights=self.cum, k=n)

    def paragraph(self) -> str:
        rng = self.rng
        left = rng.randint(20, 40)
        sentences = []
        while left > 0:
            k = min(left, rng.randint(6, 14))
            if 0 < left - k < 4:
                k = left
            w = self.words(k)
            w[0] = w[0].capitalize()
            if k > 8 and rng.random() < 0.3:
                w[k // 2] += ","
            sentences.append(" ".join(w) + ".")
            left -= k
        return " ".join(sentences)

    # -- roster and settings -----------------------------------------------------
    def settings_yaml(self) -> bytes:
        return ("title: Realistic Support Handbook\n"
                "organization: Example Co\n"
                "timezone: Europe/Madrid\n"
                "policies: policies\n"
                "roster: people.yaml\n").encode()

    def people_yaml(self) -> bytes:
        out = ["teams:"]
        for i, tid in enumerate(self.team_ids):
            out.append(f"  - {{id: {tid}, name: {gh.scalar(self.team_names[i], flow=True)}, "
                       f"lead: {self.leads[i]}}}")
        out += ["roles:", "  - {id: agent, name: Support agent}", "  - {id: lead, name: Team lead}",
                "people:"]
        for pid, name, team, lead in self.people:
            out.append(f"  - id: {pid}")
            out.append(f"    name: {gh.scalar(name)}")
            out.append(f"    email: {pid}@example.com")
            out.append(f"    teams: [{self.team_ids[team]}]")
            out.append(f"    roles: [{'lead' if lead else 'agent'}]")
        return ("\n".join(out) + "\n").encode("utf-8")

    # -- policies ----------------------------------------------------------------
    def new_policy(self, kind: str) -> gh.Policy:
        rng = self.rng
        n = self.next_num[kind]
        self.next_num[kind] = n + 1
        pid = f"{kind}-{n:0{self.idw}d}"
        area = rng.choice(gh.AREAS)
        p = gh.Policy(id=pid, kind=kind, num=n, revision=1)
        p.path = f"policies/{kind}s/{rng.choice(TOPICS)}/{pid}.yaml"
        if kind == "metric":
            individual = rng.random() < 0.5
            (title, summary, measures, source, unit, stat, target, window,
             risk, _quality) = rng.choice(gh.IND_METRICS if individual else gh.TEAM_METRICS)
            p.level = "individual" if individual else "team"
            p.title, p.summary, p.measures = f"{title} ({area})", summary, measures
            p.source = f"{source}; {rng.choice(SOURCES_EXTRA)}"
            p.unit, p.statistic, p.target, p.window = unit, stat, target, window
            p.gaming_risk = risk or "Reporting only the easy cases, or changing how they are counted."
            p.guardrails = []  # filled once every metric exists
            if individual:
                p.controllable = True
                p.visibility = rng.choice(("private", "private", "team"))
            else:
                p.controllable = rng.random() < 0.5
                p.visibility = rng.choice(("team", "team", "public", "private"))
        else:
            title, summary = rng.choice(gh.EXPECTATIONS if kind == "expectation" else gh.NORMS)
            p.title, p.summary = f"{title} ({area})", summary
        p.owner = (self.team_ids[rng.randrange(N_TEAMS)] if rng.random() < 0.6
                   else self.leads[rng.randrange(N_TEAMS)])
        p.applies_to = sorted(rng.sample(self.team_ids, 2))
        p.tags = sorted(rng.sample(gh.TAGS, rng.randint(1, 3)))
        p.related = []
        p.intro = [self.paragraph() for _ in range(rng.randint(2, 5))]  # the paragraphs
        return p

    def link(self, policies: list[gh.Policy]):
        """related (35% of policies) and guardrails (every metric), among existing ids."""
        rng = self.rng
        metrics = [p.id for p in policies if p.kind == "metric"]
        ids = [p.id for p in policies]
        for p in policies:
            if rng.random() < 0.35 and len(ids) > 1:
                p.related = sorted({x for x in rng.sample(ids, min(len(ids), 3))[:rng.randint(1, 3)]
                                    if x != p.id})
            if p.kind == "metric":
                pool = [m for m in rng.sample(metrics, min(len(metrics), 3)) if m != p.id]
                p.guardrails = sorted(set(pool[:rng.randint(1, 2)]))
                if not p.guardrails:  # a lone metric cannot be guarded
                    p.gaming_risk = None

    # -- edits -------------------------------------------------------------------
    def edit(self, p: gh.Policy, material: bool, move: bool) -> tuple[gh.Policy, str]:
        rng = self.rng
        q = p.clone()
        i = rng.randrange(len(q.intro))
        q.intro[i] = self.paragraph()
        what = [f"rewrite paragraph {i + 1}"]
        if material:
            q.revision = p.revision + 1
            if q.kind == "metric":
                q.target = self.moved_target(q)
                what.append(f"target {gh.render_target(q.target)}")
            what.insert(0, f"raise to revision {q.revision}")
        if move:
            here = q.path.rsplit("/", 2)[1]
            there = rng.choice([t for t in TOPICS if t != here])
            q.path = f"policies/{q.kind}s/{there}/{q.id}.yaml"
            what.append(f"move to {there}")
        return q, ", ".join(what)

    def moved_target(self, p: gh.Policy):
        rng = self.rng
        t = p.target
        if isinstance(t[0], str):
            op, v = t
            fl = isinstance(v, float)
            step = (0.01 if v < 1 else 0.5) if fl else max(1, round(v * 0.05))
            nv = v + step if rng.random() < 0.5 else v - step
            if nv <= 0 or (p.unit == "percent" and nv > 100):
                nv = v - step if nv > v else v + step
            return (op, round(nv, 4) if fl else nv)
        lo, hi = t
        fl = isinstance(lo, float) or isinstance(hi, float)
        step = 0.05 if fl else max(1, round((hi - lo) * 0.05))
        if rng.random() < 0.5 and hi - step > lo:
            return (lo, round(hi - step, 4) if fl else hi - step)
        return (lo, round(hi + step, 4) if fl else hi + step)


def render(p: gh.Policy) -> bytes:
    """The policy file: gh.render_policy's keys, with the paragraphs as the body."""
    full = gh.render_policy(_NoBody(p))
    head = full[:full.index("\nbody: |\n") + len("\nbody: |\n")]
    return (head + "\n".join(gh.wrap(par) for par in p.intro)).encode("utf-8")


class _NoBody:
    """A view of a policy whose body renders empty (the head keys are gh.render_policy's)."""

    def __init__(self, p):
        self._p = p
        self.intro, self.heading, self.bullets, self.outro, self.bad = [], "", [], [], None

    def __getattr__(self, k):
        return getattr(self._p, k)


def data(p: gh.Policy) -> bytes:
    if p._bytes is None:
        p._bytes = render(p)
    return p._bytes


def generate(a) -> int:
    out = a.out_dir
    if a.people < N_TEAMS:
        print(f"gen_handbook: --shape realistic needs --people {N_TEAMS} or more (a lead for each "
              f"of its {N_TEAMS} teams)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    hb = Realistic(rng, a.people, a.policies)
    policies = [hb.new_policy(KINDS[i % 3]) for i in range(a.policies)]
    hb.link(policies)
    state = {p.id: p for p in policies}
    settings_b, people_b = hb.settings_yaml(), hb.people_yaml()
    stats = {"edits": 0, "material": 0, "moves": 0}
    os.makedirs(out, exist_ok=True)
    if a.commits == 0:
        write_tree(out, settings_b, people_b, state)
    else:
        gh.git(out, "init", "-q", "-b", "main")
        history(out, a, hb, rng, state, settings_b, people_b, stats)
        if a.gc:
            gh.git(out, "gc", "--quiet")
    print(f"gen_handbook: realistic shape, {len(state)} policies in {FOLDERS_PER_KIND} folders "
          f"per kind, {a.people} people in {N_TEAMS} teams, "
          + (f"{a.commits} commits ({stats['edits']} edits, {stats['material']} material, "
             f"{stats['moves']} moves)" if a.commits else "no git")
          + f", {time.monotonic() - t0:.2f}s -> {out}", file=sys.stderr)
    return 0


def write_tree(out, settings_b, people_b, state):
    for name, b in (("normsctl.yaml", settings_b), ("people.yaml", people_b)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    for p in state.values():
        os.makedirs(os.path.join(out, os.path.dirname(p.path)), exist_ok=True)
        with open(os.path.join(out, p.path), "wb") as f:
            f.write(data(p))


def history(out, a, hb: Realistic, rng, state, settings_b, people_b, stats):
    tzs = ["+0100", "+0200", "+0000", "-0500", "+0530"]
    ppl = [x for x in hb.people if x[3]][:5] + [x for x in hb.people if not x[3]][:5]
    authors = [(f"{name} <{pid}@example.com>".encode("utf-8"), tzs[i % len(tzs)])
               for i, (pid, name, _, _) in enumerate(ppl)]
    clock = [gh.EPOCH0]

    def stamp(who, first=False):
        if not first:
            clock[0] += rng.randint(3600, 3 * 3600)
        ident, tz = who
        at = clock[0] - rng.randint(5, 120) * 60
        return (b"%s %d %s" % (ident, at, tz.encode()), b"%s %d %s" % (ident, clock[0], tz.encode()))

    ids = sorted(state)
    proc = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, env=gh.git_env())
    st = gh.Stream(proc.stdin)
    try:
        au, co = stamp(authors[0], first=True)
        changes = [("M", "normsctl.yaml", settings_b), ("M", "people.yaml", people_b)]
        changes += [("M", p.path, data(p)) for p in sorted(state.values(), key=lambda p: p.path)]
        tip = st.commit(au, co, f"Add the support handbook\n\nGenerated by gen_handbook.py "
                                f"--shape realistic (seed {a.seed}).\n", changes)
        for c in range(1, a.commits):
            picked = rng.sample(ids, rng.randint(1, 3))
            chs, subj = [], []
            for pid in picked:
                p = state[pid]
                q, what = hb.edit(p, rng.random() < MATERIAL_SHARE, rng.random() < MOVE_SHARE)
                stats["edits"] += 1
                stats["material"] += q.revision != p.revision
                if q.path != p.path:
                    stats["moves"] += 1
                    chs.append(("D", p.path))
                chs.append(("M", q.path, data(q)))
                state[pid] = q
                subj.append(f"{pid}: {what}")
            msg = subj[0] if len(subj) == 1 else f"Update {len(subj)} policies\n\n" + "\n".join(
                "- " + s for s in subj)
            au, co = stamp(authors[c % len(authors)])
            tip = st.commit(au, co, msg + "\n", chs, from_mark=tip)
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise SystemExit("gen_handbook: git fast-import failed")
    ls = gh.git(out, "ls-tree", "-r", "-z", "HEAD", capture_output=True).stdout.split(b"\0")
    have = {}
    for ent in ls:
        if ent:
            meta, path = ent.split(b"\t", 1)
            have[path.decode()] = meta.split()[2].decode()
    want = {"normsctl.yaml": gh.blob_id(settings_b), "people.yaml": gh.blob_id(people_b)}
    want.update({p.path: gh.blob_id(data(p)) for p in state.values()})
    if have != want:
        raise SystemExit("gen_handbook: internal error: HEAD tree differs from the model")
    gh.git(out, "checkout", "-q", "-f", "main")
