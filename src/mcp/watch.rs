//! Following the handbook line: `serve`'s watcher and loop ([`crate::site::watch`]) on
//! the repository's refs; when the line moves, the served state is read again and, if the
//! served commit changed, every client is sent `notifications/resources/list_changed`.

use super::McpError;
use super::server::State;
use crate::site::watch::{self, Watcher};
use crate::workspace::Workspace;
use std::path::PathBuf;
use std::sync::Arc;

/// Starts following the handbook at `root` on a thread of its own. `told` hears what
/// happened (a new commit served, or an error), for the command to show.
pub fn follow(
    root: PathBuf,
    state: Arc<State>,
    runtime: tokio::runtime::Handle,
    told: impl Fn(String) + Send + 'static,
) -> Result<(), McpError> {
    let (mut watcher, rx) =
        Watcher::new().map_err(|e| McpError::Io(format!("cannot watch the handbook: {e}")))?;
    let ws = Workspace::open(Some(&root))?;
    let git_dir = ws.repo()?.path().to_path_buf();
    // Nothing is written: the "output" is a path that never changes.
    let watched = crate::site::watched(
        &ws.loc,
        ws.git(),
        &ws.settings,
        &git_dir.join("normsctl-mcp-writes-nothing"),
    );
    watcher.watch(&watched);
    std::thread::spawn(move || {
        let _keep = watcher;
        watch::run(
            &rx,
            || watched.clone(),
            |changes| {
                if !changes.history {
                    return;
                }
                match super::served::load(&ws, &|_| {}) {
                    Ok(new) => {
                        new.site(state.now());
                        let commit = new.commit;
                        let peers = state.replace(new);
                        if !peers.is_empty() {
                            told(format!("now serving commit {commit}"));
                        }
                        for peer in peers {
                            runtime.spawn(async move {
                                let _ = peer.notify_resource_list_changed().await;
                            });
                        }
                    }
                    Err(e) => told(format!("the handbook line moved, but: {e}")),
                }
            },
            |e| told(format!("watch error: {e}")),
        );
    });
    Ok(())
}
