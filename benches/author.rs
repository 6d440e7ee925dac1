//! Finding the author of a received message (`mailauth::author::find`), which every message
//! from another server and every submission goes through at the end of DATA.
//!
//! - `author/plain`: a usual header (trace fields, `From:` with a display name).
//! - `author/list`: a mailing-list header with `Sender:` and a quoted display name.
//! - `author/address_parse`: the lenient `message::mime::address::parse` of the same `From:`
//!   value alone, as IMAP's ENVELOPE reads it: the floor `find` is measured against.
//!
//! Run with `cargo bench --bench author`.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use mailauth::author;
use message::mime::address;

const PLAIN: &[u8] = b"Received: from client.example.net (client.example.net [192.0.2.7])\r\n\
\tby mx.example.com with ESMTPS; Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Received: from [10.0.0.5] by client.example.net with ESMTPSA; Tue, 14 Nov 2023 22:13:19 +0000\r\n\
From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nCc: carol@example.org\r\n\
Subject: Quarterly figures and the plan for next year\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <20231114221320.12345@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n";

const LIST: &[u8] = b"Received: from lists.example.org (lists.example.org [192.0.2.9])\r\n\
\tby mx.example.com with ESMTPS; Tue, 14 Nov 2023 22:13:20 +0000\r\n\
From: \"Smith, Alice (Research)\" <alice.smith@mail.example.com>\r\n\
Sender: rust-users-bounces@lists.example.org\r\nTo: rust-users@lists.example.org\r\n\
List-Id: <rust-users.lists.example.org>\r\nSubject: [rust-users] Re: lifetimes again\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <abc@mail.example.com>\r\n\r\n";

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("author");
    group.throughput(Throughput::Elements(1));
    group.bench_function("plain", |b| b.iter(|| author::find(black_box(PLAIN)).unwrap()));
    group.bench_function("list", |b| b.iter(|| author::find(black_box(LIST)).unwrap()));
    let from: &[u8] = b"\"Smith, Alice (Research)\" <alice.smith@mail.example.com>";
    group.bench_function("address_parse", |b| b.iter(|| address::parse(black_box(from))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
