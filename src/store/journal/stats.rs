//! What the journal tells an observer about each group it commits (the server's metrics),
//! without this crate knowing who listens: one function pointer, set once per process.

use std::sync::OnceLock;
use std::time::Duration;

/// One group commit, as the journal thread saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommit {
    /// Operations in the group.
    pub ops: usize,
    /// From the first op applied to the synced write's return: what the group's sessions
    /// waited for once the journal took their ops.
    pub elapsed: Duration,
    /// Whether the write reached the disk (false: every op of the group got an error).
    pub written: bool,
}

/// The observer of group commits, if one was set.
static OBSERVER: OnceLock<fn(&GroupCommit)> = OnceLock::new();

/// Has `observer` called after every group commit of every journal in this process, on the
/// journal thread (it must be quick). Only the first call sets it; it says whether this one did.
pub fn observe_commits(observer: fn(&GroupCommit)) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// Tells the observer, if any, of `commit`.
pub(super) fn report(commit: GroupCommit) {
    if let Some(observer) = OBSERVER.get() {
        observer(&commit);
    }
}
