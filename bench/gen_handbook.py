#!/usr/bin/env python3
"""Generate a synthetic normsctl handbook, optionally with a git history.

    python3 bench/gen_handbook.py OUT_DIR --policies N --people P \
        [--commits M] [--seed S] [--bad K] [--gc] [--shape synthetic|realistic]

Writes normsctl.yaml, people.yaml and N policy files under
policies/<kind>s/<bucket>/<id>.yaml (at most 100 files per bucket). With
--commits M it also makes OUT_DIR a git repository whose branch `main` holds
exactly M commits (first commit = whole handbook, then edits, material
changes, moves, retirements/additions and merges of short side branches),
built with one `git fast-import` process and fixed timestamps.

`--shape realistic` writes the heavier shape of issue 19 instead (bench/realistic_shape.py:
prose bodies, every metric key, 20 teams, a linear history of paragraph rewrites); the
default `--shape synthetic` is the shape described above.

Everything is derived from --seed: the same arguments give byte-identical
files and identical commit ids. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import os
import random
import re
import subprocess
import sys
import time

# 2024-01-01T09:00:00Z, the committer time of the first commit.
EPOCH0 = 1704099600
BUCKET_SIZE = 100
MERGE_EVERY = (40, 60)  # a merge group starts every 40..60 commits
BAD_TYPES = ("titel", "owner", "revision0", "stem", "related", "yaml", "mistyped")

# --------------------------------------------------------------------------
# Word pools
# --------------------------------------------------------------------------

FIRST = ["Ana", "Bruno", "Chloé", "Dmitri", "Emeka", "Fatima", "Goran", "Hana",
         "Inês", "Jürgen", "Kavya", "Lars", "María", "Nikhil", "Olga", "Pedro",
         "Quynh", "Rosa", "Sven", "Tomás", "Uma", "Valentina", "Wei", "Ximena",
         "Yusuf", "Zoë", "Aiko", "Björn", "Carmen", "Dara"]
LAST = ["Díaz", "Okafor", "Nguyen", "Müller", "Sharma", "O'Brien", "Kowalski",
        "Silva", "Haddad", "Tanaka", "Johansson", "García", "Petrov", "Mensah",
        "Rossi", "Kim", "Fernández", "Novak", "Ahmed", "Costa", "Lindqvist",
        "Santos", "Sato", "Dubois", "Reyes", "Ivanova"]
TEAM_FUNCS = ["Tier 1", "Tier 2", "Billing", "Onboarding", "Chat", "Email",
              "Phone", "Escalations", "Enterprise", "Night Shift", "Weekend",
              "Returns", "Payments", "Logistics"]
AREAS = ["chat", "email", "phone", "billing queue", "returns", "weekend shift",
         "night shift", "enterprise accounts", "onboarding", "escalations",
         "social media", "marketplace", "payments", "logistics", "new hires",
         "EMEA", "APAC", "Americas"]
TAGS = ["breaks", "communication", "handover", "shift", "tools", "security",
        "quality", "speed", "attendance", "escalation", "chat", "email", "phone",
        "schedule", "leave", "training", "privacy", "teamwork", "customers",
        "workload", "knowledge-base", "remote", "wellbeing", "compliance"]

EXPECTATIONS = [
    ("Be logged in for your whole scheduled shift",
     "Agents are logged in to the helpdesk from the start to the end of every scheduled shift."),
    ("Tell your lead before you are late",
     "If you will start late, tell your lead at least 30 minutes before your shift begins."),
    ("Use the helpdesk for every customer conversation",
     "Every customer conversation happens in, or is copied into, the helpdesk."),
    ("Answer escalations within one business day",
     "Escalated tickets get a first answer from the receiving team within one business day."),
    ("Keep your calendar current",
     "Your calendar shows your shifts, breaks, training and leave so others can plan."),
    ("Two-factor authentication on every tool",
     "Every account you use for work is protected with two-factor authentication."),
    ("Request leave two weeks ahead",
     "Planned leave is requested at least two weeks before it starts."),
    ("Complete security training every year",
     "Everyone completes the security and privacy training once a year."),
    ("Keep customer data in approved systems",
     "Customer data is stored and shared only in the systems listed as approved."),
    ("Attend the weekly team meeting",
     "Everyone attends the weekly team meeting or reads its notes the same day."),
    ("Work from a quiet place with a headset",
     "Calls are taken from a quiet place with a headset that cancels noise."),
    ("Report outages as soon as you see them",
     "Suspected outages are reported in the incident channel within five minutes."),
    ("Follow the refund approval limits",
     "Refunds above your approval limit are sent to a lead before they are promised."),
    ("Update the ticket status before you leave",
     "Every ticket you touched today has a correct status before your shift ends."),
]
NORMS = [
    ("Say when you go to lunch and when you will be back",
     "Post in the team channel when you leave for a break and when you will be back."),
    ("Hand over open chats before a break",
     "Before a break longer than 15 minutes, hand over every open chat with a short note."),
    ("Ask for help after 20 minutes stuck",
     "If you are stuck on one conversation for 20 minutes, ask the team for help."),
    ("Tag a teammate when you take over a ticket",
     "When you take over a colleague's ticket, mention them so they know it moved."),
    ("Cameras are optional in stand-ups",
     "Nobody has to turn on a camera in the daily stand-up."),
    ("Write a handover note at the end of every shift",
     "The last person on a shift leaves a note on what is open and what was promised."),
    ("Use threads in the team channel",
     "Replies go in the thread of the message they answer, so the channel stays readable."),
    ("No meetings in the first hour of a shift",
     "The first hour of each shift is kept free of meetings so the queue gets attention."),
    ("Share what you learn from hard tickets",
     "When a hard ticket teaches you something, share it in the weekly learning thread."),
    ("Give feedback in private, praise in public",
     "Corrections are given one to one; thanks and praise are given in the channel."),
    ("Mute notifications outside your shift",
     "Nobody is expected to read or answer work messages outside their shift."),
    ("Agree the break order at the start of a shift",
     "The people on a shift agree at its start who takes a break when."),
]

# Individual metrics: every word here must stay clear of the fairness terms
# (csat, nps, satisfaction, sentiment, net promoter, resolution time, time to
# resolution, time to close). Fields: title, summary, measures, source, unit,
# statistic, target, window, gaming_risk, is a counter-metric (quality).
IND_METRICS = [
    ("Median time to first response", "Half of the first replies an agent sends go out within an hour.",
     "Minutes from a customer's first message to the agent's first public reply, per conversation assigned to the agent.",
     "Helpdesk events: ticket_id, created_at, first_public_reply_at, assignee_id",
     "minutes", "median", ("<=", 60), "week", None, False),
    ("QA score", "Reviewed conversations score at least 85 out of 100 on the QA rubric.",
     "Mean rubric score of the agent's conversations reviewed by a QA specialist during the month.",
     "QA tool: review_id, ticket_id, agent_id, score",
     "score", "mean", (">=", 85), "month", None, True),
    ("Tickets solved", "Agents solve between 150 and 400 tickets in a full-time week.",
     "Tickets the agent moved to solved during the week, scaled to a 40-hour week.",
     "Helpdesk events: ticket_id, status, assignee_id, solved_at; rota hours",
     "tickets", "count", (150, 400), "week",
     "Picking short, easy tickets from the queue and leaving the hard ones to others.", False),
    ("Schedule adherence", "Agents spend at least 90% of scheduled minutes in the scheduled state.",
     "Share of scheduled minutes the agent spent in the state the rota planned for them.",
     "WFM tool: agent_id, scheduled_state, actual_state, minute",
     "percent", "ratio", (">=", 90), "week", None, False),
    ("Handle time at the 90th percentile", "Nine in ten conversations need at most 25 minutes of active work.",
     "Minutes of active work per conversation handled by the agent, from assignment to last reply.",
     "Helpdesk time tracking: ticket_id, agent_id, active_seconds",
     "minutes", "p90", ("<=", 25), "week",
     "Rushing customers off a conversation before their question is answered.", False),
    ("Reopened tickets", "At most 5% of the tickets an agent solves are reopened within 7 days.",
     "Share of tickets solved by the agent that the customer reopened within 7 days.",
     "Helpdesk events: ticket_id, solved_at, reopened_at, assignee_id",
     "percent", "rate", ("<=", 5), "month", None, True),
    ("Handover notes on escalations", "Every escalation carries a handover note.",
     "Share of the agent's escalated tickets that have an internal note written before escalation.",
     "Helpdesk: ticket_id, escalated_at, internal_note_at, author_id",
     "percent", "ratio", (">=", 95), "week", None, True),
    ("Chats handled per logged-in hour", "Agents handle two to six chats per logged-in hour.",
     "Chat conversations the agent ended, divided by the hours the agent was logged in to chat.",
     "Chat tool: conversation_id, agent_id, ended_at; presence log",
     "chats", "rate", (2, 6), "day",
     "Ending chats early or transferring long ones to colleagues.", False),
    ("Knowledge base contributions", "Each agent writes or updates at least two articles a quarter.",
     "Knowledge base articles the agent created or substantially updated during the quarter.",
     "Knowledge base: article_id, author_id, revision_at",
     "articles", "count", (">=", 2), "quarter",
     "Splitting one article into several small ones, or trivial edits.", False),
    ("Replies per ticket", "Tickets need on average at most 3.5 public replies from the agent.",
     "Public replies the agent sent per ticket they solved.",
     "Helpdesk events: ticket_id, author_id, public_reply_at",
     "replies", "mean", ("<=", 3.5), "month", None, False),
]
TEAM_METRICS = [
    ("Customer satisfaction (CSAT)", "Nine in ten survey answers rate support 4 or 5.",
     "Share of satisfaction survey answers rated 4 or 5 out of all answers for the team's tickets.",
     "Survey tool: ticket_id, rating, answered_at, solving_team",
     "percent", "rate", (">=", 90), "month", None, True),
    ("Net promoter score", "The quarterly NPS of supported customers is at least 40.",
     "Net promoter score of customers who contacted support during the quarter.",
     "Survey tool: respondent_id, score, answered_at",
     "score", "score", (">=", 40), "quarter", None, True),
    ("Median resolution time", "Half of the team's tickets are solved within 24 hours.",
     "Hours from ticket creation to solved, for tickets solved by the team.",
     "Helpdesk events: ticket_id, created_at, solved_at, group_id",
     "hours", "median", ("<=", 24), "week", None, False),
    ("Time to close at the 95th percentile", "Nineteen in twenty tickets are closed within 72 hours.",
     "Hours from ticket creation to closed, for tickets closed by the team.",
     "Helpdesk events: ticket_id, created_at, closed_at, group_id",
     "hours", "p95", ("<=", 72), "month",
     "Closing tickets before the customer confirms the fix.", False),
    ("Backlog older than 48 hours", "No more than 20 open tickets are older than 48 hours.",
     "Open tickets older than 48 hours at 17:00 in the team's time zone.",
     "Helpdesk snapshot: ticket_id, created_at, status, group_id",
     "tickets", "count", ("<=", 20), "day", None, False),
    ("Service level", "At least 80% of calls are answered within 60 seconds.",
     "Share of inbound calls answered within 60 seconds of entering the queue.",
     "Telephony: call_id, queued_at, answered_at, queue_id",
     "percent", "ratio", (">=", 80), "day",
     "Answering and parking calls on hold to stop the clock.", False),
    ("Customer sentiment", "Average conversation sentiment stays between 0.2 and 1.",
     "Mean sentiment score of customer messages in conversations handled by the team.",
     "Conversation analytics: conversation_id, sentiment, team_id",
     "score", "mean", (0.2, 1), "month", None, True),
    ("Contacts per order", "Fewer than 8 in 100 orders lead to a support contact.",
     "Support contacts divided by orders shipped in the month.",
     "Helpdesk and order system: ticket_id, order_id, shipped_at",
     "ratio", "ratio", ("<", 0.08), "month", None, False),
]

OPENERS = [
    "This {kind} exists because customers notice when we are inconsistent, and so do colleagues.",
    "We wrote this down after the team asked for one clear place to check what is expected.",
    "It applies to {area} as much as to any other part of support.",
    "The goal is predictability: everyone should know what happens next without asking.",
    "Most of us already work this way; writing it down makes it fair for people who are new.",
    "It is reviewed every quarter in the team meeting, and anyone may propose a change.",
    "When it is not followed, the first step is always a conversation, never a penalty.",
    "The rule is simple on purpose, so it can be checked without a spreadsheet.",
    "Customers on {area} told us in interviews that this matters to them.",
    "Leads follow it too, and they are expected to set the example.",
]
DETAILS = [
    "If you are unsure whether it applies, ask in `#support-floor` before you act.",
    "Exceptions are agreed with your lead in writing, in the ticket or in the channel.",
    "See the [team wiki](https://wiki.example.com/support/{area_slug}) for examples.",
    "Time zones matter: always write times with the zone, for example 13:30 CET.",
    "The helpdesk macro **{macro}** fills in most of what is needed.",
    "A missed step is not a disaster; tell someone and fix it as soon as you notice.",
    "We look at how this works in practice every month and adjust if it gets in the way.",
    "New hires get two weeks to learn this before anyone expects it of them.",
    "When two rules seem to conflict, the customer's safety and privacy come first.",
    "Write it so that a colleague who starts tomorrow could act on it without asking you.",
]
BULLETS = [
    "Post in the team channel before you step away for more than five minutes.",
    "Set your helpdesk status to *Away* so no new conversations are routed to you.",
    "Add an internal note with what the customer needs and what you promised.",
    "Reassign tickets that cannot wait to the person taking over, or to the queue.",
    "Use the **{macro}** macro instead of writing the steps by hand.",
    "Check the status page before you tell a customer that everything works.",
    "Write dates as `YYYY-MM-DD` and times with their time zone.",
    "Escalate bugs, outages and billing errors instead of waiting for them to clear.",
    "Mention the colleague whose work you take over, in the ticket thread.",
    "Keep personal data out of the team channel; link to the ticket instead.",
    "If you will be later than you said, post a new time.",
    "Read the handover note before you pick up the first conversation.",
    "Tell your lead early when the workload looks impossible; we plan around it.",
    "Log the reason when you skip a ticket from the top of the queue.",
]
CLOSERS = [
    "Questions about this go to the owner listed above.",
    "If this gets in the way of helping a customer, say so: that is a reason to change it.",
    "Thank you for keeping each other informed.",
    "This page is the reference; older messages in chat do not override it.",
    "It is part of onboarding and of every yearly review.",
]
HEADINGS = ["## In practice", "## What to do", "## Steps", "## How it works", "## Checklist"]
MACROS = ["Escalate", "Handover", "Away", "Refund request", "Bug report", "Follow-up"]

FAIRNESS_TERMS = ["csat", "nps", "satisfaction", "sentiment", "net promoter",
                  "resolution time", "time to resolution", "time to close"]

# --------------------------------------------------------------------------
# YAML emission (hand-written: the output format is fixed and simple)
# --------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z0-9\u00C0-\u024F .,'()/%+&_-]*")
_FLOW_PLAIN = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z0-9\u00C0-\u024F .'()/%+&_-]*")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _quote(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scalar(v: str, flow: bool = False) -> str:
    pat = _FLOW_PLAIN if flow else _PLAIN
    if (pat.fullmatch(v) and not v.endswith(" ") and v.lower() not in _RESERVED):
        return v
    return _quote(v)


def num(v) -> str:
    if isinstance(v, float):
        return repr(round(v, 4))
    return str(v)


def flow_list(items) -> str:
    return "[" + ", ".join(scalar(x, flow=True) for x in items) + "]"


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class Policy:
    """One policy as plain data. Treated as immutable once rendered: changes
    go through clone(), so branches can share unchanged objects."""

    __slots__ = ("id", "kind", "num", "path", "title", "summary", "owner",
                 "applies_to", "revision", "tags", "related", "intro", "heading",
                 "bullets", "outro", "level", "measures", "source", "unit",
                 "statistic", "target", "window", "controllable", "visibility",
                 "gaming_risk", "guardrails", "ack", "quality", "bad", "_bytes")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))

    def clone(self) -> "Policy":
        p = copy.copy(self)
        for k in ("applies_to", "tags", "related", "intro", "bullets", "outro", "guardrails"):
            v = getattr(p, k)
            if v is not None:
                setattr(p, k, list(v))
        p._bytes = None
        return p

    def refs(self) -> list[str]:
        return list(self.related or []) + list(self.guardrails or [])

    def data(self) -> bytes:
        if self._bytes is None:
            self._bytes = render_policy(self).encode("utf-8")
        return self._bytes


def render_body(p: Policy) -> str:
    """The body as an indented literal block: intro, heading, bullets, closing."""
    parts = [wrap(" ".join(p.intro)), "  " + p.heading + "\n",
             "".join(wrap("- " + b) for b in p.bullets), wrap(" ".join(p.outro))]
    return "\n".join(parts)


@functools.lru_cache(maxsize=1 << 16)
def wrap(text: str, width: int = 76) -> str:
    """Wrap one paragraph or bullet to width as block-scalar lines (two-space
    indent; a bullet continues two spaces further). Cached: most of a body is
    unchanged from one edit to the next."""
    out = []
    indent = "  " if text.startswith("- ") else ""
    cur = ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = indent + word
        else:
            cur = f"{cur} {word}" if cur else word
    out.append(cur)
    return "".join(f"  {ln}\n" for ln in out)


def render_target(t) -> str:
    if isinstance(t[0], str):
        return f'{{op: {_quote(t[0])}, value: {num(t[1])}}}'
    return f"{{min: {num(t[0])}, max: {num(t[1])}}}"


def render_policy(p: Policy) -> str:
    bad = p.bad
    out = []
    pid = p.id + "-old" if bad == "stem" else p.id
    out.append(f"id: {pid}")
    out.append(f"kind: {p.kind}")
    if bad == "yaml":
        # A colon followed by a space inside a plain scalar: a syntax error.
        out.append(f"title: {p.title.split(' (')[0]}: see below")
    else:
        out.append(f"{'titel' if bad == 'titel' else 'title'}: {scalar(p.title)}")
    out.append(f"summary: {scalar(p.summary)}")
    out.append(f"owner: {'team-000' if bad == 'owner' else p.owner}")
    out.append(f"applies_to: {flow_list(p.applies_to)}")
    if bad == "revision0":
        out.append("revision: 0")
    elif bad == "mistyped":
        out.append("revision: two")
    else:
        out.append(f"revision: {p.revision}")
    if p.ack:
        out.append(f"ack: {p.ack}")
    if p.tags:
        out.append(f"tags: {flow_list(p.tags)}")
    related = p.related
    if bad == "related":
        related = list(related or []) + [f"{p.kind}-00000"]
    if related:
        out.append(f"related: {flow_list(related)}")
    if p.kind == "metric":
        out.append(f"level: {p.level}")
        out.append(f"measures: {scalar(p.measures)}")
        out.append(f"source: {scalar(p.source)}")
        out.append(f"unit: {p.unit}")
        out.append(f"statistic: {p.statistic}")
        out.append(f"target: {render_target(p.target)}")
        out.append(f"window: {p.window}")
        if p.controllable is not None:
            out.append(f"controllable: {'true' if p.controllable else 'false'}")
        if p.visibility:
            out.append(f"visibility: {p.visibility}")
        if p.gaming_risk:
            out.append(f"gaming_risk: {scalar(p.gaming_risk)}")
            out.append(f"guardrails: {flow_list(p.guardrails)}")
    out.append("body: |")
    return "\n".join(out) + "\n" + render_body(p)


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

class Handbook:
    def __init__(self, rng: random.Random, n_people: int):
        self.rng = rng
        self.pw = max(5, len(str(n_people)))
        self.n_teams = n_people // 50 + 1
        self.tw = max(3, len(str(self.n_teams)))
        self.people = []  # (id, name, team_index, is_lead)
        self.team_ids = [f"team-{i + 1:0{self.tw}d}" for i in range(self.n_teams)]
        self.team_names = []
        self.leads = []
        for i in range(n_people):
            pid = f"person-{i + 1:0{self.pw}d}"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            team = i % self.n_teams
            is_lead = i < self.n_teams
            self.people.append((pid, name, team, is_lead))
            if is_lead:
                self.leads.append(pid)
        for i in range(self.n_teams):
            self.team_names.append(f"{TEAM_FUNCS[i % len(TEAM_FUNCS)]} Support {i + 1:0{self.tw}d}")
        self.next_num = {"expectation": 1, "norm": 1, "metric": 1}
        self.buckets = {"expectation": {}, "norm": {}, "metric": {}}
        self.idw = 5

    # -- roster and settings --------------------------------------------------
    def settings_yaml(self) -> bytes:
        return ("title: Synthetic Support Handbook\n"
                "organization: Example Co\n"
                "timezone: UTC\n"
                "policies: policies\n"
                "roster: people.yaml\n").encode()

    def people_yaml(self) -> bytes:
        out = ["teams:"]
        for i, tid in enumerate(self.team_ids):
            out.append(f"  - {{id: {tid}, name: {scalar(self.team_names[i], flow=True)}, "
                       f"lead: {self.leads[i]}}}")
        out.append("roles:")
        out.append("  - {id: agent, name: Support agent}")
        out.append("  - {id: lead, name: Team lead}")
        out.append("people:")
        for pid, name, team, is_lead in self.people:
            out.append(f"  - id: {pid}")
            out.append(f"    name: {scalar(name)}")
            out.append(f"    email: {pid}@example.com")
            out.append(f"    teams: [{self.team_ids[team]}]")
            out.append(f"    roles: [{'lead' if is_lead else 'agent'}]")
        return ("\n".join(out) + "\n").encode("utf-8")

    # -- placement -------------------------------------------------------------
    def folder(self, kind: str, bucket: int) -> str:
        return f"policies/{kind}s/{bucket:03d}"

    def place(self, kind: str, pid: str, num_: int) -> str:
        counts = self.buckets[kind]
        b = num_ // BUCKET_SIZE
        while counts.get(b, 0) >= BUCKET_SIZE:
            b += 1
        counts[b] = counts.get(b, 0) + 1
        return f"{self.folder(kind, b)}/{pid}.yaml"

    def unplace(self, kind: str, path: str):
        b = int(path.rsplit("/", 2)[1])
        self.buckets[kind][b] -= 1

    def move_target(self, p: Policy) -> str:
        counts = self.buckets[p.kind]
        cur = int(p.path.rsplit("/", 2)[1])
        options = sorted(b for b, c in counts.items() if b != cur and c < BUCKET_SIZE)
        b = self.rng.choice(options) if options else max(counts) + 1
        counts[cur] -= 1
        counts[b] = counts.get(b, 0) + 1
        return f"{self.folder(p.kind, b)}/{p.id}.yaml"

    # -- policies ----------------------------------------------------------------
    def new_policy(self, kind: str) -> Policy:
        rng = self.rng
        n = self.next_num[kind]
        self.next_num[kind] = n + 1
        pid = f"{kind}-{n:0{max(self.idw, len(str(n)))}d}"
        area = rng.choice(AREAS)
        p = Policy(id=pid, kind=kind, num=n, revision=1)
        p.path = self.place(kind, pid, n)
        if kind == "metric":
            individual = rng.random() < 0.5
            tpl = rng.choice(IND_METRICS if individual else TEAM_METRICS)
            (title, summary, measures, source, unit, stat, target, window,
             risk, quality) = tpl
            p.level = "individual" if individual else "team"
            p.title = f"{title} ({area})"
            p.summary = summary
            p.measures = measures
            p.source = source
            p.unit, p.statistic, p.target, p.window = unit, stat, target, window
            p.gaming_risk = risk
            p.quality = quality
            p.guardrails = []
            if individual:
                p.controllable = True
                p.visibility = "private" if rng.random() < 0.8 else None
            else:
                p.controllable = rng.choice([None, False, True])
                p.visibility = "team" if rng.random() < 0.7 else "public"
            if not individual and rng.random() < 0.2:
                p.ack = "none"
        else:
            title, summary = rng.choice(EXPECTATIONS if kind == "expectation" else NORMS)
            p.title = f"{title} ({area})"
            p.summary = summary
        r = rng.random()
        if r < 0.6:
            p.owner = self.team_ids[rng.randrange(self.n_teams)]
        else:
            p.owner = self.leads[rng.randrange(len(self.leads))] if r < 0.85 else \
                self.people[rng.randrange(len(self.people))][0]
        r = rng.random()
        if r < 0.5:
            p.applies_to = ["everyone"]
        elif r < 0.75:
            p.applies_to = [self.team_ids[rng.randrange(self.n_teams)]]
        elif r < 0.9:
            p.applies_to = ["agent"]
        elif r < 0.95:
            p.applies_to = ["lead"]
        else:
            p.applies_to = sorted({self.team_ids[rng.randrange(self.n_teams)] for _ in range(2)})
        p.tags = sorted(rng.sample(TAGS, rng.randint(1, 3)))
        p.related = []
        self.fill_body(p, area)
        return p

    def sentence(self, pool, p: Policy, area: str | None = None) -> str:
        return self.fmt(self.rng.choice(pool), p, area)

    def fresh(self, pool, p: Policy, existing: list[str]) -> str:
        """A sentence from pool that is not already in existing (if one is found)."""
        for _ in range(10):
            s = self.sentence(pool, p)
            if s not in existing:
                break
        return s

    def fmt(self, text: str, p: Policy, area: str | None = None) -> str:
        area = area or self.rng.choice(AREAS)
        return text.format(kind=p.kind, area=area, area_slug=area.replace(" ", "-").lower(),
                           macro=self.rng.choice(MACROS))

    def fill_body(self, p: Policy, area: str):
        rng = self.rng
        p.intro = [self.fmt(x, p, area) for x in rng.sample(OPENERS, rng.randint(2, 3))]
        p.intro += [self.fmt(x, p, area) for x in rng.sample(DETAILS, rng.randint(2, 3))]
        p.heading = rng.choice(HEADINGS)
        p.bullets = [self.fmt(x, p, area) for x in rng.sample(BULLETS, rng.randint(3, 6))]
        p.outro = [self.fmt(x, p, area) for x in rng.sample(CLOSERS, rng.randint(1, 3))]

    # -- edits -------------------------------------------------------------------
    def editorial(self, p: Policy) -> tuple[Policy, str]:
        """A body edit that keeps the revision; returns the new policy and what changed."""
        rng = self.rng
        old = p.data()
        for _ in range(20):
            q = p.clone()
            op = rng.randrange(5)
            if op == 0:
                i = rng.randrange(len(q.intro))
                q.intro[i] = self.fresh(OPENERS + DETAILS, q, q.intro)
                what = "reword the introduction"
            elif op == 1 and len(q.outro) < 4:
                q.outro.append(self.fresh(CLOSERS, q, q.outro))
                what = "add a closing sentence"
            elif op <= 2 and len(q.outro) > 1:
                q.outro.pop(rng.randrange(len(q.outro)))
                what = "drop a redundant sentence"
            elif op <= 3:
                i = rng.randrange(len(q.bullets))
                q.bullets[i] = self.fresh(BULLETS, q, q.bullets)
                what = "reword a step"
            else:
                i, j = rng.sample(range(len(q.bullets)), 2)
                q.bullets[i], q.bullets[j] = q.bullets[j], q.bullets[i]
                what = "reorder steps"
            if q.data() != old:
                return q, what
        q = p.clone()
        q.outro.append("Reviewed again.")
        return q, "note a review"

    def material(self, p: Policy) -> tuple[Policy, str]:
        rng = self.rng
        q = p.clone()
        q.revision = p.revision + 1
        if q.kind == "metric":
            t = q.target
            if isinstance(t[0], str):
                v = t[1]
                step = (0.1 if v < 1 else 0.5) if isinstance(v, float) else max(1, round(v * 0.1))
                nv = v - step if (rng.random() < 0.5 and v - step > 0) else v + step
                if isinstance(nv, float):
                    nv = round(nv, 4)
                if q.unit == "percent" and nv > 100:
                    nv = v - step
                q.target = (t[0], nv)
                what = f"target {num(v)} -> {num(nv)}"
            else:
                lo, hi = t
                fl = isinstance(lo, float) or isinstance(hi, float)
                step = 0.1 if fl else max(1, round((hi - lo) * 0.1))
                moves = [("max", hi + step)]
                if hi - step > lo:
                    moves.append(("max", hi - step))
                if lo + step < hi:
                    moves.append(("min", lo + step))
                if lo - step >= 0:
                    moves.append(("min", lo - step))
                which, nv = moves[rng.randrange(len(moves))]
                if fl:
                    nv = round(nv, 4)
                if which == "max":
                    q.target = (lo, nv)
                    what = f"target max {num(hi)} -> {num(nv)}"
                else:
                    q.target = (nv, hi)
                    what = f"target min {num(lo)} -> {num(nv)}"
            return q, f"raise to revision {q.revision}: {what}"
        if len(q.bullets) < 7 and rng.random() < 0.6:
            q.bullets.insert(rng.randrange(len(q.bullets) + 1), self.fresh(BULLETS, q, q.bullets))
            what = "add a step"
        else:
            i = rng.randrange(len(q.bullets))
            q.bullets[i] = self.fresh(BULLETS, q, q.bullets) + " This is now required."
            what = "change a step"
        return q, f"raise to revision {q.revision}: {what}"


def kind_for(i: int) -> str:
    # 40% expectation, 30% norm, 30% metric, interleaved.
    return ("expectation", "norm", "metric", "expectation", "norm", "metric",
            "expectation", "norm", "metric", "expectation")[i % 10]


class IdPool:
    """Ids eligible for history operations, with O(1) random pick and removal."""

    def __init__(self, ids=()):
        self.items = list(ids)
        self.pos = {x: i for i, x in enumerate(self.items)}

    def __len__(self):
        return len(self.items)

    def add(self, x):
        self.pos[x] = len(self.items)
        self.items.append(x)

    def remove(self, x):
        i = self.pos.pop(x)
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.pos[last] = i

    def pick(self, rng):
        return self.items[rng.randrange(len(self.items))]


def assign_refs(hb: Handbook, p: Policy, good: list[Policy], good_metrics: list[Policy],
                quality_metrics: list[Policy], refcount: dict):
    rng = hb.rng
    if good and rng.random() < 0.35:
        picks = {good[rng.randrange(len(good))].id for _ in range(rng.randint(1, 3))}
        picks.discard(p.id)
        p.related = sorted(picks)
    if p.kind == "metric" and p.gaming_risk:
        pool = [m for m in quality_metrics if m.id != p.id] or \
               [m for m in good_metrics if m.id != p.id]
        if pool:
            picks = {pool[rng.randrange(len(pool))].id for _ in range(rng.randint(1, 2))}
            p.guardrails = sorted(picks)
        else:
            p.gaming_risk = None
            p.guardrails = []
    for r in p.refs():
        refcount[r] = refcount.get(r, 0) + 1


# --------------------------------------------------------------------------
# git
# --------------------------------------------------------------------------

def git_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", LC_ALL="C",
               GIT_AUTHOR_NAME="gen_handbook", GIT_AUTHOR_EMAIL="gen@example.com",
               GIT_COMMITTER_NAME="gen_handbook", GIT_COMMITTER_EMAIL="gen@example.com",
               GIT_AUTHOR_DATE="@1704099600 +0000", GIT_COMMITTER_DATE="@1704099600 +0000")
    return env


def git(out: str, *args, **kw):
    return subprocess.run(["git", "-C", out, *args], env=git_env(), check=True, **kw)


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Stream:
    """Writes a fast-import stream to a pipe."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.mark = 0

    def data(self, b: bytes):
        self.pipe.write(b"data %d\n" % len(b))
        self.pipe.write(b)
        self.pipe.write(b"\n")

    def commit(self, author, committer, msg: str, changes, from_mark=None, merge_mark=None) -> int:
        self.mark += 1
        w = self.pipe.write
        w(b"commit refs/heads/main\nmark :%d\n" % self.mark)
        w(b"author %s\n" % author)
        w(b"committer %s\n" % committer)
        self.data(msg.encode("utf-8"))
        if from_mark is not None:
            w(b"from :%d\n" % from_mark)
        if merge_mark is not None:
            w(b"merge :%d\n" % merge_mark)
        for ch in changes:
            if ch[0] == "M":
                w(b"M 100644 inline %s\n" % ch[1].encode())
                self.data(ch[2])
            elif ch[0] == "D":
                w(b"D %s\n" % ch[1].encode())
            else:
                w(b"R %s %s\n" % (ch[1].encode(), ch[2].encode()))
        w(b"\n")
        return self.mark


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--policies", type=int, required=True, metavar="N")
    ap.add_argument("--people", type=int, required=True, metavar="P")
    ap.add_argument("--commits", type=int, default=0, metavar="M",
                    help="make a git repository with M commits (default 0: no git)")
    ap.add_argument("--seed", type=int, default=0, metavar="S")
    ap.add_argument("--bad", type=int, default=0, metavar="K",
                    help="make K policies invalid, one defect each")
    ap.add_argument("--gc", action="store_true", help="run git gc --quiet at the end")
    ap.add_argument("--shape", choices=("synthetic", "realistic"), default="synthetic",
                    help="synthetic (default) or the realistic shape of issue 19 "
                         "(bench/realistic_shape.py)")
    a = ap.parse_args(argv)
    if a.policies < 0 or a.people < 1 or a.commits < 0 or a.bad < 0:
        ap.error("--policies, --commits and --bad must be >= 0, --people >= 1")
    if a.bad > a.policies:
        ap.error("--bad cannot exceed --policies")
    if a.shape == "realistic" and a.bad:
        ap.error("--bad is only for --shape synthetic")
    out = a.out_dir
    if os.path.exists(out):
        if not os.path.isdir(out) or os.listdir(out):
            print(f"gen_handbook: {out} exists and is not an empty directory; refusing",
                  file=sys.stderr)
            return 2
    if a.shape == "realistic":
        import realistic_shape
        return realistic_shape.generate(a)
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    hb = Handbook(rng, a.people)
    hb.idw = max(5, len(str(a.policies)))

    # ---- the initial handbook --------------------------------------------------
    policies = [hb.new_policy(kind_for(i)) for i in range(a.policies)]
    bad_idx = rng.sample(range(len(policies)), a.bad)
    for j, i in enumerate(bad_idx):
        policies[i].bad = BAD_TYPES[j % len(BAD_TYPES)]
    good = [p for p in policies if not p.bad]
    good_metrics = [p for p in good if p.kind == "metric"]
    quality_metrics = [p for p in good_metrics if p.quality]
    refcount: dict[str, int] = {}
    for p in policies:
        assign_refs(hb, p, good, good_metrics, quality_metrics, refcount)
    state: dict[str, Policy] = {p.id: p for p in policies}
    editable = IdPool(p.id for p in good)
    kinds_count = {"expectation": 0, "norm": 0, "metric": 0}

    settings_b, people_b = hb.settings_yaml(), hb.people_yaml()
    stats = {"first_parent": 0, "merges": 0, "moves": 0, "retired": 0, "material": 0,
             "editorial": 0}

    if a.commits == 0:
        os.makedirs(out, exist_ok=True)
        write_tree(out, settings_b, people_b, state)
    else:
        os.makedirs(out, exist_ok=True)
        git(out, "init", "-q", "-b", "main")
        make_history(out, a, hb, rng, state, editable, refcount, settings_b, people_b, stats)
        if a.gc:
            git(out, "gc", "--quiet")

    for p in state.values():
        kinds_count[p.kind] += 1
    n_files = 2 + len(state)
    dt = time.monotonic() - t0
    hist = (f"{a.commits} commits ({stats['first_parent']} first-parent, {stats['merges']} merges, "
            f"{stats['material']} material, {stats['editorial']} editorial, {stats['moves']} moves, "
            f"{stats['retired']} retired+added)") if a.commits else "no git"
    print(f"gen_handbook: {n_files} files ({len(state)} policies: {kinds_count['expectation']} "
          f"expectation, {kinds_count['norm']} norm, {kinds_count['metric']} metric; {a.bad} bad), "
          f"{a.people} people in {hb.n_teams} teams, {hist}, {dt:.2f}s -> {out}", file=sys.stderr)
    return 0


def write_tree(out: str, settings_b: bytes, people_b: bytes, state: dict):
    with open(os.path.join(out, "normsctl.yaml"), "wb") as f:
        f.write(settings_b)
    with open(os.path.join(out, "people.yaml"), "wb") as f:
        f.write(people_b)
    made = set()
    for p in state.values():
        d = os.path.dirname(p.path)
        if d not in made:
            os.makedirs(os.path.join(out, d), exist_ok=True)
            made.add(d)
        with open(os.path.join(out, p.path), "wb") as f:
            f.write(p.data())


def make_history(out, a, hb: Handbook, rng, state, editable: IdPool, refcount, settings_b,
                 people_b, stats):
    tzs = ["+0100", "-0500", "+0530", "+0000", "-0800", "+0900", "+0200"]
    # A few authors from the roster: leads first, then agents.
    ppl = [x for x in hb.people if x[3]][:3] + [x for x in hb.people if not x[3]][:4]
    ppl = ppl or hb.people[:1]
    authors = [(f"{name} <{pid}@example.com>".encode("utf-8"), tzs[i % len(tzs)])
               for i, (pid, name, _, _) in enumerate(ppl)]
    merger = authors[0]
    clock = [EPOCH0]
    seq = [0]

    def stamp(who, first=False):
        if not first:
            clock[0] += rng.randint(3600, 3 * 3600)
        ct = clock[0]
        at = ct - rng.randint(5, 120) * 60
        ident, tz = who
        return (b"%s %d %s" % (ident, at, tz.encode()), b"%s %d %s" % (ident, ct, tz.encode()))

    def next_author():
        seq[0] += 1
        return authors[seq[0] % len(authors)]

    proc = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, env=git_env())
    st = Stream(proc.stdin)
    try:
        au, co = stamp(authors[0], first=True)
        changes = [("M", "normsctl.yaml", settings_b), ("M", "people.yaml", people_b)]
        changes += [("M", p.path, p.data()) for p in sorted(state.values(), key=lambda p: p.path)]
        tip = st.commit(au, co, f"Add the support handbook\n\nGenerated by gen_handbook.py "
                                f"(seed {a.seed}).\n", changes)
        stats["first_parent"] += 1
        c = 1
        next_merge = rng.randint(*MERGE_EVERY)

        def edit(view: dict, ids, allow_material=True):
            """Edit each id in view; returns (changes, subject)."""
            chs, subj = [], []
            for pid in ids:
                p = view[pid]
                if allow_material and rng.random() < 0.15:
                    q, what = hb.material(p)
                    stats["material"] += 1
                else:
                    q, what = hb.editorial(p)
                    stats["editorial"] += 1
                view[pid] = q
                chs.append(("M", q.path, q.data()))
                subj.append(f"{pid}: {what}")
            msg = subj[0] if len(subj) == 1 else f"Update {len(subj)} policies\n\n" + "\n".join(
                "- " + s for s in subj)
            return chs, msg + "\n"

        def pick_ids(k, exclude=()):
            ids = []
            for _ in range(k * 4):
                if len(ids) == k or not len(editable):
                    break
                x = editable.pick(rng)
                if x not in ids and x not in exclude:
                    ids.append(x)
            return ids

        while c < a.commits:
            remaining = a.commits - c
            if c >= next_merge and remaining >= 3 and len(editable) >= 4:
                next_merge = c + rng.randint(*MERGE_EVERY)
                n_side = rng.randint(1, 2)
                interim = 1 if (remaining >= n_side + 2 and rng.random() < 0.5) else 0
                fork = tip
                side = {}
                side_ids: list[str] = []
                materialized: set[str] = set()
                who = next_author()
                stip = fork
                for k in range(n_side):
                    ids = pick_ids(rng.randint(1, 2))
                    view = _View(state, side)
                    chs, subj = [], []
                    for pid in ids:
                        p = view[pid]
                        if pid not in materialized and rng.random() < 0.15:
                            q, what = hb.material(p)
                            materialized.add(pid)
                            stats["material"] += 1
                        else:
                            q, what = hb.editorial(p)
                            stats["editorial"] += 1
                        side[pid] = q
                        chs.append(("M", q.path, q.data()))
                        subj.append(f"{pid}: {what}")
                        if pid not in side_ids:
                            side_ids.append(pid)
                    au, co = stamp(who)
                    msg = ("; ".join(subj)) + "\n"
                    stip = st.commit(au, co, msg, chs, from_mark=stip)
                    c += 1
                if interim:
                    ids = pick_ids(rng.randint(1, 2), exclude=side_ids)
                    if ids:
                        chs, msg = edit(state, ids)
                        au, co = stamp(next_author())
                        tip = st.commit(au, co, msg, chs, from_mark=tip)
                        c += 1
                        stats["first_parent"] += 1
                for pid in side_ids:
                    state[pid] = side[pid]
                chs = [("M", state[pid].path, state[pid].data()) for pid in side_ids]
                au, co = stamp(merger)
                topic = f"topic/{side_ids[0]}"
                tip = st.commit(au, co, f"Merge branch '{topic}'\n", chs, from_mark=tip,
                                merge_mark=stip)
                c += 1
                stats["first_parent"] += 1
                stats["merges"] += 1
                continue

            r = rng.random()
            au_who = next_author()
            if r < 0.01 and len(editable):
                pid = editable.pick(rng)
                p = state[pid]
                q = p.clone()
                q._bytes = p._bytes
                q.path = hb.move_target(p)
                state[pid] = q
                chs = [("R", p.path, q.path)]
                msg = f"Move {pid} to {os.path.dirname(q.path)}\n"
                stats["moves"] += 1
            elif (r < 0.015 and len(editable)) or not len(editable):
                victim = None
                for _ in range(20):
                    if not len(editable):
                        break
                    x = editable.pick(rng)
                    if refcount.get(x, 0) == 0:
                        victim = x
                        break
                chs = []
                if victim:
                    vp = state.pop(victim)
                    editable.remove(victim)
                    hb.unplace(vp.kind, vp.path)
                    for ref in vp.refs():
                        refcount[ref] -= 1
                    chs.append(("D", vp.path))
                    kind = vp.kind
                    stats["retired"] += 1
                else:
                    kind = kind_for(c)
                good = [state[x] for x in editable.items] if len(editable) < 64 else \
                    [state[editable.pick(rng)] for _ in range(64)]
                gm = [x for x in good if x.kind == "metric"]
                np_ = hb.new_policy(kind)
                assign_refs(hb, np_, good, gm, [x for x in gm if x.quality], refcount)
                state[np_.id] = np_
                editable.add(np_.id)
                chs.append(("M", np_.path, np_.data()))
                msg = (f"Retire {victim}; add {np_.id}\n" if victim else f"Add {np_.id}\n")
            else:
                ids = pick_ids(rng.choice((1, 1, 1, 2, 2, 3)))
                chs, msg = edit(state, ids)
            au, co = stamp(au_who)
            tip = st.commit(au, co, msg, chs, from_mark=tip)
            c += 1
            stats["first_parent"] += 1
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise SystemExit("gen_handbook: git fast-import failed")

    # HEAD tree must be exactly the generated final state.
    ls = git(out, "ls-tree", "-r", "-z", "HEAD", capture_output=True).stdout.split(b"\0")
    have = {}
    for ent in ls:
        if ent:
            meta, path = ent.split(b"\t", 1)
            have[path.decode()] = meta.split()[2].decode()
    want = {"normsctl.yaml": blob_id(settings_b), "people.yaml": blob_id(people_b)}
    want.update({p.path: blob_id(p.data()) for p in state.values()})
    if have != want:
        diff = sorted(set(have.items()) ^ set(want.items()))[:5]
        raise SystemExit(f"gen_handbook: internal error: HEAD tree differs from the model: {diff}")
    git(out, "checkout", "-q", "-f", "main")


class _View:
    """A branch's view of the state: its own changes over the shared main state."""

    def __init__(self, base: dict, over: dict):
        self.base, self.over = base, over

    def __getitem__(self, k):
        return self.over[k] if k in self.over else self.base[k]


if __name__ == "__main__":
    sys.exit(main())
