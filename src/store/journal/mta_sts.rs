//! MTA-STS policies kept for destination domains.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::records::{MtaStsPolicy, encode};
use crate::{StoreError, cf};

/// A change to the kept policies, submitted as [`super::JournalOp::MtaSts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MtaStsOp {
    /// Keep `policy` for `domain` (lower-case), replacing what was kept.
    Keep {
        /// The destination domain.
        domain: String,
        /// Its policy as fetched.
        policy: MtaStsPolicy,
    },
    /// Forget the policy of `domain` (it withdrew it, or it expired).
    Forget {
        /// The destination domain.
        domain: String,
    },
}

impl Committer {
    /// Adds one policy change to the batch.
    pub(super) fn mta_sts_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &MtaStsOp,
    ) -> Result<Committed, StoreError> {
        match op {
            MtaStsOp::Keep { domain, policy } => {
                self.put(batch, staged, cf::MTA_STS, domain.as_bytes().to_vec(), encode(policy));
            }
            MtaStsOp::Forget { domain } => self.delete(batch, staged, cf::MTA_STS, domain.as_bytes().to_vec()),
        }
        Ok(Committed::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::temp_store;
    use super::super::{Journal, JournalOp};
    use super::*;

    #[test]
    fn a_kept_policy_survives_reopening_and_can_be_forgotten() {
        let (dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let policy = MtaStsPolicy {
            id: "abc".into(),
            mode: "enforce".into(),
            mx: vec!["mx.far.example".into()],
            max_age: 86_400,
            fetched: 1_700_000_000,
        };
        let keep = MtaStsOp::Keep { domain: "far.example".into(), policy: policy.clone() };
        journal.handle().submit_blocking(JournalOp::MtaSts(keep)).unwrap();
        journal.stop();
        drop(store);
        let store = crate::Store::open(dir.path()).unwrap();
        assert_eq!(store.mta_sts_policy("far.example").unwrap(), Some(policy));
        assert_eq!(store.mta_sts_policy("other.example").unwrap(), None);
        let journal = Journal::start(store.clone());
        let forget = MtaStsOp::Forget { domain: "far.example".into() };
        journal.handle().submit_blocking(JournalOp::MtaSts(forget)).unwrap();
        assert!(store.mta_sts_policies().unwrap().is_empty());
        journal.stop();
    }
}
