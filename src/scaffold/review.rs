//! `review ID`: record a policy's review by setting its `reviewed` date in the file, in
//! place. Only that key's line changes (its comment kept), or one line is added after
//! `revision`; every other byte of the file stays as the author wrote it. The edit is
//! checked by reading the result back (only `reviewed` may differ), and written
//! atomically. The commit that follows is the record of the review.

use jiff::civil::Date;
use std::path::Path;

/// Why a file could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{path}: cannot set `reviewed` in place ({why})")]
    CannotEdit { path: String, why: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What [`record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The file now says `reviewed: <date>`; it said the previous date (if any) before.
    Set { previous: Option<String> },
    /// The file already said `reviewed: <date>`: nothing was written.
    Already,
}

/// Sets `reviewed: <date>` in the policy file at `path` (`shown` names it in errors).
pub fn record(path: &Path, shown: &str, date: Date) -> Result<Recorded, ReviewError> {
    let io = |source| ReviewError::Io {
        path: shown.to_owned(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let cannot = |why| ReviewError::CannotEdit {
        path: shown.to_owned(),
        why,
    };
    let (edited, previous) = set_reviewed(&text, date).map_err(cannot)?;
    if edited == text {
        return Ok(Recorded::Already);
    }
    crate::atomic::write(path, edited.as_bytes()).map_err(io)?;
    Ok(Recorded::Set { previous })
}

/// `text` with its top-level `reviewed:` line set to `date` (its trailing comment kept),
/// or a line added after `revision:` (at the end without one), and the value it had.
/// Refused when the result would read differently in anything but `reviewed` (a flow-style
/// document, a key written twice, a multi-line value).
pub fn set_reviewed(text: &str, date: Date) -> Result<(String, Option<String>), &'static str> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = |key: &str| -> Vec<usize> {
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(':'))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let reviewed = at("reviewed");
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let previous;
    match reviewed.as_slice() {
        [i] => {
            let line = lines[*i];
            let end = line.len() - line.trim_end_matches(['\r', '\n']).len();
            let (body, eol) = line.split_at(line.len() - end);
            let colon = body.find(':').expect("matched a colon");
            let value = &body[colon + 1..];
            // The value runs to a ` #` comment (dates and their quotes hold no `#`); the
            // spaces before the comment stay with it.
            let hash = value
                .char_indices()
                .find(|&(i, c)| c == '#' && value[..i].ends_with([' ', '\t']))
                .map(|(i, _)| i);
            let (value, comment) = match hash {
                Some(h) => {
                    let start = value[..h].trim_end_matches([' ', '\t']).len();
                    value.split_at(start)
                }
                None => (value, ""),
            };
            let old = value.trim().trim_matches(['"', '\'']);
            previous = (!old.is_empty()).then(|| old.to_owned());
            let eol = if eol.is_empty() { newline } else { eol };
            out[*i] = format!("{}: {date}{comment}{eol}", &body[..colon].trim_end());
        }
        [] => {
            previous = None;
            let line = format!("reviewed: {date}{newline}");
            match at("revision").as_slice() {
                [i] => out.insert(i + 1, line),
                [] => {
                    if out.last().is_some_and(|l| !l.ends_with('\n')) {
                        out.push(newline.to_owned());
                    }
                    out.push(line)
                }
                _ => return Err("`revision` is written more than once"),
            }
        }
        _ => return Err("`reviewed` is written more than once"),
    }
    let edited = out.concat();
    // The edit must read back as the same document with only `reviewed` set to `date`.
    let changes = crate::diff::compare(text, &edited);
    let only_reviewed = changes.body.is_none()
        && changes.fields.iter().all(|f| f.key() == "reviewed")
        && crate::diff::Fields::of(&edited).text("reviewed") == date.to_string();
    if !only_reviewed {
        return Err("the file is not written one key per line; add `reviewed:` by hand");
    }
    Ok((edited, previous))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const DAY: Date = date(2026, 12, 2);

    #[test]
    fn replaces_the_value_and_keeps_the_comment() {
        let text = "id: a\nrevision: 2\nreviewed: \"2025-01-01\"   # by ana\nbody: |\n  reviewed: not a key\n";
        let (out, previous) = set_reviewed(text, DAY).unwrap();
        assert_eq!(
            out,
            "id: a\nrevision: 2\nreviewed: 2026-12-02   # by ana\nbody: |\n  reviewed: not a key\n"
        );
        assert_eq!(previous.as_deref(), Some("2025-01-01"));
    }

    #[test]
    fn adds_a_line_after_revision_keeping_crlf() {
        let text = "id: a\r\nrevision: 2 # raise for material changes\r\ntitle: A\r\n";
        let (out, previous) = set_reviewed(text, DAY).unwrap();
        assert_eq!(
            out,
            "id: a\r\nrevision: 2 # raise for material changes\r\nreviewed: 2026-12-02\r\ntitle: A\r\n"
        );
        assert_eq!(previous, None);
    }

    #[test]
    fn refuses_what_it_cannot_edit_line_by_line() {
        assert!(set_reviewed("{id: a, revision: 2}\n", DAY).is_err());
        assert!(set_reviewed("reviewed: 2025-01-01\nreviewed: 2025-01-02\n", DAY).is_err());
        let (out, _) = set_reviewed("id: a", DAY).unwrap();
        assert_eq!(out, "id: a\nreviewed: 2026-12-02\n");
    }
}
