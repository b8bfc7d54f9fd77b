//! `normsctl mcp`: the handbook as a Model Context Protocol server, for assistants.
//!
//! It is read-only and public by default: it serves what the public site serves, from the
//! newest commit of the handbook line whose handbook validates ([`served`]), never the
//! working tree. Resources are the policies' texts in force ([`resources`]); tools answer
//! questions with citations ([`tools`], computed by [`answers`], [`history`] and
//! [`acks`]). Acknowledgement data is personal: only with [`AcksScope`] other than `None`,
//! and no tool ever records one. [`server`] speaks the protocol (stdio, or streamable HTTP
//! behind [`crate::http`]'s Host and Origin rules and a bearer token, [`streamable`]) with
//! `rmcp`.
//!
//! Nothing a handbook says reaches what the server says about itself: its instructions,
//! tool descriptions and schemas are constants. Nothing here prints.

pub mod acks;
pub mod answers;
pub mod history;
pub mod resources;
pub mod schemas;
pub mod served;
pub mod server;
pub mod streamable;
pub mod tools;
pub mod watch;

use crate::ack::AckError;
use crate::workspace::WorkspaceError;

/// Whose acknowledgement data the server may show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcksScope {
    /// None (the default): the `acknowledgements` tool is not offered.
    None,
    /// Only the person whose e-mail is git's `user.email`.
    Me,
    /// Anyone's (`--acks=all`, for a lead).
    All,
}

/// Why the server cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Ack(#[from] AckError),
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
    #[error(
        "there is no handbook line: neither `refs/remotes/{remote}/{branch}` nor `refs/heads/{branch}` exists"
    )]
    NoLine { branch: String, remote: String },
    #[error(
        "no commit of {line} has a handbook that validates (tried {tried}); the newest says:\n{newest}"
    )]
    NothingValid {
        line: String,
        tried: usize,
        newest: String,
    },
    #[error("--acks: git's user.email ({0}) is no one's e-mail on the roster")]
    NotOnRoster(String),
    #[error("--acks: git's user.email is not set")]
    NoEmail,
    #[error(transparent)]
    Bind(#[from] crate::http::BindError),
    #[error("the token file {path}: {why}")]
    Token { path: String, why: String },
    #[error("{0}")]
    Io(String),
}

/// A one-line text, at most `max` characters (an ellipsis marks a cut): what lists show
/// of a title or summary a handbook wrote.
pub fn capped(text: &str, max: usize) -> String {
    // Most titles are short printable ASCII with single spaces: already as shown.
    let b = text.as_bytes();
    if b.len() <= max
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && b.iter().all(|c| (b' '..=b'~').contains(c))
        && !b.windows(2).any(|w| w == b"  ")
    {
        return text.to_owned();
    }
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line: String = line
        .chars()
        .filter(|c| !crate::render::people::is_hostile(*c))
        .collect();
    if line.chars().count() <= max {
        return line;
    }
    let mut out: String = line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_is_one_short_line() {
        assert_eq!(capped("a\n\nb\tc", 80), "a b c");
        assert_eq!(capped(&"x".repeat(500), 10).chars().count(), 10);
        assert_eq!(capped("a\u{202e}b", 10), "ab");
        assert_eq!(
            capped("First response, in time", 80),
            "First response, in time"
        );
        assert_eq!(capped(" a  b ", 80), "a b");
        assert_eq!(capped("abc", 2), "a…");
        assert_eq!(capped("a\x7fb", 10), "ab");
    }
}
