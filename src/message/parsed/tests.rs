use super::*;
use crate::mime::Part;

/// The parts of `parsed` as (depth, type/subtype, content) lines.
fn walk(parsed: &Parsed<'_>) -> Vec<(usize, String, Content)> {
    parsed.parts().map(|v| (v.depth, format!("{}/{}", v.part.media_type, v.part.subtype), v.content)).collect()
}

/// The first part of `parsed` of the type `type/subtype`.
fn find<'p>(parsed: &'p Parsed<'_>, media: &str) -> &'p Part {
    parsed.parts().map(|v| v.part).find(|p| format!("{}/{}", p.media_type, p.subtype) == media).expect(media)
}

const MIXED: &[u8] = b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\r\nTo: Friends: a@x.example, B <b@y.example>;\r\n\
    Subject: =?iso-8859-1?q?caf=E9?=\r\n =?utf-8?b?IGF1IGxhaXQ=?=\r\nMessage-ID: <1@example.org>\r\n\
    Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\
    Received: from a.example (a.example [192.0.2.1]) by b.example; Mon, 1 Jan 2024 10:00:05 +0000\r\n\
    Received: from c.example by a.example; Mon, 1 Jan 2024 10:00:01 +0000\r\n\
    Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n\
    --b\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n\
    --a\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
    caf=E9 =\r\nau lait\r\n\
    --a\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+Y2Fmw6k8L2I+\r\n\
    --a--\r\n\
    --b\r\nContent-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
    JVBERi0=\r\n\
    --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename*=utf-8''%E2%98%95.png\r\n\r\nPNG\r\n\
    --b\r\nContent-Type: text/plain\r\n\r\nno name\r\n--b--\r\n";

#[test]
fn reads_decoded_header_fields() {
    let parsed = Parsed::new(MIXED);
    assert_eq!(parsed.header_text("subject").as_deref(), Some("café au lait"));
    assert_eq!(parsed.header_text("X-Missing"), None);
    let from = parsed.mailboxes("From");
    assert_eq!(from, vec![Mailbox { name: Some("Jörg".into()), address: Some("jorg@example.org".into()) }]);
    let to: Vec<_> = parsed.mailboxes("to").into_iter().map(|m| m.address.unwrap()).collect();
    assert_eq!(to, ["a@x.example", "b@y.example"]);
    assert!(parsed.mailboxes("cc").is_empty());
    assert_eq!(parsed.message_id().as_deref(), Some("1@example.org"));
    assert_eq!(parsed.date(), crate::mime::parse_date(b"Mon, 1 Jan 2024 10:00:00 +0000"));
    let hops: Vec<_> = parsed.received().collect();
    assert_eq!(hops.len(), 2);
    assert_eq!((hops[0].from.as_deref(), hops[0].from_ip), (Some("a.example"), Some("192.0.2.1".parse().unwrap())));
    assert_eq!(hops[0].date, crate::mime::parse_date(b"Mon, 1 Jan 2024 10:00:05 +0000"));
    assert_eq!(hops[1].from.as_deref(), Some("c.example"));
    assert_eq!(parsed.fields().count(), 8);
    assert!(parsed.header().ends_with(b"boundary=b\r\n\r\n"));
}

#[test]
fn message_ids_and_names_are_lenient() {
    let parsed = Parsed::new(b"Message-ID: bare@id\r\nFrom: <only@address>\r\nReply-To: nobody\r\n\r\n");
    assert_eq!(parsed.message_id().as_deref(), Some("bare@id"));
    assert_eq!(parsed.mailboxes("from"), vec![Mailbox { name: None, address: Some("only@address".into()) }]);
    assert_eq!(parsed.mailboxes("reply-to"), vec![Mailbox { name: None, address: Some("nobody".into()) }]);
    assert_eq!(Parsed::new(b"Message-ID: <>\r\n\r\n").message_id(), None);
    assert_eq!(Parsed::new(b"Message-ID:\r\n\r\n").message_id(), None);
}

#[test]
fn walks_every_part_in_order() {
    let parsed = Parsed::new(MIXED);
    assert_eq!(
        walk(&parsed),
        [
            (0, "multipart/mixed".into(), Content::Multipart),
            (0, "multipart/alternative".into(), Content::Multipart),
            (0, "text/plain".into(), Content::Text),
            (0, "text/html".into(), Content::Html),
            (0, "application/pdf".into(), Content::Binary),
            (0, "image/png".into(), Content::Binary),
            (0, "text/plain".into(), Content::Text),
        ]
    );
}

#[test]
fn decodes_text_with_its_charset_and_encoding() {
    let parsed = Parsed::new(MIXED);
    assert_eq!(parsed.text(find(&parsed, "text/plain")), "café au lait");
    assert_eq!(parsed.text(find(&parsed, "text/html")), "<b>café</b>");
    assert_eq!(parsed.body_of(find(&parsed, "text/html")), b"PGI+Y2Fmw6k8L2I+");
    assert_eq!(parsed.decoded(find(&parsed, "application/pdf")), &b"%PDF-"[..]);
    assert_eq!(parsed.decoded(find(&parsed, "image/png")), &b"PNG"[..]);
    assert!(parsed.header_of(find(&parsed, "image/png")).starts_with(b"Content-Type: image/png\r\n"));
    let utf16 =
        Parsed::new(b"Content-Type: text/plain; charset=utf-16be\r\nContent-Transfer-Encoding: base64\r\n\r\nAGgAaQ==");
    assert_eq!(utf16.text(&utf16.root), "hi");
    let unknown =
        Parsed::new(b"Content-Type: text/plain; charset=x-none\r\nContent-Transfer-Encoding: x-uue\r\n\r\na\xff");
    assert_eq!(unknown.text(&unknown.root), "a\u{fffd}");
    assert_eq!(unknown.decoded(&unknown.root), &b"a\xff"[..]);
}

#[test]
fn caps_text_at_a_character_boundary() {
    let parsed = Parsed::new("Content-Type: text/plain; charset=utf-8\r\n\r\nxéééé".as_bytes());
    assert_eq!(parsed.text_capped(&parsed.root, 2), "x");
    assert_eq!(parsed.text_capped(&parsed.root, 3), "xé");
    assert_eq!(parsed.text_capped(&parsed.root, 100), "xéééé");
    assert_eq!(parsed.text_capped(&parsed.root, 0), "");
    let long = format!("Content-Transfer-Encoding: quoted-printable\r\n\r\n{}", "=41".repeat(10_000));
    let parsed = Parsed::new(long.as_bytes());
    assert_eq!(parsed.text_capped(&parsed.root, 10), "A".repeat(10));
}

#[test]
fn names_attachments() {
    let parsed = Parsed::new(MIXED);
    assert_eq!(find(&parsed, "application/pdf").file_name(), Some("résumé.pdf"));
    assert_eq!(find(&parsed, "image/png").file_name(), Some("☕.png"));
    assert_eq!(find(&parsed, "text/plain").file_name(), None);
    let both =
        Parsed::new(b"Content-Type: a/b; name=type.txt\r\nContent-Disposition: attachment; filename=disp.txt\r\n\r\n");
    assert_eq!(both.root.file_name(), Some("disp.txt"));
    let blank = Parsed::new(b"Content-Type: a/b; name=\" \"\r\n\r\n");
    assert_eq!(blank.root.file_name(), None);
}

#[test]
fn follows_attached_messages() {
    let raw = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
        --o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n\
        --o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n\
        --i\r\nContent-Type: text/html\r\n\r\n<p>inner</p>\r\n--i--\r\n\
        --o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        U3ViamVjdDogZW5jb2RlZA0KDQpoaWRkZW4gdGV4dA0K\r\n--o--\r\n";
    let parsed = Parsed::new(raw);
    assert_eq!(
        walk(&parsed),
        [
            (0, "multipart/mixed".into(), Content::Multipart),
            (0, "text/plain".into(), Content::Text),
            (0, "message/rfc822".into(), Content::Message),
            (1, "multipart/mixed".into(), Content::Multipart),
            (1, "text/html".into(), Content::Html),
            (0, "application/octet-stream".into(), Content::Binary),
        ]
    );
    let parts: Vec<_> = parsed.parts().collect();
    assert_eq!(parsed.text(parts[4].part), "<p>inner</p>");
    assert_eq!(parts.iter().filter_map(|v| parsed.encapsulated(v.part)).count(), 1);
    let inner = parsed.encapsulated(parts[5].part).unwrap();
    assert_eq!(inner, b"Subject: encoded\r\n\r\nhidden text\r\n");
    let inner = Parsed::new(&inner);
    assert_eq!(inner.header_text("subject").as_deref(), Some("encoded"));
    assert_eq!(inner.text(&inner.root), "hidden text\r\n");
    // Opaque for another reason (a plain octet stream): not an attached message.
    let plain = Parsed::new(b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAA==");
    assert_eq!(plain.encapsulated(&plain.root), None);
}

#[test]
fn reads_broken_mime_as_text() {
    let raw = b"Subject: x\r\nContent-Type: multipart/alternative; boundary=never\r\n\r\nall of it\r\nis text\r\n";
    let parsed = Parsed::new(raw);
    assert_eq!(walk(&parsed), [(0, "multipart/alternative".into(), Content::Text)]);
    assert_eq!(parsed.text(&parsed.root), "all of it\r\nis text\r\n");
    let no_boundary = Parsed::new(b"Content-Type: multipart/mixed\r\n\r\nplain");
    assert_eq!(walk(&no_boundary), [(0, "text/plain".into(), Content::Text)]);
    let no_header = Parsed::new(b"just a body, no header");
    assert_eq!(no_header.header_text("subject"), None);
    assert_eq!(no_header.fields().filter(|f| !f.name.is_empty()).count(), 0);
    let empty = Parsed::new(b"");
    assert_eq!(walk(&empty), [(0, "text/plain".into(), Content::Text)]);
    assert_eq!((empty.text(&empty.root), empty.message_id(), empty.date()), ("".into(), None, None));
}

#[test]
fn garbage_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let alphabet: &[u8] = b"-:;=\"<>()[]@,.? \t\r\n\r\nabcBQ=?\xff\x00+/Content-Type: multipart/mixed; boundary=";
    for round in 0..500 {
        let raw: Vec<u8> = (0..(round % 97) * 7)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect();
        let parsed = Parsed::new(&raw);
        let _ = (parsed.header_text("subject"), parsed.mailboxes("from"), parsed.message_id(), parsed.date());
        let _ = parsed.received().count();
        for visit in parsed.parts() {
            let _ = (parsed.decoded(visit.part), parsed.text(visit.part), parsed.text_capped(visit.part, 5));
            let _ = (visit.part.file_name(), parsed.encapsulated(visit.part));
        }
    }
}
