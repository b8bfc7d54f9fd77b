//! Phase times on stderr when `NORMSCTL_TIMINGS` is set (for the benchmarks), with the
//! process's resident memory at the end of each phase where the system tells it.

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
            let resident =
                resident_mb().map_or_else(String::new, |mb| format!(", {mb} MB resident"));
            note(&format!(
                "timing: {phase}: {} ms{resident}",
                now.duration_since(last.get()).as_millis()
            ));
            last.set(now);
        }
    }
}

/// The process's resident memory in MB (Linux: the second field of `/proc/self/statm`, in
/// pages).
#[cfg(target_os = "linux")]
fn resident_mb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    Some(pages * page / (1 << 20))
}

#[cfg(not(target_os = "linux"))]
fn resident_mb() -> Option<u64> {
    None
}
