//! Keys of the `sender_stats` column family: the hour (u64 BE, Unix seconds / 3,600), the
//! lower-case sender domain, `\0`, and what is counted (`d`: delivered, `c`: complaint). The
//! hour comes first so that the old hours go with one range delete.

/// What a sender counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderCount {
    /// Recipients delivered to remote servers.
    Delivered,
    /// Complaints (feedback reports) about its mail.
    Complaint,
}

impl SenderCount {
    fn byte(self) -> u8 {
        match self {
            SenderCount::Delivered => b'd',
            SenderCount::Complaint => b'c',
        }
    }
}

/// The counter of `domain`'s `count` in `hour`.
pub fn sender_stat(hour: u64, domain: &str, count: SenderCount) -> Vec<u8> {
    [&hour.to_be_bytes()[..], domain.as_bytes(), &[0, count.byte()]].concat()
}

/// Where the counters of `hour` start.
pub fn sender_stat_hour(hour: u64) -> [u8; 8] {
    hour.to_be_bytes()
}

/// The hour, domain and count of a counter's key.
pub fn sender_stat_parts(key: &[u8]) -> Option<(u64, String, SenderCount)> {
    let hour = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
    let (&kind, rest) = key[8..].split_last()?;
    let domain = rest.strip_suffix(b"\0")?;
    let count = match kind {
        b'd' => SenderCount::Delivered,
        b'c' => SenderCount::Complaint,
        _ => return None,
    };
    Some((hour, String::from_utf8_lossy(domain).into_owned(), count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_give_their_parts_back_and_sort_by_hour() {
        let key = sender_stat(493_000, "news.example", SenderCount::Complaint);
        assert_eq!(sender_stat_parts(&key), Some((493_000, "news.example".into(), SenderCount::Complaint)));
        assert!(
            sender_stat(1, "z.example", SenderCount::Delivered) < sender_stat(2, "a.example", SenderCount::Delivered)
        );
        assert!(key.starts_with(&sender_stat_hour(493_000)));
        assert_eq!(sender_stat_parts(b"short"), None);
    }
}
