//! The `normsctl` binary: parse arguments, run the command, turn the result into an exit
//! code (0 success, 1 a finding, 2 usage or environment error).

mod cli;

use clap::Parser;
use std::ffi::{c_char, c_int, c_void};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a site build makes millions of small
/// allocations on every core (template values, diff words), and glibc's allocator spent a
/// sixth of the build's instructions on them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// libgit2's allocator, as its `git_allocator` (include/git2/sys/alloc.h).
#[repr(C)]
struct GitAllocator {
    gmalloc: unsafe extern "C" fn(usize, *const c_char, c_int) -> *mut c_void,
    grealloc: unsafe extern "C" fn(*mut c_void, usize, *const c_char, c_int) -> *mut c_void,
    gfree: unsafe extern "C" fn(*mut c_void),
}

unsafe extern "C" fn git_malloc(n: usize, _file: *const c_char, _line: c_int) -> *mut c_void {
    // SAFETY: mimalloc's malloc, for any size.
    unsafe { libmimalloc_sys::mi_malloc(n) }
}

unsafe extern "C" fn git_realloc(
    p: *mut c_void,
    n: usize,
    _file: *const c_char,
    _line: c_int,
) -> *mut c_void {
    // SAFETY: `p` is null or came from `git_malloc`/`git_realloc` (libgit2 frees and
    // reallocates only what its allocator gave it).
    unsafe { libmimalloc_sys::mi_realloc(p, n) }
}

unsafe extern "C" fn git_free(p: *mut c_void) {
    // SAFETY: as for `git_realloc`; null is allowed.
    unsafe { libmimalloc_sys::mi_free(p) }
}

/// Sends libgit2's allocations to mimalloc as well. Called first thing, before anything
/// reaches libgit2 (which keeps an allocator set before its initialisation): reading packed
/// objects allocates a buffer for every delta applied, and glibc's malloc was about a third
/// of the CPU of `acks verify` on a large ledger.
fn libgit2_on_mimalloc() {
    static ALLOCATOR: GitAllocator = GitAllocator {
        gmalloc: git_malloc,
        grealloc: git_realloc,
        gfree: git_free,
    };
    // SAFETY: GIT_OPT_SET_ALLOCATOR takes a pointer to a `git_allocator`, which libgit2
    // copies; nothing has been allocated through libgit2 yet.
    unsafe {
        libgit2_sys::git_libgit2_opts(
            libgit2_sys::GIT_OPT_SET_ALLOCATOR as c_int,
            &ALLOCATOR as *const GitAllocator,
        );
    }
}

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, the same in mimalloc 2
/// and 3; libmimalloc-sys names only some options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed is kept for the process's own reuse instead of being given back to the
/// system after a second (mimalloc's purge delay), for commands that finish: a site build
/// frees and allocates again hundreds of megabytes, and memory given back has to be faulted
/// in again, which costs more than the work on small virtual machines (a quarter of a
/// cold build's system time). The servers (`serve`, `mcp`, `portal`) keep the default.
pub(crate) fn keep_freed_memory() {
    // SAFETY: sets one option; mimalloc reads it at each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// No transparent huge pages for this process, set first thing (before the arguments are
/// parsed, which already maps mimalloc's first region). mimalloc asks for them
/// (`MADV_HUGEPAGE`) on every region it maps, and the kernel then clears two megabytes at
/// the first touch of each, whether the process uses them or not. A command gains nothing
/// from fewer TLB misses on the tens of megabytes it works on, and on a 2-core virtual
/// machine clearing them was up to half of a cold build's wall time (median 1.72 s with
/// them, 1.02 s without, alternated); the servers' working sets are as small.
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and the rest zero; it sets a
    // flag of this process that the kernel checks at each page fault, so it also covers
    // what was mapped before. A kernel without it returns an error, which changes nothing.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    libgit2_on_mimalloc();
    // libgit2 keeps every commit and small tree it reads in a cache of up to 256 MB. The
    // walks read each object once and hold what they compare themselves, so the cache only
    // costs memory: 48 MB of a cold site build, 540 MB of `acks verify` on a large ledger
    // (and fresh memory is slow to come by on small virtual machines).
    git2::opts::enable_caching(false);
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
