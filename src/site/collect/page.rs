//! One policy's page data: its text decoded, the names it links to, the metric card and
//! the target in words.

use super::*;
use crate::site::words::Words;

pub(super) struct Links<'a> {
    pub(super) titles: &'a HashMap<&'a str, (&'a str, bool)>,
    /// The fixed-words table's words for metric rules.
    pub(super) words: &'a Words,
}

impl Links<'_> {
    pub(super) fn one(&self, id: &str) -> Link {
        match self.titles.get(id) {
            Some((title, retired)) => Link {
                id: id.to_owned(),
                title: (*title).to_owned(),
                href: Some(format!("policies/{id}.html")),
                retired: *retired,
            },
            None => Link {
                id: id.to_owned(),
                title: id.to_owned(),
                href: None,
                retired: false,
            },
        }
    }

    pub(super) fn many<'s>(&self, ids: impl IntoIterator<Item = &'s str>) -> Vec<Link> {
        ids.into_iter().map(|id| self.one(id)).collect()
    }

    fn located(&self, ids: &[Located<String>]) -> Vec<Link> {
        self.many(ids.iter().map(|l| l.value.as_str()))
    }
}

pub(super) fn decode(path: &str, text: &str, id: &str) -> Option<Policy> {
    let node = crate::yaml::parse(text).ok()??;
    let mut d = crate::load::decode::Decoder::new(path, text);
    crate::load::policy::decode(&mut d, &node, id)
}

pub(super) fn bare_page(id: &str, path: &str) -> PolicyPage {
    PolicyPage {
        id: id.to_owned(),
        kind: "norm",
        title: id.to_owned(),
        summary: String::new(),
        body: String::new(),
        body_html: String::new(),
        owner: None,
        applies_to: Vec::new(),
        revision: None,
        effective: None,
        upcoming: false,
        in_force_since: None,
        in_force_from: None,
        next: Vec::new(),
        ack_required: false,
        ack_due_days: None,
        tags: Vec::new(),
        related: Vec::new(),
        replaces: Vec::new(),
        replaced_by: Vec::new(),
        metric: None,
        path: path.to_owned(),
        status: "current",
        uncommitted: None,
        last_changed: None,
        retired: None,
        history: Arc::default(),
    }
}

pub(super) fn page_of(
    p: &Policy,
    roster: Option<&Roster>,
    links: &Links<'_>,
    clock: &Clock<'_>,
    cache: &mut Bodies,
) -> PolicyPage {
    let body = p.body.clone().unwrap_or_default();
    PolicyPage {
        id: p.id.value.clone(),
        kind: p.kind.as_str(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        body_html: cache.html(&body),
        body,
        owner: p.owner.as_ref().map(|o| named(roster, &o.value)),
        applies_to: p
            .applies_to()
            .into_iter()
            .map(|a| named(roster, a))
            .collect(),
        revision: Some(p.revision.value),
        effective: p.effective.as_ref().map(|e| e.value.to_string()),
        upcoming: p.effective.as_ref().is_some_and(|e| e.value > clock.today),
        in_force_since: None,
        in_force_from: None,
        next: Vec::new(),
        ack_required: p.ack == crate::model::AckMode::Required,
        ack_due_days: p.ack_due_days,
        tags: p.tags.clone(),
        related: links.located(&p.related),
        replaces: links.located(&p.replaces),
        replaced_by: Vec::new(),
        metric: p.metric.as_ref().map(|m| metric_card(m, links)),
        path: p.file.clone(),
        status: "current",
        uncommitted: None,
        last_changed: None,
        retired: None,
        history: Arc::default(),
    }
}

/// A roster id with its name; ids the roster does not know show as themselves.
pub(super) fn named(roster: Option<&Roster>, id: &str) -> Named {
    let name = if id == EVERYONE {
        Some("Everyone".to_owned())
    } else {
        roster.and_then(|r| {
            r.person(id)
                .map(|p| p.name.clone())
                .or_else(|| r.team(id).map(|t| t.name.clone()))
                .or_else(|| r.role(id).map(|t| t.name.clone()))
        })
    };
    Named {
        id: id.to_owned(),
        name: name.unwrap_or_else(|| id.to_owned()),
    }
}

pub(super) fn metric_card(m: &Metric, links: &Links<'_>) -> MetricCard {
    let target = links.words.target(&m.target, &m.unit);
    let stat = links.words.statistic(&m.statistic);
    MetricCard {
        rule: links.words.rule(&stat, &target, &m.window),
        target_data: match m.target {
            Target::Compare { op, value } => TargetData::Compare {
                op: op.as_str(),
                value,
            },
            Target::Range { min, max } => TargetData::Range { min, max },
        },
        statistic_words: stat,
        level: match m.level {
            Level::Individual => "individual",
            Level::Team => "team",
        },
        measures: m.measures.clone(),
        source: m.source.clone(),
        unit: m.unit.clone(),
        statistic: m.statistic.clone(),
        target,
        window: m.window.clone(),
        controllable: m.controllable,
        visibility: match m.visibility() {
            Visibility::Private => "private",
            Visibility::Team => "team",
            Visibility::Public => "public",
        },
        gaming_risk: m.gaming_risk.clone(),
        guardrails: links.located(&m.guardrails),
        waived: Vec::new(),
    }
}

/// A metric's rule in words: `median at most 30 minutes, each week` (the built-in English).
pub fn rule_words(statistic: &str, target: &str, window: &str) -> String {
    Words::english().rule(statistic, target, window)
}

/// A target in words: `at most 60 minutes`, `at least 85%`, `between 2 and 4 tickets` (the
/// built-in English).
pub fn target_words(target: &Target, unit: &str) -> String {
    Words::english().target(target, unit)
}

/// A statistic in words: `p90` is `90th percentile`, `mean` is `average` (the built-in
/// English).
pub fn statistic_words(statistic: &str) -> String {
    Words::english().statistic(statistic)
}
