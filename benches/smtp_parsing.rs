//! Hot-path benchmarks of the SMTP wire layer: command parsing and the DATA scanner.
//!
//! Run with `cargo bench --bench smtp_parsing`; criterion reports throughput (GiB/s) for the
//! scanner and commands per second for the parser.

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use smtp_proto::{Command, DataReader, DataStep};

fn command_parsing(c: &mut Criterion) {
    let lines: [&[u8]; 4] = [
        b"MAIL FROM:<sender.name@example.com> SIZE=4096 BODY=8BITMIME",
        b"RCPT TO:<recipient.name+tag@example.org>",
        b"EHLO client.example.net",
        b"DATA",
    ];
    let mut group = c.benchmark_group("command_parse");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("mail_rcpt_ehlo_data", |b| {
        b.iter(|| {
            for line in lines {
                black_box(Command::parse(black_box(line)).unwrap());
            }
        })
    });
    group.finish();
}

/// A realistic message: headers, then 76-character text lines, some starting with a dot.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: benchmark\r\n\r\n".to_vec();
    let mut i = 0;
    while m.len() < size {
        let line = if i % 50 == 0 { ".." } else { "" };
        m.extend_from_slice(line.as_bytes());
        m.extend_from_slice(&b"The quick brown fox jumps over the lazy dog, again and again and again.."[..72]);
        m.extend_from_slice(b"\r\n");
        i += 1;
    }
    m.extend_from_slice(b".\r\n");
    m
}

fn data_scanner(c: &mut Criterion) {
    let mut group = c.benchmark_group("data_scanner");
    for size in [4 * 1024, 1024 * 1024] {
        let wire = message(size);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &wire, |b, wire| {
            b.iter(|| {
                // As the session sees it: 16 KiB reads appended to the input buffer.
                let mut reader = DataReader::new(usize::MAX);
                let mut input = BytesMut::with_capacity(32 * 1024);
                for chunk in wire.chunks(16 * 1024) {
                    input.extend_from_slice(chunk);
                    if reader.feed(&mut input) == DataStep::Done {
                        break;
                    }
                }
                black_box(reader.finish().unwrap().size)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, command_parsing, data_scanner);
criterion_main!(benches);
