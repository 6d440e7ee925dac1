//! A per-shard answer cache: positive answers for their smallest TTL, negative ones (NXDOMAIN,
//! no data) for the SOA minimum (RFC 2308), both capped, with a bound on the entries. Each
//! answer keeps whether DNSSEC validated it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};

use super::{Answer, Secured};

/// Longest time anything is cached, whatever the TTL says.
const MAX_TTL: Duration = Duration::from_secs(86_400);
/// Longest time a negative answer is cached.
const MAX_NEGATIVE_TTL: Duration = Duration::from_secs(3_600);

/// Answers by (lower-cased name, type).
#[derive(Debug)]
pub struct Cache {
    entries: HashMap<(Name, RecordType), (Secured, Instant)>,
    capacity: usize,
}

impl Cache {
    /// A cache of at most `capacity` answers (0 caches nothing).
    pub fn new(capacity: usize) -> Cache {
        Cache { entries: HashMap::new(), capacity }
    }

    /// A cached answer still within its TTL.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<Secured> {
        let (answer, expires) = self.entries.get(&(name.to_lowercase(), rtype))?;
        (*expires > Instant::now()).then(|| answer.clone())
    }

    /// Caches `answer` for `ttl` seconds (capped).
    pub fn insert(&mut self, name: &Name, rtype: RecordType, answer: Secured, ttl: u32) {
        if self.capacity == 0 || ttl == 0 {
            return;
        }
        let cap = if matches!(answer.answer, Answer::Records(_)) { MAX_TTL } else { MAX_NEGATIVE_TTL };
        let now = Instant::now();
        if self.entries.len() >= self.capacity {
            self.entries.retain(|_, (_, expires)| *expires > now);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        let expires = now + Duration::from_secs(ttl.into()).min(cap);
        self.entries.insert((name.to_lowercase(), rtype), (answer, expires));
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn honours_ttls_case_and_capacity() {
        let name = Name::from_str("Example.COM.").unwrap();
        let mut cache = Cache::new(2);
        let secure = Secured { answer: Answer::NoSuchName, secure: true };
        cache.insert(&name, RecordType::MX, secure.clone(), 60);
        let lower = Name::from_str("example.com.").unwrap();
        assert_eq!(cache.get(&lower, RecordType::MX), Some(secure));
        assert_eq!(cache.get(&lower, RecordType::A), None);
        cache.insert(&name, RecordType::A, Secured { answer: Answer::NoData, secure: false }, 0);
        assert_eq!(cache.get(&name, RecordType::A), None, "TTL 0 is not cached");
        for i in 0..5 {
            let answer = Secured { answer: Answer::NoData, secure: false };
            cache.insert(&Name::from_str(&format!("n{i}.example.")).unwrap(), RecordType::A, answer, 60);
        }
        assert!(cache.entries.len() <= 2);
    }
}
