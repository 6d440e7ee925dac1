//! Every RocksDB key layout in one place. Integers are big-endian so that byte order is numeric
//! order and range scans come out sorted.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `domain`  | domain | empty |
//! | `account` | address | [`Account`](super::records::Account) |
//! | `alias`   | address, or `@domain` for a catch-all | [`Alias`](super::records::Alias) |
//! | `mailbox` | address `\0` mailbox name | [`MailboxMeta`](super::records::MailboxMeta) |
//! | `subscription` | address `\0` mailbox name | empty |
//! | `bayes` | scope (`""` or an address) `\0` token (u64), or `\0T` for totals | spam, ham (i32 LE each, merge-added) |
//! | `mail`    | address `\0` mailbox id (u32) uid (u32) | [`MailEntry`](super::records::MailEntry) |
//! | `blob`    | message id (u128) | raw message |
//! | `refs`    | message id (u128) | i64 little-endian, summed by a merge operator |
//! | `queue`   | due (u64 secs) message id (u128) recipient | [`QueueEntry`](super::records::QueueEntry) |

use super::message_id::MessageId;

/// Separates an account address from what follows; addresses cannot contain NUL.
const SEP: u8 = 0;

/// `mailbox` key for one mailbox of an account.
pub fn mailbox(account: &str, name: &str) -> Vec<u8> {
    let mut k = account_prefix(account);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Prefix shared by every `mailbox` and `mail` key of an account.
pub fn account_prefix(account: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + 16);
    k.extend_from_slice(account.as_bytes());
    k.push(SEP);
    k
}

/// The first key after every key that starts with `prefix` (for range deletes and scans).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
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

/// The UID at the end of a `mail` key.
pub fn uid_of_mail_key(key: &[u8]) -> Option<u32> {
    let tail: [u8; 4] = key.get(key.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_be_bytes(tail))
}

/// `blob` and `refs` key of a message.
pub fn message(id: MessageId) -> [u8; 16] {
    id.0.to_be_bytes()
}

/// `queue` key: ordered by due time, then message, then recipient.
pub fn queue(due_secs: u64, id: MessageId, recipient: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(24 + recipient.len());
    k.extend_from_slice(&due_secs.to_be_bytes());
    k.extend_from_slice(&id.0.to_be_bytes());
    k.extend_from_slice(recipient.as_bytes());
    k
}

/// The message id inside a `queue` key.
pub fn queue_message_id(key: &[u8]) -> Option<MessageId> {
    key.get(8..24).map(|b| MessageId(u128::from_be_bytes(b.try_into().expect("16 bytes"))))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(prefix_end(&[1, 255]), vec![2]);
    }
}
