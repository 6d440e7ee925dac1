//! Malformed input: every failure is an error with the tag when one was read, never a panic.

use super::super::{ParseError, parse, search::MAX_DEPTH};
use super::{bad, ok};

fn error(tag: Option<&str>, message: &str) -> ParseError {
    ParseError { tag: tag.map(str::to_owned), message: message.to_owned() }
}

#[test]
fn missing_or_bad_tags_have_no_tag() {
    assert_eq!(bad(""), error(None, "empty command"));
    assert_eq!(bad("\r\n"), error(None, "empty command"));
    assert_eq!(bad(" NOOP").tag, None);
    assert_eq!(bad("a+b NOOP").tag, None);
    assert_eq!(bad("a(b NOOP").tag, None);
    assert_eq!(bad("\"a\" NOOP").tag, None);
    assert_eq!(bad(b"\xc3\xa9 NOOP").tag, None);
    assert_eq!(bad("a"), error(Some("a"), "missing command"));
    assert_eq!(bad("a "), error(Some("a"), "missing command"));
    assert_eq!(bad("a (NOOP"), error(Some("a"), "expected a command name"));
}

#[test]
fn errors_after_the_tag_keep_it() {
    assert_eq!(bad("a NOOP extra"), error(Some("a"), "unexpected text after the command"));
    assert_eq!(bad("a NOOP "), error(Some("a"), "unexpected text after the command"));
    assert_eq!(bad("a NOOP\r\n\r\n").tag.as_deref(), Some("a"));
    assert_eq!(bad("a FROB x"), error(Some("a"), "unknown command"));
    assert_eq!(bad("a  NOOP").tag.as_deref(), Some("a"));
    assert_eq!(bad("a LOGIN \"fred"), error(Some("a"), "unterminated quoted string"));
    assert_eq!(bad("a LOGIN {10}\r\nshort x"), error(Some("a"), "literal shorter than declared"));
    assert_eq!(bad("a LOGIN {4}\r\nuser").message, "expected a space");
    assert_eq!(bad("a LOGIN {4}user pass").message, "expected CRLF after literal length");
    assert_eq!(bad(b"a LOGIN \xff\xfe x").tag.as_deref(), Some("a"));
    assert_eq!(bad(b"a LOGIN \"\xff\xfe\" x").message, "string is not valid UTF-8");
    assert_eq!(bad(b"a LOGIN {2}\r\n\xc3( x").message, "string is not valid UTF-8");
    assert_eq!(bad("a FETCH 0 FLAGS").message, "bad sequence set");
    assert_eq!(bad("a FETCH 1:0 FLAGS").message, "bad sequence set");
}

#[test]
fn literal_lengths_that_cannot_be_met() {
    bad("a LOGIN {18446744073709551615}\r\nx y");
    bad("a LOGIN {18446744073709551616}\r\nx y");
    bad("a LOGIN {}\r\n y");
    bad("a LOGIN {-1}\r\n y");
    bad("a LOGIN {1+ }\r\nx y");
}

#[test]
fn nesting_is_capped() {
    let nested = |n: usize| format!("a SEARCH {}ALL{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(nested(MAX_DEPTH - 1).as_bytes()).is_ok());
    assert_eq!(bad(nested(MAX_DEPTH)).message, "search keys nested too deeply");
    let nots = |n: usize| format!("a SEARCH {}ALL", "NOT ".repeat(n));
    assert!(parse(nots(MAX_DEPTH - 1).as_bytes()).is_ok());
    bad(nots(MAX_DEPTH));
    bad(nots(100_000));
    bad(format!("a SEARCH {}", "(".repeat(1_000_000)));
    bad(format!("a SEARCH {}ALL ALL", "OR ".repeat(100_000)));
}

#[test]
fn garbage_never_panics() {
    let mut state: u32 = 0x2545_f491;
    let alphabet = b"aA1*:,() \"\\{}+~[]<>.-%\r\n\x00\xff\xc3SEARCHFETCHNOTOR";
    for _ in 0..20_000 {
        let mut input = b"a ".to_vec();
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            input.push(alphabet[state as usize % alphabet.len()]);
        }
        let _ = parse(&input);
    }
    let _ = ok("a NOOP");
}
