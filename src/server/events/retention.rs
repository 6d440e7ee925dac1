//! Retention of the store's event log: a thread that now and then deletes what no webhook
//! still needs. Every event that all webhooks have sent goes, but for the newest `[events]
//! retain`; an event some webhook has not sent is kept until the log holds `[events]
//! max_backlog` newer ones, and then deleted all the same (an endpoint down for days must not
//! fill the disk), which is logged once per episode and counted
//! ([`unsent_events_deleted`]). The newest event is always kept: the journal's sequence goes on
//! from it after a restart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use store::journal::{EventsOp, JournalOp};
use store::{JournalHandle, Store, StoreError};

use crate::config::EventsConfig;

/// How often the log is trimmed.
const PERIOD: Duration = Duration::from_secs(10);

/// Events deleted before every webhook had sent them, since the server started.
static UNSENT_DELETED: AtomicU64 = AtomicU64::new(0);

/// Events deleted from the store's log before every webhook had sent them, since the server
/// started (for the metrics).
pub fn unsent_events_deleted() -> u64 {
    UNSENT_DELETED.load(Ordering::Relaxed)
}

/// The running retention thread.
pub struct Retention {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Retention {
    /// Starts trimming the log of `store` under `config`, never past what the `readers` (the
    /// webhooks' cursor names, the cluster's) have not read yet.
    pub fn start(
        store: Store,
        journal: JournalHandle,
        config: &EventsConfig,
        readers: Vec<String>,
    ) -> std::io::Result<Retention> {
        let (stop, stopped) = mpsc::channel();
        let mut trimmer = Trimmer {
            store,
            journal,
            cursors: readers,
            limits: Limits { retain: config.retain, max_backlog: config.max_backlog.get() },
            losing: false,
        };
        let thread = std::thread::Builder::new().name("event-retention".into()).spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                if let Err(e) = trimmer.trim() {
                    tracing::warn!("trimming the event log failed (tried again later): {e}");
                }
            }
        })?;
        Ok(Retention { stop, thread })
    }

    /// Stops the thread (a trim under way is finished first).
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// What the thread works with.
struct Trimmer {
    store: Store,
    journal: JournalHandle,
    /// The cursor names of the readers.
    cursors: Vec<String>,
    limits: Limits,
    /// Whether the last trim deleted events some webhook had not sent.
    losing: bool,
}

impl Trimmer {
    /// Deletes what the limits allow, now.
    fn trim(&mut self) -> Result<(), StoreError> {
        let Some((first, last)) = self.store.event_bounds()? else { return Ok(()) };
        let mut slowest = None;
        for name in &self.cursors {
            let cursor = self.store.event_cursor(name)?.unwrap_or(0);
            slowest = Some(slowest.map_or(cursor, |s: u64| s.min(cursor)));
        }
        let Some(cut) = self.limits.cut(first, last, slowest) else { return Ok(()) };
        self.journal.submit_blocking(JournalOp::Events(EventsOp::Trim { upto: cut.upto }))?;
        if cut.unsent > 0 {
            UNSENT_DELETED.fetch_add(cut.unsent, Ordering::Relaxed);
            if !self.losing {
                tracing::warn!(
                    deleted = cut.unsent,
                    max_backlog = self.limits.max_backlog,
                    "a webhook is so far behind that events it had not sent were deleted \
                     (logged again only after it caught up)"
                );
            }
        }
        self.losing = cut.unsent > 0;
        Ok(())
    }
}

/// `[events] retain` and `max_backlog`.
#[derive(Debug, Clone, Copy)]
struct Limits {
    retain: u64,
    max_backlog: u64,
}

/// Events to delete: every one up to `upto`, `unsent` of them not yet sent by some webhook.
#[derive(Debug, PartialEq, Eq)]
struct Cut {
    upto: u64,
    unsent: u64,
}

impl Limits {
    /// What to delete of a log holding `first..=last` when the slowest webhook has every event
    /// up to `slowest` (`None`: there is no webhook); nothing when nothing may go.
    fn cut(self, first: u64, last: u64, slowest: Option<u64>) -> Option<Cut> {
        let sent = slowest.unwrap_or(last);
        let retained = sent.min(last.saturating_sub(self.retain));
        let bounded = last.saturating_sub(self.max_backlog);
        let upto = retained.max(bounded).min(last.saturating_sub(1));
        let unsent = upto.saturating_sub(sent.max(first.saturating_sub(1)));
        (upto >= first).then_some(Cut { upto, unsent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { retain: 10, max_backlog: 100 };

    #[test]
    fn sent_events_go_but_for_the_newest_retained() {
        assert_eq!(LIMITS.cut(1, 50, None), Some(Cut { upto: 40, unsent: 0 }), "no webhook");
        assert_eq!(LIMITS.cut(1, 50, Some(50)), Some(Cut { upto: 40, unsent: 0 }));
        assert_eq!(LIMITS.cut(1, 50, Some(20)), Some(Cut { upto: 20, unsent: 0 }), "held back");
        assert_eq!(LIMITS.cut(41, 50, Some(50)), None, "nothing more to delete");
        assert_eq!(LIMITS.cut(1, 50, Some(0)), None, "nothing sent yet");
        let keep_none = Limits { retain: 0, max_backlog: 100 };
        assert_eq!(keep_none.cut(1, 50, None), Some(Cut { upto: 49, unsent: 0 }), "the newest stays");
        assert_eq!(keep_none.cut(1, 1, None), None);
    }

    #[test]
    fn past_the_backlog_bound_unsent_events_go_and_are_counted() {
        assert_eq!(LIMITS.cut(1, 150, Some(20)), Some(Cut { upto: 50, unsent: 30 }));
        assert_eq!(LIMITS.cut(31, 150, Some(20)), Some(Cut { upto: 50, unsent: 20 }), "30 were gone already");
        assert_eq!(LIMITS.cut(51, 160, Some(60)), Some(Cut { upto: 60, unsent: 0 }), "back within");
    }
}
