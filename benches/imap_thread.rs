//! THREAD and SORT's subject key (RFC 5256) over a mailbox of 10,000 messages: reply chains of
//! 1 to 8 messages whose subjects gather `Re:`, `Fwd:` and list tags, a parent missing now and
//! then, in arrival order.
//!
//! - `references`: THREAD=REFERENCES over all of them (what `THREAD REFERENCES UTF-8 ALL` runs
//!   after the summaries are read);
//! - `ordered_subject`: THREAD=ORDEREDSUBJECT;
//! - `base_subject`: the base subject of every message (what SORT (SUBJECT) keys on).
//!
//! Run with `cargo bench --bench imap_thread`; criterion reports the time per mailbox.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use imap_proto::base_subject::base_subject;
use imap_proto::thread::{self, ThreadInput};

/// Messages in the mailbox.
const MESSAGES: usize = 10_000;

/// (message-id, references, subject, sent) of each message.
fn mailbox() -> Vec<(String, Vec<String>, String, i64)> {
    let mut out = Vec::with_capacity(MESSAGES);
    let mut state = 12_345u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    while out.len() < MESSAGES {
        let topic = out.len();
        let length = 1 + next() % 8;
        let mut chain: Vec<String> = Vec::new();
        for depth in 0..length {
            let id = format!("m{}.{depth}@bench.example", topic);
            let prefix = ["", "Re: ", "RE: [list] Re: ", "Fwd: Re: "][(depth as usize).min(3)];
            let subject = format!("{prefix}topic number {topic}");
            // Now and then the first message of a thread is not in the mailbox.
            let references = if depth == 1 && next() % 5 == 0 { vec![format!("gone{topic}@x")] } else { chain.clone() };
            out.push((id.clone(), references, subject, (topic as i64) * 60 + depth as i64));
            chain.push(id);
        }
    }
    out.truncate(MESSAGES);
    out
}

fn threading(c: &mut Criterion) {
    let mailbox = mailbox();
    let inputs: Vec<ThreadInput> = mailbox
        .iter()
        .enumerate()
        .map(|(n, (id, references, subject, sent))| ThreadInput {
            number: n as u32 + 1,
            sent: *sent,
            message_id: Some(id),
            references: references.iter().map(String::as_str).collect(),
            subject,
        })
        .collect();
    let mut group = c.benchmark_group("imap_thread_10k");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("references", |b| b.iter(|| black_box(thread::references(black_box(&inputs)))));
    group.bench_function("ordered_subject", |b| b.iter(|| black_box(thread::ordered_subject(black_box(&inputs)))));
    group.bench_function("base_subject", |b| {
        b.iter(|| mailbox.iter().map(|(_, _, subject, _)| base_subject(black_box(subject)).text.len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, threading);
criterion_main!(benches);
