//! Phase times on stderr when `NORMSCTL_TIMINGS` is set (for the benchmarks).

use super::note;
use std::time::Instant;

/// Marks the end of each phase of a command, when asked to.
pub struct Timings(Option<std::cell::Cell<Instant>>);

impl Timings {
    pub fn from_env() -> Timings {
        Timings(std::env::var_os("NORMSCTL_TIMINGS").map(|_| std::cell::Cell::new(Instant::now())))
    }

    pub fn mark(&self, phase: &str) {
        if let Some(last) = &self.0 {
            let now = Instant::now();
            note(&format!(
                "timing: {phase}: {} ms",
                now.duration_since(last.get()).as_millis()
            ));
            last.set(now);
        }
    }
}
