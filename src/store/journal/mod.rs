//! The journal: one thread that commits every mailbox-changing write, with group commit.
//!
//! Sessions on any shard send a [`JournalOp`] and await its answer. The thread takes everything
//! waiting, applies it to one `WriteBatch`, writes it with `sync = true` (one fsync for the
//! whole group), and only then answers each sender. A session answers `250` after that answer,
//! so an acknowledged message is on disk.
//!
//! Why one thread and not one commit loop per shard: UIDs must be handed out in the order their
//! messages become visible (IMAP clients assume UIDs only grow), and that is simplest when one
//! owner assigns them and writes them in the same step. The thread keeps the mailbox counters
//! it has seen in memory, so assigning a UID is a hash lookup; RocksDB stays the truth and the
//! cache is rebuilt from it on demand. One thread also merges every shard's writes into a
//! single fsync, which is what bounds throughput on real disks.

mod mailboxes;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use rocksdb::{WriteBatch, WriteOptions};

use super::changes::{Change, Watch, Watchers};
use super::queue::DueRecipient;
use super::queue_feed::QueueFeed;
use super::records::{Account, MailEntry, MailboxMeta, QueueEntry, QueueOptions, encode, flags};
use super::{MessageId, Store, StoreError, cf, keys, unix_now};
use crate::smtp::proto::dsn::Notify;

pub use mailboxes::{DELIMITER, FlagAction, MailboxOp};

/// Most operations committed in one group.
const MAX_GROUP: usize = 1024;
/// Cached mailbox counters before the cache is dropped and refilled from RocksDB.
const MAX_CACHED_MAILBOXES: usize = 100_000;
/// Mailboxes every new account gets, with their special use (RFC 6154).
pub const DEFAULT_MAILBOXES: [&str; 6] = ["INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"];

/// A received message to store: local deliveries and queued relay recipients in one write.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Id of the new blob.
    pub id: MessageId,
    /// Header lines only local mailboxes see (`Return-Path:`), before `message`.
    pub local_prefix: Bytes,
    /// The message as relayed: trace headers added by us, then the received content.
    pub message: Vec<Bytes>,
    /// Envelope sender (empty for `<>`).
    pub sender: String,
    /// Local accounts that get a copy in INBOX (distinct, lower-case).
    pub local: Vec<String>,
    /// File the local copies into Junk instead of INBOX (where the account has a Junk folder).
    pub junk: bool,
    /// Remote recipients queued for outbound delivery.
    pub remote: Vec<RemoteRecipient>,
    /// Options the queue keeps with the remote recipients.
    pub options: QueueOptions,
}

/// A remote recipient to queue, with what its sender asked to hear about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteRecipient {
    /// The address.
    pub address: String,
    /// RFC 3461 `NOTIFY`.
    pub notify: Notify,
    /// RFC 3461 `ORCPT`, as `type;address`.
    pub orcpt: Option<String>,
    /// Suppressed, to bounce at once: the reason.
    pub suppressed: Option<String>,
}

impl RemoteRecipient {
    /// A recipient without DSN parameters.
    pub fn plain(address: String) -> RemoteRecipient {
        RemoteRecipient { address, ..Default::default() }
    }
}

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
}

impl JournalOp {
    /// Whether applying it reads a mailbox's mail from RocksDB (and so must not share a group
    /// with earlier writes to that mail).
    fn reads_committed_mail(&self) -> bool {
        matches!(self, JournalOp::Mailbox(MailboxOp::Delete { .. } | MailboxOp::Rename { .. }))
    }
}

/// The answer to a committed [`JournalOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// The message is stored; the UID each local account's copy got.
    Delivered(Vec<(String, u32)>),
    /// The account change is stored.
    Done,
    /// These UIDs were removed (a subset of those asked for).
    Expunged(Vec<u32>),
    /// The appended message got this UID in a mailbox of this UIDVALIDITY.
    Appended {
        /// The mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// The new message's UID.
        uid: u32,
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
}

struct Job {
    op: JournalOp,
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
        let (reply, answer) = async_channel::bounded(1);
        self.jobs.send(Job { op, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.recv().await.map_err(|_| StoreError::Closed)?
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

    /// [`JournalHandle::submit`] for threads outside an executor.
    pub fn submit_blocking(&self, op: JournalOp) -> Result<Committed, StoreError> {
        futures_lite::future::block_on(self.submit(op))
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
        let committer =
            Committer { store, mailboxes: HashMap::new(), watchers: Arc::clone(&watchers), feed: Arc::clone(&feed) };
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

/// State owned by the journal thread.
struct Committer {
    store: Store,
    /// Committed mailbox counters by `mailbox` key.
    mailboxes: HashMap<Vec<u8>, MailboxMeta>,
    /// Sessions watching mailboxes, told of each change once it is committed.
    watchers: Arc<Watchers>,
    /// Schedulers, told of each recipient queued once it is committed.
    feed: Arc<QueueFeed>,
}

/// Changes made by the group being built, which later operations of the same group must see;
/// a `None` mailbox is a deleted one.
#[derive(Default)]
struct Staged {
    /// New mailbox counters by `mailbox` key.
    mailboxes: HashMap<Vec<u8>, Option<MailboxMeta>>,
    /// Reference count changes by message id.
    refs: HashMap<u128, i64>,
    /// `mail` keys deleted by this group.
    deleted_mail: HashSet<Vec<u8>>,
    /// `queue` keys deleted or moved by this group.
    gone_queue: HashSet<Vec<u8>>,
    /// Accounts changed by this group.
    accounts: HashMap<String, Account>,
    /// `mail` entries rewritten by this group.
    entries: HashMap<Vec<u8>, MailEntry>,
    /// Changes to announce to watchers once the group is on disk: account, mailbox id, change.
    notices: Vec<(String, u32, Change)>,
    /// Recipients queued by this group, for the schedulers once it is on disk.
    queued: Vec<DueRecipient>,
}

impl Staged {
    /// Queues a notice for the watchers of a mailbox. Always: whether anyone watches is
    /// decided when it is published, after the write, or a session that starts watching
    /// during the write would miss it.
    fn notify(&mut self, account: &str, mailbox_id: u32, change: impl FnOnce() -> Change) {
        self.notices.push((account.to_string(), mailbox_id, change()));
    }
}

impl Committer {
    fn run(mut self, queue: async_channel::Receiver<Job>) {
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
                    // Deleting or renaming a mailbox reads its mail from RocksDB: it starts a
                    // group of its own, after everything before it is on disk.
                    Ok(job) if job.op.reads_committed_mail() => {
                        held = Some(job);
                        break;
                    }
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            if self.mailboxes.len() > MAX_CACHED_MAILBOXES {
                self.mailboxes.clear();
            }
            let mut batch = WriteBatch::default();
            let mut staged = Staged::default();
            let results: Vec<_> = jobs.iter().map(|job| self.apply(&mut batch, &mut staged, &job.op)).collect();
            let written = if batch.is_empty() { Ok(()) } else { self.store.db().write_opt(batch, &sync) };
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
                    for job in jobs {
                        let _ = job.reply.try_send(Err(StoreError::Db(e.clone())));
                    }
                }
            }
        }
    }

    /// Adds one operation to the batch; on error it adds nothing.
    fn apply(&mut self, batch: &mut WriteBatch, staged: &mut Staged, op: &JournalOp) -> Result<Committed, StoreError> {
        match op {
            JournalOp::Deliver(delivery) => self.deliver(batch, staged, delivery),
            JournalOp::Expunge { account, mailbox, uids } => self.expunge(batch, staged, account, mailbox, uids),
            JournalOp::QueueFinish { keys, id, bounce, suppress } => {
                self.queue_finish(batch, staged, keys, *id, bounce.as_ref(), suppress)
            }
            JournalOp::QueueDefer { key, due, entry } => {
                if self.store.db().get_pinned_cf(self.store.cf(cf::QUEUE), key)?.is_none()
                    || staged.gone_queue.contains(key)
                {
                    return Ok(Committed::Done);
                }
                let id = keys::queue_message_id(key).ok_or_else(|| StoreError::Corrupt("short queue key".into()))?;
                batch.delete_cf(self.store.cf(cf::QUEUE), key);
                staged.gone_queue.insert(key.clone());
                batch.put_cf(self.store.cf(cf::QUEUE), keys::queue(*due, id, &entry.recipient), encode(entry));
                Ok(Committed::Done)
            }
            JournalOp::CreateAccount { address, password_hash, send_as_anyone } => {
                if self.store.account(address)?.is_some()
                    || staged.mailboxes.contains_key(&keys::mailbox(address, "INBOX"))
                {
                    return Err(StoreError::Exists(format!("account {address}")));
                }
                let now = unix_now();
                let account = Account {
                    password_hash: password_hash.clone(),
                    created: now,
                    next_mailbox_id: DEFAULT_MAILBOXES.len() as u32 + 1,
                    send_as_anyone: *send_as_anyone,
                };
                self.store.put_account(batch, address, &account);
                for (id, name) in (1..).zip(DEFAULT_MAILBOXES) {
                    let meta = MailboxMeta::new(id, now);
                    let key = keys::mailbox(address, name);
                    batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
                    staged.mailboxes.insert(key, Some(meta));
                }
                Ok(Committed::Done)
            }
            JournalOp::Mailbox(op) => self.mailbox_op(batch, staged, op),
            JournalOp::DeleteAccount { address } => {
                if self.store.account(address)?.is_none() {
                    return Err(StoreError::NotFound(format!("account {address}")));
                }
                // Read everything first so that a failure adds nothing to the batch.
                let mut held = Vec::new();
                for id in self.store.message_ids_of(address)? {
                    held.push((id, self.store.blob_refs(id)?));
                }
                self.store.delete_account(batch, address);
                for (id, committed_refs) in held {
                    self.release_blob(batch, staged, id, committed_refs);
                }
                let prefix = keys::account_prefix(address);
                let cached = self.mailboxes.keys().filter(|k| k.starts_with(&prefix)).cloned();
                let cached: Vec<_> = cached.collect();
                for key in cached.into_iter().chain(DEFAULT_MAILBOXES.iter().map(|n| keys::mailbox(address, n))) {
                    staged.mailboxes.insert(key, None);
                }
                Ok(Committed::Done)
            }
        }
    }

    fn expunge(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        account: &str,
        mailbox: &str,
        uids: &[u32],
    ) -> Result<Committed, StoreError> {
        let key = keys::mailbox(account, mailbox);
        let mut meta =
            self.meta(staged, &key)?.ok_or_else(|| StoreError::NotFound(format!("mailbox {mailbox} of {account}")))?;
        // Read everything first so that a failure adds nothing to the batch.
        let mut found: Vec<(u32, Vec<u8>, MailEntry, i64)> = Vec::with_capacity(uids.len());
        for &uid in uids {
            let mail_key = keys::mail(account, meta.id, uid);
            if staged.deleted_mail.contains(&mail_key) || found.iter().any(|(u, ..)| *u == uid) {
                continue;
            }
            if let Some(entry) = self.staged_entry(staged, &mail_key)? {
                let committed_refs = self.store.blob_refs(MessageId(entry.message_id))?;
                found.push((uid, mail_key, entry, committed_refs));
            }
        }
        let mut removed = Vec::with_capacity(found.len());
        for (uid, mail_key, entry, committed_refs) in found {
            batch.delete_cf(self.store.cf(cf::MAIL), &mail_key);
            staged.deleted_mail.insert(mail_key);
            meta.messages = meta.messages.saturating_sub(1);
            meta.size = meta.size.saturating_sub(entry.size);
            if entry.flags & flags::SEEN == 0 {
                meta.unseen = meta.unseen.saturating_sub(1);
            }
            self.release_blob(batch, staged, MessageId(entry.message_id), committed_refs);
            removed.push(uid);
        }
        if !removed.is_empty() {
            meta.highest_modseq += 1;
            batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
            let modseq = meta.highest_modseq;
            let notice = || Change::Expunged { uids: removed.clone(), modseq };
            staged.notify(account, meta.id, notice);
            staged.mailboxes.insert(key, Some(meta));
        }
        Ok(Committed::Expunged(removed))
    }

    fn queue_finish(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        queue_keys: &[Vec<u8>],
        id: MessageId,
        bounce: Option<&Delivery>,
        suppress: &[(String, String)],
    ) -> Result<Committed, StoreError> {
        let mut present = Vec::with_capacity(queue_keys.len());
        for key in queue_keys {
            if !staged.gone_queue.contains(key)
                && !present.contains(&key)
                && self.store.db().get_pinned_cf(self.store.cf(cf::QUEUE), key)?.is_some()
            {
                present.push(key);
            }
        }
        if present.is_empty() {
            return Ok(Committed::Done);
        }
        let committed_refs = self.store.blob_refs(id)?;
        let result = match bounce {
            Some(report) => match self.deliver(batch, staged, report) {
                Ok(delivered) => delivered,
                Err(e) => {
                    // The sender's mailbox is gone: the report has nowhere to go.
                    tracing::warn!(id = %id, "dropping a bounce report: {e}");
                    Committed::Done
                }
            },
            None => Committed::Done,
        };
        for key in present {
            batch.delete_cf(self.store.cf(cf::QUEUE), key);
            staged.gone_queue.insert(key.clone());
            self.release_blob(batch, staged, id, committed_refs);
        }
        for (address, reason) in suppress {
            self.store.suppress_in(batch, address, reason);
        }
        Ok(result)
    }

    /// Drops one reference to a blob whose committed count is `committed_refs`; the last
    /// reference deletes the body.
    fn release_blob(&self, batch: &mut WriteBatch, staged: &mut Staged, id: MessageId, committed_refs: i64) {
        let delta = staged.refs.entry(id.0).or_default();
        *delta -= 1;
        if committed_refs + *delta <= 0 {
            batch.delete_cf(self.store.cf(cf::BLOB), keys::message(id));
            batch.delete_cf(self.store.cf(cf::REFS), keys::message(id));
        } else {
            batch.merge_cf(self.store.cf(cf::REFS), keys::message(id), (-1i64).to_le_bytes());
        }
    }

    fn deliver(&mut self, batch: &mut WriteBatch, staged: &mut Staged, d: &Delivery) -> Result<Committed, StoreError> {
        if d.local.is_empty() && d.remote.is_empty() {
            // Nobody to deliver to (every alias target suppressed): a body nobody holds is not kept.
            return Ok(Committed::Delivered(Vec::new()));
        }
        // Look everything up first so that a failure adds nothing to the batch.
        let mut inboxes = Vec::with_capacity(d.local.len());
        for account in &d.local {
            let junk = keys::mailbox(account, "Junk");
            let found = match d.junk {
                true => self.meta(staged, &junk)?.map(|meta| (junk, meta)),
                false => None,
            };
            let (key, meta) = match found {
                Some(found) => found,
                None => {
                    let key = keys::mailbox(account, "INBOX");
                    let meta = self.meta(staged, &key)?;
                    (key, meta.ok_or_else(|| StoreError::NotFound(format!("mailbox INBOX of {account}")))?)
                }
            };
            inboxes.push((account, key, meta));
        }
        let prefix = if d.local.is_empty() { &[][..] } else { &d.local_prefix[..] };
        let mut blob = Vec::with_capacity(prefix.len() + d.message.iter().map(Bytes::len).sum::<usize>());
        blob.extend_from_slice(prefix);
        for segment in &d.message {
            blob.extend_from_slice(segment);
        }
        let size = blob.len() as u64;
        let now = unix_now();

        let mut uids = Vec::with_capacity(inboxes.len());
        for (account, key, mut meta) in inboxes {
            let uid = meta.uid_next;
            meta.uid_next += 1;
            meta.highest_modseq += 1;
            meta.messages += 1;
            meta.unseen += 1;
            meta.size += size;
            let entry =
                MailEntry { message_id: d.id.0, flags: 0, internal_date: now, size, modseq: meta.highest_modseq };
            debug_assert_eq!(entry.flags & flags::SEEN, 0);
            batch.put_cf(self.store.cf(cf::MAIL), keys::mail(account, meta.id, uid), encode(&entry));
            batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
            staged.notify(account, meta.id, || Change::Added { uid, entry });
            staged.mailboxes.insert(key, Some(meta));
            uids.push((account.clone(), uid));
        }
        for recipient in &d.remote {
            let entry = QueueEntry {
                sender: d.sender.clone(),
                recipient: recipient.address.clone(),
                body_offset: prefix.len() as u32,
                attempts: 0,
                created: now,
                last_error: None,
                notify: recipient.notify,
                orcpt: recipient.orcpt.clone(),
                options: d.options.clone(),
                suppressed: recipient.suppressed.clone(),
                delay_reported: false,
            };
            let key = keys::queue(now, d.id, &recipient.address);
            batch.put_cf(self.store.cf(cf::QUEUE), &key, encode(&entry));
            staged.queued.push(DueRecipient { key, due: now, id: d.id, entry });
        }
        let refs = (d.local.len() + d.remote.len()) as i64;
        *staged.refs.entry(d.id.0).or_default() += refs;
        batch.merge_cf(self.store.cf(cf::REFS), keys::message(d.id), refs.to_le_bytes());
        batch.put_cf(self.store.cf(cf::BLOB), keys::message(d.id), blob);
        Ok(Committed::Delivered(uids))
    }

    /// Current counters of a mailbox: staged in this group, else cached, else from RocksDB.
    fn meta(&mut self, staged: &Staged, key: &[u8]) -> Result<Option<MailboxMeta>, StoreError> {
        if let Some(meta) = staged.mailboxes.get(key) {
            return Ok(meta.clone());
        }
        if let Some(meta) = self.mailboxes.get(key) {
            return Ok(Some(meta.clone()));
        }
        let meta: Option<MailboxMeta> = self.store.get(cf::MAILBOX, key)?;
        if let Some(meta) = &meta {
            self.mailboxes.insert(key.to_vec(), meta.clone());
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn delivery(id: u128, local: &[&str], remote: &[&str], body: &'static [u8]) -> JournalOp {
        JournalOp::Deliver(Delivery {
            id: MessageId(id),
            local_prefix: Bytes::from_static(b"Return-Path: <a@example.net>\r\n"),
            message: vec![Bytes::from_static(body)],
            sender: "a@example.net".into(),
            local: local.iter().map(|s| s.to_string()).collect(),
            junk: false,
            remote: remote.iter().map(|s| RemoteRecipient::plain(s.to_string())).collect(),
            options: QueueOptions::default(),
        })
    }

    fn queued(store: &Store) -> Vec<super::super::queue::DueRecipient> {
        let mut out = Vec::new();
        store.for_each_queued(|r| out.push(r)).unwrap();
        out
    }

    fn create(journal: &JournalHandle, address: &str) {
        let op = JournalOp::CreateAccount { address: address.into(), password_hash: "x".into(), send_as_anyone: false };
        assert_eq!(journal.submit_blocking(op).unwrap(), Committed::Done);
    }

    #[test]
    fn queued_recipients_are_announced_once_on_disk_and_fresh_blobs_read_from_memory() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let feed = h.queue_feed().subscribe(|_| true);
        h.submit_blocking(delivery(1, &["bob@example.com"], &[], b"local only")).unwrap();
        assert!(feed.drain().is_empty(), "nothing queued, nothing announced");
        h.submit_blocking(delivery(2, &[], &["x@remote.example", "y@remote.example"], b"m2")).unwrap();
        let announced = feed.drain();
        let on_disk = queued(&store);
        assert_eq!(announced.len(), 2);
        for (a, d) in announced.iter().zip(&on_disk) {
            assert_eq!((&a.key, &a.entry, a.id), (&d.key, &d.entry, d.id), "the announcement is what was written");
        }
        assert_eq!(store.blob_in_memory(MessageId(2)).as_deref(), Some(&b"m2"[..]));
        assert_eq!(store.blob_in_memory(MessageId(99)), None);
        journal.stop();
    }

    #[test]
    fn one_blob_many_recipients_with_increasing_uids() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        create(&h, "eve@example.com");
        let first =
            h.submit_blocking(delivery(1, &["bob@example.com", "eve@example.com"], &["x@remote.example"], b"m1"));
        assert_eq!(
            first.unwrap(),
            Committed::Delivered(vec![("bob@example.com".into(), 1), ("eve@example.com".into(), 1)])
        );
        let second = h.submit_blocking(delivery(2, &["bob@example.com"], &[], b"m2")).unwrap();
        assert_eq!(second, Committed::Delivered(vec![("bob@example.com".into(), 2)]));

        assert_eq!(store.blob(MessageId(1)).unwrap().unwrap(), b"Return-Path: <a@example.net>\r\nm1");
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 3);
        let meta = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap();
        assert_eq!((meta.uid_next, meta.messages, meta.unseen), (3, 2, 2));
        let queued = queued(&store);
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].entry.recipient, "x@remote.example");
        assert_eq!(queued[0].entry.body_offset as usize, "Return-Path: <a@example.net>\r\n".len());
        journal.stop();
    }

    #[test]
    fn many_concurrent_submitters_get_distinct_uids_in_commit_order() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        create(&journal.handle(), "bob@example.com");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let h = journal.handle();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|i| match h.submit_blocking(delivery(t * 1000 + i, &["bob@example.com"], &[], b"x")) {
                            Ok(Committed::Delivered(uids)) => uids[0].1,
                            other => panic!("{other:?}"),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u32> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        all.sort();
        assert_eq!(all, (1..=400).collect::<Vec<_>>());
        let entries = store.mail_entries("bob@example.com", "INBOX").unwrap();
        assert_eq!(entries.len(), 400);
        journal.stop();
    }

    #[test]
    fn unknown_mailbox_fails_alone_and_deleted_accounts_vanish() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let err = h.submit_blocking(delivery(5, &["nobody@example.com"], &[], b"x")).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        assert!(store.blob(MessageId(5)).unwrap().is_none(), "a failed delivery writes nothing");

        h.submit_blocking(delivery(6, &["bob@example.com"], &[], b"x")).unwrap();
        h.submit_blocking(JournalOp::DeleteAccount { address: "bob@example.com".into() }).unwrap();
        assert!(store.account("bob@example.com").unwrap().is_none());
        assert!(store.mailboxes("bob@example.com").unwrap().is_empty());
        assert_eq!(store.blob_refs(MessageId(6)).unwrap(), 0);
        assert!(store.blob(MessageId(6)).unwrap().is_none(), "nobody holds the body any more");
        // Re-created accounts start over, not from the cached counters.
        create(&h, "bob@example.com");
        let again = h.submit_blocking(delivery(7, &["bob@example.com"], &[], b"x")).unwrap();
        assert_eq!(again, Committed::Delivered(vec![("bob@example.com".into(), 1)]));
        journal.stop();
    }

    #[test]
    fn expunge_updates_counters_and_frees_bodies_nobody_else_holds() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        create(&h, "eve@example.com");
        h.submit_blocking(delivery(1, &["bob@example.com", "eve@example.com"], &[], b"shared")).unwrap();
        h.submit_blocking(delivery(2, &["bob@example.com"], &[], b"own")).unwrap();
        let before = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap();

        let expunge =
            |uids: Vec<u32>| JournalOp::Expunge { account: "bob@example.com".into(), mailbox: "INBOX".into(), uids };
        assert_eq!(h.submit_blocking(expunge(vec![1, 2, 9, 2])).unwrap(), Committed::Expunged(vec![1, 2]));
        let after = store.mailbox_meta("bob@example.com", "INBOX").unwrap().unwrap();
        assert_eq!((after.messages, after.unseen, after.size), (0, 0, 0));
        assert!(after.highest_modseq > before.highest_modseq);
        assert_eq!(after.uid_next, before.uid_next, "UIDs are never reused");
        assert!(store.blob(MessageId(2)).unwrap().is_none(), "bob's own body is gone");
        assert!(store.blob(MessageId(1)).unwrap().is_some(), "eve still holds the shared body");
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 1);
        assert_eq!(h.submit_blocking(expunge(vec![1])).unwrap(), Committed::Expunged(vec![]), "idempotent");

        let eve = JournalOp::Expunge { account: "eve@example.com".into(), mailbox: "INBOX".into(), uids: vec![1] };
        assert_eq!(h.submit_blocking(eve).unwrap(), Committed::Expunged(vec![1]));
        assert!(store.blob(MessageId(1)).unwrap().is_none(), "the last holder freed it");
        journal.stop();
    }

    #[test]
    fn queue_defer_moves_and_finish_releases_and_bounces_atomically() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "alice@example.com");
        h.submit_blocking(delivery(1, &[], &["x@far.example", "y@far.example"], b"out")).unwrap();
        let due = store.due_recipients(u64::MAX, 10, |_| true).unwrap();
        assert_eq!(due.len(), 2);

        let mut entry = due[0].entry.clone();
        entry.attempts = 1;
        entry.last_error = Some("451 later".into());
        let defer = JournalOp::QueueDefer { key: due[0].key.clone(), due: 4_000_000_000, entry };
        h.submit_blocking(defer).unwrap();
        let now = unix_now();
        let still_due = store.due_recipients(now, 10, |_| true).unwrap();
        assert_eq!(still_due.len(), 1, "the deferred one is no longer due");
        let all = queued(&store);
        assert_eq!((all[1].due, all[1].entry.attempts), (4_000_000_000, 1));

        let report = match delivery(2, &["alice@example.com"], &[], b"bounce") {
            JournalOp::Deliver(d) => d,
            _ => unreachable!(),
        };
        let keys = vec![still_due[0].key.clone(), still_due[0].key.clone()];
        let finish = JournalOp::QueueFinish { keys, id: MessageId(1), bounce: Some(report), suppress: vec![] };
        assert!(matches!(h.submit_blocking(finish).unwrap(), Committed::Delivered(_)));
        assert_eq!(queued(&store).len(), 1);
        assert_eq!(store.blob_refs(MessageId(1)).unwrap(), 1, "one reference released, not two");
        assert_eq!(store.mail_entries("alice@example.com", "INBOX").unwrap().len(), 1, "the bounce arrived");

        let last = queued(&store);
        let key = keys::queue(last[0].due, MessageId(1), &last[0].entry.recipient);
        h.submit_blocking(JournalOp::QueueFinish { keys: vec![key], id: MessageId(1), bounce: None, suppress: vec![] })
            .unwrap();
        assert!(store.blob(MessageId(1)).unwrap().is_none(), "the last queue entry freed the body");
        journal.stop();
    }
}
