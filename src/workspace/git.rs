//! Process-wide libgit2 switches, set in one place at the start of a command.
//!
//! libgit2's options are global to the process. Skipping the re-hash of every object read
//! makes a history walk about a fifth quicker, and is right for a process that only
//! reads history; a process that judges acknowledgement ledger entries (`ack`, every
//! `acks` command, a long-running server that walks history and judges entries) must keep
//! the hash checks on, or a tampered object could pass. The judging code asserts that.

use std::sync::atomic::{AtomicU8, Ordering};

/// What a process does with git objects, which decides the switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Reads history and judges nothing: hash checks off.
    ReadsHistory,
    /// Judges ledger entries (or may, at some point of its life): hash checks on.
    Judges,
}

const UNSET: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;
static HASH_CHECKS: AtomicU8 = AtomicU8::new(UNSET);

/// Sets the switches for this process. Called once per command by the CLI; a later call
/// may only turn the checks on, never off again after a judge asked for them.
pub fn configure(trust: Trust) {
    // libgit2 caches no tree over 4 KiB by default, and a folder of a hundred policies is
    // larger: every history walk would inflate it again for each commit that compares it.
    // SAFETY: only sets an integer inside libgit2's global settings.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20) };
    let on = match trust {
        Trust::Judges => true,
        Trust::ReadsHistory => HASH_CHECKS.load(Ordering::SeqCst) == ON,
    };
    git2::opts::strict_hash_verification(on);
    HASH_CHECKS.store(if on { ON } else { OFF }, Ordering::SeqCst);
}

/// Turns libgit2's object cache off, for a command whose walk reads each commit and tree
/// about once (`log`): kept, every object read stays on the heap to the end (tens of
/// megabytes on a 10,000-commit history), and touching that much fresh memory cost `log`
/// more page faults than it saved lookups (`log ID`: 12,100 faults down to 3,000, a
/// quarter of its CPU time).
pub fn reads_each_object_once() {
    git2::opts::enable_caching(false);
}

/// Whether git's hash checks are on in this process (libgit2's default when nothing set
/// them).
pub fn hash_checks_on() -> bool {
    HASH_CHECKS.load(Ordering::SeqCst) != OFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judge_turns_the_checks_on_and_a_reader_cannot_turn_them_off() {
        configure(Trust::Judges);
        assert!(hash_checks_on());
        configure(Trust::ReadsHistory);
        assert!(hash_checks_on());
    }
}
