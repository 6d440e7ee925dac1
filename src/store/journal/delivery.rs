//! Storing a received message: one blob, a mail entry in each local account's INBOX (or Junk),
//! a queue entry per remote recipient, and the DMARC report counters the message counts for,
//! all in one write.

use bytes::Bytes;
use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::changes::Change;
use crate::dmarc_reports::ReportRow;
use crate::queue::DueRecipient;
use crate::records::{MailEntry, Parts, QueueEntry, QueueOptions, encode, flags};
use crate::{MessageId, StoreError, cf, keys, unix_now};
use smtp_proto::dsn::Notify;

/// A received message to store: local deliveries and queued relay recipients in one write.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Id of the new blob.
    pub id: MessageId,
    /// Header lines only local mailboxes see (`Return-Path:`), before `message`.
    pub local_prefix: Bytes,
    /// The message as relayed: trace headers added by us, then the received content (the
    /// part of it not in `staged`).
    pub message: Vec<Bytes>,
    /// Received content already in the store in parts ([`Store::put_part`](crate::Store::put_part)),
    /// between `message`'s first segments (ours) and the rest.
    pub staged: Option<StagedParts>,
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
    /// DMARC aggregate report rows this message counts one for (checked mail from other
    /// servers whose domain asks for reports), counted in the same write.
    pub dmarc: Vec<ReportRow>,
    /// Copies with content of their own for other remote recipients (a bulk sender's mail,
    /// whose unsubscribe link and signature differ per recipient), stored in the same write.
    pub copies: Vec<OwnCopy>,
}

/// One more copy of a [`Delivery`]'s message, with its own id and content, for some remote
/// recipients; it shares the delivery's sender and options.
#[derive(Debug, Clone)]
pub struct OwnCopy {
    /// Id of its blob.
    pub id: MessageId,
    /// The message as relayed, whole.
    pub message: Vec<Bytes>,
    /// Its recipients.
    pub remote: Vec<RemoteRecipient>,
}

/// Where a message's parts already in the store go in its [`Delivery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagedParts {
    /// Parts `1..=last` are written.
    pub last: u32,
    /// Octets in them.
    pub size: usize,
    /// How many of `message`'s segments come before them.
    pub after_segments: usize,
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

impl Committer {
    /// Adds a delivery to the batch; on error it adds nothing.
    pub(super) fn deliver(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        d: &Delivery,
    ) -> Result<Committed, StoreError> {
        if d.local.is_empty() && d.remote.is_empty() {
            // Nobody to deliver to (every alias target suppressed): a body nobody holds is not
            // kept, but the message was received and counts for its report.
            if let Some(staged) = d.staged {
                self.store.delete_parts(batch, d.id, Parts { last: staged.last, complete: false });
            }
            self.count_dmarc(batch, &d.dmarc);
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
        let (head, tail) = d.message.split_at(d.staged.map_or(d.message.len(), |s| s.after_segments));
        let mut blob = Vec::with_capacity(prefix.len() + head.iter().map(Bytes::len).sum::<usize>());
        blob.extend_from_slice(prefix);
        for segment in head {
            blob.extend_from_slice(segment);
        }
        let size = match d.staged {
            Some(staged) => blob.len() + staged.size + tail.iter().map(Bytes::len).sum::<usize>(),
            None => blob.len(),
        } as u64;
        let now = unix_now();

        let mut uids = Vec::with_capacity(inboxes.len());
        for (account, key, mut meta) in inboxes {
            let uid = meta.uid_next;
            meta.uid_next += 1;
            meta.highest_modseq += 1;
            meta.messages += 1;
            meta.unseen += 1;
            meta.size += size;
            let entry = MailEntry {
                message_id: d.id.0,
                flags: 0,
                internal_date: now,
                size,
                modseq: meta.highest_modseq,
                saved: MailEntry::save_date(now),
            };
            debug_assert_eq!(entry.flags & flags::SEEN, 0);
            batch.put_cf(self.store.cf(cf::MAIL), keys::mail(account, meta.id, uid), encode(&entry));
            batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
            staged.notify(account, meta.id, || Change::Added { uid, entry });
            staged.mailboxes.insert(key, Some(meta));
            uids.push((account.clone(), uid));
        }
        self.queue(batch, staged, d, d.id, prefix.len(), &d.remote);
        self.add_refs(batch, staged, d.id, d.local.len() + d.remote.len());
        match d.staged {
            Some(staged) => self.store.complete_parts(batch, d.id, staged.last, blob, tail),
            None => batch.put_cf(self.store.cf(cf::BLOB), keys::message(d.id), blob),
        }
        for copy in &d.copies {
            self.queue(batch, staged, d, copy.id, 0, &copy.remote);
            self.add_refs(batch, staged, copy.id, copy.remote.len());
            batch.put_cf(self.store.cf(cf::BLOB), keys::message(copy.id), copy.message.concat());
        }
        self.count_dmarc(batch, &d.dmarc);
        Ok(Committed::Delivered(uids))
    }

    /// Queues `remote`, recipients of blob `id` of delivery `d` whose relayed message starts at
    /// `body_offset`.
    fn queue(
        &self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        d: &Delivery,
        id: MessageId,
        body_offset: usize,
        remote: &[RemoteRecipient],
    ) {
        let now = unix_now();
        for recipient in remote {
            let entry = QueueEntry {
                sender: d.sender.clone(),
                recipient: recipient.address.clone(),
                body_offset: body_offset as u32,
                attempts: 0,
                created: now,
                last_error: None,
                notify: recipient.notify,
                orcpt: recipient.orcpt.clone(),
                options: d.options.clone(),
                suppressed: recipient.suppressed.clone(),
                delay_reported: false,
            };
            let key = keys::queue(now, id, &recipient.address);
            batch.put_cf(self.store.cf(cf::QUEUE), &key, encode(&entry));
            staged.queued.push(DueRecipient { key, due: now, id, entry });
        }
    }

    /// Adds `n` references to blob `id`.
    fn add_refs(&self, batch: &mut WriteBatch, staged: &mut Staged, id: MessageId, n: usize) {
        let refs = n as i64;
        *staged.refs.entry(id.0).or_default() += refs;
        batch.merge_cf(self.store.cf(cf::REFS), keys::message(id), refs.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{create, delivery, queued, report_row, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;

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
    fn a_message_stored_in_parts_reads_whole_and_its_last_reference_deletes_every_part() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let id = MessageId(5);
        store.put_part(id, 1, b"Subject: big\r\n\r\nfirst ").unwrap();
        store.put_part(id, 2, b"second ").unwrap();
        let JournalOp::Deliver(mut d) = delivery(5, &["bob@example.com"], &["x@remote.example"], b"") else {
            unreachable!()
        };
        d.message = vec![Bytes::from_static(b"Received: by us\r\n"), Bytes::from_static(b"third\r\n")];
        d.staged = Some(StagedParts { last: 2, size: 29, after_segments: 1 });
        h.submit_blocking(JournalOp::Deliver(d)).unwrap();
        let whole = b"Return-Path: <a@example.net>\r\nReceived: by us\r\nSubject: big\r\n\r\nfirst second third\r\n";
        assert_eq!(store.blob(id).unwrap().unwrap(), whole);
        assert_eq!(store.blob_in_memory(id), None, "joined on a thread that may block");
        assert_eq!(store.mail_entry("bob@example.com", "INBOX", 1).unwrap().unwrap().size, whole.len() as u64);
        let queued = queued(&store);
        assert_eq!(&whole[queued[0].entry.body_offset as usize..][..9], b"Received:");
        assert_eq!(store.drop_unfinished_parts().unwrap(), 0, "stored parts are not unfinished ones");

        let finish = JournalOp::QueueFinish {
            keys: vec![queued[0].key.clone()],
            id,
            bounce: None,
            suppress: Vec::new(),
            tally: None,
        };
        h.submit_blocking(finish).unwrap();
        assert!(store.blob(id).unwrap().is_some(), "the mailbox copy still holds it");
        let expunge = JournalOp::Expunge { account: "bob@example.com".into(), mailbox: "INBOX".into(), uids: vec![1] };
        h.submit_blocking(expunge).unwrap();
        assert_eq!(store.blob(id).unwrap().as_deref(), Some(&whole[..]), "readable a while after the expunge");
        assert_eq!(store.sweep_expunged(u64::MAX, usize::MAX).unwrap(), 1);
        assert_eq!(store.blob(id).unwrap(), None);
        assert!(store.received_parts(id, 2).is_err(), "every part is gone");
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
    fn copies_of_their_own_are_queued_with_the_delivery() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let JournalOp::Deliver(mut d) = delivery(1, &["bob@example.com"], &["x@remote.example"], b"for x") else {
            unreachable!()
        };
        d.copies = vec![OwnCopy {
            id: MessageId(2),
            message: vec![Bytes::from_static(b"sig\r\n"), Bytes::from_static(b"for y")],
            remote: vec![RemoteRecipient::plain("y@remote.example".into())],
        }];
        h.submit_blocking(JournalOp::Deliver(d)).unwrap();
        assert_eq!(store.blob(MessageId(2)).unwrap().unwrap(), b"sig\r\nfor y", "the copy, whole, without Return-Path");
        assert_eq!((store.blob_refs(MessageId(1)).unwrap(), store.blob_refs(MessageId(2)).unwrap()), (2, 1));
        let mut queued: Vec<_> =
            queued(&store).into_iter().map(|r| (r.id, r.entry.recipient, r.entry.body_offset)).collect();
        queued.sort();
        let offset = "Return-Path: <a@example.net>\r\n".len() as u32;
        assert_eq!(
            queued,
            [(MessageId(1), "x@remote.example".into(), offset), (MessageId(2), "y@remote.example".into(), 0)]
        );
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
    fn an_unknown_mailbox_fails_alone_and_writes_nothing() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let mut unknown = delivery(5, &["nobody@example.com"], &[], b"x");
        if let JournalOp::Deliver(d) = &mut unknown {
            d.dmarc = vec![report_row(100)];
        }
        let err = h.submit_blocking(unknown).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        assert!(store.blob(MessageId(5)).unwrap().is_none(), "a failed delivery writes nothing");
        assert!(store.dmarc_results_before(u64::MAX).unwrap().is_empty(), "not even its DMARC count");
        journal.stop();
    }

    #[test]
    fn dmarc_rows_are_counted_with_the_message_even_when_nobody_gets_it() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let row = report_row(100);
        for (id, local) in [(1, &["bob@example.com"][..]), (2, &[][..])] {
            let JournalOp::Deliver(mut d) = delivery(id, local, &[], b"x") else { unreachable!() };
            d.dmarc = vec![row.clone()];
            h.submit_blocking(JournalOp::Deliver(d)).unwrap();
        }
        assert_eq!(store.dmarc_results_before(u64::MAX).unwrap(), vec![(row, 2)]);
        assert!(store.blob(MessageId(2)).unwrap().is_none(), "a body nobody holds is not kept");
        journal.stop();
    }
}
