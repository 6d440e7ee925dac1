//! The journal thread: takes every waiting op, applies them to one batch, writes it with
//! `sync = true`, then publishes what changed and answers each op.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rocksdb::{WriteBatch, WriteOptions};

use super::staged::Staged;
use super::stats::{self, GroupCommit};
use super::{Committed, Job, JournalOp};
use crate::changes::Watchers;
use crate::queue_feed::QueueFeed;
use crate::records::{MailboxMeta, Parts};
use crate::{MessageId, Store, StoreError, cf, keys, unix_now};

/// Most operations committed in one group.
const MAX_GROUP: usize = 1024;
/// Cached mailbox counters before the cache is dropped and refilled from RocksDB.
const MAX_CACHED_MAILBOXES: usize = 100_000;

/// State owned by the journal thread.
pub(super) struct Committer {
    pub(super) store: Store,
    /// Committed mailbox counters by `mailbox` key.
    pub(super) mailboxes: HashMap<Vec<u8>, MailboxMeta>,
    /// Sessions watching mailboxes, told of each change once it is committed.
    watchers: Arc<Watchers>,
    /// Schedulers, told of each recipient queued once it is committed.
    feed: Arc<QueueFeed>,
    /// Sequence number of the newest event added to the log (`events.rs`).
    pub(super) event_seq: u64,
    /// The hour whose sender counters older than a week were last swept (`sender_stats.rs`).
    pub(super) stats_swept_hour: u64,
}

impl Committer {
    /// A committer over `store` that tells `watchers` and `feed` what it commits.
    pub(super) fn new(store: Store, watchers: Arc<Watchers>, feed: Arc<QueueFeed>) -> Committer {
        let event_seq = super::events::last_sequence(&store);
        Committer { store, mailboxes: HashMap::new(), watchers, feed, event_seq, stats_swept_hour: 0 }
    }

    /// Commits groups of jobs until the queue closes and is empty.
    pub(super) fn run(mut self, queue: async_channel::Receiver<Job>) {
        let mut sync = WriteOptions::default();
        sync.set_sync(true);
        let mut held: Option<Job> = None;
        loop {
            let first = match held.take() {
                Some(job) => job,
                None => match queue.recv_blocking() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            let alone = first.op.reads_committed_mail();
            let mut jobs = vec![first];
            while !alone && jobs.len() < MAX_GROUP {
                match queue.try_recv() {
                    // Deleting an account or deleting or renaming a mailbox reads its mail
                    // from RocksDB: it starts a group of its own, after everything before it
                    // is on disk.
                    Ok(job) if job.op.reads_committed_mail() => {
                        held = Some(job);
                        break;
                    }
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.commit(jobs, &sync);
        }
    }

    /// Applies, writes and answers one group.
    fn commit(&mut self, jobs: Vec<Job>, sync: &WriteOptions) {
        if self.mailboxes.len() > MAX_CACHED_MAILBOXES {
            self.mailboxes.clear();
        }
        let started = Instant::now();
        let mut batch = WriteBatch::default();
        let mut staged = Staged::default();
        let first_event_seq = self.event_seq;
        let results: Vec<_> = jobs
            .iter()
            .map(|job| {
                let result = self.apply(&mut batch, &mut staged, &job.op);
                if result.is_ok() {
                    self.log_events(&mut batch, &job.events);
                }
                result
            })
            .collect();
        let written = if batch.is_empty() { Ok(()) } else { self.store.db().write_opt(batch, sync) };
        stats::report(GroupCommit { ops: jobs.len(), elapsed: started.elapsed(), written: written.is_ok() });
        match written {
            Ok(()) => {
                for (key, meta) in staged.mailboxes {
                    match meta {
                        Some(meta) => self.mailboxes.insert(key, meta),
                        None => self.mailboxes.remove(&key),
                    };
                }
                for (account, mailbox_id, change) in &staged.notices {
                    self.watchers.publish(account, *mailbox_id, change);
                }
                self.feed.publish(staged.queued);
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.try_send(result);
                }
            }
            Err(e) => {
                tracing::error!("journal write failed: {e}");
                self.event_seq = first_event_seq;
                for job in jobs {
                    let _ = job.reply.try_send(Err(StoreError::Db(e.clone())));
                }
            }
        }
    }

    /// Adds one operation to the batch; on error it adds nothing.
    fn apply(&mut self, batch: &mut WriteBatch, staged: &mut Staged, op: &JournalOp) -> Result<Committed, StoreError> {
        match op {
            JournalOp::Deliver(delivery) => self.deliver(batch, staged, delivery),
            JournalOp::CreateAccount { address, password_hash, send_as_anyone } => {
                self.create_account(batch, staged, address, password_hash, *send_as_anyone)
            }
            JournalOp::DeleteAccount { address } => self.delete_account(batch, staged, address),
            JournalOp::Expunge { account, mailbox, uids } => self.expunge(batch, staged, account, mailbox, uids),
            JournalOp::QueueFinish { keys, id, bounce, suppress, tally } => {
                // Only the recipients still queued count: a finish seen twice counts once.
                let Some(finished) = self.queue_finish(batch, staged, keys, *id, bounce.as_ref(), suppress)? else {
                    return Ok(Committed::Done);
                };
                if let Some(tally) = tally {
                    self.tally(batch, tally);
                }
                Ok(finished)
            }
            JournalOp::QueueDefer { key, due, entry } => self.queue_defer(batch, staged, key, *due, entry),
            JournalOp::Mailbox(op) => self.mailbox_op(batch, staged, op),
            JournalOp::Directory(op) => self.directory_op(batch, staged, op),
            JournalOp::Dkim(op) => self.dkim_op(batch, staged, op),
            JournalOp::Access(op) => self.access_op(batch, staged, op),
            JournalOp::Suppression(op) => self.suppression_op(batch, staged, op),
            JournalOp::Learn(lesson) => Ok(self.learn(batch, lesson)),
            JournalOp::Dmarc(op) => Ok(self.dmarc_op(batch, op)),
            JournalOp::Operator(op) => self.operator_op(batch, staged, op),
            JournalOp::MtaSts(op) => self.mta_sts_op(batch, staged, op),
            JournalOp::TlsReport(op) => Ok(self.tls_report_op(batch, op)),
            JournalOp::Warmup(ops) => Ok(self.warmup_ops(batch, ops)),
            JournalOp::Tally(tally) => Ok(self.tally(batch, tally)),
            JournalOp::Events(op) => Ok(self.events_op(batch, op)),
        }
    }

    /// What holds a stored message's body now: its committed reference count and, for one
    /// stored in parts, its parts. Read before an op adds anything to its batch.
    pub(super) fn held(&self, id: MessageId) -> Result<Held, StoreError> {
        Ok(Held { refs: self.store.blob_refs(id)?, parts: self.store.parts_of(id)? })
    }

    /// Drops one reference to a blob that [`Committer::held`] found; the last reference
    /// deletes the body.
    pub(super) fn release_blob(&self, batch: &mut WriteBatch, staged: &mut Staged, id: MessageId, held: Held) {
        self.release(batch, staged, id, held, None);
    }

    /// Drops one reference to a blob of an expunged message; after the last one the body
    /// stays readable until [`Store::sweep_expunged`] deletes it (RFC 2180 4.1.1: sessions not
    /// yet told of the expunge may still read it).
    ///
    /// [`Store::sweep_expunged`]: crate::Store::sweep_expunged
    pub(super) fn release_expunged(&self, batch: &mut WriteBatch, staged: &mut Staged, id: MessageId, held: Held) {
        self.release(batch, staged, id, held, Some(unix_now()));
    }

    /// Drops one reference; the last one deletes the body, or with `kept_since` leaves it in
    /// the `expunged` column family from that second.
    fn release(&self, batch: &mut WriteBatch, staged: &mut Staged, id: MessageId, held: Held, kept_since: Option<u64>) {
        let delta = staged.refs.entry(id.0).or_default();
        *delta -= 1;
        if held.refs + *delta > 0 {
            batch.merge_cf(self.store.cf(cf::REFS), keys::message(id), (-1i64).to_le_bytes());
            return;
        }
        batch.delete_cf(self.store.cf(cf::REFS), keys::message(id));
        match kept_since {
            Some(at) => batch.put_cf(self.store.cf(cf::EXPUNGED), keys::expunged(at, id), []),
            None => {
                batch.delete_cf(self.store.cf(cf::BLOB), keys::message(id));
                if let Some(parts) = held.parts {
                    self.store.delete_parts(batch, id, parts);
                }
            }
        }
    }
}

/// A stored message's committed reference count and its parts, if stored in parts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held {
    refs: i64,
    parts: Option<Parts>,
}
