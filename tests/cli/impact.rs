//! The impact of a change before it merges: `validate --base` (human and JSON) and `diff
//! --format markdown` say who will be asked to acknowledge, per team, and by when; computed
//! from the roster and `applies_to`, never from the ledger.

use crate::harness::{Handbook, run_env};
use crate::history::{SETTINGS, T0, commit, set_head};
use git2::Repository;

const ROSTER: &str = "\
teams:
  - { id: tier1, name: Tier 1, lead: ana }
  - { id: tier2, name: Tier 2, lead: cy }
roles:
  - { id: agent, name: Agent }
  - { id: lead, name: Lead }
people:
  - { id: ana, name: Ana Diaz, email: ana@example.com, teams: [tier1], roles: [lead] }
  - { id: bo, name: Bo Chen, email: bo@example.com, teams: [tier1], roles: [agent] }
  - { id: cy, name: Cy Young, email: cy@example.com, teams: [tier2], roles: [lead] }
  - { id: dee, name: Dee Park, email: dee@example.com, teams: [tier2], roles: [agent] }
  - { id: eve, name: Eve Stone, email: eve@example.com, roles: [agent] }
";

fn norm(id: &str, extra: &str) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: Norm {id}\nsummary: A norm.\nowner: tier1\n{extra}body: |\n  Tell the channel when you step away.\n"
    )
}

/// Committed: `agents` (agents, r1), `leads` (leads, r1), `wording` (everyone, r1).
fn base() -> (Handbook, Repository) {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write(
        "policies/agents.yaml",
        norm("agents", "applies_to: agent\nrevision: 1\n"),
    );
    hb.write(
        "policies/leads.yaml",
        norm("leads", "applies_to: [lead]\nrevision: 1\n"),
    );
    hb.write("policies/wording.yaml", norm("wording", "revision: 1\n"));
    let c = commit(&repo, "Start", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, c);
    (hb, repo)
}

/// 2026-12-02 12:00 UTC.
const NOW: [(&str, &str); 1] = [("SOURCE_DATE_EPOCH", "1796212800")];

fn change_everything(hb: &Handbook) {
    // material, effective later than today: the count starts from that date
    hb.write(
        "policies/agents.yaml",
        norm(
            "agents",
            "applies_to: agent\nrevision: 2\neffective: 2026-12-21\n",
        )
        .replace("step away", "step away and when you are back"),
    );
    // editorial, applies_to widened: only the newly covered are asked
    hb.write(
        "policies/leads.yaml",
        norm("leads", "applies_to: [lead, tier1]\nrevision: 1\n"),
    );
    // editorial: asks nobody
    hb.write(
        "policies/wording.yaml",
        norm("wording", "revision: 1\n").replace("title: Norm wording", "title: Norm, reworded"),
    );
    // new, with its own due days
    hb.write(
        "policies/fresh.yaml",
        norm("fresh", "applies_to: tier2\nrevision: 1\nack_due_days: 7\n"),
    );
    // new, no acknowledgement asked
    hb.write(
        "policies/info.yaml",
        norm("info", "revision: 1\nack: none\n"),
    );
}

#[test]
fn validate_base_says_who_must_acknowledge_by_when_per_team() {
    let (hb, _repo) = base();
    change_everything(&hb);
    let run = run_env(
        hb.path(),
        &["validate", "--base", "HEAD", "--format", "json"],
        &NOW,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = run.json();
    let impact = doc["impact"].as_array().expect("impact");
    let by_id = |id: &str| {
        impact
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {impact:?}"))
    };
    let agents = by_id("agents");
    assert_eq!(agents["asks"], "reacknowledge");
    assert_eq!(agents["people"], serde_json::json!(["bo", "dee", "eve"]));
    assert_eq!(
        agents["teams"],
        serde_json::json!([
            {"id": "tier1", "name": "Tier 1", "people": 1},
            {"id": "tier2", "name": "Tier 2", "people": 1},
            {"id": null, "name": "no team", "people": 1},
        ])
    );
    assert_eq!(
        agents["due"],
        serde_json::json!({"days": 14, "from": "2026-12-21"})
    );
    let leads = by_id("leads");
    assert_eq!(
        (leads["change"].as_str(), leads["asks"].as_str()),
        (Some("editorial"), Some("newly_covered"))
    );
    assert_eq!(
        leads["people"],
        serde_json::json!(["bo"]),
        "ana already was covered as a lead"
    );
    assert_eq!(by_id("wording")["asks"], "nobody");
    assert_eq!(by_id("wording")["due"], serde_json::Value::Null);
    let fresh = by_id("fresh");
    assert_eq!(
        (fresh["asks"].as_str(), fresh["count"].as_u64()),
        (Some("acknowledge"), Some(2))
    );
    assert_eq!(
        fresh["due"],
        serde_json::json!({"days": 7, "from": "merge"})
    );
    assert_eq!(
        (
            by_id("info")["asks"].as_str(),
            by_id("info")["reason"].as_str()
        ),
        (Some("nobody"), Some("ack: none"))
    );

    let run = run_env(hb.path(), &["validate", "--base", "HEAD"], &NOW);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "  agents  material: 3 people (Tier 1 1, Tier 2 1, no team 1) must re-acknowledge, due 14 days from 2026-12-21 (its effective date)",
        "  fresh  added: 2 people (Tier 2 2) must acknowledge, due 7 days after merge",
        "  info  added: asks nobody (ack: none)",
        "  leads  editorial: 1 person (Tier 1 1) must acknowledge (newly covered), due 14 days after merge",
        "  wording  editorial: asks nobody",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
    // No base, no impact.
    let run = run_env(hb.path(), &["validate", "--format", "json"], &NOW);
    assert!(run.json().get("impact").is_none());
}

#[test]
fn the_markdown_diff_shows_counts_never_names_and_the_newer_roster() {
    let (hb, _repo) = base();
    change_everything(&hb);
    let run = run_env(hb.path(), &["diff", "HEAD", "--format", "markdown"], &NOW);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = &run.stdout;
    assert!(
        md.contains("#### Who must acknowledge if this merges"),
        "{md}"
    );
    assert!(
        md.contains("| `agents` | material | re-acknowledge: 3 people (Tier 1 1, Tier 2 1, no team 1) | 14 days from 2026-12-21 \\(its effective date\\) |"),
        "{md}"
    );
    assert!(
        md.contains("| `wording` | editorial | asks nobody |  |"),
        "{md}"
    );
    for name in ["Bo Chen", "Dee Park", "Eve Stone", "bo@example.com", "`bo`"] {
        assert!(!md.contains(name), "{name} in\n{md}");
    }
    // Between two commits, the roster of the newer one counts: a person added there is asked.
    let repo = Repository::open(hb.path()).unwrap();
    hb.write("people.yaml", format!("{ROSTER}  - {{ id: fay, name: Fay, email: fay@example.com, teams: [tier2], roles: [agent] }}\n"));
    let parent = repo.revparse_single("HEAD").unwrap().id();
    let c = commit(
        &repo,
        "Change",
        ("Ana", T0 + 3600, 60),
        (T0 + 3600, 60),
        &[parent],
    );
    set_head(&repo, c);
    let run = run_env(
        hb.path(),
        &["diff", "HEAD~1", "HEAD", "--format", "markdown"],
        &NOW,
    );
    assert!(
        run.stdout.contains(
            "| `agents` | material | re-acknowledge: 4 people (Tier 1 1, Tier 2 2, no team 1) |"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn the_json_and_human_diffs_carry_the_same_impact_as_validate() {
    let (hb, _repo) = base();
    change_everything(&hb);
    let validate = run_env(
        hb.path(),
        &["validate", "--base", "HEAD", "--format", "json"],
        &NOW,
    );
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let run = run_env(hb.path(), &["diff", "HEAD", "--format", "json"], &NOW);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    // The same array, field for field, as `validate --base`'s.
    assert_eq!(doc["impact"], validate.json()["impact"], "{doc}");
    let agents = doc["impact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "agents")
        .expect("agents");
    assert_eq!(agents["people"], serde_json::json!(["bo", "dee", "eve"]));
    // `--policy` keeps the impact to that policy.
    let run = run_env(
        hb.path(),
        &["diff", "HEAD", "--policy", "fresh", "--format", "json"],
        &NOW,
    );
    let doc = run.json();
    let ids: Vec<&str> = doc["impact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fresh"]);

    let run = run_env(hb.path(), &["diff", "HEAD"], &NOW);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "If this merges (from the roster and `applies_to`, not the ledger):",
        "  agents  material: 3 people (Tier 1 1, Tier 2 1, no team 1) must re-acknowledge, due 14 days from 2026-12-21 (its effective date)",
        "  fresh  added: 2 people (Tier 2 2) must acknowledge, due 7 days after merge",
        "  wording  editorial: asks nobody",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
    // Counts only in text for people: no one is named.
    for name in ["Bo Chen", "Dee Park", "bo@example.com"] {
        assert!(!run.stdout.contains(name), "{name} in\n{}", run.stdout);
    }

    // Nothing changed: an empty impact, and no section.
    hb.write(
        "policies/agents.yaml",
        norm("agents", "applies_to: agent\nrevision: 1\n"),
    );
    for f in ["leads", "wording"] {
        let extra = if f == "leads" {
            "applies_to: [lead]\nrevision: 1\n"
        } else {
            "revision: 1\n"
        };
        hb.write(&format!("policies/{f}.yaml"), norm(f, extra));
    }
    std::fs::remove_file(hb.path().join("policies/fresh.yaml")).unwrap();
    std::fs::remove_file(hb.path().join("policies/info.yaml")).unwrap();
    let run = run_env(hb.path(), &["diff", "HEAD", "--format", "json"], &NOW);
    assert_eq!(
        run.json()["impact"],
        serde_json::json!([]),
        "{}",
        run.stdout
    );
    let run = run_env(hb.path(), &["diff", "HEAD"], &NOW);
    assert!(!run.stdout.contains("If this merges"), "{}", run.stdout);
}
