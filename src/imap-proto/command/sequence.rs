//! Sequence sets (RFC 9051 9 `sequence-set`): `1:3,5,7:*`, used for message numbers and UIDs,
//! and `$`, the result the last `SEARCH RETURN (SAVE)` saved (RFC 5182).

use super::error::Result;
use super::lexer::Lexer;

/// One end of a range: a nonzero number, or `*` for the largest number in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNum {
    /// A message number or UID; never zero.
    Value(u32),
    /// `*`: the largest number in use in the mailbox.
    Star,
}

/// `start:end`, or a single number when both ends are equal; the ends may come in either order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    /// The first end as given.
    pub start: SeqNum,
    /// The second end as given (equal to `start` for a single number).
    pub end: SeqNum,
}

/// A comma-separated list of numbers and ranges, or `$` ([`SequenceSet::saved`]), which is
/// the only empty set the parser makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceSet(pub Vec<SeqRange>);

impl SeqNum {
    /// The number this stands for when `*` stands for `largest`.
    fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNum::Value(n) => n,
            SeqNum::Star => largest,
        }
    }
}

impl SequenceSet {
    /// `$`: the messages the last `SEARCH RETURN (SAVE)` found (RFC 5182).
    pub fn saved() -> SequenceSet {
        SequenceSet(Vec::new())
    }

    /// Whether this is `$` (the caller looks the saved result up; [`SequenceSet::contains`]
    /// holds nothing for it).
    pub fn is_saved(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `n` is in the set when `*` stands for `largest` (ranges may be given reversed,
    /// 5:2 == 2:5).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|r| {
            let (a, b) = (r.start.resolve(largest), r.end.resolve(largest));
            a.min(b) <= n && n <= a.max(b)
        })
    }
}

impl Lexer<'_> {
    /// `seq-number`: a nonzero number or `*`.
    fn seq_number(&mut self) -> Result<SeqNum> {
        if self.eat(b'*') {
            return Ok(SeqNum::Star);
        }
        self.nz_number().map(SeqNum::Value).map_err(|_| "bad sequence set")
    }

    /// `sequence-set`: `(seq-number / seq-range) *("," ...)`, or `$`.
    pub(super) fn sequence_set(&mut self) -> Result<SequenceSet> {
        if self.eat(b'$') {
            return Ok(SequenceSet::saved());
        }
        let mut ranges = Vec::new();
        loop {
            let start = self.seq_number()?;
            let end = if self.eat(b':') { self.seq_number()? } else { start };
            ranges.push(SeqRange { start, end });
            if !self.eat(b',') {
                return Ok(SequenceSet(ranges));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeqNum::{Star, Value};

    fn set(input: &str) -> Result<SequenceSet> {
        let mut lx = Lexer::new(input.as_bytes());
        let set = lx.sequence_set()?;
        lx.end().map(|()| set)
    }

    fn range(start: SeqNum, end: SeqNum) -> SeqRange {
        SeqRange { start, end }
    }

    #[test]
    fn parses_numbers_ranges_and_star() {
        assert_eq!(
            set("1:3,5,7:*"),
            Ok(SequenceSet(vec![range(Value(1), Value(3)), range(Value(5), Value(5)), range(Value(7), Star)]))
        );
        assert_eq!(set("*:4"), Ok(SequenceSet(vec![range(Star, Value(4))])));
        assert_eq!(set("*"), Ok(SequenceSet(vec![range(Star, Star)])));
        assert_eq!(set("4294967295"), Ok(SequenceSet(vec![range(Value(u32::MAX), Value(u32::MAX))])));
    }

    #[test]
    fn rejects_malformed_sets() {
        for bad in ["", "0", "1:0", "0:5", "01", "1,", ",1", "1:", ":2", "1::2", "4294967296", "1,,2", "a", "1:3x"] {
            assert!(set(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn contains_resolves_star_and_reversed_ranges() {
        let s = set("1:3,5,7:*").unwrap();
        assert!(s.contains(2, 10) && s.contains(5, 10) && s.contains(10, 10) && s.contains(7, 7));
        assert!(!s.contains(4, 10) && !s.contains(6, 10) && !s.contains(11, 10));
        let s = set("5:2").unwrap();
        assert!(s.contains(2, 9) && s.contains(5, 9) && !s.contains(6, 9));
        let s = set("*:4").unwrap();
        assert!(s.contains(9, 9) && s.contains(4, 9) && !s.contains(3, 9));
        assert!(s.contains(3, 2) && s.contains(2, 2) && !s.contains(5, 2));
    }
}
