//! Building messages (`message::compose`): a draft cut from any bytes never panics, and what
//! it builds has CRLF line ends only, no line over 998 octets, and parses back with
//! `Parsed::new` into the draft: its message id, the From mailbox the address parser read in
//! the draft's `from` (what the author check sees), its To mailboxes, its subject, the MIME
//! tree the draft asks for, the text and HTML and every attachment's octets.
//!
//! The input: a flags byte (1: there is a text, 2: an HTML part, 4: escape substitutions in
//! the HTML), then fields split at 0x1E: from, to, subject, text, html, headers, attachments,
//! message id, date; list items split at 0x1F (a header is `name:value`, an attachment three
//! items: file name, content type, data). The headers also serve as `{{name}}` values.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use message::Parsed;
use message::compose::{Attachment, Draft, compose, substitute};
use message::mime::{Part, address};

/// `bytes` with every bare CR and LF made CRLF, as the builder writes text.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                if b == b'\r' && bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            _ => out.push(b),
        }
    }
    out
}

/// Checks line ends and lengths.
fn check_lines(bytes: &[u8]) {
    assert!(bytes.ends_with(b"\r\n"));
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR"),
            b'\n' => assert_eq!(bytes[i - 1], b'\r', "bare LF"),
            _ => {}
        }
    }
    for line in bytes.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "a line of {} octets", line.len());
    }
}

/// Checks that `part`, a text part of `parsed`, holds `text` (plus the CRLF that ends a
/// single-part message).
fn check_text(parsed: &Parsed<'_>, part: &Part, text: &str, subtype: &str) {
    assert_eq!((part.media_type.as_str(), part.subtype.as_str()), ("text", subtype));
    let decoded = parsed.decoded(part);
    let want = crlf(text.as_bytes());
    assert!(decoded == want || *decoded == [&want[..], b"\r\n"].concat(), "{subtype} part changed");
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else { return };
    let fields: Vec<&[u8]> = data.splitn(9, |&b| b == 0x1e).collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or_default();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let items = |bytes: &[u8]| -> Vec<Vec<u8>> {
        if bytes.is_empty() { Vec::new() } else { bytes.split(|&b| b == 0x1f).map(<[u8]>::to_vec).collect() }
    };

    let from = text(field(0));
    let to: Vec<String> = items(field(1)).iter().map(|t| text(t)).collect();
    let subject = text(field(2));
    let headers: Vec<(String, String)> = items(field(5))
        .iter()
        .map(|item| {
            let line = text(item);
            match line.split_once(':') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => (line, String::new()),
            }
        })
        .collect();
    let values: BTreeMap<String, String> = headers.iter().cloned().collect();
    let body = (flags & 1 != 0).then(|| substitute(&text(field(3)), &values, false));
    let html = (flags & 2 != 0).then(|| substitute(&text(field(4)), &values, flags & 4 != 0));
    let attachments: Vec<Attachment> = items(field(6))
        .chunks(3)
        .map(|a| Attachment {
            filename: text(&a[0]),
            content_type: a.get(1).map(|t| text(t)).unwrap_or_default(),
            data: a.get(2).cloned().unwrap_or_default(),
        })
        .collect();
    let id = match text(field(7)) {
        id if id.is_empty() => "fuzz@example.org".to_string(),
        id => id,
    };
    let mut date = [0u8; 8];
    let given = field(8);
    date[..given.len().min(8)].copy_from_slice(&given[..given.len().min(8)]);

    let draft = Draft {
        from: &from,
        to: &to,
        subject: &subject,
        text: body.as_deref(),
        html: html.as_deref(),
        headers: &headers,
        attachments: &attachments,
    };
    let Ok(bytes) = compose(&draft, &id, u64::from_le_bytes(date)) else { return };
    check_lines(&bytes);
    let parsed = Parsed::new(&bytes);
    assert_eq!(parsed.message_id().as_deref(), Some(id.as_str()));

    // The author check reads the mailbox the address parser read in `from`.
    let (read, repairs) = address::parse_checked(from.as_bytes());
    assert!(repairs.is_empty());
    let [author] = read.as_slice() else { panic!("From is one mailbox") };
    let lossy = |b: &Option<Vec<u8>>| String::from_utf8_lossy(b.as_deref().unwrap_or_default()).into_owned();
    let want = format!("{}@{}", lossy(&author.mailbox), lossy(&author.host));
    let got: Vec<_> = parsed.mailboxes("from").into_iter().map(|m| m.address).collect();
    assert_eq!(got, [Some(want)]);
    assert_eq!(parsed.mailboxes("to").len(), to.len());
    assert_eq!(parsed.header_text("subject").as_deref().map(str::trim), Some(subject.trim()));

    // An attached message sent as it is brings parts of its own, which count against the
    // parser's limits: the tree is only checked without one.
    if attachments.iter().any(|a| a.content_type.to_ascii_lowercase().contains("message/")) {
        return;
    }
    let root = &parsed.root;
    let alternatives = match (&body, &html) {
        (Some(_), Some(_)) => 2,
        (None, None) => 0,
        _ => 1,
    };
    let (content, files) = match attachments.is_empty() {
        true => (Some(root), &[][..]),
        false => {
            assert_eq!((root.media_type.as_str(), root.subtype.as_str()), ("multipart", "mixed"));
            assert_eq!(root.children.len(), attachments.len() + usize::from(alternatives > 0));
            let (content, files) = root.children.split_at(usize::from(alternatives > 0));
            (content.first(), files)
        }
    };
    if let Some(content) = content {
        match (&body, &html) {
            (Some(t), Some(h)) => {
                assert_eq!(content.subtype, "alternative");
                assert_eq!(content.children.len(), 2);
                check_text(&parsed, &content.children[0], t, "plain");
                check_text(&parsed, &content.children[1], h, "html");
            }
            (Some(t), None) => check_text(&parsed, content, t, "plain"),
            (None, Some(h)) => check_text(&parsed, content, h, "html"),
            (None, None) => {}
        }
    }
    for (part, attachment) in files.iter().zip(&attachments) {
        assert_eq!(&*parsed.decoded(part), &attachment.data[..]);
        let name = Some(attachment.filename.as_str()).filter(|n| !n.trim().is_empty());
        assert_eq!(part.file_name(), name);
    }
});
