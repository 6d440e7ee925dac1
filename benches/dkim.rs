//! DKIM signing and verification (`mailauth::dkim`) on the paths mail takes: a
//! submission signed before it is queued, a received message verified before it is stored.
//!
//! - `dkim_sign/{rsa2048,ed25519}/{4KiB,100KiB}`: one complete DKIM-Signature field (relaxed
//!   body hash, header hash, signature), relaxed/relaxed; criterion reports messages/s.
//! - `dkim_verify/...`: the same signed messages verified against an in-memory key record
//!   (parse, body hash, header hash, signature check); messages/s.
//! - `dkim_body/relaxed/{4KiB,100KiB}`: the streaming relaxed body hasher alone, fed the body
//!   in 16 KiB chunks as SMTP DATA reads it; bytes/s. `dkim_body/sha256_only/...` hashes the
//!   same bytes without canonicalization: the floor the hasher is measured against.
//!
//! Run with `cargo bench --bench dkim`.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use futures_lite::future::block_on;
use mailauth::dkim::{
    BodyHasher, Canonicalization, DkimResult, HashAlgorithm, KeyType, Signer, SigningKey, generate, verify,
};
use mailauth::lookup::TxtZone;

const NOW: u64 = 1_700_000_000;

/// A plain-text message of about `size` bytes: a usual header, then lines of prose with the
/// odd doubled space and trailing blank that relaxed canonicalization rewrites.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"Received: from client.example.net (client.example.net [192.0.2.7])\r\n\tby mx.example.com with ESMTPS; Tue, 14 Nov 2023 22:13:20 +0000\r\n\
From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nCc: carol@example.org\r\n\
Subject: Quarterly figures and the plan for next year\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <20231114221320.12345@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        .to_vec();
    let lines = [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\r\n",
        "incididunt ut labore et dolore magna aliqua.  Ut enim ad minim veniam, quis \r\n",
        "nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\r\n",
        "\r\n",
    ];
    let mut i = 0;
    while m.len() < size {
        m.extend_from_slice(lines[i % lines.len()].as_bytes());
        i += 1;
    }
    m
}

fn keys() -> Vec<(&'static str, SigningKey)> {
    let load = |key_type| {
        let (pkcs8, _) = generate(key_type).expect("key generation");
        SigningKey::from_pkcs8_der(&pkcs8).expect("generated key loads")
    };
    vec![("rsa2048", load(KeyType::Rsa)), ("ed25519", load(KeyType::Ed25519))]
}

const SIZES: [(&str, usize); 2] = [("4KiB", 4 * 1024), ("100KiB", 100 * 1024)];

fn sign_and_verify(c: &mut Criterion) {
    let mut sign = c.benchmark_group("dkim_sign");
    sign.throughput(Throughput::Elements(1));
    let signers: Vec<(&str, Signer)> =
        keys().into_iter().map(|(name, key)| (name, Signer::new("example.com", "bench", key))).collect();
    for (key_name, signer) in &signers {
        for (size_name, size) in SIZES {
            let m = message(size);
            sign.bench_with_input(BenchmarkId::new(*key_name, size_name), &m, |b, m| {
                b.iter(|| signer.sign(black_box(m), NOW).expect("signs"))
            });
        }
    }
    sign.finish();

    let mut group = c.benchmark_group("dkim_verify");
    group.throughput(Throughput::Elements(1));
    for (key_name, signer) in &signers {
        let lookup = TxtZone::default().with("bench._domainkey.example.com", &signer.key.public_key_record());
        for (size_name, size) in SIZES {
            let m = message(size);
            let signed = [signer.sign(&m, NOW).expect("signs").as_bytes(), &m].concat();
            assert_eq!(block_on(verify(&lookup, &signed, NOW))[0].result, DkimResult::Pass);
            group.bench_with_input(BenchmarkId::new(*key_name, size_name), &signed, |b, signed| {
                b.iter(|| block_on(verify(&lookup, black_box(signed), NOW)))
            });
        }
    }
    group.finish();
}

fn body_relaxed(c: &mut Criterion) {
    let mut group = c.benchmark_group("dkim_body");
    for (size_name, size) in SIZES {
        let m = message(size);
        group.throughput(Throughput::Bytes(m.len() as u64));
        group.bench_with_input(BenchmarkId::new("relaxed", size_name), &m, |b, m| {
            b.iter(|| {
                let mut hasher = BodyHasher::new(Canonicalization::Relaxed, HashAlgorithm::Sha256, None);
                for chunk in black_box(m).chunks(16 * 1024) {
                    hasher.update(chunk);
                }
                hasher.finish()
            })
        });
        // The floor: SHA-256 of the same bytes with no canonicalization.
        group.bench_with_input(BenchmarkId::new("sha256_only", size_name), &m, |b, m| {
            b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(m)))
        });
    }
    group.finish();
}

criterion_group!(benches, sign_and_verify, body_relaxed);
criterion_main!(benches);
