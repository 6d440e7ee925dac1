//! API tokens and delivery suspensions set by the operator.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::records::{ApiToken, Suspension, encode};
use crate::{StoreError, cf};

/// A change the operator makes, submitted as [`super::JournalOp::Operator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorOp {
    /// Store a new API token; refused when the name is taken.
    TokenAdd {
        /// Its name, lower-case.
        name: String,
        /// The token's record.
        token: ApiToken,
    },
    /// Delete an API token; refused when there is none.
    TokenDel {
        /// Its name, lower-case.
        name: String,
    },
    /// Hold back delivery to a destination (replacing an earlier suspension of it).
    Suspend {
        /// The destination, lower-case.
        destination: String,
        /// Reason and expiry.
        suspension: Suspension,
    },
    /// Let delivery to a destination go on; refused when it is not suspended.
    Resume {
        /// The destination, lower-case.
        destination: String,
    },
}

impl Committer {
    /// Adds one operator change to the batch; on error it adds nothing.
    pub(super) fn operator_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &OperatorOp,
    ) -> Result<Committed, StoreError> {
        match op {
            OperatorOp::TokenAdd { name, token } => {
                if self.staged_value(staged, cf::API_TOKEN, name.as_bytes())?.is_some() {
                    return Err(StoreError::Exists(format!("API token {name}")));
                }
                self.put(batch, staged, cf::API_TOKEN, name.as_bytes().to_vec(), encode(token));
            }
            OperatorOp::TokenDel { name } => {
                if self.staged_value(staged, cf::API_TOKEN, name.as_bytes())?.is_none() {
                    return Err(StoreError::NotFound(format!("API token {name}")));
                }
                self.delete(batch, staged, cf::API_TOKEN, name.as_bytes().to_vec());
            }
            OperatorOp::Suspend { destination, suspension } => {
                self.put(batch, staged, cf::SUSPENSION, destination.as_bytes().to_vec(), encode(suspension));
            }
            OperatorOp::Resume { destination } => {
                if self.staged_value(staged, cf::SUSPENSION, destination.as_bytes())?.is_none() {
                    return Err(StoreError::NotFound(format!("a suspension of {destination}")));
                }
                self.delete(batch, staged, cf::SUSPENSION, destination.as_bytes().to_vec());
            }
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
    fn tokens_are_unique_by_name_and_suspensions_come_and_go() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let handle = journal.handle();
        let token = ApiToken { scope: "read".into(), hash: vec![7; 32], user: None, domains: vec![], created: 1 };
        let add = || JournalOp::Operator(OperatorOp::TokenAdd { name: "ops".into(), token: token.clone() });
        handle.submit_blocking(add()).unwrap();
        assert!(matches!(handle.submit_blocking(add()), Err(StoreError::Exists(_))));
        assert_eq!(store.api_tokens().unwrap(), vec![("ops".to_string(), token.clone())]);
        handle.submit_blocking(JournalOp::Operator(OperatorOp::TokenDel { name: "ops".into() })).unwrap();
        assert!(store.api_tokens().unwrap().is_empty());
        let del = JournalOp::Operator(OperatorOp::TokenDel { name: "ops".into() });
        assert!(matches!(handle.submit_blocking(del), Err(StoreError::NotFound(_))));

        let suspension = Suspension { reason: "blocklisted".into(), until: None, created: 2 };
        let suspend = OperatorOp::Suspend { destination: "gmail.com".into(), suspension: suspension.clone() };
        handle.submit_blocking(JournalOp::Operator(suspend)).unwrap();
        assert_eq!(store.suspensions().unwrap(), vec![("gmail.com".to_string(), suspension)]);
        let resume = || JournalOp::Operator(OperatorOp::Resume { destination: "gmail.com".into() });
        handle.submit_blocking(resume()).unwrap();
        assert!(matches!(handle.submit_blocking(resume()), Err(StoreError::NotFound(_))));
        journal.stop();
    }
}
