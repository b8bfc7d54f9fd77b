//! The portal's background pushes: after each acknowledgement (and every so often), the
//! ledger is synced with the remote by the `acks sync` mechanism (fetch, merge, push
//! without force), and the handbook line is fetched. A remote that is down delays pushes:
//! the entries stay in the local ledger, and the next round (retried with a growing pause)
//! pushes them. Nothing here prints: what happens goes to the caller's log sink.

use super::Config;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Wakes the pusher and tells how it fares.
#[derive(Default)]
pub struct Pusher {
    wake: Mutex<bool>,
    cvar: Condvar,
    /// Whether entries recorded here may not be on the remote yet.
    pub pending: AtomicBool,
    /// Rounds that failed in a row.
    pub failures: AtomicU64,
    /// Rounds that succeeded.
    pub pushes: AtomicU64,
}

impl Pusher {
    /// Asks for a push soon (after an acknowledgement).
    pub fn notify(&self) {
        self.pending.store(true, Ordering::SeqCst);
        if let Ok(mut w) = self.wake.lock() {
            *w = true;
        }
        self.cvar.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let Ok(guard) = self.wake.lock() else { return };
        let (mut guard, _) = self
            .cvar
            .wait_timeout_while(guard, timeout, |w| !*w)
            .unwrap_or_else(|e| e.into_inner());
        *guard = false;
    }
}

/// One round: fetch the line, sync the ledger. `Err` carries git's reason.
fn round(cfg: &Config) -> Result<bool, String> {
    let ws = super::pages::open(&cfg.root).map_err(|e| e.to_string())?;
    let cx = crate::ack::Context::open(&ws).map_err(|e| e.to_string())?;
    if cx.repo.find_remote(&cfg.remote).is_err() {
        return Ok(false);
    }
    let idle = Duration::from_secs(u64::from(cfg.sync_timeout));
    let branch = ws.settings.acks.branch.clone();
    crate::ack::sync::fetch_line(cx.repo, &cfg.remote, &branch, idle).map_err(|e| e.to_string())?;
    let now = crate::ack::context::record_time().map_err(|e| e.to_string())?;
    let (signature, _) = crate::ack::context::signature(&cfg.signer.name, &cfg.signer.email, now)
        .map_err(|e| e.to_string())?;
    let done = crate::ack::sync::sync(cx.repo, &cx.ledger, &cfg.remote, &signature, idle)
        .map_err(|e| e.to_string())?;
    Ok(done.pushed)
}

/// Runs rounds for ever on its own thread: after each notification, every
/// `cfg.sync_every` seconds, and after a failure with a pause that doubles up to a minute.
/// `ledger_lock` is held during a round so that a sync never runs while the portal appends.
pub fn spawn(
    cfg: Config,
    pusher: Arc<Pusher>,
    log: Arc<dyn Fn(String) + Send + Sync>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut pause = Duration::from_millis(500);
        loop {
            // Take the request before the round: one made during it starts another.
            let was_pending = pusher.pending.swap(false, Ordering::SeqCst);
            match round(&cfg) {
                Ok(pushed) => {
                    pusher.pushes.fetch_add(1, Ordering::SeqCst);
                    pusher.failures.store(0, Ordering::SeqCst);
                    if pushed {
                        log("ledger pushed".into());
                    }
                    pause = Duration::from_millis(500);
                    pusher.wait(Duration::from_secs(cfg.sync_every));
                }
                Err(why) => {
                    if was_pending {
                        pusher.pending.store(true, Ordering::SeqCst);
                    }
                    let n = pusher.failures.fetch_add(1, Ordering::SeqCst) + 1;
                    log(format!(
                        "sync failed ({n} in a row), retrying in {} ms: {}",
                        pause.as_millis(),
                        one_line(&why)
                    ));
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
            }
        }
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
