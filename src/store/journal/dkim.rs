//! DKIM signing keys stored and deleted by the administrator.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::records::{DkimKey, encode};
use crate::{StoreError, cf, keys};

/// A change to the DKIM keys, submitted as [`super::JournalOp::Dkim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DkimOp {
    /// Store the key for a domain and selector, replacing one with the same selector.
    Put {
        /// The signing domain (`d=`); any case.
        domain: String,
        /// The selector (`s=`).
        selector: String,
        /// The key.
        key: DkimKey,
    },
    /// Delete a key; refused when there is none.
    Delete {
        /// The signing domain; any case.
        domain: String,
        /// The selector.
        selector: String,
    },
}

impl Committer {
    /// Adds one DKIM key change to the batch; on error it adds nothing.
    pub(super) fn dkim_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &DkimOp,
    ) -> Result<Committed, StoreError> {
        match op {
            DkimOp::Put { domain, selector, key } => {
                self.put(batch, staged, cf::DKIM_KEY, keys::dkim_key(domain, selector), encode(key));
            }
            DkimOp::Delete { domain, selector } => {
                let key = keys::dkim_key(domain, selector);
                if self.staged_value(staged, cf::DKIM_KEY, &key)?.is_none() {
                    return Err(StoreError::NotFound(format!("DKIM key {selector} of {domain}")));
                }
                self.delete(batch, staged, cf::DKIM_KEY, key);
            }
        }
        Ok(Committed::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{commit_queued, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;

    fn put(domain: &str, selector: &str, n: u8) -> JournalOp {
        let key = DkimKey { algorithm: "ed25519-sha256".into(), pkcs8: vec![n], created: 1 };
        JournalOp::Dkim(DkimOp::Put { domain: domain.into(), selector: selector.into(), key })
    }

    fn delete(domain: &str, selector: &str) -> JournalOp {
        JournalOp::Dkim(DkimOp::Delete { domain: domain.into(), selector: selector.into() })
    }

    #[test]
    fn keys_by_domain_and_selector() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        h.submit_blocking(put("Example.com", "s1", 1)).unwrap();
        h.submit_blocking(put("example.com", "s2", 2)).unwrap();
        h.submit_blocking(put("example.co", "s1", 3)).unwrap();
        let keys = store.dkim_keys("example.com").unwrap();
        assert_eq!(keys.iter().map(|(s, k)| (s.as_str(), k.pkcs8[0])).collect::<Vec<_>>(), [("s1", 1), ("s2", 2)]);
        assert_eq!(store.all_dkim_keys().unwrap().len(), 3);
        h.submit_blocking(delete("EXAMPLE.com", "s1")).unwrap();
        assert_eq!(store.dkim_keys("example.com").unwrap().len(), 1);
        assert!(matches!(h.submit_blocking(delete("example.com", "s1")), Err(StoreError::NotFound(_))));
        journal.stop();
    }

    #[test]
    fn a_delete_sees_a_key_put_earlier_in_its_group() {
        let (_dir, store) = temp_store();
        let answers = commit_queued(
            &store,
            vec![put("example.org", "s", 1), delete("example.org", "s"), delete("example.org", "s")],
        );
        assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
        assert!(matches!(answers[2], Err(StoreError::NotFound(_))));
        assert!(store.all_dkim_keys().unwrap().is_empty());
    }
}
