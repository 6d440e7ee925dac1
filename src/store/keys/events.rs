//! Keys of the event log and of the cursors of those who read it.

/// `events` key: the sequence number, so that keys sort in the order events were written.
pub fn event(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The sequence number of an `events` key.
pub fn event_seq(key: &[u8]) -> Option<u64> {
    key.try_into().ok().map(u64::from_be_bytes)
}

/// `event_cursor` key of a reader (a webhook): its name as configured.
pub fn event_cursor(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_sequence_and_read_back() {
        assert!(event(255) < event(256));
        assert_eq!(event_seq(&event(70_000)), Some(70_000));
        assert_eq!(event_seq(b"short"), None);
    }
}
