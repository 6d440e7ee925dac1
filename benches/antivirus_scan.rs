//! Virus scanning throughput: the signature matcher over 1 MiB of data with the built-in
//! signature alone and with 1,000 fixed-string `.ndb` patterns besides, and a whole message
//! with a base64 attachment of 1 MiB (MIME decoding included).

use std::io::Write;

use antivirus::{Database, scan};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use message::Parsed;

/// Deterministic pseudo-random bytes; different seeds give data that share no pattern.
fn data(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn antivirus(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let ndb = dir.path().join("bench.ndb");
    let mut file = std::fs::File::create(&ndb).unwrap();
    for (i, pattern) in data(0x2545_f491_4f6c_dd1d, 1000 * 24).chunks(24).enumerate() {
        let hex: String = pattern.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(file, "Bench.Pattern.{i}:0:*:{hex}").unwrap();
    }
    drop(file);
    let database = Database::load(&[ndb]).unwrap();
    let body = data(0x9e37_79b9_7f4a_7c15, 1 << 20);
    assert!(database.scan(&body).is_none(), "the data must match nothing, or the scan stops early");
    let mut group = c.benchmark_group("antivirus");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("signatures_1000_patterns/1MiB", |b| b.iter(|| database.scan(&body)));
    let builtin = Database::load(&[] as &[&str]).unwrap();
    group.bench_function("signatures_builtin/1MiB", |b| b.iter(|| builtin.scan(&body)));
    let encoded = STANDARD.encode(&body);
    let lines: Vec<&str> = encoded.as_bytes().chunks(76).map(|l| std::str::from_utf8(l).unwrap()).collect();
    let message = format!(
        "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
         --b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    );
    group.throughput(Throughput::Bytes(message.len() as u64));
    group.bench_function("message_with_1MiB_attachment", |b| {
        b.iter(|| scan(&database, &Parsed::new(message.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, antivirus);
criterion_main!(benches);
