//! Creating an account with its default mailboxes, and deleting one with everything it holds.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::records::{Account, MailboxMeta, encode};
use crate::{StoreError, cf, keys, unix_now};

/// Mailboxes every new account gets, with their special use (RFC 6154).
pub const DEFAULT_MAILBOXES: [&str; 6] = ["INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"];

impl Committer {
    /// The account record as this group leaves it.
    pub(super) fn staged_account(&self, staged: &Staged, address: &str) -> Result<Account, StoreError> {
        self.staged_record(staged, cf::ACCOUNT, keys::account(address))?
            .ok_or_else(|| StoreError::NotFound(format!("account {address}")))
    }

    /// Writes an account record where later ops of the group see it.
    pub(super) fn put_account(&self, batch: &mut WriteBatch, staged: &mut Staged, address: &str, record: &Account) {
        self.put(batch, staged, cf::ACCOUNT, keys::account(address).to_vec(), encode(record));
    }

    pub(super) fn create_account(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        address: &str,
        password_hash: &str,
        send_as_anyone: bool,
    ) -> Result<Committed, StoreError> {
        if self.staged_value(staged, cf::ACCOUNT, keys::account(address))?.is_some() {
            return Err(StoreError::Exists(format!("account {address}")));
        }
        let now = unix_now();
        let account = Account {
            password_hash: password_hash.to_string(),
            created: now,
            next_mailbox_id: DEFAULT_MAILBOXES.len() as u32 + 1,
            send_as_anyone,
            send_as: Vec::new(),
        };
        self.put_account(batch, staged, address, &account);
        for (id, name) in (1..).zip(DEFAULT_MAILBOXES) {
            let meta = MailboxMeta::new(id, now);
            let key = keys::mailbox(address, name);
            batch.put_cf(self.store.cf(cf::MAILBOX), &key, encode(&meta));
            staged.mailboxes.insert(key, Some(meta));
        }
        Ok(Committed::Done)
    }

    /// Deletes an account, its mailboxes, mail and subscriptions, releasing its bodies. It
    /// reads the account's committed mail, so it commits in a group of its own.
    pub(super) fn delete_account(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        address: &str,
    ) -> Result<Committed, StoreError> {
        self.staged_account(staged, address)?;
        // Read everything first so that a failure adds nothing to the batch.
        let mut held = Vec::new();
        for id in self.store.message_ids_of(address)? {
            held.push((id, self.held(id)?));
        }
        self.delete(batch, staged, cf::ACCOUNT, keys::account(address).to_vec());
        self.store.delete_account_data(batch, address);
        for (id, holding) in held {
            self.release_blob(batch, staged, id, holding);
        }
        let prefix = keys::account_prefix(address);
        let cached: Vec<_> = self.mailboxes.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        for key in cached.into_iter().chain(DEFAULT_MAILBOXES.iter().map(|n| keys::mailbox(address, n))) {
            staged.mailboxes.insert(key, None);
        }
        Ok(Committed::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{commit_queued, create, delivery, temp_store};
    use super::super::{Journal, JournalOp};
    use super::*;
    use crate::MessageId;

    #[test]
    fn deleted_accounts_vanish_with_their_bodies_and_start_over_when_created_again() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let again = JournalOp::CreateAccount {
            address: "bob@example.com".into(),
            password_hash: "y".into(),
            send_as_anyone: false,
        };
        assert!(matches!(h.submit_blocking(again), Err(StoreError::Exists(_))));

        h.submit_blocking(delivery(6, &["bob@example.com"], &[], b"x")).unwrap();
        h.submit_blocking(JournalOp::DeleteAccount { address: "bob@example.com".into() }).unwrap();
        assert!(store.account("bob@example.com").unwrap().is_none());
        assert!(store.mailboxes("bob@example.com").unwrap().is_empty());
        assert_eq!(store.blob_refs(MessageId(6)).unwrap(), 0);
        assert!(store.blob(MessageId(6)).unwrap().is_none(), "nobody holds the body any more");
        let gone = h.submit_blocking(JournalOp::DeleteAccount { address: "bob@example.com".into() });
        assert!(matches!(gone, Err(StoreError::NotFound(_))));
        // Re-created accounts start over, not from the cached counters.
        create(&h, "bob@example.com");
        let again = h.submit_blocking(delivery(7, &["bob@example.com"], &[], b"x")).unwrap();
        assert_eq!(again, Committed::Delivered(vec![("bob@example.com".into(), 1)]));
        journal.stop();
    }

    #[test]
    fn an_account_deleted_right_after_a_delivery_to_it_frees_that_body_too() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        create(&journal.handle(), "bob@example.com");
        journal.stop();
        let delete = JournalOp::DeleteAccount { address: "bob@example.com".into() };
        let answers = commit_queued(&store, vec![delivery(8, &["bob@example.com"], &[], b"x"), delete]);
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");
        assert!(store.blob(MessageId(8)).unwrap().is_none(), "the delete saw the delivery before it");
        assert_eq!(store.blob_refs(MessageId(8)).unwrap(), 0);
    }
}
