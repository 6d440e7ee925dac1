//! The suppression list's changes: recipients that hard-bounced (with the queue's
//! `QueueFinish`), or that the administrator suppresses or lets through again.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::records::{Suppression, encode};
use crate::{StoreError, cf, keys, unix_now};

/// A change to the suppression list by hand, submitted as [`super::JournalOp::Suppression`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionOp {
    /// Suppress a recipient from now on (again: the reason and time are replaced).
    Add {
        /// The address; any case.
        address: String,
        /// Why.
        reason: String,
    },
    /// Lift a suppression; refused when there is none.
    Del {
        /// The address; any case.
        address: String,
    },
    /// Suppress a recipient for the mail of one sender domain (again: replaced).
    AddFor {
        /// The sender domain; any case.
        domain: String,
        /// The recipient; any case.
        address: String,
        /// Why (unsubscribed, complained).
        reason: String,
    },
    /// Lift a suppression for one sender domain; refused when there is none.
    DelFor {
        /// The sender domain; any case.
        domain: String,
        /// The recipient; any case.
        address: String,
    },
}

impl Committer {
    /// Adds one suppression list change to the batch; on error it adds nothing.
    pub(super) fn suppression_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &SuppressionOp,
    ) -> Result<Committed, StoreError> {
        match op {
            SuppressionOp::Add { address, reason } => self.suppress(batch, staged, address, reason),
            SuppressionOp::Del { address } => {
                let key = keys::suppression(address);
                if self.staged_value(staged, cf::SUPPRESSION, &key)?.is_none() {
                    return Err(StoreError::NotFound(format!("suppression of {}", address.to_lowercase())));
                }
                self.delete(batch, staged, cf::SUPPRESSION, key);
            }
            SuppressionOp::AddFor { domain, address, reason } => {
                let record = Suppression { reason: reason.clone(), since: unix_now() };
                let key = keys::sender_suppression(domain, address);
                self.put(batch, staged, cf::SENDER_SUPPRESSION, key, encode(&record));
            }
            SuppressionOp::DelFor { domain, address } => {
                let key = keys::sender_suppression(domain, address);
                if self.staged_value(staged, cf::SENDER_SUPPRESSION, &key)?.is_none() {
                    let (domain, address) = (domain.to_ascii_lowercase(), address.to_lowercase());
                    return Err(StoreError::NotFound(format!("suppression of {address} for {domain}")));
                }
                self.delete(batch, staged, cf::SENDER_SUPPRESSION, key);
            }
        }
        Ok(Committed::Done)
    }

    /// Suppresses `address` from now on, for `reason`.
    pub(super) fn suppress(&self, batch: &mut WriteBatch, staged: &mut Staged, address: &str, reason: &str) {
        let record = Suppression { reason: reason.to_string(), since: unix_now() };
        self.put(batch, staged, cf::SUPPRESSION, keys::suppression(address), encode(&record));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{commit_queued, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;

    fn add(address: &str) -> JournalOp {
        JournalOp::Suppression(SuppressionOp::Add { address: address.into(), reason: "by hand".into() })
    }

    fn del(address: &str) -> JournalOp {
        JournalOp::Suppression(SuppressionOp::Del { address: address.into() })
    }

    #[test]
    fn suppressions_are_kept_by_lower_case_address_until_lifted() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        h.submit_blocking(add("Bob@Far.Example")).unwrap();
        assert_eq!(store.suppression("bob@far.example").unwrap().unwrap().reason, "by hand");
        assert_eq!(store.suppressions().unwrap().len(), 1);
        h.submit_blocking(del("BOB@far.example")).unwrap();
        assert!(store.suppression("bob@far.example").unwrap().is_none());
        let gone = h.submit_blocking(del("bob@far.example")).unwrap_err();
        assert_eq!(gone.to_string(), "suppression of bob@far.example does not exist");
        journal.stop();
    }

    #[test]
    fn a_lift_sees_a_suppression_added_earlier_in_its_group() {
        let (_dir, store) = temp_store();
        let answers = commit_queued(&store, vec![add("x@far.example"), del("x@far.example"), del("x@far.example")]);
        assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
        assert!(matches!(answers[2], Err(StoreError::NotFound(_))));
        assert!(store.suppressions().unwrap().is_empty());
    }

    #[test]
    fn a_suppression_for_one_sender_domain_holds_for_it_alone() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let add_for = |domain: &str| SuppressionOp::AddFor {
            domain: domain.into(),
            address: "Bob@Far.Example".into(),
            reason: "unsubscribed".into(),
        };
        h.submit_blocking(JournalOp::Suppression(add_for("News.Example"))).unwrap();
        assert_eq!(
            store.sender_suppression("news.example", "bob@far.example").unwrap().unwrap().reason,
            "unsubscribed"
        );
        assert!(store.sender_suppression("shop.example", "bob@far.example").unwrap().is_none(), "another sender");
        assert!(store.suppression("bob@far.example").unwrap().is_none(), "not for everyone");
        let listed = store.sender_suppressions().unwrap();
        assert_eq!((listed[0].0.as_str(), listed[0].1.as_str()), ("news.example", "bob@far.example"));
        let del = |domain: &str| SuppressionOp::DelFor { domain: domain.into(), address: "bob@far.example".into() };
        assert!(h.submit_blocking(JournalOp::Suppression(del("shop.example"))).is_err(), "none to lift");
        h.submit_blocking(JournalOp::Suppression(del("news.example"))).unwrap();
        assert!(store.sender_suppressions().unwrap().is_empty());
        journal.stop();
    }
}
