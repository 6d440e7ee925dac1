//! IP warm-up (`[[warmup]]` schedules of `[[pool]]`s): each source address's step in its
//! schedule, and how many messages it sent to each site on each day, merge-added per message
//! so that a restart knows what today's allowance has left.

use rocksdb::{Direction, IteratorMode};

use super::records::{WarmupState, decode};
use super::{Store, StoreError, cf, keys};

impl Store {
    /// Every source address's warm-up state.
    pub fn warmup_states(&self) -> Result<Vec<(String, WarmupState)>, StoreError> {
        let mut out = Vec::new();
        let mode = IteratorMode::From(b"s\0", Direction::Forward);
        for item in self.db().iterator_cf(self.cf(cf::WARMUP), mode) {
            let (key, value) = item?;
            let Some(address) = keys::warmup_state_address(&key) else { break };
            out.push((address, decode(&value)?));
        }
        Ok(out)
    }

    /// The messages each source address sent to each site on `day`: (address, site, count).
    pub fn warmup_use(&self, day: u64) -> Result<Vec<(String, String, u64)>, StoreError> {
        let mut out = Vec::new();
        let mode = IteratorMode::From(b"u\0", Direction::Forward);
        for item in self.db().iterator_cf(self.cf(cf::WARMUP), mode) {
            let (key, value) = item?;
            let Some((address, on, site)) = keys::warmup_use_parts(&key) else { break };
            if on == day {
                let count = <[u8; 8]>::try_from(&value[..]).map_or(0, i64::from_le_bytes);
                out.push((address, site, count.max(0) as u64));
            }
        }
        Ok(out)
    }
}
