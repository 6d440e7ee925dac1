//! What the journal's tests share: a store in a temporary directory, accounts, deliveries.

use bytes::Bytes;

use super::{Committed, Delivery, JournalHandle, JournalOp, MailboxOp, NewMessage, RemoteRecipient};
use crate::dmarc_reports::ReportRow;
use crate::queue::DueRecipient;
use crate::records::QueueOptions;
use crate::{MessageId, Store, StoreError};

/// A store in a directory that is removed when the first value is dropped.
pub(super) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

/// Creates an account.
pub(super) fn create(journal: &JournalHandle, address: &str) {
    let op = JournalOp::CreateAccount { address: address.into(), password_hash: "x".into(), send_as_anyone: false };
    assert_eq!(journal.submit_blocking(op).unwrap(), Committed::Done);
}

/// A message from `a@example.net` for local accounts and remote recipients.
pub(super) fn delivery(id: u128, local: &[&str], remote: &[&str], body: &'static [u8]) -> JournalOp {
    JournalOp::Deliver(Delivery {
        id: MessageId(id),
        local_prefix: Bytes::from_static(b"Return-Path: <a@example.net>\r\n"),
        message: vec![Bytes::from_static(body)],
        staged: None,
        sender: "a@example.net".into(),
        local: local.iter().map(|s| s.to_string()).collect(),
        junk: false,
        remote: remote.iter().map(|s| RemoteRecipient::plain(s.to_string())).collect(),
        options: QueueOptions::default(),
        dmarc: Vec::new(),
        copies: Vec::new(),
    })
}

/// Every queued recipient, in due order.
pub(super) fn queued(store: &Store) -> Vec<DueRecipient> {
    let mut out = Vec::new();
    store.for_each_queued(|r| out.push(r)).unwrap();
    out
}

/// A DMARC report row of `period`.
pub(super) fn report_row(period: u64) -> ReportRow {
    ReportRow {
        period,
        policy_domain: "example.com".into(),
        source_ip: "192.0.2.1".into(),
        header_from: "example.com".into(),
        disposition: "none".into(),
        dkim_aligned: "pass".into(),
        spf_aligned: "fail".into(),
        dkim_domain: "example.com".into(),
        dkim_result: "pass".into(),
        spf_domain: "bounce.example.net".into(),
        spf_result: "pass".into(),
    }
}

/// Submits an IMAP change.
pub(super) fn run(h: &JournalHandle, op: MailboxOp) -> Result<Committed, StoreError> {
    h.submit_blocking(JournalOp::Mailbox(op))
}

/// Appends a small message to a mailbox of `bob@x` and returns its UID.
pub(super) fn append(h: &JournalHandle, mailbox: &str, id: u128, flags: u32, keywords: &[&str]) -> u32 {
    let message = NewMessage {
        id: MessageId(id),
        message: Bytes::from_static(b"Subject: x\r\n\r\nbody\r\n"),
        flags,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        internal_date: 1000,
    };
    let op = MailboxOp::Append { account: "bob@x".into(), mailbox: mailbox.into(), messages: vec![message] };
    match run(h, op).unwrap() {
        Committed::Appended { uids, .. } => uids[0],
        other => panic!("{other:?}"),
    }
}

/// A store with a journal and the account `bob@x`.
pub(super) fn setup() -> (tempfile::TempDir, Store, super::Journal) {
    let (dir, store) = temp_store();
    let journal = super::Journal::start(store.clone());
    create(&journal.handle(), "bob@x");
    (dir, store, journal)
}

/// Commits `ops` the way the journal thread does when they are all waiting as it wakes (in
/// groups, as many together as may be), on this thread; their answers in order.
pub(super) fn commit_queued(store: &Store, ops: Vec<JournalOp>) -> Vec<Result<Committed, StoreError>> {
    let (jobs, queue) = async_channel::unbounded();
    let answers: Vec<_> = ops
        .into_iter()
        .map(|op| {
            let (reply, answer) = async_channel::bounded(1);
            jobs.try_send(super::Job { op, events: Vec::new(), reply }).unwrap();
            answer
        })
        .collect();
    jobs.close();
    super::Committer::new(store.clone(), Default::default(), Default::default()).run(queue);
    answers.into_iter().map(|answer| answer.try_recv().unwrap()).collect()
}
