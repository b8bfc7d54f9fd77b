//! How long a child process has been silent, for the commands that kill a git process
//! which stops talking (a server that accepts a connection and never answers).
//!
//! The threads that read the process's pipes say when they heard from it; a watcher asks
//! how long ago that was. The two run at once, so a reader may record a moment later than
//! the one the watcher has just read off the clock: the silence is then nothing, never a
//! negative number.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Stored in `last` once the process is done with.
const FINISHED: u64 = u64::MAX;

/// The moment a process was last heard from, shared between the threads that read its
/// output and the one that watches it.
pub(crate) struct Quiet {
    started: Instant,
    /// Milliseconds since `started` of the last output, or [`FINISHED`].
    last: AtomicU64,
}

impl Quiet {
    /// A clock started now, as if the process had just spoken.
    pub(crate) fn new() -> Self {
        Quiet {
            started: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// The process said something now.
    pub(crate) fn heard(&self) {
        let now = self.now();
        // `fetch_max`: a reader that read the clock earlier but stores later never moves
        // the last moment back (nor over `FINISHED`).
        self.last.fetch_max(now, Ordering::Relaxed);
    }

    /// Nothing more will be heard: the watcher may stop.
    pub(crate) fn finish(&self) {
        self.last.store(FINISHED, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self) -> bool {
        self.last.load(Ordering::Relaxed) == FINISHED
    }

    /// How long the process has been silent; zero once it is finished.
    pub(crate) fn silent_for(&self) -> Duration {
        let last = self.last.load(Ordering::Relaxed);
        Duration::from_millis(self.now().saturating_sub(last))
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(FINISHED - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_recording_a_later_moment_than_the_watcher_read_is_no_silence() {
        // The race that panicked `acks sync` in CI: the watcher reads the clock, a reader
        // stores a later moment, the watcher subtracts. Run the two as hard as they go.
        let created = Instant::now();
        let quiet = Quiet::new();
        let until = Instant::now() + Duration::from_millis(300);
        std::thread::scope(|s| {
            s.spawn(|| {
                while Instant::now() < until {
                    quiet.heard();
                }
            });
            while Instant::now() < until {
                // Never more than the time since the clock started (a wrapped negative
                // silence would be), whatever the scheduler does to either thread.
                assert!(quiet.silent_for() <= created.elapsed());
            }
        });
    }

    #[test]
    fn silence_grows_until_heard_and_a_finished_process_is_never_silent() {
        let quiet = Quiet::new();
        std::thread::sleep(Duration::from_millis(30));
        assert!(quiet.silent_for() >= Duration::from_millis(30));
        // Hearing resets the silence: what is left is at most the time since (plus the
        // millisecond the clock is read in), however long this thread was kept waiting
        // between the two calls on a loaded machine; before, it was 30 ms or more.
        let before = Instant::now();
        quiet.heard();
        let silent = quiet.silent_for();
        assert!(
            silent <= before.elapsed() + Duration::from_millis(1),
            "{silent:?}"
        );
        assert!(!quiet.finished());
        quiet.finish();
        quiet.heard();
        assert!(quiet.finished());
        assert_eq!(quiet.silent_for(), Duration::ZERO);
    }
}
