//! Keys of mailboxes, subscriptions, mail entries and message bodies.

use super::{SEP, joined};
use crate::message_id::MessageId;

/// Prefix shared by every `mailbox`, `subscription` and `mail` key of an account.
pub fn account_prefix(account: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + 16);
    k.extend_from_slice(account.as_bytes());
    k.push(SEP);
    k
}

/// `mailbox` key of one mailbox of an account.
pub fn mailbox(account: &str, name: &str) -> Vec<u8> {
    joined(account.as_bytes(), name.as_bytes())
}

/// `subscription` key of one mailbox name of an account (the name need not exist).
pub fn subscription(account: &str, name: &str) -> Vec<u8> {
    mailbox(account, name)
}

/// The mailbox name in a `mailbox` or `subscription` key, when the key starts with `prefix`
/// (an [`account_prefix`]).
pub fn mailbox_name(prefix: &[u8], key: &[u8]) -> Option<String> {
    key.strip_prefix(prefix).map(|name| String::from_utf8_lossy(name).into_owned())
}

/// Prefix of every `mail` key in one mailbox.
pub fn mail_prefix(account: &str, mailbox_id: u32) -> Vec<u8> {
    let mut k = account_prefix(account);
    k.extend_from_slice(&mailbox_id.to_be_bytes());
    k
}

/// `mail` key of one message.
pub fn mail(account: &str, mailbox_id: u32, uid: u32) -> Vec<u8> {
    let mut k = mail_prefix(account, mailbox_id);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

/// `vanished` key of the UIDs one change removed from a mailbox: the mailbox's
/// [`mail_prefix`], then the change's modseq, so a mailbox's tombstones sort oldest first.
/// Modseq 0 (never a change's) keys the mailbox's floor: the newest modseq dropped.
pub fn vanished(account: &str, mailbox_id: u32, modseq: u64) -> Vec<u8> {
    let mut k = mail_prefix(account, mailbox_id);
    k.extend_from_slice(&modseq.to_be_bytes());
    k
}

/// The modseq at the end of a `vanished` key.
pub fn modseq_of_vanished_key(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The UID at the end of a `mail` key.
pub fn uid_of_mail_key(key: &[u8]) -> Option<u32> {
    let tail: [u8; 4] = key.get(key.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_be_bytes(tail))
}

/// `blob`, `refs` and `parts` key of a message.
pub fn message(id: MessageId) -> [u8; 16] {
    id.0.to_be_bytes()
}

/// `expunged` key: when the message's last reference went (Unix seconds), then its id, so
/// that the oldest come first.
pub fn expunged(at: u64, id: MessageId) -> [u8; 24] {
    let mut k = [0; 24];
    k[..8].copy_from_slice(&at.to_be_bytes());
    k[8..].copy_from_slice(&message(id));
    k
}

/// `blob` key of part `n` of a message stored in parts (see `parts.rs`): the message's key,
/// then `n`, so a message's parts sort in order.
pub fn message_part(id: MessageId, n: u32) -> [u8; 20] {
    let mut k = [0; 20];
    k[..16].copy_from_slice(&message(id));
    k[16..].copy_from_slice(&n.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::prefix_end;

    #[test]
    fn mail_keys_sort_by_uid_and_stay_inside_their_prefix() {
        let a = mail("bob@example.com", 1, 9);
        let b = mail("bob@example.com", 1, 10);
        let other = mail("bob@example.com", 2, 1);
        assert!(a < b && b < other);
        let prefix = mail_prefix("bob@example.com", 1);
        assert!(b.starts_with(&prefix) && b < prefix_end(&prefix) && other >= prefix_end(&prefix));
        assert_eq!(uid_of_mail_key(&b), Some(10));
    }

    #[test]
    fn account_prefix_does_not_cover_longer_names() {
        let bob = account_prefix("bob@example.com");
        let bobby = mailbox("bob@example.community", "INBOX");
        assert!(!bobby.starts_with(&bob));
        assert_eq!(mailbox_name(&bob, &mailbox("bob@example.com", "Sent/2024")).as_deref(), Some("Sent/2024"));
        assert_eq!(mailbox_name(&bob, &bobby), None);
    }
}
