//! IP warm-up changes: a message counted against a source address's allowance at a site, and
//! an address moved to another step of its schedule (its older counts go then).

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::records::{WarmupState, encode};
use crate::{cf, keys};

/// A warm-up change, submitted in a [`super::JournalOp::Warmup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarmupOp {
    /// `address` sent one more message to `site` on `day`.
    Sent {
        /// The source address.
        address: String,
        /// The day (Unix seconds / 86,400).
        day: u64,
        /// The site.
        site: String,
    },
    /// `address` is at `state` now; its counts of days before `state.day` are forgotten.
    Set {
        /// The source address.
        address: String,
        /// Its step and day.
        state: WarmupState,
    },
}

impl Committer {
    /// Adds warm-up changes to the batch, in order.
    pub(super) fn warmup_ops(&self, batch: &mut WriteBatch, ops: &[WarmupOp]) -> Committed {
        let family = self.store.cf(cf::WARMUP);
        for op in ops {
            match op {
                WarmupOp::Sent { address, day, site } => {
                    batch.merge_cf(family, keys::warmup_use(address, *day, site), 1i64.to_le_bytes());
                }
                WarmupOp::Set { address, state } => {
                    batch.put_cf(family, keys::warmup_state(address), encode(state));
                    let from = keys::warmup_use_prefix(address);
                    batch.delete_range_cf(family, &from, &keys::warmup_use(address, state.day, ""));
                }
            }
        }
        Committed::Done
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::temp_store;
    use super::super::{Journal, JournalOp};
    use super::*;

    #[test]
    fn counts_add_up_per_site_and_day_and_a_new_day_forgets_the_old() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let sent = |day, site: &str| {
            let op = WarmupOp::Sent { address: "192.0.2.1".into(), day, site: site.into() };
            h.submit_blocking(JournalOp::Warmup(vec![op])).unwrap();
        };
        sent(10, "a");
        sent(10, "a");
        sent(10, "b");
        sent(11, "a");
        let mut today = store.warmup_use(10).unwrap();
        today.sort();
        assert_eq!(today, [("192.0.2.1".into(), "a".into(), 2), ("192.0.2.1".into(), "b".into(), 1)]);
        let state = WarmupState { schedule: "std".into(), step: 1, day: 11, throttled: None };
        h.submit_blocking(JournalOp::Warmup(vec![WarmupOp::Set { address: "192.0.2.1".into(), state: state.clone() }]))
            .unwrap();
        assert!(store.warmup_use(10).unwrap().is_empty(), "the day before the step's is gone");
        assert_eq!(store.warmup_use(11).unwrap().len(), 1, "the step's day stays");
        assert_eq!(store.warmup_states().unwrap(), [("192.0.2.1".to_string(), state)]);
        journal.stop();
    }
}
