//! Parsing of server replies by the outbound SMTP client (`smtp_proto::reply_reader::
//! ReplyReader`), which reads every reply of every delivery: a typical multi-line EHLO reply
//! (11 lines, as Postfix sends it) and the single-line replies of a transaction.
//!
//! - `ehlo_multiline`: the 11 lines of one EHLO reply, then the extension checks the client makes;
//! - `single_line`: greeting, MAIL, RCPT, DATA, end of data and QUIT replies (6 replies).
//!
//! Run with `cargo bench --bench smtp_reply`; criterion reports time and replies per second.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use smtp_proto::reply_reader::ReplyReader;

/// Postfix 3.7's EHLO reply with STARTTLS on.
const EHLO: [&[u8]; 11] = [
    b"250-mx.example.org",
    b"250-PIPELINING",
    b"250-SIZE 10240000",
    b"250-VRFY",
    b"250-ETRN",
    b"250-STARTTLS",
    b"250-ENHANCEDSTATUSCODES",
    b"250-8BITMIME",
    b"250-DSN",
    b"250-SMTPUTF8",
    b"250 CHUNKING",
];

/// The single-line replies of one transaction.
const SINGLE: [&[u8]; 6] = [
    b"220 mx.example.org ESMTP Postfix (Debian/GNU)",
    b"250 2.1.0 Ok",
    b"250 2.1.5 Ok",
    b"354 End data with <CR><LF>.<CR><LF>",
    b"250 2.0.0 Ok: queued as 4F9D12A3B7",
    b"221 2.0.0 Bye",
];

fn replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("smtp_reply");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ehlo_multiline", |b| {
        b.iter(|| {
            let mut reader = ReplyReader::default();
            let mut reply = None;
            for line in EHLO {
                reply = reader.line(black_box(line)).expect("valid line");
            }
            let reply = reply.expect("complete reply");
            black_box((reply.has_extension("STARTTLS"), reply.has_extension("PIPELINING"), reply.has_extension("SIZE")))
        })
    });
    group.throughput(Throughput::Elements(SINGLE.len() as u64));
    group.bench_function("single_line", |b| {
        let mut reader = ReplyReader::default();
        b.iter(|| {
            for line in SINGLE {
                black_box(reader.line(black_box(line)).expect("valid line").expect("complete reply"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, replies);
criterion_main!(benches);
