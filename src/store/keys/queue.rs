//! Keys of outbound mail: queued recipients and suppressed ones.

use crate::message_id::MessageId;

/// `queue` key: ordered by due time, then message, then recipient.
pub fn queue(due_secs: u64, id: MessageId, recipient: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(24 + recipient.len());
    k.extend_from_slice(&queue_from(due_secs));
    k.extend_from_slice(&id.0.to_be_bytes());
    k.extend_from_slice(recipient.as_bytes());
    k
}

/// Where a scan of the recipients due at `due_secs` or later starts.
pub fn queue_from(due_secs: u64) -> [u8; 8] {
    due_secs.to_be_bytes()
}

/// The due time at the front of a `queue` key.
pub fn queue_due(key: &[u8]) -> Option<u64> {
    key.get(..8).map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
}

/// The message id inside a `queue` key.
pub fn queue_message_id(key: &[u8]) -> Option<MessageId> {
    key.get(8..24).map(|b| MessageId(u128::from_be_bytes(b.try_into().expect("16 bytes"))))
}

/// `suppression` key of a recipient: its address, lower-cased.
pub fn suppression(address: &str) -> Vec<u8> {
    address.to_lowercase().into_bytes()
}

/// `sender_suppression` key: the sender domain and the recipient, lower-cased, `\0` between,
/// so that a domain's suppressions sort together.
pub fn sender_suppression(domain: &str, address: &str) -> Vec<u8> {
    let mut k = domain.trim_end_matches('.').to_ascii_lowercase().into_bytes();
    k.push(0);
    k.extend_from_slice(address.to_lowercase().as_bytes());
    k
}

/// The sender domain and recipient of a `sender_suppression` key.
pub fn sender_suppression_parts(key: &[u8]) -> Option<(String, String)> {
    let nul = key.iter().position(|&b| b == 0)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Some((text(&key[..nul]), text(&key[nul + 1..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keys_sort_by_due_time_and_give_their_parts_back() {
        let early = queue(9, MessageId(u128::MAX), "z@far.example");
        let late = queue(10, MessageId(1), "a@far.example");
        assert!(
            early < late
                && early.as_slice() >= queue_from(9).as_slice()
                && late.as_slice() >= queue_from(10).as_slice()
        );
        assert_eq!((queue_due(&late), queue_message_id(&late)), (Some(10), Some(MessageId(1))));
        assert_eq!((queue_due(b"short"), queue_message_id(b"still short")), (None, None));
        assert_eq!(suppression("Bob@Far.Example"), b"bob@far.example");
        let scoped = sender_suppression("News.Example.", "Bob@Far.Example");
        assert_eq!(scoped, b"news.example\0bob@far.example");
        assert_eq!(sender_suppression_parts(&scoped), Some(("news.example".into(), "bob@far.example".into())));
        assert_eq!(sender_suppression_parts(b"no separator"), None);
    }
}
