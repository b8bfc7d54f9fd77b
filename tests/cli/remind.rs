//! `normsctl acks remind`: digests composed from a scripted history (who acknowledged
//! what, a material change after, due dates passing), each holding exactly its
//! recipient's items; the briefing's diff; `--dry-run`. Sending to real local servers is
//! in `remind_send`.

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::harness::{Handbook, NORM, Run};
use serde_json::Value;

pub const ROSTER: &str = "\
teams:
  - { id: tier1, name: Tier 1, lead: ana }
  - { id: tier2, name: Tier 2, lead: dee }
roles:
  - { id: agent, name: Agent }
  - { id: lead, name: Lead }
people:
  - { id: ana, name: Ana Diaz, email: ana@example.com, teams: [tier1], roles: [lead] }
  - { id: bo, name: Bo Chen, email: bo@example.com, teams: [tier1], roles: [agent] }
  - { id: cy, name: Cy Young, email: cy@example.com, teams: [tier1], roles: [agent] }
  - { id: dee, name: Dee Park, email: dee@example.com, teams: [tier2], roles: [lead] }
  - { id: eve, name: Eve Stone, email: [eve@work.example, eve@home.example], teams: [tier2], roles: [agent] }
";

/// "Now" for the reports: 20 days after the start, 18 after the material change.
pub const NOW: i64 = T0 + 20 * DAY;

/// The scripted history: the norm (everyone) and the metric (agents) at T0; bo
/// acknowledges both on day 1 and cy everything on day 1; on day 2 the norm's revision 2
/// changes its title and body (a material change: due 14 days later, so overdue by 4
/// days now); cy acknowledges revision 2 on day 3. Dee acknowledges everything on day 3.
pub fn scripted() -> Handbook {
    let hb = handbook(ROSTER, "lead@example.com");
    for (who, what) in [
        ("bo", "stepping-away"),
        ("bo", "qa-score"),
        ("cy", "stepping-away"),
        ("cy", "qa-score"),
    ] {
        let run = at(&hb, &["ack", what, "--as", who], T0 + DAY);
        assert_eq!(run.code, 0, "{run:?}");
    }
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", "revision: 2")
            .replace(
                "title: Say when you step away",
                "title: Say when you step away and come back",
            )
            .replace(
                "body: Tell the channel.",
                "body: Tell the team channel, and say when you will be back.",
            ),
    );
    commit(hb.path(), "Say when you are back", T0 + 2 * DAY);
    for (who, what) in [("cy", "stepping-away"), ("dee", "stepping-away")] {
        let run = at(&hb, &["ack", what, "--as", who], T0 + 3 * DAY);
        assert_eq!(run.code, 0, "{run:?}");
    }
    hb
}

pub fn remind(hb: &Handbook, args: &[&str]) -> Run {
    let mut all = vec!["acks", "remind"];
    all.extend_from_slice(args);
    at(hb, &all, NOW)
}

fn items(digest: &Value) -> Vec<String> {
    digest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}{}",
                i["policy"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
                if i["overdue"] == true { " overdue" } else { "" }
            )
        })
        .collect()
}

#[test]
fn each_digest_holds_exactly_its_recipients_items() {
    let hb = scripted();
    let run = remind(&hb, &["--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    let people: Vec<(String, Vec<String>)> = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["to"]["id"].as_str().unwrap().to_owned(), items(p)))
        .collect();
    assert_eq!(
        people,
        vec![
            // ana (a lead, no agent) never acknowledged the norm: overdue since day 16
            (
                "ana".to_owned(),
                vec!["stepping-away never overdue".to_owned()]
            ),
            (
                "bo".to_owned(),
                vec!["stepping-away stale overdue".to_owned()]
            ),
            // cy is up to date, dee too: no empty digest for them
            (
                "eve".to_owned(),
                vec![
                    "qa-score never overdue".to_owned(),
                    "stepping-away never overdue".to_owned()
                ]
            ),
        ]
    );
    let bo = &doc["people"][1];
    assert_eq!(bo["items"][0]["overdue_days"], 4);
    assert_eq!(bo["items"][0]["held_revision"], 1);
    // A person with several addresses gets it at the first.
    assert_eq!(doc["people"][2]["to"]["email"], "eve@work.example");

    // Leads: their team only, without themselves; overdue first.
    let leads: Vec<(String, Vec<String>)> = doc["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let who = l["people"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["person"]["id"].as_str().unwrap().to_owned())
                .collect();
            (l["to"]["id"].as_str().unwrap().to_owned(), who)
        })
        .collect();
    assert_eq!(
        leads,
        vec![
            ("ana".to_owned(), vec!["bo".to_owned()]),
            ("dee".to_owned(), vec!["eve".to_owned()])
        ]
    );

    // Team summaries: counts and titles, no names.
    let t1 = &doc["teams"][0];
    assert_eq!(
        (
            t1["team"]["id"].as_str(),
            t1["people_outstanding"].as_u64(),
            t1["people_overdue"].as_u64()
        ),
        (Some("tier1"), Some(2), Some(2))
    );
    assert_eq!(
        t1["policies"][0]["title"],
        "Say when you step away and come back"
    );
    assert_eq!(t1["policies"][0]["outstanding"], 2);

    // The text for one person names nobody else and none of their items.
    let run = remind(&hb, &["--person", "bo"]);
    assert_eq!(run.code, 0, "{run:?}");
    for other in ["Ana", "Cy", "Dee", "Eve", "qa-score"] {
        assert!(
            !run.stdout.contains(other),
            "{other} in bo's digest:\n{}",
            run.stdout
        );
    }
    // --team: that team's people, lead and summary only.
    let doc = remind(&hb, &["--team", "tier2", "--format", "json"]).json();
    let ids: Vec<&str> = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["to"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["eve"]);
    assert_eq!(doc["leads"].as_array().unwrap().len(), 1);
    assert_eq!(doc["teams"][0]["team"]["id"], "tier2");
    // --overdue: only overdue items; before anything is due, nobody gets a digest.
    let early = at(
        &hb,
        &["acks", "remind", "--overdue", "--format", "json"],
        T0 + 3 * DAY,
    )
    .json();
    assert_eq!(early["people"], serde_json::json!([]));
    assert_eq!(early["leads"], serde_json::json!([]));
    let run = remind(&hb, &["--team", "nope"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no team `nope`"), "{}", run.stderr);
}

#[test]
fn the_briefing_says_what_changed_since_the_acknowledged_text() {
    let hb = scripted();
    let run = remind(&hb, &["--person", "bo"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = &run.stdout;
    for line in [
        "1. Say when you step away and come back (stepping-away), revision 2: overdue by 4 days (was due 2026-01-21)",
        "   revision 2 replaces revision 1, the one you acknowledged: a material change, so please re-acknowledge",
        "   What changed since revision 1:",
        "     Title: Say when you step away -> Say when you step away and come back",
        "     Text ([-removed-] {+added+}):\n       Tell the {+team+} channel{+, and say when you will be back+}.",
        "  normsctl ack stepping-away",
    ] {
        assert!(text.contains(line), "{line}\nin\n{text}");
    }
    let doc = remind(&hb, &["--person", "bo", "--format", "json"]).json();
    let b = &doc["people"][0]["items"][0]["briefing"];
    assert_eq!(
        (b["from_revision"].as_u64(), b["to_revision"].as_u64()),
        (Some(1), Some(2))
    );
    let inserted: String = b["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "insert")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        inserted.contains("team") && inserted.contains("say when you will be back"),
        "{b}"
    );
    // Never acknowledged: no briefing, the whole text is new to them.
    let eve = remind(&hb, &["--person", "eve", "--format", "json"]).json();
    assert_eq!(eve["people"][0]["items"][0]["briefing"], Value::Null);
}

#[test]
fn dry_run_prints_every_message_to_whom_and_sends_nothing() {
    let hb = scripted();
    hb.write(
        "normsctl.yaml",
        format!("{}base_url: https://handbook.example.com\nremind:\n  webhooks: {{ tier1: NORMSCTL_WEBHOOK_TIER1 }}\n", crate::harness::SETTINGS),
    );
    commit(hb.path(), "settings", T0 + 3 * DAY);
    let run = remind(&hb, &["--send", "smtp", "--send", "webhook", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let out = &run.stdout;
    // 3 personal digests, 2 lead digests, 1 webhook (tier2 has none: said on stderr)
    assert!(out.contains("--- e-mail 1 of 5 (ana)\nTo: Ana Diaz <ana@example.com>\nSubject: [Test Handbook] 1 policy to acknowledge, 1 overdue\n"), "{out}");
    assert!(out.contains("To: Eve Stone <eve@work.example>"), "{out}");
    assert!(!out.contains("eve@home.example"), "{out}");
    assert!(
        out.contains("--- e-mail 4 of 5 (ana (lead of tier1))"),
        "{out}"
    );
    assert!(
        out.contains("https://handbook.example.com/policies/stepping-away.html"),
        "{out}"
    );
    let hook = out
        .split("--- webhook 1 of 1: team tier1, POST to the URL in $NORMSCTL_WEBHOOK_TIER1\n")
        .nth(1)
        .expect("the webhook");
    let body: Value = serde_json::from_str(hook.lines().next().unwrap()).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("2 people have policies to acknowledge, 2 overdue"),
        "{text}"
    );
    assert!(
        text.contains("Say when you step away and come back: 2 to acknowledge, 2 overdue"),
        "{text}"
    );
    for name in ["Ana", "Bo", "ana", "bo@"] {
        assert!(!text.contains(name), "{name} in {text}");
    }
    assert!(
        run.stderr.contains("team tier2 has no webhook"),
        "{}",
        run.stderr
    );
    // The cap: past it, nothing is sent and each message left out is named; exit 1.
    hb.write(
        "normsctl.yaml",
        format!("{}remind:\n  max_messages: 2\n", crate::harness::SETTINGS),
    );
    let run = remind(&hb, &["--send", "smtp", "--dry-run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("--- e-mail 2 of 2"), "{}", run.stdout);
    assert_eq!(
        run.stderr.matches("the cap of 2 messages per run").count(),
        3,
        "{}",
        run.stderr
    );
}

#[test]
fn settings_are_validated_and_never_hold_a_secret() {
    let hb = scripted();
    hb.write(
        "normsctl.yaml",
        format!(
            "{}remind:\n  webhooks: {{ tier1: \"https://hooks.example/T000/secret\" }}\n  smtp: {{ host: relay.example, from: not an address, port: 70000 }}\n  timeout: 0\n  colour: red\n",
            crate::harness::SETTINGS
        ),
    );
    let run = hb.validate(&[]);
    let findings = run.findings();
    for expected in ["unknown-key", "invalid-value"] {
        assert!(
            findings.iter().any(|f| f.ends_with(expected)),
            "{findings:?}"
        );
    }
    assert!(
        !run.stdout.contains("T000"),
        "the secret is not repeated: {}",
        run.stdout
    );
    let doc = run.json();
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`tier1` must name an environment variable")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`not an address` is not an e-mail address")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("`port` is 70000")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("`timeout` is 0")),
        "{messages:?}"
    );
    // A command that sends refuses to run on broken settings.
    let run = remind(&hb, &["--send", "webhook", "--dry-run"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_webhook_for_a_team_not_on_the_roster_is_a_finding_where_it_is_written() {
    let hb = scripted();
    hb.write(
        "normsctl.yaml",
        format!(
            "{}remind:\n  webhooks:\n    tier1: NORMSCTL_HOOK_ONE\n    teir2: NORMSCTL_HOOK_TWO\n    bo: NORMSCTL_HOOK_BO\n",
            crate::harness::SETTINGS
        ),
    );
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    let findings = run.findings();
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.starts_with("normsctl.yaml"))
            .collect::<Vec<_>>(),
        [
            "normsctl.yaml:6:5 dangling-reference",
            "normsctl.yaml:7:5 dangling-reference"
        ],
        "{findings:?}"
    );
    let doc = run.json();
    let about = |needle: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {doc}"))
            .clone()
    };
    let typo = about("`teir2`");
    assert!(
        typo["message"]
            .as_str()
            .unwrap()
            .contains("not a team on the roster"),
        "{typo}"
    );
    assert!(typo.to_string().contains("did you mean `tier2`?"), "{typo}");
    assert!(
        about("`bo`")["message"]
            .as_str()
            .unwrap()
            .contains("a person, not a team")
    );
    // Human output names file, line and column too.
    let run = hb.run(&["validate"]);
    assert!(
        run.stdout.contains("normsctl.yaml:6:5") || run.stderr.contains("normsctl.yaml:6:5"),
        "{run:?}"
    );
    // `acks remind` says so as well, and still posts to the team that exists.
    let run = remind(&hb, &["--send", "webhook", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(
            "normsctl.yaml:6:5: `remind.webhooks` names `teir2`, which is not a team on the roster"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("team tier1, POST to the URL in $NORMSCTL_HOOK_ONE"),
        "{}",
        run.stdout
    );
}
