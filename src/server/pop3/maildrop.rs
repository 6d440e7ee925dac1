//! The maildrop a POP3 session works on: a snapshot of INBOX taken at login (RFC 1939: message
//! numbers stay fixed for the session), with deletion marks applied only at QUIT; and the lock
//! that gives one session at a time an account's maildrop.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use store::{MessageId, Store, StoreError};

/// The mailbox POP3 serves.
pub const MAILBOX: &str = "INBOX";

/// One message as the session sees it.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its IMAP UID.
    pub uid: u32,
    /// The stored body.
    pub id: MessageId,
    /// Octets as RETR sends them before byte-stuffing.
    pub size: u64,
    /// Marked with DELE.
    pub deleted: bool,
}

/// INBOX as it was at login.
#[derive(Debug)]
pub struct Maildrop {
    /// The account.
    pub account: String,
    /// INBOX's UIDVALIDITY, part of every UIDL.
    pub uid_validity: u32,
    /// Messages by number minus one.
    pub messages: Vec<Message>,
}

impl Maildrop {
    /// Takes the snapshot of `account`'s INBOX.
    pub fn load(store: &Store, account: &str) -> Result<Maildrop, StoreError> {
        let meta =
            store.mailbox_meta(account, MAILBOX)?.ok_or_else(|| StoreError::NotFound(format!("INBOX of {account}")))?;
        let messages = store
            .mail_entries(account, MAILBOX)?
            .into_iter()
            .map(|(uid, e)| Message { uid, id: MessageId(e.message_id), size: e.size, deleted: false })
            .collect();
        Ok(Maildrop { account: account.to_string(), uid_validity: meta.uid_validity, messages })
    }

    /// The message numbered `n` (from 1) unless it is marked deleted.
    pub fn get(&self, n: u32) -> Option<&Message> {
        let index = (n as usize).checked_sub(1)?;
        self.messages.get(index).filter(|m| !m.deleted)
    }

    /// Marks message `n` deleted; false when there is no such message.
    pub fn delete(&mut self, n: u32) -> bool {
        let Some(m) = (n as usize).checked_sub(1).and_then(|i| self.messages.get_mut(i)) else { return false };
        if m.deleted {
            return false;
        }
        m.deleted = true;
        true
    }

    /// Clears every deletion mark.
    pub fn reset(&mut self) {
        self.messages.iter_mut().for_each(|m| m.deleted = false);
    }

    /// Messages not marked deleted, as (number, message).
    pub fn live(&self) -> impl Iterator<Item = (u32, &Message)> {
        (1..).zip(&self.messages).filter(|(_, m)| !m.deleted)
    }

    /// UIDs marked deleted.
    pub fn deleted_uids(&self) -> Vec<u32> {
        self.messages.iter().filter(|m| m.deleted).map(|m| m.uid).collect()
    }

    /// The unique id of a message: stable across sessions and the same as IMAP's
    /// UIDVALIDITY and UID.
    pub fn unique_id(&self, m: &Message) -> String {
        format!("{}.{}", self.uid_validity, m.uid)
    }
}

/// Accounts whose maildrop a session holds, shared by every shard.
#[derive(Debug, Default)]
pub struct MaildropLocks {
    held: Mutex<HashSet<String>>,
}

/// Holds an account's maildrop until dropped.
#[derive(Debug)]
pub struct MaildropLock {
    locks: Arc<MaildropLocks>,
    account: String,
}

impl MaildropLocks {
    /// The lock on `account`, or `None` when another session has it.
    pub fn try_lock(self: &Arc<Self>, account: &str) -> Option<MaildropLock> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(account.to_string()).then(|| MaildropLock { locks: Arc::clone(self), account: account.into() })
    }
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        self.locks.held.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_marks_and_locks() {
        let m = |uid| Message { uid, id: MessageId(uid as u128), size: 10, deleted: false };
        let mut maildrop = Maildrop { account: "a".into(), uid_validity: 77, messages: vec![m(3), m(5)] };
        assert_eq!(maildrop.unique_id(maildrop.get(2).unwrap()), "77.5");
        assert!(maildrop.get(0).is_none() && maildrop.get(3).is_none());
        assert!(maildrop.delete(1));
        assert!(!maildrop.delete(1), "twice");
        assert!(maildrop.get(1).is_none());
        assert_eq!(maildrop.live().map(|(n, _)| n).collect::<Vec<_>>(), vec![2]);
        assert_eq!(maildrop.deleted_uids(), vec![3]);
        maildrop.reset();
        assert_eq!(maildrop.live().count(), 2);

        let locks = Arc::new(MaildropLocks::default());
        let held = locks.try_lock("a").unwrap();
        assert!(locks.try_lock("a").is_none());
        drop(held);
        assert!(locks.try_lock("a").is_some());
    }
}
