//! One POST's worth of events: read from the store's log after a webhook's cursor, filtered by
//! kind, and made into a signed JSON array.

use ring::hmac;
use serde::Deserialize;

use store::{Store, StoreError};

use crate::config::EventKind;

/// Most events read for one batch, skipped kinds included: a webhook for a rare kind moves its
/// cursor on in bounded steps.
const MAX_SCANNED: usize = 10_000;

/// Events read from the log for one POST.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// The last event read, sent or skipped: where the cursor moves once the POST is accepted.
    pub last: Option<u64>,
    /// The events of the webhook's kinds: sequence number and JSON object.
    pub events: Vec<(u64, Vec<u8>)>,
}

/// Reads up to `size` events of `kinds` after `cursor`.
pub(super) fn collect(store: &Store, cursor: u64, size: usize, kinds: &[EventKind]) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let (mut after, mut scanned) = (cursor, 0);
    while batch.events.len() < size && scanned < MAX_SCANNED {
        let page = store.events_after(after, size - batch.events.len())?;
        let Some(&(last, _)) = page.last() else { break };
        (after, scanned, batch.last) = (last, scanned + page.len(), Some(last));
        batch.events.extend(page.into_iter().filter(|(_, event)| is_of(event, kinds)));
    }
    Ok(batch)
}

/// Whether the event's `event` field names one of `kinds`.
fn is_of(event: &[u8], kinds: &[EventKind]) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        event: EventKind,
    }
    serde_json::from_slice::<Kind>(event).is_ok_and(|k| kinds.contains(&k.event))
}

/// The POST body: a JSON array of the events, each with its `"seq"` put first.
pub(super) fn body(events: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + events.iter().map(|(_, e)| e.len() + 24).sum::<usize>());
    out.push(b'[');
    for (i, (seq, event)) in events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match event.strip_prefix(b"{") {
            Some(fields) => {
                out.extend_from_slice(format!("{{\"seq\":{seq}").as_bytes());
                if fields != b"}" {
                    out.push(b',');
                }
                out.extend_from_slice(fields);
            }
            None => out.extend_from_slice(event),
        }
    }
    out.push(b']');
    out
}

/// The `X-Ringmail-Signature` value of `body`: `sha256=` and the hex HMAC-SHA256.
pub(super) fn signature(key: &hmac::Key, body: &[u8]) -> String {
    let tag = hmac::sign(key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Journal;
    use store::journal::{EventsOp, JournalOp};

    fn event(kind: &str, n: u32) -> Vec<u8> {
        format!("{{\"time\":1,\"event\":\"{kind}\",\"n\":{n}}}").into_bytes()
    }

    #[test]
    fn the_signature_is_the_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"Jefe");
        assert_eq!(
            signature(&key, b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_body_is_an_array_of_the_events_with_their_sequence_numbers() {
        let text = body(&[(7, event("bounce", 1)), (9, b"{}".to_vec())]);
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(value[0]["seq"], 7);
        assert_eq!(value[0]["event"], "bounce");
        assert_eq!(value[0]["n"], 1);
        assert_eq!(value[1], serde_json::json!({ "seq": 9 }));
        assert_eq!(body(&[]), b"[]");
    }

    #[test]
    fn batches_hold_the_webhooks_kinds_up_to_their_size_and_skip_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        let kinds = ["reception", "bounce", "delivery", "bounce", "reception", "bounce"];
        let events = kinds.iter().enumerate().map(|(n, kind)| event(kind, n as u32)).collect();
        let cursor = JournalOp::Events(EventsOp::Cursor { name: "x".into(), seq: 0 });
        journal.handle().submit_blocking_with_events(cursor, events).unwrap();
        journal.stop();

        let all = collect(&store, 0, 4, &EventKind::ALL).unwrap();
        assert_eq!((all.last, all.events.len()), (Some(4), 4));
        let bounces = collect(&store, 0, 2, &[EventKind::Bounce]).unwrap();
        let seqs: Vec<u64> = bounces.events.iter().map(|(seq, _)| *seq).collect();
        assert_eq!((bounces.last, seqs), (Some(4), vec![2, 4]), "stops at the size");
        let rest = collect(&store, 4, 2, &[EventKind::Delivery]).unwrap();
        assert_eq!((rest.last, rest.events.len()), (Some(6), 0), "skipped events move the cursor on");
        let none = collect(&store, 6, 2, &EventKind::ALL).unwrap();
        assert_eq!((none.last, none.events.len()), (None, 0));
    }
}
