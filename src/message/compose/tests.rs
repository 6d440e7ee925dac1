use std::collections::BTreeMap;

use super::*;
use crate::Parsed;
use crate::mime::Part;
use crate::parsed::Mailbox;

const ID: &str = "1234.1@mx.example.org";
/// 2026-11-23T15:00:00Z.
const DATE: u64 = 1_795_446_000;

fn draft<'a>() -> Draft<'a> {
    Draft {
        from: "Alice <alice@example.org>",
        to: &[],
        subject: "Hello",
        text: None,
        html: None,
        headers: &[],
        attachments: &[],
    }
}

/// Composes `draft` and checks what every message must be: CRLF line ends only, no line over
/// 998 octets, the Date, Message-ID and MIME-Version fields.
fn build(draft: &Draft<'_>) -> Vec<u8> {
    let bytes = compose(draft, ID, DATE).expect("composes");
    check_lines(&bytes, header::MAX_LINE);
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.message_id().as_deref(), Some(ID));
    assert_eq!(parsed.date(), Some(DATE as i64));
    assert_eq!(parsed.header_text("MIME-Version").as_deref(), Some("1.0"));
    bytes
}

/// Every line end is CRLF and no line (without it) is longer than `max`.
fn check_lines(bytes: &[u8], max: usize) {
    assert!(bytes.ends_with(b"\r\n"));
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            b'\n' => assert_eq!(bytes[i - 1], b'\r', "bare LF at {i}"),
            _ => {}
        }
    }
    for line in bytes.split(|&b| b == b'\n') {
        assert!(line.len() <= max + 1, "line of {} octets: {:?}", line.len(), String::from_utf8_lossy(line));
    }
}

/// The header block's lines, for checks of folding.
fn header_lines(bytes: &[u8]) -> Vec<String> {
    let parsed = Parsed::new(bytes);
    String::from_utf8_lossy(parsed.header()).split("\r\n").map(str::to_string).collect()
}

/// Checks that no header line of `bytes` is over 78 octets.
fn folded(bytes: &[u8]) {
    for line in header_lines(bytes) {
        assert!(line.len() <= 78, "{} octets: {line}", line.len());
    }
}

fn kind(part: &Part) -> String {
    format!("{}/{}", part.media_type, part.subtype)
}

fn text_of(bytes: &[u8], part: &Part) -> String {
    Parsed::new(bytes).text(part).into_owned()
}

#[test]
fn text_only_is_text_plain() {
    let bytes = build(&Draft { text: Some("Hi Bob,\nsee you.\n"), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(kind(&parsed.root), "text/plain");
    assert_eq!(parsed.root.param("charset"), Some("utf-8"));
    assert_eq!(parsed.root.encoding, "7bit");
    assert_eq!(text_of(&bytes, &parsed.root), "Hi Bob,\r\nsee you.\r\n");
    assert_eq!(
        parsed.mailboxes("from"),
        [Mailbox { name: Some("Alice".into()), address: Some("alice@example.org".into()) }]
    );
    assert_eq!(parsed.header_text("subject").as_deref(), Some("Hello"));
    assert_eq!(parsed.field("to"), None, "no To field without addresses");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("Date: Mon, 23 Nov 2026 15:00:00 +0000\r\nFrom: Alice <alice@example.org>\r\n"), "{text}");
    assert!(text.contains("\r\nMessage-ID: <1234.1@mx.example.org>\r\n"));
}

#[test]
fn html_only_is_text_html() {
    let bytes = build(&Draft { html: Some("<p>Hi</p>"), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(kind(&parsed.root), "text/html");
    assert_eq!(text_of(&bytes, &parsed.root), "<p>Hi</p>\r\n");
}

#[test]
fn text_and_html_are_alternatives_text_first() {
    let bytes = build(&Draft { text: Some("Hi"), html: Some("<p>Hi</p>"), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(kind(&parsed.root), "multipart/alternative");
    let kinds: Vec<_> = parsed.root.children.iter().map(kind).collect();
    assert_eq!(kinds, ["text/plain", "text/html"]);
    assert_eq!(text_of(&bytes, &parsed.root.children[0]), "Hi");
    assert_eq!(text_of(&bytes, &parsed.root.children[1]), "<p>Hi</p>");
}

fn files() -> Vec<Attachment> {
    vec![
        Attachment {
            filename: "report.pdf".into(),
            content_type: "application/pdf".into(),
            data: b"%PDF-1.4".to_vec(),
        },
        Attachment {
            filename: "all.bin".into(),
            content_type: String::new(),
            data: (0..=255).cycle().take(1000).collect(),
        },
    ]
}

#[test]
fn attachments_go_in_multipart_mixed_after_the_body() {
    let files = files();
    let bytes = build(&Draft { text: Some("Hi"), html: Some("<b>Hi</b>"), attachments: &files, ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(kind(&parsed.root), "multipart/mixed");
    let kinds: Vec<_> = parsed.root.children.iter().map(kind).collect();
    assert_eq!(kinds, ["multipart/alternative", "application/pdf", "application/octet-stream"]);
    assert_eq!(parsed.root.children[0].children.len(), 2);
    for (part, file) in parsed.root.children[1..].iter().zip(&files) {
        assert_eq!(part.file_name(), Some(file.filename.as_str()));
        assert_eq!(part.param("name"), Some(file.filename.as_str()));
        assert_eq!(part.disposition.as_ref().map(|d| d.kind.as_str()), Some("attachment"));
        assert_eq!(part.encoding, "base64");
        assert_eq!(parsed.decoded(part), &file.data[..]);
    }
    // Base64 is wrapped at 76 columns.
    let body = parsed.body_of(&parsed.root.children[2]);
    assert!(body.split(|&b| b == b'\n').all(|l| l.len() <= 77));
    assert_eq!(body.split(|&b| b == b'\n').next().map(<[u8]>::len), Some(77));

    let bytes = build(&Draft { html: Some("<b>Hi</b>"), attachments: &files[..1], ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.root.children.iter().map(kind).collect::<Vec<_>>(), ["text/html", "application/pdf"]);

    let bytes = build(&Draft { attachments: &files, ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(kind(&parsed.root), "multipart/mixed");
    assert_eq!(
        parsed.root.children.iter().map(kind).collect::<Vec<_>>(),
        ["application/pdf", "application/octet-stream"]
    );
}

#[test]
fn nothing_to_send_is_an_error() {
    assert_eq!(compose(&draft(), ID, DATE), Err(ComposeError::Empty));
    // An empty text is still a text.
    let bytes = build(&Draft { text: Some(""), ..draft() });
    assert_eq!(text_of(&bytes, &Parsed::new(&bytes).root), "");
}

#[test]
fn non_ascii_text_is_quoted_printable_and_line_ends_are_crlf() {
    let bytes = build(&Draft { text: Some("Grüße\nà\rbientôt\r\n"), html: Some("<p>€</p>"), ..draft() });
    let parsed = Parsed::new(&bytes);
    let [plain, html] = &parsed.root.children[..] else { panic!("two parts") };
    assert_eq!((plain.encoding.as_str(), html.encoding.as_str()), ("quoted-printable", "quoted-printable"));
    assert_eq!(text_of(&bytes, plain), "Grüße\r\nà\r\nbientôt\r\n");
    assert_eq!(text_of(&bytes, html), "<p>€</p>");
    assert!(bytes.is_ascii());
}

#[test]
fn long_lines_are_quoted_printable() {
    let long = format!("{}\n{}", "a".repeat(998), "b".repeat(2000));
    let bytes = build(&Draft { text: Some(&long), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.root.encoding, "quoted-printable");
    assert_eq!(text_of(&bytes, &parsed.root).trim_end(), long.replace('\n', "\r\n"));
    check_lines(&bytes, 78);
    // A line of exactly 998 octets stays 7bit.
    let bytes = build(&Draft { text: Some(&long[..998]), ..draft() });
    assert_eq!(Parsed::new(&bytes).root.encoding, "7bit");
}

#[test]
fn non_ascii_subjects_are_encoded_words_folded() {
    for subject in [
        "Réunion à 10h",
        "日本語の件名はとても長いのでいくつかの符号化語に分けて折り返されなければなりません",
        &"Crème brûlée et café au lait pour tout le monde, ".repeat(4),
        "emoji 🎉🎉🎉 and = ? _ signs",
        "looks like =?utf-8?q?an_encoded_word?= but is text",
        "a\tcontrol\u{7}char",
    ] {
        let bytes = build(&Draft { subject, text: Some("x"), ..draft() });
        assert_eq!(Parsed::new(&bytes).header_text("subject").as_deref(), Some(subject), "{subject}");
        assert!(bytes.is_ascii());
        folded(&bytes);
    }
    let bytes = build(&Draft { subject: "日本語の件名", text: Some("x"), ..draft() });
    assert!(header_lines(&bytes).iter().any(|l| l.starts_with("Subject: =?utf-8?B?")));
    let bytes = build(&Draft { subject: "Réunion", text: Some("x"), ..draft() });
    assert!(header_lines(&bytes).contains(&"Subject: =?utf-8?Q?R=C3=A9union?=".to_string()));
}

#[test]
fn ascii_subjects_fold_at_white_space() {
    let subject = "The quick brown fox jumps over the lazy dog, ".repeat(5);
    let subject = subject.trim_end();
    let bytes = build(&Draft { subject, text: Some("x"), ..draft() });
    assert_eq!(Parsed::new(&bytes).header_text("subject").as_deref(), Some(subject));
    let lines = header_lines(&bytes);
    folded(&bytes);
    assert!(lines.iter().any(|l| l.starts_with(" ")), "folded");
    // A word too long for a line stays whole; one too long for 998 octets is encoded.
    let url = format!("see https://example.org/{}", "x".repeat(200));
    let bytes = build(&Draft { subject: &url, text: Some("x"), ..draft() });
    assert_eq!(Parsed::new(&bytes).header_text("subject").as_deref(), Some(url.as_str()));
    assert!(header_lines(&bytes).contains(&format!(" {}", &url[4..])));
    let huge = "y".repeat(5000);
    let bytes = build(&Draft { subject: &huge, text: Some("x"), ..draft() });
    assert_eq!(Parsed::new(&bytes).header_text("subject"), Some(huge));
    // Empty.
    let bytes = build(&Draft { subject: "", text: Some("x"), ..draft() });
    assert_eq!(Parsed::new(&bytes).header_text("subject").as_deref(), Some(""));
}

#[test]
fn subjects_with_line_breaks_are_refused() {
    let err = compose(&Draft { subject: "hi\r\nBcc: victim@example.net", text: Some("x"), ..draft() }, ID, DATE);
    assert_eq!(err, Err(ComposeError::LineBreak("Subject".into())));
}

#[test]
fn display_names_are_written_canonically() {
    let cases = [
        ("Jöhn Dœ <john@example.org>", "=?utf-8?B?SsO2aG4gRMWT?= <john@example.org>", Some("Jöhn Dœ")),
        ("Jörg Schmidt <j@example.org>", "=?utf-8?Q?J=C3=B6rg_Schmidt?= <j@example.org>", Some("Jörg Schmidt")),
        ("\"Doe, John\" <john@example.org>", "\"Doe, John\" <john@example.org>", Some("Doe, John")),
        ("John Q. Public <john@example.org>", "\"John Q. Public\" <john@example.org>", Some("John Q. Public")),
        ("john@example.org (John)", "John <john@example.org>", Some("John")),
        ("  john@example.org ", "john@example.org", None),
        ("<john@example.org>", "john@example.org", None),
        ("\"john smith\"@example.org", "\"john smith\"@example.org", None),
        ("\"Ünïcödé, \\\"quoted\\\"\" <u@example.org>", "", Some("Ünïcödé, \"quoted\"")),
    ];
    for (from, written, name) in cases {
        let bytes = build(&Draft { from, text: Some("x"), ..draft() });
        let parsed = Parsed::new(&bytes);
        let field = String::from_utf8_lossy(crate::headers::trim(parsed.field("from").unwrap().value)).into_owned();
        if !written.is_empty() {
            assert_eq!(field, written, "{from}");
        }
        let [mailbox] = &parsed.mailboxes("from")[..] else { panic!("{from}: one mailbox") };
        assert_eq!(mailbox.name.as_deref(), name, "{from}");
        let (_, repairs) = crate::mime::address::parse_checked(field.as_bytes());
        assert!(repairs.is_empty(), "{from}: {repairs:?}");
    }
}

#[test]
fn from_must_be_one_clean_mailbox() {
    for from in [
        "",
        "a@example.org, b@example.org",
        "alice",
        "Alice <alice@example.org",
        "alice@example.org <bob@example.org>",
        "Alice <alice@example.org> bob@evil.example",
        "team: a@example.org;",
        "<@route.example:alice@example.org>",
        "alice @example.org",
    ] {
        let err = compose(&Draft { from, text: Some("x"), ..draft() }, ID, DATE).unwrap_err();
        assert!(
            matches!(&err, ComposeError::Address { field, value, .. } if field == "From" && value == from),
            "{from}: {err}"
        );
    }
    let err = compose(&Draft { from: "a@example.org\r\nBcc: x@example.net", text: Some("x"), ..draft() }, ID, DATE);
    assert_eq!(err, Err(ComposeError::LineBreak("From".into())));
}

#[test]
fn to_lists_every_address_folded() {
    let to: Vec<String> = (0..12).map(|i| format!("Récipient {i} <user{i}@example.net>")).collect();
    let bytes = build(&Draft { to: &to, text: Some("x"), ..draft() });
    let parsed = Parsed::new(&bytes);
    let got = parsed.mailboxes("to");
    assert_eq!(got.len(), 12);
    assert_eq!(got[3], Mailbox { name: Some("Récipient 3".into()), address: Some("user3@example.net".into()) });
    folded(&bytes);
    let err = compose(&Draft { to: &["ok@example.net".into(), "bad".into()], text: Some("x"), ..draft() }, ID, DATE);
    assert!(matches!(err, Err(ComposeError::Address { field, value, .. }) if field == "To" && value == "bad"));
}

#[test]
fn file_names_use_rfc_2231_and_encoded_words() {
    let files = [
        Attachment { filename: "résumé.pdf".into(), content_type: "application/pdf".into(), data: b"x".to_vec() },
        Attachment {
            filename: format!("{}.txt", "très long nom de fichier ".repeat(6)),
            content_type: "text/plain; charset=utf-8".into(),
            data: b"y".to_vec(),
        },
        Attachment { filename: "quote\"and\\slash.txt".into(), content_type: "text/plain".into(), data: vec![] },
        Attachment { filename: String::new(), content_type: "image/png".into(), data: vec![1, 2, 3] },
        Attachment { filename: "=?utf-8?Q?not_a_word?=.txt".into(), content_type: "text/plain".into(), data: vec![] },
    ];
    let bytes = build(&Draft { text: Some("x"), attachments: &files, ..draft() });
    let parsed = Parsed::new(&bytes);
    let parts = &parsed.root.children[1..];
    for (part, file) in parts.iter().zip(&files) {
        let name = Some(file.filename.as_str()).filter(|n| !n.is_empty());
        assert_eq!(part.file_name(), name);
        assert_eq!(part.param("name"), name, "name= for old readers");
        assert_eq!(parsed.decoded(part), &file.data[..]);
    }
    assert_eq!(parts[1].param("charset"), Some("utf-8"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("filename*=utf-8''r%C3%A9sum%C3%A9.pdf"), "{text}");
    assert!(text.contains("name=\"=?utf-8?B?csOpc3Vtw6kucGRm?=\""), "{text}");
    assert!(text.contains("filename*0*=utf-8''tr%C3%A8s"));
    folded(&bytes);
    check_lines(&bytes, 78);
}

#[test]
fn content_types_are_checked() {
    let wrong = |content_type: &str| {
        let files = [Attachment { filename: "f".into(), content_type: content_type.into(), data: vec![] }];
        match compose(&Draft { attachments: &files, ..draft() }, ID, DATE) {
            Err(ComposeError::ContentType { index: 0, content_type: given, .. }) => assert_eq!(given, content_type),
            other => panic!("{content_type}: {other:?}"),
        }
    };
    wrong("pdf");
    wrong("application/");
    wrong("multipart/mixed; boundary=x");
    wrong("text/plain; name=other.txt");
    wrong("text/plain\r\nBcc: x@example.net");
    wrong("téxt/plain");
    let files = [Attachment { filename: "f".into(), content_type: "Text/CSV (comment)".into(), data: vec![] }];
    let bytes = build(&Draft { attachments: &files, ..draft() });
    assert_eq!(kind(&Parsed::new(&bytes).root.children[0]), "text/csv");
}

#[test]
fn attached_messages_go_unencoded_when_they_can() {
    let inner = b"From: x@example.org\r\nSubject: inner\r\n\r\nbody\r\n".to_vec();
    let files = [
        Attachment { filename: "fwd.eml".into(), content_type: "message/rfc822".into(), data: inner.clone() },
        Attachment { filename: "raw.eml".into(), content_type: "message/rfc822".into(), data: b"a\nb\xff".to_vec() },
    ];
    let bytes = build(&Draft { text: Some("see attached"), attachments: &files, ..draft() });
    let parsed = Parsed::new(&bytes);
    let [_, clean, raw] = &parsed.root.children[..] else { panic!("three parts") };
    assert_eq!(clean.encoding, "7bit");
    assert_eq!(parsed.body_of(clean), &inner[..]);
    assert!(clean.message.is_some());
    assert_eq!(raw.encoding, "base64");
    assert_eq!(parsed.encapsulated(raw).as_deref(), Some(&b"a\nb\xff"[..]));
}

#[test]
fn extra_headers_are_written_and_folded() {
    let long = format!("<https://example.org/unsubscribe/{}>, <mailto:unsub@example.org?subject=x>", "a".repeat(20));
    let headers = vec![
        ("List-Unsubscribe".to_string(), long.clone()),
        ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()),
        ("Reply-To".to_string(), "Support Désk <help@example.org>, other@example.org".to_string()),
        ("X-Campaign".to_string(), "Été 2026".to_string()),
        ("X-Mailer".to_string(), "  ringmail  ".to_string()),
    ];
    let bytes = build(&Draft { headers: &headers, text: Some("x"), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.header_text("list-unsubscribe"), Some(long));
    assert_eq!(parsed.header_text("list-unsubscribe-post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let reply: Vec<_> = parsed.mailboxes("reply-to").into_iter().map(|m| (m.name, m.address.unwrap())).collect();
    assert_eq!(reply, [(Some("Support Désk".into()), "help@example.org".into()), (None, "other@example.org".into())]);
    assert_eq!(parsed.header_text("x-campaign").as_deref(), Some("Été 2026"));
    assert_eq!(parsed.header_text("x-mailer").as_deref(), Some("ringmail"));
    folded(&bytes);
    assert!(bytes.is_ascii());
    // Extra fields come before the MIME fields.
    let names: Vec<_> = parsed.fields().map(|f| String::from_utf8_lossy(f.name).into_owned()).collect();
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("Message-ID") < at("List-Unsubscribe") && at("X-Mailer") < at("MIME-Version"));
}

fn refused(name: &str, value: &str) -> ComposeError {
    let headers = [(name.to_string(), value.to_string())];
    compose(&Draft { headers: &headers, text: Some("x"), ..draft() }, ID, DATE).unwrap_err()
}

#[test]
fn header_injection_is_refused() {
    for value in ["x\r\nBcc: victim@example.net", "x\nX: y", "x\ry", "\r\n"] {
        assert_eq!(refused("X-Tag", value), ComposeError::LineBreak("X-Tag".into()));
    }
    for name in ["", "X Tag", "X-Tag:", "Bcc: x\r\nX", "X-Tàg", "X\tTag"] {
        assert_eq!(refused(name, "v"), ComposeError::FieldName(name.into()));
    }
    assert!(matches!(refused("Reply-To", "a@example.org\r\nBcc: b@example.net"), ComposeError::LineBreak(_)));
}

#[test]
fn builder_fields_are_refused() {
    for name in [
        "From",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "Subject",
        "content-type",
        "SUBJECT",
        "Content-Disposition",
        "Bcc",
        "Return-Path",
    ] {
        let err = refused(name, "x");
        assert!(matches!(&err, ComposeError::Reserved { field, .. } if field == name), "{name}: {err:?}");
        assert!(err.to_string().contains(name));
    }
}

#[test]
fn extra_header_values_are_checked() {
    let twice =
        [("Reply-To".to_string(), "a@example.org".to_string()), ("reply-to".to_string(), "b@example.org".to_string())];
    let err = compose(&Draft { headers: &twice, text: Some("x"), ..draft() }, ID, DATE);
    assert_eq!(err, Err(ComposeError::Repeated("reply-to".into())));
    assert!(
        matches!(refused("In-Reply-To", "<é@example.org>"), ComposeError::FieldValue { field, .. } if field == "In-Reply-To")
    );
    assert!(matches!(refused("References", &"r".repeat(1000)), ComposeError::FieldValue { .. }));
    assert!(
        matches!(refused("Reply-To", "not an address"), ComposeError::Address { field, .. } if field == "Reply-To")
    );
    assert!(matches!(refused("Sender", "a@example.org, b@example.org"), ComposeError::Address { .. }));
    // Unstructured fields take anything but line breaks.
    let headers = [("X-Long".to_string(), "z".repeat(3000))];
    let bytes = build(&Draft { headers: &headers, text: Some("x"), ..draft() });
    assert_eq!(Parsed::new(&bytes).header_text("x-long"), Some("z".repeat(3000)));
}

#[test]
fn message_ids_are_checked() {
    for id in ["", "no-at", "a@", "@b", "a b@c", "<a@b>", "a@b@c", "a..b@c", "é@x"] {
        assert_eq!(compose(&Draft { text: Some("x"), ..draft() }, id, DATE), Err(ComposeError::MessageId(id.into())));
    }
    let bytes = compose(&Draft { text: Some("x"), ..draft() }, "x.y@[192.0.2.1]", DATE).unwrap();
    assert_eq!(Parsed::new(&bytes).message_id().as_deref(), Some("x.y@[192.0.2.1]"));
}

#[test]
fn dates_past_year_9999_are_clamped() {
    let bytes = compose(&Draft { text: Some("x"), ..draft() }, ID, u64::MAX).unwrap();
    assert_eq!(crate::headers::field(&bytes, "date").as_deref(), Some("Fri, 31 Dec 9999 23:59:59 +0000"));
    let bytes = compose(&Draft { text: Some("x"), ..draft() }, ID, 0).unwrap();
    assert_eq!(crate::headers::field(&bytes, "date").as_deref(), Some("Thu, 01 Jan 1970 00:00:00 +0000"));
}

#[test]
fn boundaries_avoid_the_content() {
    let seed = body::fnv1a(ID.as_bytes());
    let (first, second) = (body::boundary(seed, 0), body::boundary(seed, 1));
    assert_ne!(first, second);
    assert_eq!(first.len(), 34);
    // A text holding the boundaries that would come first.
    let text = format!("--{first}\n--{second}--\nend");
    let bytes = build(&Draft { text: Some(&text), html: Some("<p>x</p>"), ..draft() });
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.root.children.len(), 2);
    let boundary = parsed.root.param("boundary").unwrap();
    assert!(boundary != first && boundary != second);
    assert_eq!(text_of(&bytes, &parsed.root.children[0]), text.replace('\n', "\r\n"));
    // Nested multiparts get different boundaries.
    let files = files();
    let bytes = build(&Draft { text: Some(&text), html: Some("<p>x</p>"), attachments: &files, ..draft() });
    let parsed = Parsed::new(&bytes);
    let inner = parsed.root.children[0].param("boundary").unwrap();
    assert_ne!(parsed.root.param("boundary").unwrap(), inner);
    assert_eq!(parsed.root.children.len(), 3);
    assert_eq!(text_of(&bytes, &parsed.root.children[0].children[0]), text.replace('\n', "\r\n"));
    // Another message id, other boundaries.
    let other = compose(&Draft { text: Some("x"), html: Some("y"), ..draft() }, "other@example.org", DATE).unwrap();
    assert_ne!(Parsed::new(&other).root.param("boundary").unwrap(), first);
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn substitutes_names_repeated_and_missing() {
    let v = values(&[("name", "Bob"), ("code", "X-1"), ("user.id", "7")]);
    assert_eq!(substitute("Hi {{name}}, {{ name }}! {{code}}{{code}}", &v, false), "Hi Bob, Bob! X-1X-1");
    assert_eq!(substitute("id {{user.id}}", &v, false), "id 7");
    assert_eq!(substitute("Hi {{missing}}.", &v, false), "Hi .");
    assert_eq!(substitute("{{Name}}", &v, false), "", "names are case-sensitive");
    // Not tags: left as they are.
    for text in ["{{#if name}}", "a {{ }} b", "{{na me}}", "{name}", "{{name", "name}}", "{{", "}}{{", "{{é}}", ""] {
        assert_eq!(substitute(text, &v, false), text);
    }
    assert_eq!(substitute("{{{name}}", &v, false), "{Bob");
    assert_eq!(substitute("{{{{name}}}}", &v, false), "{Bob}");
    assert_eq!(substitute(&format!("{{{{{}}}}}", "n".repeat(200)), &v, false).len(), 204);
    // Values are not expanded again.
    let v = values(&[("a", "{{b}}"), ("b", "no")]);
    assert_eq!(substitute("{{a}}", &v, false), "{{b}}");
    let bob = values(&[("name", "Bob")]);
    let lookup = |name: &str| bob.get(name).map(String::as_str);
    assert_eq!(substitute_within("{{name}}{{name}}", lookup, false, 6).as_deref(), Some("BobBob"));
    assert_eq!(substitute_within("{{name}}{{name}}!", lookup, false, 6), None, "past the limit");
    assert_eq!(
        substitute_within("{{name}}{{name}}{{name}}", lookup, false, 7),
        None,
        "stops at the tag that passes it"
    );
}

#[test]
fn substitutes_html_escaped_values() {
    let v = values(&[("name", "<Tom & \"Jerry\"'s>")]);
    assert_eq!(substitute("<p>{{name}}</p>", &v, true), "<p>&lt;Tom &amp; &quot;Jerry&quot;&#39;s&gt;</p>");
    assert_eq!(substitute("<p>{{{name}}}</p>", &v, true), "<p><Tom & \"Jerry\"'s></p>");
    assert_eq!(substitute("{{name}}", &v, false), "<Tom & \"Jerry\"'s>");
}
