//! Entries added to and removed from the local allow and block lists.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::{StoreError, cf, keys, unix_now};

/// A change to the allow or block list, submitted as [`super::JournalOp::Access`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessOp {
    /// Add an entry (again: its time is renewed).
    Add {
        /// `allow` or `block`.
        list: String,
        /// A network, domain or address, in the form the list keeps.
        entry: String,
    },
    /// Remove an entry; refused when it is not there.
    Del {
        /// `allow` or `block`.
        list: String,
        /// The entry.
        entry: String,
    },
}

impl Committer {
    /// Adds one list change to the batch; on error it adds nothing.
    pub(super) fn access_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &AccessOp,
    ) -> Result<Committed, StoreError> {
        match op {
            AccessOp::Add { list, entry } => {
                self.put(batch, staged, cf::ACCESS, keys::access(list, entry), unix_now().to_be_bytes().to_vec());
            }
            AccessOp::Del { list, entry } => {
                let key = keys::access(list, entry);
                if self.staged_value(staged, cf::ACCESS, &key)?.is_none() {
                    return Err(StoreError::NotFound(format!("{entry} in the {list} list")));
                }
                self.delete(batch, staged, cf::ACCESS, key);
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

    fn add(list: &str, entry: &str) -> JournalOp {
        JournalOp::Access(AccessOp::Add { list: list.into(), entry: entry.into() })
    }

    fn del(list: &str, entry: &str) -> JournalOp {
        JournalOp::Access(AccessOp::Del { list: list.into(), entry: entry.into() })
    }

    #[test]
    fn lists_are_kept_apart() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        h.submit_blocking(add("block", "192.0.2.0/24")).unwrap();
        h.submit_blocking(add("block", "spam.example")).unwrap();
        h.submit_blocking(add("allow", "198.51.100.7")).unwrap();
        assert_eq!(store.access_entries("block").unwrap(), ["192.0.2.0/24", "spam.example"]);
        assert_eq!(store.access_entries("allow").unwrap(), ["198.51.100.7"]);
        h.submit_blocking(del("block", "spam.example")).unwrap();
        assert!(matches!(h.submit_blocking(del("block", "spam.example")), Err(StoreError::NotFound(_))));
        assert!(matches!(h.submit_blocking(del("allow", "192.0.2.0/24")), Err(StoreError::NotFound(_))));
        assert_eq!(store.access_entries("block").unwrap(), ["192.0.2.0/24"]);
        journal.stop();
    }

    #[test]
    fn a_removal_sees_an_entry_added_earlier_in_its_group() {
        let (_dir, store) = temp_store();
        let answers = commit_queued(
            &store,
            vec![add("block", "x.example"), del("block", "x.example"), del("block", "x.example")],
        );
        assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
        assert!(matches!(answers[2], Err(StoreError::NotFound(_))));
        assert!(store.access_entries("block").unwrap().is_empty());
    }
}
