//! Tests of whole commands through `parse`, grouped by command family.

mod basic;
mod errors;
mod fetch;
mod list;
mod search;
mod store_append;

use super::{Command, ParseError, SeqNum, SeqRange, SequenceSet, parse};

/// The command `input` parses to; panics with the error otherwise.
fn ok(input: impl AsRef<[u8]>) -> Command {
    let input = input.as_ref();
    match parse(input) {
        Ok(tagged) => tagged.command,
        Err(e) => panic!("{:?}: {e:?}", String::from_utf8_lossy(input)),
    }
}

/// The error `input` gives; panics if it parses.
fn bad(input: impl AsRef<[u8]>) -> ParseError {
    let input = input.as_ref();
    match parse(input) {
        Ok(tagged) => panic!("{:?} parsed as {tagged:?}", String::from_utf8_lossy(input)),
        Err(e) => e,
    }
}

/// A set of `(start, end)` pairs, 0 standing for `*`.
fn set(ranges: &[(u32, u32)]) -> SequenceSet {
    let num = |n| if n == 0 { SeqNum::Star } else { SeqNum::Value(n) };
    SequenceSet(ranges.iter().map(|&(a, b)| SeqRange { start: num(a), end: num(b) }).collect())
}
