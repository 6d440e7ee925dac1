//! IMAP sequence sets: `a FETCH <data> FLAGS` must parse or fail without panicking; a parsed
//! set (or `$`) must print back to text that parses to the same set, and `contains` must agree with a
//! range-by-range check for numbers at and around every end.
#![no_main]

use imap_proto::command::{Command, SeqNum, SequenceSet, parse};
use libfuzzer_sys::fuzz_target;

fn text(n: SeqNum) -> String {
    match n {
        SeqNum::Value(n) => n.to_string(),
        SeqNum::Star => "*".to_owned(),
    }
}

fn resolve(n: SeqNum, largest: u32) -> u32 {
    match n {
        SeqNum::Value(n) => n,
        SeqNum::Star => largest,
    }
}

fn fetch_set(input: &[u8]) -> Option<SequenceSet> {
    match parse(input).ok()?.command {
        Command::Fetch { set, .. } => Some(set),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = b"a FETCH ".to_vec();
    input.extend_from_slice(data);
    input.extend_from_slice(b" FLAGS");
    let Some(set) = fetch_set(&input) else { return };

    let printed: Vec<String> = match set.is_saved() {
        // `$`, the saved search result (RFC 5182), is the one set without ranges.
        true => vec!["$".to_owned()],
        false => set.0.iter().map(|r| format!("{}:{}", text(r.start), text(r.end))).collect(),
    };
    let again = fetch_set(format!("a FETCH {} FLAGS", printed.join(",")).as_bytes());
    assert_eq!(again.as_ref(), Some(&set));

    for largest in [1, 2, 1000, u32::MAX] {
        let mut probes = vec![1, largest, u32::MAX];
        for r in &set.0 {
            for end in [resolve(r.start, largest), resolve(r.end, largest)] {
                probes.extend([end.saturating_sub(1), end, end.saturating_add(1)]);
            }
        }
        for n in probes {
            let expected = set.0.iter().any(|r| {
                let (a, b) = (resolve(r.start, largest), resolve(r.end, largest));
                (a..=b).contains(&n) || (b..=a).contains(&n)
            });
            assert_eq!(set.contains(n, largest), expected, "{n} in {set:?} with * = {largest}");
        }
    }
});
