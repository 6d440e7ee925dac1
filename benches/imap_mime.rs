//! IMAP MIME structure: BODYSTRUCTURE of a 10 MiB message with 50 base64 attachments (parse and
//! write), ENVELOPE of a typical message (parse and write), and the SEARCH body text of a
//! 100 KiB message (parse, transfer-decode, charset-convert).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::BytesMut;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use imap_proto::mime::{write_body_structure, write_envelope};
use message::mime;

const HEADER: &str = "Return-Path: <alice@example.org>\r\n\
Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby mail.example.net with ESMTPS id 4Xy7\r\n\
\tfor <bob@example.net>; Tue, 4 Mar 2025 10:15:02 +0100\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1; h=from:to:subject:date;\r\n\
\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=dGVzdHNpZ25hdHVyZQ==\r\n\
From: \"Alice Example\" <alice@example.org>\r\nTo: Bob <bob@example.net>, carol@example.net,\r\n\
 \"Dave, the third\" <dave@example.com>\r\nCc: Team: erin@example.com, frank@example.com;\r\n\
Subject: =?UTF-8?Q?Quarterly_report_=E2=80=93_draft?= for review\r\n\
Date: Tue, 4 Mar 2025 10:15:00 +0100\r\nMessage-ID: <20250304101500.12345@example.org>\r\n\
In-Reply-To: <20250303090000.999@example.net>\r\nMIME-Version: 1.0\r\n";

/// A multipart/mixed message of about `size` octets: a text part and `attachments` base64 ones.
fn large_message(size: usize, attachments: usize) -> Vec<u8> {
    let mut m = format!("{HEADER}Content-Type: multipart/mixed; boundary=\"=_outer_4f2a\"\r\n\r\n");
    m.push_str("--=_outer_4f2a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached files.\r\n");
    let raw: Vec<u8> = (0..size / attachments * 3 / 4).map(|i| (i * 7 % 251) as u8).collect();
    let encoded = STANDARD.encode(&raw);
    for i in 0..attachments {
        m.push_str(&format!(
            "--=_outer_4f2a\r\nContent-Type: application/octet-stream; name=\"file{i}.bin\"\r\n\
             Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"file{i}.bin\"\r\n\r\n"
        ));
        for line in encoded.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(line).unwrap());
            m.push_str("\r\n");
        }
    }
    m.push_str("--=_outer_4f2a--\r\n");
    m.into_bytes()
}

/// A multipart/alternative message of about 100 KiB: quoted-printable text and base64 HTML.
fn text_message() -> Vec<u8> {
    let paragraph = "Grüße aus Köln – the quarterly numbers look fine, see the table below. ";
    let text: String = paragraph.repeat(50 * 1024 / paragraph.len());
    let qp: String = text
        .bytes()
        .map(|b| if b.is_ascii() && b != b'=' { (b as char).to_string() } else { format!("={b:02X}") })
        .collect::<String>()
        .as_bytes()
        .chunks(72)
        .map(|c| format!("{}=\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let html = format!("<html><body><p>{}</p></body></html>", text.replace(". ", ".</p><p>"));
    let b64: String = STANDARD
        .encode(html)
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    format!(
        "{HEADER}Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}--alt--\r\n"
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let large = large_message(10 << 20, 50);
    let mut group = c.benchmark_group("imap_mime");
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function("bodystructure_10mib_50_attachments", |b| {
        let mut out = BytesMut::with_capacity(1 << 16);
        b.iter(|| {
            out.clear();
            let root = mime::parse(black_box(&large));
            write_body_structure(&mut out, &large, &root, true);
            black_box(out.len())
        })
    });

    let typical =
        format!("{HEADER}Content-Type: text/plain; charset=utf-8\r\n\r\nHi Bob,\r\n\r\nsee you.\r\n").into_bytes();
    group.throughput(Throughput::Elements(1));
    group.bench_function("envelope_typical", |b| {
        let mut out = BytesMut::with_capacity(1024);
        b.iter(|| {
            out.clear();
            let root = mime::parse(black_box(&typical));
            write_envelope(&mut out, &typical, &root);
            black_box(out.len())
        })
    });

    let text = text_message();
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("body_text_100kib", |b| {
        b.iter(|| {
            let root = mime::parse(black_box(&text));
            black_box(mime::body_text(&text, &root).len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
