//! Change notices for open mailboxes: the journal publishes every committed change of a
//! mailbox (new message, new flags, expunge) to the IMAP sessions watching it, on whatever
//! shard they run. A session applies them at the points where IMAP lets it tell its client.
//!
//! Notices are idempotent against a snapshot read from RocksDB after the watch started
//! (a UID already seen, an older modseq, an expunge of a missing UID change nothing), so a
//! session subscribes first and reads second, and never misses a change in between.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::records::MailEntry;

/// Notices buffered per watcher; one that falls further behind is told to read afresh.
const WATCH_CAPACITY: usize = 4096;

/// One committed change of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message arrived (delivery, APPEND, COPY, MOVE).
    Added {
        /// Its UID.
        uid: u32,
        /// Its entry as stored.
        entry: MailEntry,
    },
    /// A message's flags changed.
    Flags {
        /// Its UID.
        uid: u32,
        /// The new flag bits.
        flags: u32,
        /// The modification sequence of the change.
        modseq: u64,
    },
    /// Messages were removed.
    Expunged {
        /// Their UIDs.
        uids: Vec<u32>,
        /// The mailbox's modification sequence after the removal.
        modseq: u64,
    },
    /// The mailbox's keyword table grew; the list is the whole new table.
    Keywords(Vec<String>),
    /// The mailbox was deleted or renamed.
    Gone,
}

/// Which mailbox: account and mailbox id.
type MailboxKey = (String, u32);

struct Watcher {
    id: u64,
    notices: async_channel::Sender<Change>,
    overflowed: Arc<AtomicBool>,
}

/// The watchers of every mailbox, shared by the journal and all shards.
#[derive(Default)]
pub struct Watchers {
    by_mailbox: Mutex<HashMap<MailboxKey, Vec<Watcher>>>,
    next_id: AtomicU64,
    /// The highest UID some session has been told of, per mailbox (IMAP4rev1 `\Recent`:
    /// a message is recent only in the first session that learns of it). Kept in memory: after
    /// a restart every message is new to the first session again, which RFC 3501 allows.
    recent: Mutex<HashMap<MailboxKey, u32>>,
}

impl Watchers {
    /// Starts watching the mailbox `mailbox_id` of `account`.
    pub fn watch(self: &Arc<Self>, account: &str, mailbox_id: u32) -> Watch {
        // Unbounded, with the cap checked on send: a bounded channel would allocate every slot
        // up front, for each selected mailbox of each session.
        let (notices, receiver) = async_channel::unbounded();
        let overflowed = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let key = (account.to_string(), mailbox_id);
        let watcher = Watcher { id, notices, overflowed: Arc::clone(&overflowed) };
        self.lock().entry(key.clone()).or_default().push(watcher);
        Watch { receiver, overflowed, watchers: Arc::clone(self), key, id }
    }

    /// Tells every watcher of the mailbox about `change`.
    pub fn publish(&self, account: &str, mailbox_id: u32, change: &Change) {
        let by_mailbox = self.lock();
        if by_mailbox.is_empty() {
            return;
        }
        let Some(watchers) = by_mailbox.get(&(account.to_string(), mailbox_id)) else { return };
        for watcher in watchers {
            if watcher.notices.len() >= WATCH_CAPACITY || watcher.notices.try_send(change.clone()).is_err() {
                watcher.overflowed.store(true, Ordering::Release);
            }
        }
    }

    /// Messages up to `up_to` are now known to a session: returns the highest UID known
    /// before, so that the messages above it are recent to the caller.
    pub fn claim_recent(&self, account: &str, mailbox_id: u32, up_to: u32) -> u32 {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let claimed = recent.entry((account.to_string(), mailbox_id)).or_default();
        let before = *claimed;
        *claimed = before.max(up_to);
        before
    }

    /// The highest UID a session has been told of in the mailbox.
    pub fn claimed_recent(&self, account: &str, mailbox_id: u32) -> u32 {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.get(&(account.to_string(), mailbox_id)).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MailboxKey, Vec<Watcher>>> {
        self.by_mailbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A session's subscription to one mailbox's changes; ends when dropped.
pub struct Watch {
    receiver: async_channel::Receiver<Change>,
    overflowed: Arc<AtomicBool>,
    watchers: Arc<Watchers>,
    key: MailboxKey,
    id: u64,
}

impl Watch {
    /// The next buffered change, without waiting.
    pub fn try_next(&self) -> Option<Change> {
        self.receiver.try_recv().ok()
    }

    /// Waits for the next change.
    pub async fn next(&self) -> Option<Change> {
        self.receiver.recv().await.ok()
    }

    /// Claims the messages up to `up_to` as known (see [`Watchers::claim_recent`]).
    pub fn claim_recent(&self, up_to: u32) -> u32 {
        self.watchers.claim_recent(&self.key.0, self.key.1, up_to)
    }

    /// True (once) when changes were dropped because the watcher fell behind: the session
    /// must read the mailbox afresh.
    pub fn take_overflow(&self) -> bool {
        self.overflowed.swap(false, Ordering::AcqRel)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut by_mailbox = self.watchers.lock();
        if let Some(list) = by_mailbox.get_mut(&self.key) {
            list.retain(|w| w.id != self.id);
            if list.is_empty() {
                by_mailbox.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchers_get_their_mailbox_changes_until_dropped_and_overflow_is_flagged() {
        let watchers = Arc::new(Watchers::default());
        let a = watchers.watch("bob@example.com", 1);
        let b = watchers.watch("bob@example.com", 2);
        let change = Change::Expunged { uids: vec![3], modseq: 9 };
        watchers.publish("bob@example.com", 1, &change);
        assert_eq!(a.try_next(), Some(change));
        assert_eq!(b.try_next(), None);
        let watched = |id| watchers.lock().contains_key(&("bob@example.com".to_string(), id));
        assert!(watched(2));
        drop(b);
        assert!(!watched(2));

        for _ in 0..=WATCH_CAPACITY {
            watchers.publish("bob@example.com", 1, &Change::Gone);
        }
        assert!(a.take_overflow());
        assert!(!a.take_overflow(), "reported once");
    }
}
