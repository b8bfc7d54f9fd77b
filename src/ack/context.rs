//! What every acknowledgement use case needs from the opened workspace: its repository,
//! where the handbook sits in the tree, the ledger's refs, and who is at the keyboard.

use super::AckError;
use super::ledger::Ledger;
use super::people::{Member, People};
use super::snapshot::{Layout, Snapshot};
use crate::workspace::Workspace;
use git2::{Oid, Repository};

/// The workspace seen by the ledger.
pub struct Context<'w> {
    pub ws: &'w Workspace,
    pub repo: &'w Repository,
    pub layout: Layout,
    pub ledger: Ledger,
}

impl<'w> Context<'w> {
    /// The ledger of `ws`'s repository (an error outside git).
    pub fn open(ws: &'w Workspace) -> Result<Context<'w>, AckError> {
        let repo = ws.git().ok_or(AckError::NotGit)?;
        Ok(Context {
            ws,
            repo,
            layout: Layout::new(&ws.loc.prefix, &ws.settings),
            ledger: Ledger::new(&ws.settings.acks),
        })
    }

    /// The handbook line acknowledgements are judged against.
    pub fn line(&self) -> Result<super::line::Line, AckError> {
        super::line::Line::open(self.repo, &self.ws.settings.acks, &self.layout.policies)
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<Oid, AckError> {
        crate::workspace::head_of(self.repo).ok_or(AckError::NoCommits)
    }

    /// The handbook as committed at HEAD.
    pub fn snapshot(&self) -> Result<Snapshot, AckError> {
        Ok(Snapshot::at(self.repo, self.head()?, &self.layout)?)
    }

    /// The roster at HEAD, as the ledger's people.
    pub fn people(&self, snap: &Snapshot) -> Result<People, AckError> {
        snap.people(self.repo, &self.layout)
            .ok_or_else(|| AckError::NoRoster(self.layout.roster.clone()))
    }

    /// The id of the person `who` names (an id or any of their e-mail addresses) on the
    /// roster of the handbook line's tip, for the reports that take a person.
    pub fn person_id(&self, who: &str) -> Result<String, AckError> {
        let line = self.line()?;
        let snap = Snapshot::at(self.repo, line.tip, &self.layout)?;
        let people = self.people(&snap)?;
        Ok(people.resolve(who)?.id.clone())
    }

    /// git's user.name and user.email.
    pub fn identity(&self) -> Result<(String, String), AckError> {
        let config = self.repo.config()?;
        let name = config.get_string("user.name").ok();
        let email = config.get_string("user.email").ok();
        match (name, email) {
            (Some(n), Some(e)) if !e.trim().is_empty() => Ok((n, e)),
            _ => Err(AckError::NoIdentity),
        }
    }

    /// The person a command acts for: `named` (`--as`), else git's user.email matched to
    /// the roster.
    pub fn whoami<'p>(
        &self,
        people: &'p People,
        named: Option<&str>,
    ) -> Result<&'p Member, AckError> {
        if let Some(who) = named {
            return people.resolve(who);
        }
        let (_, email) = self.identity()?;
        people
            .by_email(&email)
            .ok_or(AckError::UnknownEmail { email })
    }
}

/// When an entry (and its ledger commit) is recorded: Unix seconds, and the UTC offset the
/// environment gave with it (`None`: the local zone's offset at that moment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordTime {
    pub seconds: i64,
    pub offset_seconds: Option<i32>,
}

/// When an entry (and its ledger commit) is recorded: the clock, or `GIT_COMMITTER_DATE`
/// (`@<seconds> [+hhmm]` or an RFC 3339 time, whose offset is kept), which git itself
/// honours for commit times. `SOURCE_DATE_EPOCH` makes output reproducible; it never dates
/// a record, so a build environment that sets it cannot backdate an acknowledgement by
/// accident. A moment that cannot be represented (past year 9999) is refused, never
/// recorded as another.
pub fn record_time() -> Result<RecordTime, AckError> {
    let Ok(text) = std::env::var("GIT_COMMITTER_DATE") else {
        return Ok(RecordTime {
            seconds: jiff::Timestamp::now().as_second(),
            offset_seconds: None,
        });
    };
    let time = parse_git_date(&text).ok_or_else(|| AckError::BadCommitterDate(text.clone()))?;
    if jiff::Timestamp::from_second(time.seconds).is_err()
        || time
            .offset_seconds
            .is_some_and(|o| jiff::tz::Offset::from_seconds(o).is_err())
    {
        return Err(AckError::CommitterDateOutOfRange(text));
    }
    Ok(time)
}

/// `@<seconds> [+hhmm]` (what git writes) or an RFC 3339 time, with its offset.
fn parse_git_date(text: &str) -> Option<RecordTime> {
    let trimmed = text.trim();
    match trimmed.strip_prefix('@') {
        Some(rest) => {
            let mut parts = rest.split_whitespace();
            let seconds = parts.next()?.parse::<i64>().ok()?;
            let offset_seconds = match parts.next() {
                None => None,
                Some(o) => Some(git_offset(o)?),
            };
            Some(RecordTime {
                seconds,
                offset_seconds,
            })
        }
        None => {
            let seconds = trimmed.parse::<jiff::Timestamp>().ok()?.as_second();
            let offset_seconds = if trimmed.ends_with(['Z', 'z']) {
                0
            } else {
                let tail = trimmed.get(trimmed.len().checked_sub(6)?..)?;
                git_offset(&tail.replace(':', ""))?
            };
            Some(RecordTime {
                seconds,
                offset_seconds: Some(offset_seconds),
            })
        }
    }
}

/// `+hhmm` or `-hhmm` as seconds east of UTC.
fn git_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The one git signature builder: `name <email>` at `time`, with its offset (or the local
/// offset of that moment, as git would write it). Also gives the moment as RFC 3339 in
/// that offset.
pub fn signature(
    name: &str,
    email: &str,
    time: RecordTime,
) -> Result<(git2::Signature<'static>, String), AckError> {
    let stamp = jiff::Timestamp::from_second(time.seconds)
        .map_err(|_| AckError::CommitterDateOutOfRange(format!("@{}", time.seconds)))?;
    let zone = match time
        .offset_seconds
        .and_then(|o| jiff::tz::Offset::from_seconds(o).ok())
    {
        Some(offset) => jiff::tz::TimeZone::fixed(offset),
        None => jiff::tz::TimeZone::system(),
    };
    let zoned = stamp.to_zoned(zone);
    let offset_minutes = zoned.offset().seconds() / 60;
    let signature =
        git2::Signature::new(name, email, &git2::Time::new(time.seconds, offset_minutes))?;
    Ok((
        signature,
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, offset_seconds: Option<i32>) -> Option<RecordTime> {
        Some(RecordTime {
            seconds,
            offset_seconds,
        })
    }

    #[test]
    fn git_dates() {
        assert_eq!(
            parse_git_date("@1767603600 +0100"),
            at(1_767_603_600, Some(3600))
        );
        assert_eq!(parse_git_date("@1767603600"), at(1_767_603_600, None));
        assert_eq!(
            parse_git_date("2026-01-05T09:00:00Z"),
            at(1_767_603_600, Some(0))
        );
        assert_eq!(
            parse_git_date("2026-01-05T10:00:00+01:00"),
            at(1_767_603_600, Some(3600))
        );
        assert_eq!(parse_git_date("yesterday"), None);
    }

    #[test]
    fn a_signature_carries_the_moment_and_its_offset() {
        let (sig, text) = signature(
            "Ana",
            "ana@example.com",
            RecordTime {
                seconds: 0,
                offset_seconds: None,
            },
        )
        .unwrap();
        assert_eq!(sig.when().seconds(), 0);
        assert!(text.starts_with("19"), "{text}");
        let (sig, text) = signature(
            "Ana",
            "ana@example.com",
            RecordTime {
                seconds: 1_796_115_600,
                offset_seconds: Some(3600),
            },
        )
        .unwrap();
        assert_eq!(sig.when().offset_minutes(), 60);
        assert_eq!(text, "2026-12-01T10:00:00+01:00");
    }
}
