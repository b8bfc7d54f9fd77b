//! The messages `acks remind --send` delivers: one e-mail per person and per lead (a
//! plain-text and an HTML part, the HTML escaped like the site's pages), and one webhook
//! post per team (`{"text": …}`, which Slack, Mattermost and Microsoft Teams incoming
//! webhooks accept). Also what `--dry-run` prints: exactly these, to whom.

use super::{Zone, body_lines, how_to, lead_text, person_text, plural, team_text, when, why};
use crate::diff::Op;
use crate::model::remind::{Digests, Item, LeadDigest, PersonDigest};
use crate::render::people::{Line, one_line};
use jiff::tz::TimeZone;
use std::fmt::Write;

/// One e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// Who it is about, for reports (`ana`, `ana (lead of tier1)`).
    pub about: String,
    pub to_name: String,
    pub to_addr: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One webhook post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    pub team_id: String,
    /// The environment variable holding the URL.
    pub env: String,
    /// The JSON body.
    pub body: String,
}

/// `&`, `<`, `>`, `"`, `'` as references; characters XML forbids become U+FFFD: the site's
/// escaping ([`crate::render::markdown::escape_html`]).
pub fn escape(s: &str) -> String {
    crate::render::markdown::escape_html(s).into_owned()
}

/// A subject line: one line, controls shown escaped, at most 200 characters.
fn subject(s: String) -> String {
    let line = one_line(&s).replace(['\r', '\n'], " ");
    line.chars().take(200).collect()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.4\">\n{body}</body></html>\n",
        escape(title)
    )
}

fn link(i: &Item) -> String {
    match &i.link {
        Some(l) if l.starts_with("https://") || l.starts_with("http://") => {
            format!("<a href=\"{}\">{}</a>", escape(l), escape(&i.title))
        }
        _ => escape(&i.title),
    }
}

/// A briefing as HTML: the fields, then the body's word diff.
pub fn briefing_html(br: &crate::model::remind::Briefing) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<div>What changed since revision {}:<ul>",
        br.from_revision
    );
    for (label, old, new) in &br.fields {
        let v = |x: &Option<String>| x.as_deref().map_or("(none)".to_owned(), escape);
        let _ = write!(
            b,
            "<li>{}: <del>{}</del> → <ins>{}</ins></li>",
            escape(label),
            v(old),
            v(new)
        );
    }
    b.push_str("</ul>");
    let mark = |op: Op, t: &str| match op {
        Op::Insert => format!("<ins>{}</ins>", escape(t)),
        _ => format!("<del>{}</del>", escape(t)),
    };
    let lines = body_lines(br, escape, mark);
    if !lines.is_empty() {
        let _ = write!(b, "<blockquote>{}</blockquote>", lines.join("<br>\n"));
    }
    b.push_str("</div>");
    b
}

/// A person's digest as HTML.
pub fn person_html(d: &PersonDigest, all: &Digests, tz: &Zone) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<p>Hello {},</p>", escape(&d.to.name));
    let _ = writeln!(
        b,
        "<p>You have {} of {} to acknowledge.</p>\n<ol>",
        plural(d.items.len(), "policy", "policies"),
        escape(&all.title)
    );
    for i in &d.items {
        let _ = write!(
            b,
            "<li><strong>{}</strong> (<code>{}</code>), revision {}: {}<br>{}",
            link(i),
            escape(&i.policy),
            i.revision,
            escape(&when(i, tz)),
            escape(&why(i))
        );
        if let Some(br) = &i.briefing {
            match tz.briefings.get(&(std::sync::Arc::as_ptr(br) as usize)) {
                Some((_, html)) => b.push_str(html),
                None => b.push_str(&briefing_html(br)),
            }
        }
        b.push_str("</li>\n");
    }
    b.push_str("</ol>\n");
    let _ = writeln!(b, "<pre>{}</pre>", escape(&how_to(&d.items)));
    page(&all.title, &b)
}

/// A lead's digest as HTML.
pub fn lead_html(d: &LeadDigest, all: &Digests, tz: &Zone) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<p>Hello {},</p>", escape(&d.to.name));
    let _ = writeln!(
        b,
        "<p>In {}, {} policies to acknowledge. Overdue first:</p>\n<ul>",
        escape(&d.team),
        plural(d.people.len(), "person has", "people have")
    );
    for p in &d.people {
        let items: Vec<String> = p
            .items
            .iter()
            .map(|i| format!("{} ({})", link(i), escape(&when(i, tz))))
            .collect();
        let _ = writeln!(
            b,
            "<li><strong>{}</strong>: {}</li>",
            escape(&p.to.name),
            items.join("; ")
        );
    }
    b.push_str("</ul>\n");
    page(&all.title, &b)
}

/// Every e-mail of a run: each person's digest, then each lead's, at the first address on
/// the roster; `skipped` names the people with no address (they get nothing).
pub fn mails(d: &Digests, tz: &TimeZone) -> (Vec<Mail>, Vec<String>) {
    use rayon::prelude::*;
    let tz = &Zone::of(d, tz);
    let mut skipped = Vec::new();
    for p in d.people.iter().filter(|p| p.to.email.is_none()) {
        skipped.push(p.to.id.clone());
    }
    for l in d.leads.iter().filter(|l| l.to.email.is_none()) {
        skipped.push(format!("{} (lead of {})", l.to.id, l.team_id));
    }
    // Thousands of digests: rendered on every core, in roster order.
    let mut out: Vec<Mail> = d
        .people
        .par_iter()
        .filter_map(|p| {
            let addr = p.to.email.as_ref()?;
            let overdue = p.items.iter().filter(|i| i.overdue()).count();
            Some(Mail {
                about: p.to.id.clone(),
                to_name: p.to.name.clone(),
                to_addr: addr.clone(),
                subject: subject(format!(
                    "[{}] {} to acknowledge{}",
                    all_title(d),
                    plural(p.items.len(), "policy", "policies"),
                    if overdue > 0 {
                        format!(", {overdue} overdue")
                    } else {
                        String::new()
                    }
                )),
                text: person_text(p, d, tz),
                html: person_html(p, d, tz),
            })
        })
        .collect();
    out.par_extend(d.leads.par_iter().filter_map(|l| {
        let addr = l.to.email.as_ref()?;
        Some(Mail {
            about: format!("{} (lead of {})", l.to.id, l.team_id),
            to_name: l.to.name.clone(),
            to_addr: addr.clone(),
            subject: subject(format!(
                "[{}] {}: {} policies to acknowledge",
                all_title(d),
                l.team,
                plural(l.people.len(), "person has", "people have")
            )),
            text: lead_text(l, tz),
            html: lead_html(l, d, tz),
        })
    }));
    (out, skipped)
}

fn all_title(d: &Digests) -> &str {
    &d.title
}

/// A chat message's text, with what Slack reads as markup (`<`, `>`, `&`) escaped as
/// Slack asks, so a title can neither link nor mention (`<!channel>`).
fn chat(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Every webhook post of a run: one per team summary whose team has a webhook in the
/// settings (`hooks`: team id to environment variable); `skipped` names the teams without.
pub fn posts(d: &Digests, hooks: &[(String, String)]) -> (Vec<Post>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for t in &d.teams {
        match hooks.iter().find(|(team, _)| *team == t.team_id) {
            Some((_, env)) => out.push(Post {
                team_id: t.team_id.clone(),
                env: env.clone(),
                body: serde_json::json!({ "text": chat(&team_text(t, &d.title)) }).to_string(),
            }),
            None => skipped.push(t.team_id.clone()),
        }
    }
    (out, skipped)
}

/// What `--dry-run` prints: every message, to whom, exactly as it would be sent (an
/// e-mail's plain-text part, then its HTML part).
pub fn dry_run(mails: &[Mail], posts: &[Post]) -> String {
    let mut out = String::new();
    for (n, m) in mails.iter().enumerate() {
        let _ = writeln!(
            out,
            "--- e-mail {} of {} ({})\nTo: {} <{}>\nSubject: {}\n",
            n + 1,
            mails.len(),
            Line(&m.about),
            Line(&m.to_name),
            Line(&m.to_addr),
            Line(&m.subject)
        );
        out.push_str(&crate::render::people::clean(&m.text));
        out.push_str("\n--- HTML part\n");
        out.push_str(&crate::render::people::clean(&m.html));
        out.push('\n');
    }
    for (n, p) in posts.iter().enumerate() {
        let _ = writeln!(
            out,
            "--- webhook {} of {}: team {}, POST to the URL in ${}\n{}\n",
            n + 1,
            posts.len(),
            Line(&p.team_id),
            Line(&p.env),
            crate::render::people::clean(&p.body)
        );
    }
    if out.is_empty() {
        out.push_str("nothing to send: everyone is up to date\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ack::State;
    use crate::model::remind::{PolicyCount, Recipient, TeamSummary};

    fn digests() -> Digests {
        let item = Item {
            policy: "p".into(),
            title: "<script>alert(1)</script> & \"quotes\"".into(),
            revision: 2,
            state: State::Never,
            held_revision: None,
            due: Some(1_767_603_600),
            overdue_days: Some(3),
            link: Some("https://h.example/policies/p.html".into()),
            briefing: None,
        };
        Digests {
            people: vec![PersonDigest {
                to: Recipient {
                    id: "bo".into(),
                    name: "Bo <b@evil>\r\nBcc: x@evil".into(),
                    email: Some("bo@example.com".into()),
                },
                items: vec![std::sync::Arc::new(item.clone())],
            }],
            leads: vec![],
            teams: vec![TeamSummary {
                team_id: "t".into(),
                team: "T <!channel>".into(),
                people_outstanding: 1,
                people_overdue: 1,
                policies: vec![PolicyCount {
                    policy: "p".into(),
                    title: item.title.clone(),
                    outstanding: 1,
                    overdue: 1,
                    link: None,
                }],
            }],
            title: "Handbook".into(),
            base_url: None,
            now: 1_767_603_600 + 3 * 86_400,
        }
    }

    #[test]
    fn html_is_escaped_subjects_stay_on_one_line_and_chat_cannot_mention() {
        let d = digests();
        let (mails, skipped) = mails(&d, &TimeZone::UTC);
        assert!(skipped.is_empty());
        let m = &mails[0];
        assert!(!m.html.contains("<script>"), "{}", m.html);
        assert!(
            m.html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            "{}",
            m.html
        );
        assert!(m.html.contains("Hello Bo &lt;b@evil&gt;"), "{}", m.html);
        assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
        assert!(
            m.text.contains("overdue by 3 days (was due 2026-01-05)"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains("Hello Bo <b@evil>\\x0d\\x0aBcc: x@evil,"),
            "{}",
            m.text
        );
        let (posts, _) = posts(&d, &[("t".into(), "HOOK".into())]);
        let body: serde_json::Value = serde_json::from_str(&posts[0].body).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(
            !text.contains("<!channel>") && !text.contains("<script>"),
            "{text}"
        );
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        // A team without a webhook gets nothing, and is named.
        assert_eq!(super::posts(&d, &[]).1, vec!["t".to_owned()]);
    }
}
