//! FETCH: macros, attributes, sections, partials, BINARY and CHANGEDSINCE.

use super::super::{Command, FetchAttribute as A};
use super::{bad, ok, set};
use crate::section::{Section, SectionText as T};

/// The attributes and modifier of a FETCH command.
fn fetch(input: &str) -> (bool, Vec<A>, Option<u64>) {
    match ok(input) {
        Command::Fetch { uid, attributes, changed_since, .. } => (uid, attributes, changed_since),
        other => panic!("{other:?}"),
    }
}

fn attrs(input: &str) -> Vec<A> {
    fetch(input).1
}

fn body(peek: bool, part: &[u32], text: Option<T>, partial: Option<(u32, u32)>) -> A {
    A::BodySection { peek, section: Section { part: part.to_vec(), text }, partial }
}

fn fields(not: bool, names: &[&str]) -> Option<T> {
    Some(T::HeaderFields { not, fields: names.iter().map(|s| s.to_string()).collect() })
}

#[test]
fn rfc3501_example() {
    assert_eq!(
        ok("a003 FETCH 12 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY[HEADER.FIELDS (DATE FROM)])"),
        Command::Fetch {
            uid: false,
            set: set(&[(12, 12)]),
            attributes: vec![
                A::Flags,
                A::InternalDate,
                A::Rfc822Size,
                A::Envelope,
                body(false, &[], fields(false, &["DATE", "FROM"]), None)
            ],
            changed_since: None,
            vanished: false,
        }
    );
    assert_eq!(attrs("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])").len(), 2);
}

#[test]
fn macros_expand() {
    assert_eq!(attrs("a FETCH 1 ALL"), [A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope]);
    assert_eq!(attrs("a FETCH 1 fast"), [A::Flags, A::InternalDate, A::Rfc822Size]);
    assert_eq!(attrs("a FETCH 1 FULL"), [A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope, A::Body]);
    bad("a FETCH 1 (ALL)");
    bad("a FETCH 1 ALLX");
}

#[test]
fn simple_attributes_any_case_bare_or_listed() {
    assert_eq!(attrs("a FETCH 1 uid"), [A::Uid]);
    assert_eq!(
        attrs("a FETCH 1 (BODYSTRUCTURE body MODSEQ RFC822 RFC822.HEADER rfc822.text UID)"),
        [A::BodyStructure, A::Body, A::ModSeq, A::Rfc822, A::Rfc822Header, A::Rfc822Text, A::Uid]
    );
}

#[test]
fn body_sections() {
    assert_eq!(attrs("a FETCH 1 BODY[]"), [body(false, &[], None, None)]);
    assert_eq!(attrs("a FETCH 1 body.peek[1.2.MIME]<0.100>"), [body(true, &[1, 2], Some(T::Mime), Some((0, 100)))]);
    assert_eq!(attrs("a FETCH 1 BODY[1.2.3]"), [body(false, &[1, 2, 3], None, None)]);
    assert_eq!(attrs("a FETCH 1 BODY[HEADER]"), [body(false, &[], Some(T::Header), None)]);
    assert_eq!(attrs("a FETCH 1 BODY[text]<5.1>"), [body(false, &[], Some(T::Text), Some((5, 1)))]);
    assert_eq!(attrs("a FETCH 1 BODY[3.HEADER]"), [body(false, &[3], Some(T::Header), None)]);
    assert_eq!(attrs("a FETCH 1 BODY[3.1.TEXT]"), [body(false, &[3, 1], Some(T::Text), None)]);
    assert_eq!(
        attrs("a FETCH 1 BODY.PEEK[2.HEADER.FIELDS.NOT (Received \"X-Spam\" {4}\r\nDKIM)]"),
        [body(true, &[2], fields(true, &["Received", "X-Spam", "DKIM"]), None)]
    );
}

#[test]
fn malformed_sections() {
    for input in [
        "a FETCH 1 BODY[MIME]",
        "a FETCH 1 BODY[0]",
        "a FETCH 1 BODY[1.]",
        "a FETCH 1 BODY[1..2]",
        "a FETCH 1 BODY[.1]",
        "a FETCH 1 BODY[1",
        "a FETCH 1 BODY[HEADER.FIELDS]",
        "a FETCH 1 BODY[HEADER.FIELDS ()]",
        "a FETCH 1 BODY[HEADER.FIELDS(From)]",
        "a FETCH 1 BODY[1.FOO]",
        "a FETCH 1 BODY[]<1>",
        "a FETCH 1 BODY[]<1.0>",
        "a FETCH 1 BODY[]<1.2",
        "a FETCH 1 BODY[]<4294967296.1>",
        "a FETCH 1 BODY [1]",
        "a FETCH 1 BODYSTRUCTURE[1]",
        "a FETCH 1 FLAGS[]",
        "a FETCH 1 RFC822.SIZE<0.1>",
        "a FETCH 1 BINARY",
        "a FETCH 1 BINARY[HEADER]",
        "a FETCH 1 BINARY.SIZE",
        "a FETCH 1 BODY.PEEK",
        "a FETCH 1 AVERYLONGATTRIBUTENAMETHATOVERFLOWS",
    ] {
        bad(input);
    }
}

#[test]
fn binary() {
    assert_eq!(attrs("a FETCH 1 BINARY.PEEK[1]"), [A::Binary { peek: true, part: vec![1], partial: None }]);
    assert_eq!(
        attrs("a FETCH 1 binary[]<0.1024>"),
        [A::Binary { peek: false, part: vec![], partial: Some((0, 1024)) }]
    );
    assert_eq!(attrs("a FETCH 1 (BINARY.SIZE[1.2] FLAGS)"), [A::BinarySize { part: vec![1, 2] }, A::Flags]);
}

#[test]
fn uid_fetch_and_changedsince() {
    assert_eq!(fetch("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)"), (true, vec![A::Flags], Some(12345)));
    assert_eq!(fetch("a FETCH 1 FLAGS (changedsince 9223372036854775807)").2, Some(i64::MAX as u64));
    // RFC 7162 3.2.6's example, and the modifiers the other way round.
    for input in [
        "s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
        "a UID FETCH 1 FLAGS (VANISHED CHANGEDSINCE 1)",
    ] {
        assert!(matches!(ok(input), Command::Fetch { vanished: true, changed_since: Some(_), .. }), "{input}");
    }
    assert!(matches!(ok("a UID FETCH 1 FLAGS (CHANGEDSINCE 1)"), Command::Fetch { vanished: false, .. }));
    for input in [
        "a FETCH 1 FLAGS (CHANGEDSINCE 0)",
        "a FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)",
        "a FETCH 1 FLAGS (CHANGEDSINCE)",
        "a FETCH 1 FLAGS ()",
        "a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)",
        "a UID FETCH 1 FLAGS (VANISHED)",
        "a FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)",
        "a UID FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED VANISHED)",
        "a FETCH 1 FLAGS UID",
        "a FETCH 1 ()",
        "a FETCH 1 (FLAGS",
        "a FETCH 1 (FLAGS  UID)",
        "a FETCH 1",
        "a FETCH FLAGS",
    ] {
        bad(input);
    }
}

#[test]
fn preview_rfc8970() {
    use super::super::FetchAttribute as A;
    for input in ["a FETCH 1 (PREVIEW)", "a FETCH 1 (PREVIEW (LAZY))", "a FETCH 1 PREVIEW"] {
        match super::ok(input) {
            super::super::Command::Fetch { attributes, .. } => assert_eq!(attributes, vec![A::Preview], "{input}"),
            other => panic!("{other:?}"),
        }
    }
    match super::ok("a FETCH 1 (UID PREVIEW (LAZY) FLAGS)") {
        super::super::Command::Fetch { attributes, .. } => assert_eq!(attributes, vec![A::Uid, A::Preview, A::Flags]),
        other => panic!("{other:?}"),
    }
    super::bad("a FETCH 1 (PREVIEW (EAGER))");
}

#[test]
fn object_ids_rfc8474() {
    use super::super::FetchAttribute as A;
    match super::ok("a FETCH 1:* (EMAILID THREADID)") {
        super::super::Command::Fetch { attributes, .. } => assert_eq!(attributes, vec![A::EmailId, A::ThreadId]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn save_date_rfc8514() {
    use super::super::FetchAttribute as A;
    match super::ok("a UID FETCH 1:* (SAVEDATE INTERNALDATE)") {
        super::super::Command::Fetch { attributes, .. } => assert_eq!(attributes, vec![A::SaveDate, A::InternalDate]),
        other => panic!("{other:?}"),
    }
}
