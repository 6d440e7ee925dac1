//! IMAP SEARCH criteria: `a SEARCH <data>` must parse or fail without panicking or deep
//! recursion; parsed criteria nest at most 64 deep and their sequence sets hold no zero.
#![no_main]

use imap_proto::command::{Command, SearchKey, SeqNum, parse};
use libfuzzer_sys::fuzz_target;

/// Deepest search-key nesting the parser accepts.
const MAX_DEPTH: usize = 64;

fn check(key: &SearchKey, depth: usize) {
    assert!(depth <= MAX_DEPTH);
    match key {
        SearchKey::Uid(set) | SearchKey::Sequence(set) => {
            // The only empty set is `$`, the saved result (RFC 5182).
            assert!(set.is_saved() == set.0.is_empty());
            assert!(set.0.iter().all(|r| r.start != SeqNum::Value(0) && r.end != SeqNum::Value(0)));
        }
        SearchKey::Not(key) => check(key, depth + 1),
        SearchKey::Or(a, b) => {
            check(a, depth + 1);
            check(b, depth + 1);
        }
        SearchKey::And(keys) => keys.iter().for_each(|k| check(k, depth + 1)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = b"a SEARCH ".to_vec();
    input.extend_from_slice(data);
    match parse(&input) {
        Ok(tagged) => match tagged.command {
            Command::Search { key, .. } => check(&key, 0),
            other => panic!("SEARCH parsed as {other:?}"),
        },
        Err(e) => assert_eq!(e.tag.as_deref(), Some("a")),
    }
});
