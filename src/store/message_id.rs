//! Message identifiers: unique, roughly time-ordered, made without coordination between shards.

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A stored message's id: microseconds since the epoch in the high 64 bits, then the shard
/// number (16 bits) and a per-shard sequence (48 bits). Shown as 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u128);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032X}", self.0)
    }
}

impl std::str::FromStr for MessageId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<MessageId, Self::Err> {
        u128::from_str_radix(s, 16).map(MessageId)
    }
}

/// Makes message ids for one shard (or one admin process).
#[derive(Debug)]
pub struct MessageIdGenerator {
    shard: u16,
    sequence: Cell<u64>,
}

impl MessageIdGenerator {
    /// A generator for `shard`; the sequence starts at a random point so that ids made after a
    /// restart in the same microsecond still differ.
    pub fn new(shard: u16) -> MessageIdGenerator {
        MessageIdGenerator { shard, sequence: Cell::new(rand::random::<u64>() & 0xFFFF_FFFF) }
    }

    /// The next id.
    pub fn next_id(&self) -> MessageId {
        let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
        let seq = self.sequence.get().wrapping_add(1) & 0xFFFF_FFFF_FFFF;
        self.sequence.set(seq);
        MessageId(((micros as u128) << 64) | ((self.shard as u128) << 48) | seq as u128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip_as_hex() {
        let g = MessageIdGenerator::new(3);
        let ids: Vec<_> = (0..1000).map(|_| g.next_id()).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        let text = ids[0].to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<MessageId>().unwrap(), ids[0]);
        assert_eq!((ids[0].0 >> 48) & 0xFFFF, 3);
    }
}
