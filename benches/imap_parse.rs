//! Benchmarks of the IMAP command parser on typical client commands.
//!
//! Run with `cargo bench --bench imap_parse`; criterion reports the time per command.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use imap_proto::command::parse;

/// An APPEND of a 4 KiB message sent as a literal.
fn append_4k() -> Vec<u8> {
    let mut message = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: benchmark\r\n\r\n".to_vec();
    while message.len() < 4096 {
        message.extend_from_slice(b"The quick brown fox jumps over the lazy dog, again and again.\r\n");
    }
    message.truncate(4096);
    let mut command =
        b"A003 APPEND saved-messages (\\Seen $Forwarded) \"07-Jul-1996 02:44:25 -0700\" {4096}\r\n".to_vec();
    command.extend_from_slice(&message);
    command.extend_from_slice(b"\r\n");
    command
}

fn commands(c: &mut Criterion) {
    let append = append_4k();
    let cases: [(&str, &[u8]); 5] = [
        ("fetch_sections", b"a003 UID FETCH 1:*,4000:4100 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT MESSAGE-ID)] BODY.PEEK[1.2.MIME]<0.100>) (CHANGEDSINCE 12345)\r\n"),
        ("uid_search", b"A282 UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 UNDELETED SINCE 1-Feb-1994 NOT FROM \"Smith\" OR SUBJECT \"report\" (LARGER 10000 UID 1:500) HEADER Message-ID \"<abc@example.com>\"\r\n"),
        ("store", b"A005 UID STORE 2:4,7,9:* (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted \\Seen $Junk)\r\n"),
        ("list_extended", b"A101 LIST (SUBSCRIBED) \"\" (\"INBOX\" \"Sent*\") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n"),
        ("append_4k", &append),
    ];
    let mut group = c.benchmark_group("imap_parse");
    group.throughput(Throughput::Elements(1));
    for (name, input) in cases {
        assert!(parse(input).is_ok(), "{name}");
        group.bench_function(name, |b| b.iter(|| black_box(parse(black_box(input)))));
    }
    group.finish();
}

criterion_group!(benches, commands);
criterion_main!(benches);
