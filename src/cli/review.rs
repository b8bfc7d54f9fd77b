//! `normsctl review`: parse, open, load, set `reviewed` in the file (scaffold::review),
//! print how to commit.

use super::{CommandError, Global, print_people};
use clap::Args;
use normsctl::diag::did_you_mean;
use normsctl::scaffold::review::{self, Recorded};

/// Record that a policy was reviewed today (in the handbook's zone), "no change"
/// included: sets `reviewed:` in its file, changing only that line (or adding one after
/// `revision`). The commit you make next is the record of the review; `log` and the site
/// show it as a review, never as a change to acknowledge.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The policy's id
    #[arg(value_name = "ID")]
    id: String,
    /// What the review found, for the commit message this command suggests
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

pub fn run(global: &Global, args: ReviewArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let loaded = ws.load(&normsctl::load::PolicyCache::none())?;
    let Some(policy) = loaded
        .handbook
        .policies
        .iter()
        .find(|p| p.id.value == args.id)
    else {
        let mut err = CommandError::env(format!("no policy `{}` in the handbook", args.id));
        let ids = loaded.handbook.policies.iter().map(|p| p.id.value.as_str());
        if let Some(near) = did_you_mean(&args.id, ids) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    };
    let today = ws.now()?.to_zoned(ws.tz.clone()).date();
    let rel = policy
        .file
        .strip_prefix(&ws.loc.prefix)
        .unwrap_or(&policy.file);
    let path = ws.loc.root.join(rel);
    let outcome = review::record(&path, &policy.file, today)?;
    let every = policy
        .review_every
        .as_ref()
        .map_or(loaded.handbook.settings.review_every, |e| e.value);
    let next = every
        .after(today)
        .map(|d| format!("; next review due {d} (every {every})"))
        .unwrap_or_default();
    let mut text = match outcome {
        Recorded::Already => format!(
            "`{}` already says `reviewed: {today}`: nothing to change{next}\n",
            policy.id.value
        ),
        Recorded::Set { previous } => format!(
            "{}: reviewed: {today} (was {}){next}\n",
            policy.file,
            previous.as_deref().unwrap_or("not set")
        ),
    };
    // The commit is the record: suggest one, the note as its body.
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.clone());
    let mut command = format!(
        "git commit -m {}",
        shell_quote(&format!("Review {}: no change", policy.id.value))
    );
    if let Some(note) = args.note.as_deref().filter(|n| !n.trim().is_empty()) {
        command.push_str(&format!(" -m {}", shell_quote(note)));
    }
    command.push_str(&format!(
        " -- {}",
        shell_quote(&shown.display().to_string())
    ));
    text.push_str(&format!("commit with: {command}\n"));
    print_people(&text)
}

/// `text` as one POSIX shell word (single quotes; a quote inside closes, escapes, reopens).
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@".contains(&b))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_quote() {
        assert_eq!(super::shell_quote("policies/a.yaml"), "policies/a.yaml");
        assert_eq!(super::shell_quote("it's"), "'it'\\''s'");
        assert_eq!(super::shell_quote("$(rm -rf)"), "'$(rm -rf)'");
    }
}
