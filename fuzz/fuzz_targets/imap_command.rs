//! IMAP commands: parsing any bytes must return a command or a typed error, never panic; an
//! error names a tag only when the input starts with it, and every parsed sequence set is
//! nonempty, holds no zero and contains its own ends.
#![no_main]

use imap_proto::command::{Command, LineEnd, SearchKey, SeqNum, SequenceSet, line_end, parse};
use libfuzzer_sys::fuzz_target;

/// Deepest search-key nesting the parser accepts.
const MAX_DEPTH: usize = 64;

fn check_set(set: &SequenceSet) {
    // The only empty set is `$`, the saved result (RFC 5182).
    assert_eq!(set.is_saved(), set.0.is_empty());
    for range in &set.0 {
        for end in [range.start, range.end] {
            assert_ne!(end, SeqNum::Value(0));
            for largest in [1, 1000, u32::MAX] {
                let n = match end {
                    SeqNum::Value(n) => n,
                    SeqNum::Star => largest,
                };
                assert!(set.contains(n, largest));
            }
        }
    }
}

fn check_key(key: &SearchKey, depth: usize) {
    assert!(depth <= MAX_DEPTH);
    match key {
        SearchKey::Uid(set) | SearchKey::Sequence(set) => check_set(set),
        SearchKey::Not(key) => check_key(key, depth + 1),
        SearchKey::Or(a, b) => {
            check_key(a, depth + 1);
            check_key(b, depth + 1);
        }
        SearchKey::And(keys) => keys.iter().for_each(|k| check_key(k, depth + 1)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    if let LineEnd::Literal { .. } = line_end(data) {
        assert!(data.ends_with(b"}"));
    }
    match parse(data) {
        Ok(tagged) => {
            assert!(!tagged.tag.is_empty() && data.starts_with(tagged.tag.as_bytes()));
            match &tagged.command {
                Command::Fetch { set, .. }
                | Command::Store { set, .. }
                | Command::Copy { set, .. }
                | Command::Move { set, .. }
                | Command::UidExpunge(set) => check_set(set),
                Command::Search { key, .. } => check_key(key, 0),
                _ => {}
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            if let Some(tag) = &e.tag {
                assert!(data.starts_with(tag.as_bytes()));
            }
        }
    }
});
