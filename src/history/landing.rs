//! What a revision records of the commit that landed it: its subject, its author, and when
//! it landed.
//!
//! The walk has read every commit raw already (for its tree and first parent), so a plain
//! commit is parsed here from those bytes instead of being read and parsed again by
//! libgit2 (a twentieth of a cold build). Plain means: valid UTF-8 without NUL, a `tree`,
//! at most one `parent`, one `author` and one `committer` of the usual form, no other
//! header, then the message. Anything else (a merge, a signed commit, an `encoding`, a
//! name with stray spaces, a time zone libgit2 would drop) is left to libgit2, so the
//! answer is libgit2's either way; a test compares the two on every odd form. Nothing here
//! prints.

use super::Stamp;
use git2::Oid;

/// Who made a change, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Signed {
    pub(super) name: String,
    pub(super) email: String,
    pub(super) when: Stamp,
}

impl Signed {
    pub(super) fn of(signature: &git2::Signature) -> Signed {
        Signed {
            name: signature.name().unwrap_or_default().to_owned(),
            email: signature.email().unwrap_or_default().to_owned(),
            when: Stamp::of(signature.when()),
        }
    }
}

/// What a revision records of its commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Landing {
    pub(super) id: Oid,
    /// The message's first paragraph on one line (libgit2's summary).
    pub(super) subject: String,
    pub(super) author: Signed,
    /// The committer's time.
    pub(super) landed: Stamp,
}

impl Landing {
    /// As libgit2 reads `commit`.
    pub(super) fn of(commit: &git2::Commit) -> Landing {
        Landing {
            id: commit.id(),
            subject: commit
                .summary()
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_owned(),
            author: Signed::of(&commit.author()),
            landed: Stamp::of(commit.committer().when()),
        }
    }

    /// Commit `id` from its raw bytes, when it is a plain commit (see the module's doc).
    pub(super) fn parse(id: Oid, raw: &[u8]) -> Option<Landing> {
        if memchr::memchr(0, raw).is_some() {
            return None;
        }
        let text = std::str::from_utf8(raw).ok()?;
        let mut rest = text;
        let mut line = || -> Option<&str> {
            let (line, after) = rest.split_at(memchr::memchr(b'\n', rest.as_bytes())?);
            rest = &after[1..];
            Some(line)
        };
        hex(line()?.strip_prefix("tree ")?)?;
        let mut next = line()?;
        if let Some(parent) = next.strip_prefix("parent ") {
            hex(parent)?;
            next = line()?;
        }
        let author = signed(next.strip_prefix("author ")?)?;
        let committer = signed(line()?.strip_prefix("committer ")?)?;
        // Then the blank line, and the message.
        if !line()?.is_empty() {
            return None;
        }
        Some(Landing {
            id,
            subject: summary(rest.as_bytes()),
            author,
            landed: committer.when,
        })
    }
}

/// An object id as a commit header gives it: 40 hex digits.
fn hex(text: &str) -> Option<()> {
    (text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())).then_some(())
}

/// libgit2's whitespace (C's `isspace`).
fn space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `Name <email> seconds +hhmm`, with exactly one `<` and one `>`, nothing to trim around
/// the name or the address, and an offset libgit2 keeps (at most 14 hours, 59 minutes).
fn signed(text: &str) -> Option<Signed> {
    let count = |byte| memchr::memchr_iter(byte, text.as_bytes()).count();
    if count(b'<') != 1 || count(b'>') != 1 {
        return None;
    }
    let (name, rest) = text.split_once(" <")?;
    let (email, rest) = rest.split_once("> ")?;
    let trimmed = |s: &str| s.trim_matches(|c: char| c.is_ascii() && space(c as u8)) == s;
    if name.is_empty() || !trimmed(name) || !trimmed(email) {
        return None;
    }
    let (seconds, zone) = rest.split_once(' ')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(seconds) || seconds.len() > 18 {
        return None;
    }
    let (sign, hhmm) = (zone.get(..1)?, zone.get(1..)?);
    if !matches!(sign, "+" | "-") || hhmm.len() != 4 || !digits(hhmm) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hhmm[..2].parse().ok()?, hhmm[2..].parse().ok()?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    let offset = hours * 60 + minutes;
    Some(Signed {
        name: name.to_owned(),
        email: email.to_owned(),
        when: Stamp {
            seconds: seconds.parse().ok()?,
            offset_minutes: if sign == "-" { -offset } else { offset },
        },
    })
}

/// libgit2's summary of a raw message: leading newlines skipped, the first paragraph (up
/// to a line that is empty or only whitespace), each run of whitespace that holds a line
/// break made one space, other runs kept, trailing whitespace dropped.
fn summary(message: &[u8]) -> String {
    let start = message.iter().position(|b| *b != b'\n');
    let message = &message[start.unwrap_or(message.len())..];
    let mut out = Vec::with_capacity(message.len().min(128));
    let mut run: Option<(usize, bool)> = None;
    for (at, &byte) in message.iter().enumerate() {
        if byte == b'\n' {
            let next = &message[at + 1..];
            let blank = next
                .iter()
                .position(|b| !(space(*b) && *b != b'\n'))
                .is_none_or(|n| next[n] == b'\n');
            if blank {
                break;
            }
        }
        if space(byte) {
            let (_, newline) = run.get_or_insert((at, false));
            *newline |= byte == b'\n';
        } else {
            if let Some((from, newline)) = run.take() {
                match newline {
                    true => out.push(b' '),
                    false => out.extend_from_slice(&message[from..at]),
                }
            }
            out.push(byte);
        }
    }
    // Whitespace is ASCII, so the bytes kept are still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests;
