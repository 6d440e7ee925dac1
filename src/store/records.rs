//! Values stored in RocksDB, encoded with postcard behind a one-byte format version.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::StoreError;
use crate::smtp::proto::dsn::{Notify, Ret};

/// Format version written in front of every record.
const VERSION: u8 = 1;

/// Encodes a record.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    // Serializing plain structs into a Vec cannot fail.
    out.extend(postcard::to_stdvec(value).expect("record serialization"));
    out
}

/// Decodes a record written by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&VERSION, rest)) => postcard::from_bytes(rest).map_err(|e| StoreError::Corrupt(e.to_string())),
        Some((v, _)) => Err(StoreError::Corrupt(format!("unknown record version {v}"))),
        None => Err(StoreError::Corrupt("empty record".into())),
    }
}

/// A mail account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds when it was created.
    pub created: u64,
    /// Next mailbox id to hand out.
    pub next_mailbox_id: u32,
    /// May use any envelope sender when submitting mail (e.g. a mailing-list robot).
    pub send_as_anyone: bool,
}

/// An alias: where mail for an address (or `@domain` catch-all) goes instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// Target addresses: local accounts, other aliases, or remote addresses.
    pub targets: Vec<String>,
}

/// Per-mailbox counters that IMAP needs (RFC 3501/9051 UIDVALIDITY, UIDNEXT, CONDSTORE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxMeta {
    /// Id used in `mail` keys; stable across renames.
    pub id: u32,
    /// IMAP UIDVALIDITY.
    pub uid_validity: u32,
    /// The UID the next message will get.
    pub uid_next: u32,
    /// Highest modification sequence (RFC 7162).
    pub highest_modseq: u64,
    /// Messages in the mailbox.
    pub messages: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// Sum of message sizes in octets.
    pub size: u64,
    /// Keywords (IMAP user flags) in use, by bit: keyword `i` is bit [`flags::KEYWORD_SHIFT`]` + i`.
    pub keywords: Vec<String>,
}

impl MailboxMeta {
    /// An empty mailbox with id `id`, created at unix second `now`.
    pub fn new(id: u32, now: u64) -> MailboxMeta {
        // Adding the id keeps UIDVALIDITY unique when a name is deleted and created again
        // within one second: ids only grow.
        let uid_validity = (now as u32).wrapping_add(id).max(1);
        MailboxMeta {
            id,
            uid_validity,
            uid_next: 1,
            highest_modseq: 1,
            messages: 0,
            unseen: 0,
            size: 0,
            keywords: Vec::new(),
        }
    }
}

/// IMAP system flags as bits of [`MailEntry::flags`].
pub mod flags {
    /// `\Seen`.
    pub const SEEN: u32 = 1;
    /// `\Answered`.
    pub const ANSWERED: u32 = 1 << 1;
    /// `\Flagged`.
    pub const FLAGGED: u32 = 1 << 2;
    /// `\Deleted`.
    pub const DELETED: u32 = 1 << 3;
    /// `\Draft`.
    pub const DRAFT: u32 = 1 << 4;
    /// Every system flag.
    pub const SYSTEM: u32 = SEEN | ANSWERED | FLAGGED | DELETED | DRAFT;
    /// Bit of the first keyword; keyword `i` of a mailbox is bit `KEYWORD_SHIFT + i`.
    pub const KEYWORD_SHIFT: u32 = 5;
    /// Keywords one mailbox can hold.
    pub const MAX_KEYWORDS: usize = (32 - KEYWORD_SHIFT) as usize;
}

/// One message in one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailEntry {
    /// The blob holding the raw message.
    pub message_id: u128,
    /// [`flags`] bits.
    pub flags: u32,
    /// IMAP INTERNALDATE, unix seconds.
    pub internal_date: u64,
    /// Octets of the stored message.
    pub size: u64,
    /// Modification sequence of the last change (RFC 7162).
    pub modseq: u64,
}

/// Why and since when a recipient is suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The remote server's answer, or the administrator's note.
    pub reason: String,
    /// Unix seconds when it was suppressed.
    pub since: u64,
}

/// A DKIM signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimKey {
    /// `rsa-sha256` or `ed25519-sha256`.
    pub algorithm: String,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// Unix seconds when it was made.
    pub created: u64,
}

/// A recipient waiting for outbound delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Envelope sender; empty for the null sender.
    pub sender: String,
    /// Envelope recipient.
    pub recipient: String,
    /// Where the relayed message starts inside the blob (after local-only headers).
    pub body_offset: u32,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Unix seconds when the message was received.
    pub created: u64,
    /// Last temporary error, if any.
    pub last_error: Option<String>,
    /// What the sender asked to hear about this recipient (RFC 3461 `NOTIFY`).
    pub notify: Notify,
    /// The original recipient (`ORCPT`, as `type;address`), if the sender gave it.
    pub orcpt: Option<String>,
    /// What the whole message asked for.
    pub options: QueueOptions,
    /// Set when the recipient is suppressed and is to bounce at once, with the reason.
    pub suppressed: Option<String>,
    /// Whether the sender has been told of a delay already.
    pub delay_reported: bool,
}

/// Per-message options of queued mail, from the MAIL command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueOptions {
    /// `RET` (RFC 3461): what a report returns of the message.
    pub ret: Option<Ret>,
    /// `ENVID` (RFC 3461), decoded.
    pub envid: Option<String>,
    /// The message was received with SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_version_check() {
        let meta = MailboxMeta {
            uid_next: 3,
            highest_modseq: 9,
            messages: 2,
            keywords: vec!["$Junk".into()],
            ..MailboxMeta::new(1, 7)
        };
        let bytes = encode(&meta);
        assert_eq!(decode::<MailboxMeta>(&bytes).unwrap(), meta);
        let mut future = bytes.clone();
        future[0] = 9;
        assert!(matches!(decode::<MailboxMeta>(&future), Err(StoreError::Corrupt(_))));
        assert!(decode::<MailboxMeta>(&bytes[..3]).is_err());
    }
}
