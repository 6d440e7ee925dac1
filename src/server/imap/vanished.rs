//! What a resynchronising client is told has gone (QRESYNC, RFC 7162 3.2.5.1 and 3.2.6): the
//! UIDs of the store's tombstones after its modseq, or, where tombstones were swept, every UID
//! below UIDNEXT that the mailbox does not hold (the RFC lets a server report UIDs that were
//! expunged earlier or never existed); only those in the set the client asked about, and
//! never one the client still sees. Worked in ranges, so a mailbox of a million gaps costs
//! no more than one of a few.

use imap_proto::command::{SeqNum, SequenceSet};
use imap_proto::wire::runs;
use store::vanished::VanishedSince;

/// An inclusive UID range.
type Range = (u32, u32);

/// The gone UIDs within `wanted`, as ascending ranges. `present` holds the UIDs the client
/// sees, ascending; `uid_next` is the mailbox's next UID.
pub fn earlier(found: &VanishedSince, present: &[u32], uid_next: u32, wanted: &[Range]) -> Vec<Range> {
    let gone = if found.complete {
        runs(found.uids.iter().copied().filter(|uid| present.binary_search(uid).is_err()))
    } else {
        gaps(present, uid_next.saturating_sub(1))
    };
    intersect(&gone, wanted)
}

/// The ranges of `set` (`*` standing for `largest`), ascending and merged; `saved` stands in
/// for `$`.
pub fn ranges_of(set: &SequenceSet, largest: u32, saved: &[u32]) -> Vec<Range> {
    if set.is_saved() {
        return runs(saved.iter().copied());
    }
    let value = |n: SeqNum| match n {
        SeqNum::Value(v) => v,
        SeqNum::Star => largest,
    };
    let mut ranges: Vec<Range> =
        set.0.iter().map(|r| (value(r.start), value(r.end))).map(|(a, b)| (a.min(b), a.max(b))).collect();
    ranges.sort_unstable();
    let mut merged: Vec<Range> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match merged.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The UIDs from 1 to `last` not in `present` (ascending).
fn gaps(present: &[u32], last: u32) -> Vec<Range> {
    let mut out = Vec::new();
    let mut next = 1u32;
    for &uid in present.iter().take_while(|&&u| u <= last) {
        if uid > next {
            out.push((next, uid - 1));
        }
        next = uid.saturating_add(1);
    }
    if next <= last && last > 0 {
        out.push((next, last));
    }
    out
}

/// The UIDs in both lists of ascending, disjoint ranges.
fn intersect(a: &[Range], b: &[Range]) -> Vec<Range> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if start <= end {
            out.push((start, end));
        }
        if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_proto::command::SeqRange;
    use imap_proto::wire::ranges as write;

    fn set(ranges: &[(u32, Option<u32>)]) -> SequenceSet {
        let num = |n: Option<u32>| n.map_or(SeqNum::Star, SeqNum::Value);
        SequenceSet(ranges.iter().map(|&(s, e)| SeqRange { start: SeqNum::Value(s), end: num(e) }).collect())
    }

    #[test]
    fn tombstones_within_the_wanted_set_and_not_still_seen() {
        let found = VanishedSince { uids: vec![2, 3, 4, 9, 12], complete: true };
        let all = ranges_of(&set(&[(1, None)]), 20, &[]);
        assert_eq!(write(&earlier(&found, &[1, 4, 5], 21, &all)), "2:3,9,12", "4 is still seen");
        let some = ranges_of(&set(&[(3, Some(9)), (1, Some(2))]), 20, &[]);
        assert_eq!(write(&earlier(&found, &[1, 5], 21, &some)), "2:4,9");
    }

    #[test]
    fn swept_tombstones_report_every_gap_below_uidnext() {
        let found = VanishedSince { uids: vec![9], complete: false };
        let all = ranges_of(&set(&[(1, None)]), 1000, &[]);
        assert_eq!(write(&earlier(&found, &[3, 4, 8], 11, &all)), "1:2,5:7,9:10");
        assert_eq!(write(&earlier(&found, &[], 1_000_001, &all)), "1:1000", "bounded by the set");
        assert_eq!(write(&earlier(&found, &[], 1, &all)), "", "an empty, new mailbox");
    }

    #[test]
    fn sets_normalise() {
        assert_eq!(ranges_of(&set(&[(5, Some(3)), (4, Some(9)), (11, None)]), 7, &[]), vec![(3, 11)]);
        assert_eq!(ranges_of(&SequenceSet::saved(), 7, &[1, 2, 5]), vec![(1, 2), (5, 5)]);
    }
}
