//! Runs every message of two public corpora (see tests/data/mime/README.md) through every API of
//! `imap::mime`: nothing may panic, ENVELOPE and BODY/BODYSTRUCTURE must be valid IMAP syntax
//! and grammar, and for mail-parser's corpus the part tree is compared with the expected JSON.

#[path = "imap_mime_corpus/syntax.rs"]
mod syntax;

use bytes::BytesMut;
use imap_proto::section::{Section, SectionText};
use message::mime::{self, Part};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/mime");

fn files(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(DATA).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| keep(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

fn mail_parser_files() -> Vec<PathBuf> {
    ["rfc", "legacy", "malformed", "thirdparty"]
        .iter()
        .flat_map(|d| files(&format!("mail-parser/{d}"), |n| n.ends_with(".eml")))
        .collect()
}

fn cpython_files() -> Vec<PathBuf> {
    files("cpython-email", |n| n.starts_with("msg_"))
}

/// Every section number in the tree (as a client could ask for) in `valid`, and numbers next to
/// them that name nothing in `invalid`.
fn part_numbers(part: &Part, prefix: &[u32], valid: &mut Vec<Vec<u32>>, invalid: &mut Vec<Vec<u32>>) {
    let with = |n: u32| [prefix, &[n]].concat();
    if part.is_multipart() {
        for (i, child) in part.children.iter().enumerate() {
            let number = with(i as u32 + 1);
            valid.push(number.clone());
            if child.is_multipart() {
                part_numbers(child, &number, valid, invalid);
            } else if let Some(inner) = &child.message {
                part_numbers(inner, &number, valid, invalid);
            }
        }
        invalid.push(with(part.children.len() as u32 + 1));
    } else {
        valid.push(with(1));
        invalid.push(with(2));
    }
    invalid.push(with(0));
}

/// Runs every API on one message, as stored and with bare LF line ends, and on mutated copies.
fn exercise(path: &Path) {
    let message = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    exercise_bytes(&name, &message);
    let bare_lf: Vec<u8> = message.iter().copied().filter(|&b| b != b'\r').collect();
    exercise_bytes(&format!("{name} (LF)"), &bare_lf);
    // Cheap fuzzing: cut the message short, flip octets and splice lines, deterministically.
    let mut seed = message.len() as u64 | 1;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    for round in 0..20 {
        let mut mutated = message.clone();
        mutated.truncate(random() % (message.len() + 1));
        for _ in 0..round {
            if let Some(len) = std::num::NonZeroUsize::new(mutated.len()) {
                let at = random() % len.get();
                const OCTETS: &[u8] = b"-\r\n=:;\"()<>@?*'%\xff";
                mutated[at] = OCTETS[random() % OCTETS.len()];
            }
        }
        exercise_bytes(&format!("{name} (mutation {round})"), &mutated);
    }
}

/// Runs every API on `message` and checks the syntax of what is written.
fn exercise_bytes(name: &str, message: &[u8]) {
    let message = message.to_vec();
    let root = mime::parse(&message);
    let mut out = BytesMut::new();
    imap_proto::mime::write_envelope(&mut out, &message, &root);
    syntax::check_envelope(&syntax::read(&out).unwrap_or_else(|e| panic!("{name}: {e}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for extensible in [false, true] {
        out.clear();
        imap_proto::mime::write_body_structure(&mut out, &message, &root, extensible);
        let value = syntax::read(&out).unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out)));
        let parts = syntax::check_body(&value, extensible).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parts, count(&root), "{name}");
    }
    let (mut valid, mut invalid) = (vec![], vec![]);
    part_numbers(&root, &[], &mut valid, &mut invalid);
    let fields = SectionText::HeaderFields { not: true, fields: vec!["Subject".into(), "content-type".into()] };
    let texts = [None, Some(SectionText::Header), Some(SectionText::Text), Some(SectionText::Mime), Some(fields)];
    for number in &valid {
        let get = |text: &Option<SectionText>| {
            imap_proto::mime::section(&message, &root, &Section { part: number.clone(), text: text.clone() })
        };
        for text in &texts {
            let _ = get(text);
        }
        assert!(get(&None).is_some() && get(&Some(SectionText::Mime)).is_some(), "{name} {number:?}");
        assert!(!matches!(imap_proto::mime::binary(&message, &root, number), Ok(None)), "{name} {number:?}");
    }
    for number in &invalid {
        for text in &texts {
            assert_eq!(
                imap_proto::mime::section(&message, &root, &Section { part: number.clone(), text: text.clone() }),
                None
            );
        }
        assert_eq!(imap_proto::mime::binary(&message, &root, number), Ok(None), "{name} {number:?}");
    }
    let whole = Section { part: vec![], text: None };
    assert_eq!(imap_proto::mime::section(&message, &root, &whole).as_deref(), Some(&message[..]));
    let text = mime::body_text(&message, &root);
    assert!(mime::contains_ignore_case(&text, "") && !mime::contains_ignore_case(&text, "\u{1F980}never here"));
    for field in ["subject", "from", "to", "cc"] {
        let values = mime::header_values(&message, &root, field);
        assert!(mime::address_values(&message, &root, field).len() >= values.len(), "each field, then its addresses");
    }
    let _ = mime::sent_date(&message, &root);
}

fn count(part: &Part) -> usize {
    1 + part.children.iter().map(count).sum::<usize>() + part.message.as_deref().map_or(0, count)
}

#[test]
fn cpython_corpus_runs_through_every_api() {
    let paths = cpython_files();
    assert_eq!(paths.len(), 47);
    for path in paths {
        exercise(&path);
    }
}

#[test]
fn mail_parser_corpus_runs_through_every_api() {
    let paths = mail_parser_files();
    assert_eq!(paths.len(), 107);
    for path in paths {
        exercise(&path);
    }
}

/// One node of mail-parser's expected parse, as a tree like ours.
struct Expected {
    content_type: Option<String>,
    header_start: u64,
    body_start: u64,
    children: Vec<Expected>,
    message: Option<Box<Expected>>,
}

fn expected(parts: &[Json], index: usize) -> Expected {
    let part = &parts[index];
    let content_type = part["headers"].as_array().unwrap().iter().find(|h| h["name"] == "content_type").map(|h| {
        let ct = &h["value"]["ContentType"];
        format!("{}/{}", ct["c_type"].as_str().unwrap_or(""), ct["c_subtype"].as_str().unwrap_or(""))
            .to_ascii_lowercase()
    });
    let body = &part["body"];
    let children = body["Multipart"]
        .as_array()
        .map_or(vec![], |c| c.iter().map(|i| expected(parts, i.as_u64().unwrap() as usize)).collect());
    let message = body["Message"]["parts"].as_array().map(|p| Box::new(expected(p, 0)));
    Expected {
        content_type,
        header_start: part["offset_header"].as_u64().unwrap(),
        body_start: part["offset_body"].as_u64().unwrap(),
        children,
        message,
    }
}

/// Differences between our tree and the expected one, as text.
fn compare(ours: &Part, theirs: &Expected, at: &str, diffs: &mut Vec<String>) {
    let our_type = format!("{}/{}", ours.media_type, ours.subtype);
    if let Some(their_type) = &theirs.content_type {
        if *their_type != our_type {
            diffs.push(format!("{at}: type {our_type} vs {their_type}"));
        }
    }
    if (ours.header.start as u64, ours.body.start as u64) != (theirs.header_start, theirs.body_start) {
        diffs.push(format!(
            "{at}: offsets {:?}/{:?} vs {}/{}",
            ours.header, ours.body, theirs.header_start, theirs.body_start
        ));
    }
    if ours.children.len() != theirs.children.len() {
        diffs.push(format!("{at}: {} children vs {}", ours.children.len(), theirs.children.len()));
    }
    for (i, (o, t)) in ours.children.iter().zip(&theirs.children).enumerate() {
        compare(o, t, &format!("{at}.{}", i + 1), diffs);
    }
    match (&ours.message, &theirs.message) {
        (Some(o), Some(t)) => compare(o, t, &format!("{at}.msg"), diffs),
        (None, None) => {}
        (o, _) => diffs.push(format!("{at}: encapsulated message {} vs {}", o.is_some(), o.is_none())),
    }
}

/// Where our tree knowingly differs from mail-parser's, and why. Everything else must match: the
/// tree shape (children, encapsulated messages), every part's Content-Type where the part has
/// one, and the offsets where each part's header and body start.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("rfc/008", "a base64 message/rfc822 stays opaque (application/octet-stream); mail-parser decodes it"),
    ("thirdparty/015", "encapsulated headers cut off by the outer delimiter line end there (as in Dovecot)"),
    ("malformed/000", "boundary \":foo\": mail-parser finds no parts"),
    ("malformed/001", "boundaries prefixing each other: exact match first, then the longest (Dovecot's rule)"),
    ("malformed/004", "same"),
    ("malformed/007", "same, and a delimiter line ends a header"),
    ("malformed/008", "same"),
    ("malformed/016", "same"),
    ("malformed/002", "no delimiter line at all: IMAP needs a child, so an empty text/plain one is added"),
    ("malformed/009", "an inner multipart missing its closing delimiter ends at the outer one (Dovecot)"),
    ("malformed/011", "same"),
    ("malformed/012", "same"),
    ("malformed/013", "a last `--b` line without `--` starts an (empty) part"),
    ("malformed/014", "same"),
    ("malformed/020", "two Content-Type fields: the first wins here, the last in mail-parser"),
    ("malformed/021", "same"),
    ("malformed/022", "a message/rfc822 part that holds no message is still read as one (all header)"),
];

#[test]
fn mail_parser_corpus_matches_the_expected_trees() {
    let mut differing = Vec::new();
    for path in mail_parser_files() {
        // The expected JSON is of the message with every CR removed (as mail-parser's own test does).
        let mut message = std::fs::read(&path).unwrap();
        message.retain(|&b| b != b'\r');
        let json: Json = serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap()).unwrap();
        let theirs = expected(json["parts"].as_array().unwrap(), 0);
        let mut diffs = Vec::new();
        compare(&mime::parse(&message), &theirs, "", &mut diffs);
        let dir = path.parent().unwrap().file_name().unwrap().to_string_lossy();
        let name = format!("{dir}/{}", path.file_stem().unwrap().to_string_lossy());
        if !diffs.is_empty() {
            println!("{name}: {}", diffs.join("; "));
            differing.push(name);
        }
    }
    let mut known: Vec<String> = KNOWN_DIFFERENCES.iter().map(|(name, _)| name.to_string()).collect();
    differing.sort();
    known.sort();
    assert_eq!(differing, known);
}
