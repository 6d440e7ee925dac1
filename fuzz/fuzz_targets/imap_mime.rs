//! IMAP MIME structure: any bytes parse to a valid part tree (ranges inside the message, every
//! multipart with a child), and every API on it runs without panicking; ENVELOPE and
//! BODYSTRUCTURE come out as balanced IMAP lists.
#![no_main]

use bytes::BytesMut;
use imap_proto::section::{Section, SectionText};
use libfuzzer_sys::fuzz_target;
use message::mime::{self, Part};

/// Checks that `out` is one parenthesized list: quoted strings and literals skipped, parentheses
/// balanced and closed exactly at the end.
fn balanced(out: &[u8]) -> bool {
    let (mut depth, mut i) = (0usize, 0);
    while let Some(&b) = out.get(i) {
        i += 1;
        match b {
            b'(' => depth += 1,
            b')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            b'"' => loop {
                match out.get(i) {
                    Some(b'\\') => i += 2,
                    Some(b'"') => break i += 1,
                    Some(_) => i += 1,
                    None => return false,
                }
            },
            b'{' => {
                let Some(close) = out[i..].iter().position(|&c| c == b'}') else { return false };
                let Ok(len) = std::str::from_utf8(&out[i..i + close]).unwrap_or("x").parse::<usize>() else {
                    return false;
                };
                i += close + 3 + len;
            }
            _ => {}
        }
        if depth == 0 {
            return i == out.len();
        }
    }
    false
}

/// Checks the tree and collects the section numbers of its parts; `at_message` for the root
/// and encapsulated messages, whose non-multipart body is part `1`.
fn walk(message: &[u8], part: &Part, prefix: &[u32], at_message: bool, numbers: &mut Vec<Vec<u32>>) {
    assert!(part.header.start <= part.header.end && part.header.end <= part.body.start);
    assert!(part.body.start <= part.body.end && part.body.end <= message.len());
    let with = |n: u32| [prefix, &[n]].concat();
    if part.is_multipart() {
        assert!(!part.children.is_empty());
        for (i, child) in part.children.iter().enumerate() {
            numbers.push(with(i as u32 + 1));
            walk(message, child, &with(i as u32 + 1), false, numbers);
        }
    } else if let Some(inner) = &part.message {
        let inner_prefix = if at_message { with(1) } else { prefix.to_vec() };
        if at_message {
            numbers.push(with(1));
        }
        walk(message, inner, &inner_prefix, true, numbers);
    } else if at_message {
        numbers.push(with(1));
    }
}

fuzz_target!(|data: &[u8]| {
    let root = mime::parse(data);
    let mut numbers = vec![vec![]];
    walk(data, &root, &[], true, &mut numbers);
    let mut out = BytesMut::new();
    imap_proto::mime::write_envelope(&mut out, data, &root);
    assert!(balanced(&out));
    for extensible in [false, true] {
        out.clear();
        imap_proto::mime::write_body_structure(&mut out, data, &root, extensible);
        assert!(balanced(&out));
    }
    let fields = SectionText::HeaderFields { not: false, fields: vec!["subject".into(), "to".into()] };
    for number in numbers {
        assert!(imap_proto::mime::section(data, &root, &Section { part: number.clone(), text: None }).is_some());
        assert!(!matches!(imap_proto::mime::binary(data, &root, &number), Ok(None)));
        for text in
            [None, Some(SectionText::Header), Some(SectionText::Text), Some(SectionText::Mime), Some(fields.clone())]
        {
            let _ = imap_proto::mime::section(data, &root, &Section { part: number.clone(), text });
        }
    }
    let text = mime::body_text(data, &root);
    let needle = String::from_utf8_lossy(&data[..data.len().min(4)]);
    let _ = mime::contains_ignore_case(&text, &needle);
    for name in ["subject", "from", "to"] {
        let _ = mime::header_values(data, &root, name);
        let _ = mime::address_values(data, &root, name);
    }
    let _ = mime::sent_date(data, &root);
});
