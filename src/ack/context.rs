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
        if let Some(id) = named {
            return people
                .person(id)
                .ok_or_else(|| AckError::UnknownPerson(id.to_owned()));
        }
        let (_, email) = self.identity()?;
        people
            .by_email(&email)
            .ok_or(AckError::UnknownEmail { email })
    }
}

/// When an entry (and its ledger commit) is recorded, as Unix seconds: the clock, or
/// `GIT_COMMITTER_DATE` (`@<seconds>` or an RFC 3339 time), which git itself honours for
/// commit times. `SOURCE_DATE_EPOCH` makes output reproducible; it never dates a record,
/// so a build environment that sets it cannot backdate an acknowledgement by accident.
pub fn record_time() -> Result<i64, AckError> {
    let Ok(text) = std::env::var("GIT_COMMITTER_DATE") else {
        return Ok(jiff::Timestamp::now().as_second());
    };
    parse_git_date(&text).ok_or(AckError::BadCommitterDate(text))
}

/// `@<seconds>` (what git writes) or an RFC 3339 time, as Unix seconds.
fn parse_git_date(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    match trimmed.strip_prefix('@') {
        Some(rest) => rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<i64>().ok()),
        None => trimmed
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second()),
    }
}

/// The one git signature builder: `name <email>` at `seconds`, with the local offset of
/// that moment (as git would write it). Also gives the moment as RFC 3339 in that offset.
pub fn signature(
    name: &str,
    email: &str,
    seconds: i64,
) -> Result<(git2::Signature<'static>, String), AckError> {
    let time = jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::system());
    let offset_minutes = time.offset().seconds() / 60;
    let signature = git2::Signature::new(name, email, &git2::Time::new(seconds, offset_minutes))?;
    Ok((signature, time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_dates() {
        assert_eq!(parse_git_date("@1767603600 +0100"), Some(1_767_603_600));
        assert_eq!(parse_git_date("2026-01-05T09:00:00Z"), Some(1_767_603_600));
        assert_eq!(parse_git_date("yesterday"), None);
    }

    #[test]
    fn a_signature_carries_the_moment() {
        let (sig, text) = signature("Ana", "ana@example.com", 0).unwrap();
        assert_eq!(sig.when().seconds(), 0);
        assert!(text.starts_with("19"), "{text}");
    }
}
