//! The portal's key along the handbook line: which public key, declared in the settings'
//! `portal.key` (reviewed like any change, anchored after a ledger commit like a person's
//! `signing_key`), vouches for an entry's `via`. An entry's `via` is believed only when
//! the portal key in force for that entry verifies its signature; anything else claiming
//! it is "written by X, claim not verified". Nothing here prints.

use super::AckError;
use super::keys::{Anchors, KeyState};
use super::line::Line;
use super::snapshot::Layout;
use crate::model::ack::{Parsed, ViaShown};
use git2::{ObjectType, Oid, Repository};
use std::path::Path;

/// The states of `portal.key` along the line, oldest first, each differing from the one
/// before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortalKeys {
    states: Vec<KeyState>,
}

/// The person id under which anchors look up an entry: the entry's own person (an anchor
/// holds the entries of that person's folder).
impl PortalKeys {
    /// Reads the settings at every commit of the line (each distinct settings file once).
    pub fn of(repo: &Repository, line: &Line, layout: &Layout) -> Result<PortalKeys, AckError> {
        let mut out = PortalKeys::default();
        let mut last_blob = None;
        for &commit in line.commits() {
            let blob = repo
                .find_commit(commit)?
                .tree()?
                .get_path(Path::new(&layout.settings))
                .ok()
                .filter(|e| e.kind() == Some(ObjectType::Blob))
                .map(|e| e.id());
            if blob == last_blob {
                continue;
            }
            last_blob = blob;
            let settings = super::snapshot::settings_at(repo, commit, layout);
            let state = KeyState {
                key: settings.portal.key.clone(),
                after: settings.portal.key_after.clone(),
            };
            if out.states.last() != Some(&state) {
                out.states.push(state);
            }
        }
        Ok(out)
    }

    /// What the entry's `via` is worth: `None` when it claims none.
    pub fn shown(
        &self,
        anchors: &mut Anchors<'_>,
        parsed: &Parsed,
        payload: &[u8],
        file: Oid,
    ) -> Result<Option<ViaShown>, AckError> {
        let Some(via) = &parsed.entry.via else {
            return Ok(None);
        };
        let key = anchors
            .state_for(&self.states, &parsed.entry.person, file)?
            .and_then(|s| s.key.as_deref());
        let verified = match (key, &parsed.signature) {
            (Some(key), Some(sig)) => super::sign::verify(key, payload, sig).is_ok(),
            _ => false,
        };
        let w = &parsed.entry.writer;
        Ok(Some(if verified {
            ViaShown::Verified(via.clone())
        } else {
            ViaShown::Unverified {
                writer: format!("{} <{}>", w.name, w.email),
            }
        }))
    }
}

/// What `via` is worth for one entry file, judged on its own (for `acks show`).
pub fn shown_for(
    repo: &Repository,
    cx: &super::Context,
    parsed: &Parsed,
    payload: &[u8],
    file: Oid,
) -> Result<Option<ViaShown>, AckError> {
    if parsed.entry.via.is_none() {
        return Ok(None);
    }
    let line = cx.line()?;
    let keys = PortalKeys::of(repo, &line, &cx.layout)?;
    let mut anchors = Anchors::new(repo, cx.ledger.tips(repo)?);
    keys.shown(&mut anchors, parsed, payload, file)
}
