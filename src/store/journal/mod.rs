//! The journal: one thread that commits every write to the store, with group commit.
//!
//! Sessions on any shard, the queue, the admin socket and the offline CLI send a [`JournalOp`]
//! and await its answer. The thread takes everything waiting, applies it to one `WriteBatch`,
//! writes it with `sync = true` (one fsync for the whole group), and only then answers each
//! sender. A session answers `250`, and an admin command prints "ok", after that answer, so
//! what was acknowledged is on disk.
//!
//! Why one thread and not one commit loop per shard: UIDs must be handed out in the order their
//! messages become visible (IMAP clients assume UIDs only grow), and that is simplest when one
//! owner assigns them and writes them in the same step. The thread keeps the mailbox counters
//! it has seen in memory, so assigning a UID is a hash lookup; RocksDB stays the truth and the
//! cache is rebuilt from it on demand. One thread also merges every shard's writes into a
//! single fsync, which is what bounds throughput on real disks. And because it is the only
//! writer, an op that checks something first ("the domain has no accounts", "the account
//! exists") and then writes does both in one step that no other writer can come between: it
//! reads what is committed, overlaid with what earlier ops of its group wrote
//! (`staged.rs`).
//!
//! The ops, by family: deliveries (`delivery.rs`), accounts (`accounts.rs`), expunges
//! (`expunge.rs`), the outbound queue (`queue.rs`), IMAP's mailbox changes (`mailboxes.rs`,
//! `messages.rs`), domains, passwords and aliases (`directory.rs`), DKIM keys (`dkim.rs`), the
//! allow and block lists (`access.rs`), the suppression list (`suppression.rs`), spam filter
//! training (`bayes.rs`), DMARC report counters (`dmarc.rs`), the operator's API tokens and
//! delivery suspensions (`operator.rs`), the MTA-STS policies kept for destinations
//! (`mta_sts.rs`) and TLS report counters (`tls_report.rs`). Any op may carry events for the event log, written in its batch
//! (`events.rs`, which also moves the log's cursors and trims it). `committer.rs` runs the
//! thread.

mod access;
mod accounts;
mod bayes;
mod committer;
mod delivery;
mod directory;
mod dkim;
mod dmarc;
mod events;
mod expunge;
mod mailboxes;
mod messages;
mod mta_sts;
mod operator;
mod queue;
mod sender_stats;
mod staged;
pub mod stats;
mod suppression;
#[cfg(test)]
mod testing;
mod tls_report;
mod warmup;

use std::sync::Arc;
use std::thread::JoinHandle;

use super::changes::{Watch, Watchers};
use super::queue_feed::QueueFeed;
use super::records::{Account, Alias, QueueEntry};
use super::{MessageId, Store, StoreError};
use committer::Committer;

pub use access::AccessOp;
pub use accounts::DEFAULT_MAILBOXES;
pub use bayes::Lesson;
pub use delivery::{Delivery, OwnCopy, RemoteRecipient, StagedParts};
pub use directory::{DirectoryOp, SendAs};
pub use dkim::DkimOp;
pub use dmarc::DmarcOp;
pub use events::EventsOp;
pub use mailboxes::{DELIMITER, MailboxOp, NewMessage};
pub use messages::FlagAction;
pub use mta_sts::MtaStsOp;
pub use operator::OperatorOp;
pub use sender_stats::SenderTally;
pub use suppression::SuppressionOp;
pub use tls_report::TlsReportOp;
pub use warmup::WarmupOp;

/// Work for the journal.
#[derive(Debug)]
pub enum JournalOp {
    /// Store a received message.
    Deliver(Delivery),
    /// Create an account with its default mailboxes.
    CreateAccount {
        /// Lower-case address.
        address: String,
        /// argon2id PHC string.
        password_hash: String,
        /// May submit mail with any envelope sender.
        send_as_anyone: bool,
    },
    /// Delete an account with its mailboxes and mail.
    DeleteAccount {
        /// Lower-case address.
        address: String,
    },
    /// Remove messages from a mailbox for good; a body no one else refers to is deleted too.
    Expunge {
        /// Lower-case account address.
        account: String,
        /// Mailbox name.
        mailbox: String,
        /// UIDs to remove; those already gone are skipped.
        uids: Vec<u32>,
    },
    /// Queued recipients of one message are done (delivered, bounced or expired): their
    /// entries go, their references on the body are released, and the bounce report, if any,
    /// is stored in the same write.
    QueueFinish {
        /// `queue` keys; those already gone are skipped.
        keys: Vec<Vec<u8>>,
        /// The message they belong to.
        id: MessageId,
        /// A delivery status notification for the sender.
        bounce: Option<Delivery>,
        /// Recipients that hard-bounced, with the reason, for the suppression list.
        suppress: Vec<(String, String)>,
        /// The sender domain's delivered recipients among them, counted with them.
        tally: Option<SenderTally>,
    },
    /// A queued recipient is deferred: it moves to its next due time with the attempt recorded.
    QueueDefer {
        /// The current `queue` key.
        key: Vec<u8>,
        /// Unix seconds of the next attempt.
        due: u64,
        /// The entry with its attempt count and last error updated.
        entry: QueueEntry,
    },
    /// An IMAP change to an account's mailboxes or messages.
    Mailbox(MailboxOp),
    /// A change to the local domains, an account's password or the aliases.
    Directory(DirectoryOp),
    /// A DKIM signing key stored or deleted.
    Dkim(DkimOp),
    /// A change to the allow or block list.
    Access(AccessOp),
    /// A recipient suppressed by hand, or let through again.
    Suppression(SuppressionOp),
    /// Messages the spam filter learns as spam or ham.
    Learn(Lesson),
    /// DMARC report counters counted or forgotten.
    Dmarc(DmarcOp),
    /// An API token or a delivery suspension set by the operator.
    Operator(OperatorOp),
    /// An MTA-STS policy kept or forgotten.
    MtaSts(MtaStsOp),
    /// TLS report counters counted or forgotten.
    TlsReport(TlsReportOp),
    /// A webhook's cursor moved, or the oldest events trimmed.
    Events(EventsOp),
    /// IP warm-up: messages counted, or addresses' steps moved, in order, in one write.
    Warmup(Vec<WarmupOp>),
    /// A sender domain's delivered recipients or complaints, counted.
    Tally(SenderTally),
}

impl JournalOp {
    /// Whether applying it reads an account's or a mailbox's mail from RocksDB (and so must
    /// not share a group with earlier writes to that mail).
    fn reads_committed_mail(&self) -> bool {
        matches!(
            self,
            JournalOp::DeleteAccount { .. } | JournalOp::Mailbox(MailboxOp::Delete { .. } | MailboxOp::Rename { .. })
        )
    }
}

/// The answer to a committed [`JournalOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// The message is stored; the UID each local account's copy got.
    Delivered(Vec<(String, u32)>),
    /// The change is stored.
    Done,
    /// These UIDs were removed (a subset of those asked for).
    Expunged(Vec<u32>),
    /// The appended messages got these UIDs in a mailbox of this UIDVALIDITY.
    Appended {
        /// The mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// The new messages' UIDs, in order.
        uids: Vec<u32>,
    },
    /// Flags were stored.
    Stored {
        /// Messages whose flags changed: UID, new flag bits, modseq.
        changed: Vec<(u32, u32, u64)>,
        /// Messages left alone because they changed after `UNCHANGEDSINCE`.
        refused: Vec<u32>,
    },
    /// Messages were copied (or moved) into a mailbox of this UIDVALIDITY.
    Copied {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// Source UID and the UID of its copy.
        pairs: Vec<(u32, u32)>,
    },
    /// The alias as it stands after targets were added to it.
    Alias(Alias),
    /// The account as it stands after a grant changed.
    Account(Account),
}

/// One op and where its answer goes.
struct Job {
    op: JournalOp,
    /// Event log entries (JSON objects) written with `op`, if it succeeds.
    events: Vec<Vec<u8>>,
    reply: async_channel::Sender<Result<Committed, StoreError>>,
}

/// A cloneable handle for sending work to the journal from any thread.
#[derive(Clone)]
pub struct JournalHandle {
    jobs: async_channel::Sender<Job>,
    watchers: Arc<Watchers>,
    feed: Arc<QueueFeed>,
}

impl JournalHandle {
    /// Commits `op` durably and returns once it is on disk.
    pub async fn submit(&self, op: JournalOp) -> Result<Committed, StoreError> {
        self.submit_with_events(op, Vec::new()).await
    }

    /// Commits `op` durably with `events` (JSON objects) appended to the event log in the same
    /// write, and returns once both are on disk; an op that fails writes no event.
    pub async fn submit_with_events(&self, op: JournalOp, events: Vec<Vec<u8>>) -> Result<Committed, StoreError> {
        let (reply, answer) = async_channel::bounded(1);
        self.jobs.send(Job { op, events, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// [`JournalHandle::submit`] for threads outside an executor (the admin thread, the
    /// offline CLI, blocking threads).
    pub fn submit_blocking(&self, op: JournalOp) -> Result<Committed, StoreError> {
        futures_lite::future::block_on(self.submit(op))
    }

    /// [`JournalHandle::submit_with_events`] for threads outside an executor (tests).
    #[cfg(any(test, feature = "testing"))]
    pub fn submit_blocking_with_events(&self, op: JournalOp, events: Vec<Vec<u8>>) -> Result<Committed, StoreError> {
        futures_lite::future::block_on(self.submit_with_events(op, events))
    }

    /// The highest UID any session has been told of in a mailbox (for STATUS RECENT).
    pub fn claimed_recent(&self, account: &str, mailbox_id: u32) -> u32 {
        self.watchers.claimed_recent(account, mailbox_id)
    }

    /// Starts watching the changes the journal commits to one mailbox.
    pub fn watch(&self, account: &str, mailbox_id: u32) -> Watch {
        self.watchers.watch(account, mailbox_id)
    }

    /// Where recipients are announced as they are queued.
    pub fn queue_feed(&self) -> &QueueFeed {
        &self.feed
    }
}

/// The running journal thread.
pub struct Journal {
    handle: JournalHandle,
    thread: JoinHandle<()>,
}

impl Journal {
    /// Starts the journal thread over `store`.
    pub fn start(store: Store) -> Journal {
        let (jobs, queue) = async_channel::unbounded();
        let watchers = Arc::new(Watchers::default());
        let feed = Arc::new(QueueFeed::default());
        let committer = Committer::new(store, Arc::clone(&watchers), Arc::clone(&feed));
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || committer.run(queue))
            .expect("spawn journal thread");
        Journal { handle: JournalHandle { jobs, watchers, feed }, thread }
    }

    /// A handle for submitting work.
    pub fn handle(&self) -> JournalHandle {
        self.handle.clone()
    }

    /// Commits what is queued, then stops the thread.
    pub fn stop(self) {
        self.handle.jobs.close();
        let _ = self.thread.join();
    }
}
