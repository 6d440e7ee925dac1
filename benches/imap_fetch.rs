//! IMAP `FETCH 1:* (ENVELOPE)` over a 10,000-message INBOX, without the network: the work the
//! FETCH handler does per message, from the RocksDB store up to the response bytes.
//!
//! Setup: a temporary store, a running journal, one account, and 10,000 varied messages of
//! about 2 KiB appended to its INBOX through `MailboxOp::Append` (from 32 threads, so the
//! journal groups them). Then two measurements, each reported per 10,000 envelopes
//! (criterion's `thrpt` line is envelopes/s):
//! - `store_to_envelopes`: `Store::mail_entries` for INBOX, then for each entry the blob read
//!   from RocksDB, `mime::parse` and `imap_proto::mime::write_envelope` into one `BytesMut`;
//! - `envelopes_only`: the same parse and write over blobs already in memory, to separate the
//!   MIME work from the store reads;
//! - `cached_summaries_to_envelopes`: `Store::mail_entries`, then each ENVELOPE from the shared
//!   summary cache (what FETCH does once a FETCH or SEARCH has summarized the mailbox).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use message::mime;
use ringmail::imap::summary::SummaryCache;
use store::journal::{Committed, JournalOp, MailboxOp, NewMessage};
use store::{Journal, MessageId, Store};

const MESSAGES: usize = 10_000;
const ACCOUNT: &str = "bench@example.net";
const THREADS: usize = 32;

const NAMES: [&str; 12] = [
    "Alice Example",
    "Bob Builder",
    "Carol \"CJ\" Jones",
    "=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=",
    "Dave, the third",
    "Erin O'Brien",
    "Frank",
    "Grace Hopper",
    "=?ISO-8859-1?B?RnJhbudvaXM=?=",
    "Heidi Klum",
    "Ivan Petrov",
    "Judy",
];
const DOMAINS: [&str; 6] = ["example.org", "example.com", "mail.example.net", "lists.example.org", "corp.test", "x.io"];
const WORDS: [&str; 16] = [
    "quarterly",
    "report",
    "meeting",
    "lunch",
    "invoice",
    "release",
    "draft",
    "review",
    "budget",
    "trip",
    "server",
    "outage",
    "party",
    "notes",
    "update",
    "question",
];

/// Message `n`: a varied header (senders, recipients, Cc and groups now and then, encoded
/// words, replies) and a plain-text body, about 2 KiB in all.
fn message(n: usize) -> Vec<u8> {
    let from = NAMES[n % NAMES.len()];
    let domain = DOMAINS[n % DOMAINS.len()];
    let local = format!("user{}", n % 97);
    let words: Vec<&str> = (0..1 + n % 6).map(|i| WORDS[(n * 7 + i * 3) % WORDS.len()]).collect();
    let subject = match n % 5 {
        0 => format!("Re: {} #{n}", words.join(" ")),
        1 => format!("=?UTF-8?Q?{}_=E2=80=93_{n}?=", words.join("_")),
        _ => format!("{} {n}", words.join(" ")),
    };
    let mut m = format!(
        "Return-Path: <{local}@{domain}>\r\n\
         Received: from mx{n}.{domain} (mx.{domain} [192.0.2.{}])\r\n\tby mail.example.net with ESMTPS id {n:x}\r\n\
         \tfor <{ACCOUNT}>; Tue, 4 Mar 2025 10:{:02}:02 +0100\r\n\
         From: \"{from}\" <{local}@{domain}>\r\n\
         To: Bench <{ACCOUNT}>{}\r\n",
        n % 250,
        n % 60,
        if n % 3 == 0 { ", other@example.com,\r\n \"Someone Else\" <else@example.org>" } else { "" },
    );
    if n % 4 == 0 {
        m.push_str("Cc: Team: erin@example.com, frank@example.com;, boss@corp.test\r\n");
    }
    if n % 7 == 0 {
        m.push_str(&format!("Reply-To: <list-{}@lists.example.org>\r\nSender: bounces@lists.example.org\r\n", n % 13));
    }
    m.push_str(&format!(
        "Subject: {subject}\r\nDate: Tue, {} Mar 2025 10:{:02}:00 +0100\r\nMessage-ID: <{n}.{}@{domain}>\r\n",
        1 + n % 28,
        n % 60,
        n * 31
    ));
    if n % 2 == 0 && n > 0 {
        m.push_str(&format!("In-Reply-To: <{}.{}@{domain}>\r\n", n - 1, (n - 1) * 31));
    }
    m.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    let mut i = 0;
    while m.len() < 2048 - 80 {
        let line: Vec<&str> = (0..10).map(|k| WORDS[(n + i * 11 + k * 5) % WORDS.len()]).collect();
        m.push_str(&line.join(" "));
        m.push_str("\r\n");
        i += 1;
    }
    m.into_bytes()
}

/// A store with the account and its 10,000 messages; the journal is stopped again.
fn filled_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    let journal = Journal::start(store.clone());
    let h = journal.handle();
    let op = JournalOp::CreateAccount { address: ACCOUNT.into(), password_hash: "x".into(), send_as_anyone: false };
    assert_eq!(h.submit_blocking(op).expect("create account"), Committed::Done);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let base = now.as_micros() << 64;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let h = h.clone();
            s.spawn(move || {
                for n in (t..MESSAGES).step_by(THREADS) {
                    let appended = NewMessage {
                        id: MessageId(base | n as u128),
                        message: Bytes::from(message(n)),
                        flags: 0,
                        keywords: Vec::new(),
                        internal_date: now.as_secs() - (MESSAGES - n) as u64 * 60,
                    };
                    let op = MailboxOp::Append {
                        account: ACCOUNT.into(),
                        mailbox: "INBOX".into(),
                        messages: vec![appended],
                    };
                    match h.submit_blocking(JournalOp::Mailbox(op)) {
                        Ok(Committed::Appended { .. }) => {}
                        other => panic!("append {n}: {other:?}"),
                    }
                }
            });
        }
    });
    journal.stop();
    (dir, store)
}

/// What FETCH writes per message: `* n FETCH (UID u ENVELOPE (...))`.
fn fetch_line(out: &mut BytesMut, n: usize, uid: u32, blob: &[u8]) {
    out.put_slice(format!("* {n} FETCH (UID {uid} ENVELOPE ").as_bytes());
    imap_proto::mime::write_envelope(out, blob, &mime::parse(blob));
    out.put_slice(b")\r\n");
}

fn bench(c: &mut Criterion) {
    let (_dir, store) = filled_store();
    let entries = store.mail_entries(ACCOUNT, "INBOX").expect("entries");
    assert_eq!(entries.len(), MESSAGES);
    let blobs: Vec<(u32, Vec<u8>)> = entries
        .iter()
        .map(|(uid, e)| (*uid, store.blob(MessageId(e.message_id)).expect("blob read").expect("blob exists")))
        .collect();
    let mean = blobs.iter().map(|(_, b)| b.len()).sum::<usize>() / blobs.len();
    let mut out = BytesMut::with_capacity(8 << 20);
    for (i, (uid, blob)) in blobs.iter().enumerate() {
        fetch_line(&mut out, i + 1, *uid, blob);
    }
    eprintln!("imap_fetch: {MESSAGES} messages of {mean} octets on average, {} octets of FETCH response", out.len());

    let mut group = c.benchmark_group("imap_fetch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("store_to_envelopes_10000", |b| {
        b.iter(|| {
            out.clear();
            let entries = store.mail_entries(ACCOUNT, "INBOX").expect("entries");
            for (i, (uid, entry)) in entries.iter().enumerate() {
                let blob = store.blob(MessageId(entry.message_id)).expect("blob read").expect("blob exists");
                fetch_line(&mut out, i + 1, *uid, &blob);
            }
            black_box(out.len())
        })
    });
    group.bench_function("envelopes_only_10000", |b| {
        b.iter(|| {
            out.clear();
            for (i, (uid, blob)) in blobs.iter().enumerate() {
                fetch_line(&mut out, i + 1, *uid, black_box(blob));
            }
            black_box(out.len())
        })
    });
    // What FETCH does once the summaries are cached (after a first FETCH or SEARCH).
    let cache = SummaryCache::new(64 << 20);
    for (_, entry) in &entries {
        let blob = store.blob(MessageId(entry.message_id)).expect("blob read").expect("blob exists");
        cache.summarize(MessageId(entry.message_id), &blob, &mime::parse(&blob));
    }
    group.bench_function("cached_summaries_to_envelopes_10000", |b| {
        b.iter(|| {
            out.clear();
            let entries = store.mail_entries(ACCOUNT, "INBOX").expect("entries");
            for (i, (uid, entry)) in entries.iter().enumerate() {
                let summary = cache.get(MessageId(entry.message_id)).expect("cached");
                out.put_slice(format!("* {} FETCH (UID {uid} ENVELOPE ", i + 1).as_bytes());
                out.put_slice(summary.envelope());
                out.put_slice(b")\r\n");
            }
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
