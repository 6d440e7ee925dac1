//! IMAP THREAD and SORT keys (RFC 5256) from message fields: the input is read as messages,
//! one per line, of `subject|message-id|references|in-reply-to|date`; base subjects,
//! message-id lists and both threading algorithms must not panic, and every message must come
//! out of each algorithm exactly once.
#![no_main]

use imap_proto::base_subject::base_subject;
use imap_proto::thread::{self, Thread, ThreadInput, message_ids, reference_ids};
use libfuzzer_sys::fuzz_target;

/// Every message number in `threads`, placeholders left out.
fn numbers(threads: &[Thread], out: &mut Vec<u32>) {
    let mut stack: Vec<&Thread> = threads.iter().collect();
    while let Some(t) = stack.pop() {
        out.extend(t.number);
        stack.extend(t.children.iter());
    }
}

/// Field `i` of a message's line, empty when it has fewer.
fn field<'a>(line: &[&'a str], i: usize) -> &'a str {
    line.get(i).copied().unwrap_or("")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<Vec<&str>> = text.lines().take(500).map(|l| l.split('|').collect()).collect();
    let inputs: Vec<ThreadInput> = lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            let _ = base_subject(field(l, 0));
            ThreadInput {
                number: n as u32 + 1,
                sent: field(l, 4).len() as i64 % 7,
                message_id: message_ids(field(l, 1)).first().copied(),
                references: reference_ids(field(l, 2), field(l, 3)),
                subject: field(l, 0),
            }
        })
        .collect();
    for threads in [thread::references(&inputs), thread::ordered_subject(&inputs)] {
        let mut seen = Vec::new();
        numbers(&threads, &mut seen);
        seen.sort_unstable();
        assert_eq!(seen, (1..=inputs.len() as u32).collect::<Vec<_>>());
        let mut out = String::new();
        thread::write(&mut out, &threads);
    }
});
