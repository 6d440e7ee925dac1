//! How each sender domain's mail is received out there: recipients delivered and complaints
//! (feedback reports) per hour, merge-added by the journal, so that its complaint rate over the
//! last day is known (the big providers want it under 0.3%).

use std::collections::BTreeMap;

use rocksdb::{Direction, IteratorMode};

use super::keys::{self, SenderCount};
use super::{Store, StoreError, cf};

/// Hours of counters kept: a week and a day, so that a day can be compared with the last week's.
pub const KEEP_HOURS: u64 = 8 * 24;

/// One sender domain's counts over some hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Recipients delivered to remote servers.
    pub delivered: u64,
    /// Complaints about its mail.
    pub complaints: u64,
}

impl SenderStats {
    /// Complaints per delivered recipient (0 when nothing was delivered).
    pub fn complaint_rate(&self) -> f64 {
        if self.delivered == 0 { 0.0 } else { self.complaints as f64 / self.delivered as f64 }
    }
}

impl Store {
    /// Each sender domain's counts from `hour` (Unix seconds / 3,600) on, by domain.
    pub fn sender_stats_since(&self, hour: u64) -> Result<BTreeMap<String, SenderStats>, StoreError> {
        let mut out: BTreeMap<String, SenderStats> = BTreeMap::new();
        let from = keys::sender_stat_hour(hour);
        let mode = IteratorMode::From(&from, Direction::Forward);
        for item in self.db().iterator_cf(self.cf(cf::SENDER_STATS), mode) {
            let (key, value) = item?;
            let Some((_, domain, count)) = keys::sender_stat_parts(&key) else { continue };
            let n = <[u8; 8]>::try_from(&value[..]).map_or(0, i64::from_le_bytes).max(0) as u64;
            let stats = out.entry(domain).or_default();
            match count {
                SenderCount::Delivered => stats.delivered += n,
                SenderCount::Complaint => stats.complaints += n,
            }
        }
        Ok(out)
    }
}
