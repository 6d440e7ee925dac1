//! Spam filter training: token counts merge-added per scope, so a lesson reads nothing and
//! never conflicts with another.

use rocksdb::WriteBatch;

use super::{Committed, Committer};
use crate::bayes::encode;
use crate::{cf, keys};

/// Messages to learn as spam or ham, submitted as [`super::JournalOp::Learn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    /// The scopes that learn them: `""` for everyone, or an account.
    pub scopes: Vec<String>,
    /// Each message's tokens.
    pub messages: Vec<Vec<u64>>,
    /// Spam (true) or ham.
    pub spam: bool,
    /// 1 to learn, -1 to unlearn what was learned before.
    pub weight: i32,
}

impl Committer {
    /// Adds a lesson's counts to the batch.
    pub(super) fn learn(&self, batch: &mut WriteBatch, lesson: &Lesson) -> Committed {
        let delta = if lesson.spam { encode(lesson.weight, 0) } else { encode(0, lesson.weight) };
        let cf = self.store.cf(cf::BAYES);
        for scope in &lesson.scopes {
            for tokens in &lesson.messages {
                for &token in tokens {
                    batch.merge_cf(cf, keys::bayes_token(scope, token), delta);
                }
                batch.merge_cf(cf, keys::bayes_totals(scope), delta);
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

    fn lesson(scopes: &[&str], messages: Vec<Vec<u64>>, spam: bool, weight: i32) -> JournalOp {
        let scopes = scopes.iter().map(|s| s.to_string()).collect();
        JournalOp::Learn(Lesson { scopes, messages, spam, weight })
    }

    #[test]
    fn learning_adds_per_scope_and_unlearning_takes_back() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        h.submit_blocking(lesson(&[""], vec![vec![1, 2]], true, 1)).unwrap();
        h.submit_blocking(lesson(&["", "bob@x"], vec![vec![2, 3]], false, 1)).unwrap();
        h.submit_blocking(lesson(&["bob@x"], vec![vec![2], vec![2, 4]], true, 1)).unwrap();
        assert_eq!(store.bayes_counts("", &[1, 2, 3, 4]).unwrap(), vec![(1, 0), (1, 1), (0, 1), (0, 0)]);
        assert_eq!(store.bayes_totals("").unwrap(), (1, 1));
        assert_eq!(store.bayes_counts("bob@x", &[2, 3, 4]).unwrap(), vec![(2, 1), (0, 1), (1, 0)]);
        assert_eq!(store.bayes_totals("bob@x").unwrap(), (2, 1));
        h.submit_blocking(lesson(&[""], vec![vec![1, 2]], true, -1)).unwrap();
        assert_eq!(store.bayes_counts("", &[1, 2]).unwrap(), vec![(0, 0), (0, 1)]);
        assert_eq!(store.bayes_totals("").unwrap(), (0, 1));
        journal.stop();
    }
}
