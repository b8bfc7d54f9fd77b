//! The messages `acks remind --send` delivers: one e-mail per person and per lead (a
//! plain-text and an HTML part, the HTML escaped like the site's pages), and one webhook
//! post per team (`{"text": …}`, which Slack, Mattermost and Microsoft Teams incoming
//! webhooks accept). Also what `--dry-run` prints: exactly these, to whom.

use super::{Zone, body_lines, how_to, lead_text, person_text, plural, team_text, why};
use crate::diff::Op;
use crate::model::Webhook;
use crate::model::remind::{Digests, Item, LeadDigest, PersonDigest};
use crate::render::markdown::escape_html;
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

fn page_start(out: &mut String, title: &str) {
    out.push_str("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>");
    out.push_str(&escape_html(title));
    out.push_str("</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.4\">\n");
}

const PAGE_END: &str = "</body></html>\n";

pub(super) fn link(i: &Item) -> String {
    match &i.link {
        Some(l) if l.starts_with("https://") || l.starts_with("http://") => {
            format!(
                "<a href=\"{}\">{}</a>",
                escape_html(l),
                escape_html(&i.title)
            )
        }
        _ => escape(&i.title),
    }
}

/// An item of a personal digest as an HTML list entry (`when`: [`when`]'s words).
pub(super) fn item_html(b: &mut String, i: &Item, when: &str, tz: &Zone) {
    let _ = write!(
        b,
        "<li><strong>{}</strong> (<code>{}</code>), revision {}: {}<br>{}",
        link(i),
        escape_html(&i.policy),
        i.revision,
        escape_html(when),
        escape_html(&why(i))
    );
    if let Some(br) = &i.briefing {
        match tz
            .briefings
            .get(&(std::sync::Arc::as_ptr(br) as *const u8 as usize))
        {
            Some((_, html)) => b.push_str(html),
            None => b.push_str(&briefing_html(br)),
        }
    }
    b.push_str("</li>\n");
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
    person_html_into(&mut b, d, all, tz);
    b
}

fn person_html_into(b: &mut String, d: &PersonDigest, all: &Digests, tz: &Zone) {
    page_start(b, &all.title);
    let _ = writeln!(b, "<p>Hello {},</p>", escape_html(&d.to.name));
    let _ = writeln!(
        b,
        "<p>You have {} of {} to acknowledge.</p>\n<ol>",
        plural(d.items.len(), "policy", "policies"),
        escape_html(&all.title)
    );
    for i in &d.items {
        b.push_str(&tz.item(i).html);
    }
    b.push_str("</ol>\n<pre>");
    b.push_str(&escape_html(&how_to(&d.items)));
    b.push_str("</pre>\n");
    b.push_str(PAGE_END);
}

/// A lead's digest as HTML.
pub fn lead_html(d: &LeadDigest, all: &Digests, tz: &Zone) -> String {
    let mut b = String::new();
    lead_html_into(&mut b, d, all, tz);
    b
}

fn lead_html_into(b: &mut String, d: &LeadDigest, all: &Digests, tz: &Zone) {
    page_start(b, &all.title);
    let _ = writeln!(b, "<p>Hello {},</p>", escape_html(&d.to.name));
    let _ = writeln!(
        b,
        "<p>In {}, {} policies to acknowledge. Overdue first:</p>\n<ul>",
        escape_html(&d.team),
        plural(d.people.len(), "person has", "people have")
    );
    for p in &d.people {
        let _ = write!(b, "<li><strong>{}</strong>: ", escape_html(&p.to.name));
        for (n, i) in p.items.iter().enumerate() {
            if n > 0 {
                b.push_str("; ");
            }
            b.push_str(&tz.item(i).short_html);
        }
        b.push_str("</li>\n");
    }
    b.push_str("</ul>\n");
    b.push_str(PAGE_END);
}

/// Which digest an e-mail carries.
#[derive(Clone, Copy, Debug)]
pub enum Of<'a> {
    Person(&'a PersonDigest),
    Lead(&'a LeadDigest),
}

/// An e-mail before its parts are rendered: to whom, about what.
#[derive(Clone, Debug)]
pub struct Envelope<'a> {
    /// Who it is about, for reports (`ana`, `ana (lead of tier1)`).
    pub about: String,
    pub to_name: &'a str,
    pub to_addr: &'a str,
    pub digest: Of<'a>,
}

/// Every e-mail of a run, not yet rendered: each person's digest, then each lead's, at the
/// first address on the roster; `skipped` names the people with no address (they get
/// nothing).
pub fn envelopes(d: &Digests) -> (Vec<Envelope<'_>>, Vec<String>) {
    let mut skipped = Vec::new();
    let mut out = Vec::new();
    for p in &d.people {
        match &p.to.email {
            Some(addr) => out.push(Envelope {
                about: p.to.id.clone(),
                to_name: &p.to.name,
                to_addr: addr,
                digest: Of::Person(p),
            }),
            None => skipped.push(p.to.id.clone()),
        }
    }
    for l in &d.leads {
        let about = format!("{} (lead of {})", l.to.id, l.team_id);
        match &l.to.email {
            Some(addr) => out.push(Envelope {
                about,
                to_name: &l.to.name,
                to_addr: addr,
                digest: Of::Lead(l),
            }),
            None => skipped.push(about),
        }
    }
    (out, skipped)
}

/// The subject of an envelope's e-mail.
fn subject_of(e: &Envelope, d: &Digests) -> String {
    match e.digest {
        Of::Person(p) => {
            let overdue = p.items.iter().filter(|i| i.overdue()).count();
            subject(format!(
                "[{}] {} to acknowledge{}",
                all_title(d),
                plural(p.items.len(), "policy", "policies"),
                if overdue > 0 {
                    format!(", {overdue} overdue")
                } else {
                    String::new()
                }
            ))
        }
        Of::Lead(l) => subject(format!(
            "[{}] {}: {} policies to acknowledge",
            all_title(d),
            l.team,
            plural(l.people.len(), "person has", "people have")
        )),
    }
}

/// Renders an envelope's e-mail.
pub fn render(e: &Envelope, d: &Digests, tz: &Zone) -> Mail {
    let (text, html) = match e.digest {
        Of::Person(p) => (person_text(p, d, tz), person_html(p, d, tz)),
        Of::Lead(l) => (lead_text(l, tz), lead_html(l, d, tz)),
    };
    Mail {
        about: e.about.clone(),
        to_name: e.to_name.to_owned(),
        to_addr: e.to_addr.to_owned(),
        subject: subject_of(e, d),
        text,
        html,
    }
}

/// Every e-mail of a run: each person's digest, then each lead's, at the first address on
/// the roster; `skipped` names the people with no address (they get nothing).
pub fn mails(d: &Digests, tz: &TimeZone) -> (Vec<Mail>, Vec<String>) {
    use rayon::prelude::*;
    let tz = &Zone::of(d, tz);
    let (envelopes, skipped) = envelopes(d);
    // Thousands of digests: rendered on every core, in roster order.
    let out = envelopes.par_iter().map(|e| render(e, d, tz)).collect();
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
pub fn posts(d: &Digests, hooks: &[Webhook]) -> (Vec<Post>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for t in &d.teams {
        match hooks.iter().find(|h| h.team.value == t.team_id) {
            Some(Webhook { env, .. }) => out.push(Post {
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
/// e-mail's plain-text part, then its HTML part), every hostile character escaped.
pub fn dry_run(d: &Digests, tz: &TimeZone, mails: &[Envelope], posts: &[Post]) -> String {
    let mut out = Vec::new();
    let _ = write_dry_run(&mut out, d, tz, mails, posts);
    String::from_utf8(out).unwrap_or_default()
}

/// [`dry_run`] written to `w` as it is rendered: each e-mail straight into one buffer (its
/// header, text part and HTML part), a batch at a time on every core.
pub fn write_dry_run(
    w: &mut dyn std::io::Write,
    d: &Digests,
    tz: &TimeZone,
    mails: &[Envelope],
    posts: &[Post],
) -> std::io::Result<()> {
    let tz = &Zone::of(d, tz);
    let numbered: Vec<(usize, &Envelope)> = mails.iter().enumerate().collect();
    super::stream(w, &numbered, |(n, m), out| {
        let _ = writeln!(
            out,
            "--- e-mail {} of {} ({})\nTo: {} <{}>\nSubject: {}\n",
            n + 1,
            mails.len(),
            Line(&m.about),
            Line(m.to_name),
            Line(m.to_addr),
            Line(&subject_of(m, d))
        );
        match m.digest {
            Of::Person(p) => super::person_text_into(out, p, d, tz),
            Of::Lead(l) => super::lead_text_into(out, l, tz),
        }
        out.push_str("\n--- HTML part\n");
        match m.digest {
            Of::Person(p) => person_html_into(out, p, d, tz),
            Of::Lead(l) => lead_html_into(out, l, d, tz),
        }
        out.push('\n');
    })?;
    super::stream(
        w,
        &posts.iter().enumerate().collect::<Vec<_>>(),
        |(n, p), out| {
            let _ = writeln!(
                out,
                "--- webhook {} of {}: team {}, POST to the URL in ${}\n{}\n",
                n + 1,
                posts.len(),
                Line(&p.team_id),
                Line(&p.env),
                p.body
            );
        },
    )?;
    if mails.is_empty() && posts.is_empty() {
        w.write_all(b"nothing to send: everyone is up to date\n")?;
    }
    Ok(())
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
        let hook = Webhook {
            team: crate::model::Located::new("t".into(), crate::diag::Pos::START),
            env: "HOOK".into(),
            file: "normsctl.yaml".into(),
        };
        let (posts, _) = posts(&d, &[hook]);
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
