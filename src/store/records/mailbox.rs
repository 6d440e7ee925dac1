//! Records of mailboxes and the messages in them.

use serde::{Deserialize, Serialize};

use super::Record;

/// Per-mailbox counters that IMAP needs (RFC 3501/9051 UIDVALIDITY, UIDNEXT, CONDSTORE), in
/// the `mailbox` column family.
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

impl Record for MailboxMeta {
    const VERSION: u8 = 1;
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

/// One message in one mailbox (`mail` column family).
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
    /// When it was saved into this mailbox (RFC 8514 SAVEDATE), Unix seconds; 0 for entries
    /// written before save dates were kept. 32 bits, so that the entry stays 48 bytes.
    pub saved: u32,
}

impl MailEntry {
    /// `now` as a save date.
    pub fn save_date(now: u64) -> u32 {
        u32::try_from(now).unwrap_or(u32::MAX)
    }
}

impl Record for MailEntry {
    const VERSION: u8 = 2;

    fn upgrade(version: u8, body: &[u8]) -> Result<Self, crate::StoreError> {
        #[derive(Deserialize)]
        struct V1 {
            message_id: u128,
            flags: u32,
            internal_date: u64,
            size: u64,
            modseq: u64,
        }
        match version {
            1 => super::postcard_body::<V1>(body).map(|v| MailEntry {
                message_id: v.message_id,
                flags: v.flags,
                internal_date: v.internal_date,
                size: v.size,
                modseq: v.modseq,
                saved: 0,
            }),
            _ => Err(super::unknown_version(version)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn mailbox_meta_version_1_decodes() {
        let meta = MailboxMeta {
            id: 3,
            uid_validity: 1_700_000_003,
            uid_next: 42,
            highest_modseq: 300,
            messages: 41,
            unseen: 2,
            size: 123_456,
            keywords: vec!["$Junk".into(), "work".into()],
        };
        golden::check(MAILBOX_META_V1, &meta);
    }

    #[test]
    fn mail_entry_version_1_decodes() {
        let entry = MailEntry {
            message_id: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            flags: flags::SEEN | 1 << flags::KEYWORD_SHIFT,
            internal_date: 1_700_000_000,
            size: 2048,
            modseq: 77,
            saved: 0,
        };
        golden::check(MAIL_ENTRY_V1, &entry);
        golden::check(MAIL_ENTRY_V2, &MailEntry { saved: 1_700_000_100, ..entry });
        assert_eq!(std::mem::size_of::<MailEntry>(), 48, "the selected view holds one per message");
    }

    /// Written by version 1; kept as it is forever.
    const MAILBOX_META_V1: &[u8] = b"\x01\x03\x83\xe2\xcf\xaa\x06*\xac\x02)\x02\xc0\xc4\x07\x02\x05$Junk\x04work";
    /// Written by version 1; kept as it is forever.
    const MAIL_ENTRY_V1: &[u8] =
        b"\x01\xf7\xcc\xd5\xa2\xb4\xc6\xc8\x88\x80\xde\xb7\xde\x9a\xf1\xd9\xa2\xa3\x02!\x80\xe2\xcf\xaa\x06\x80\x10M";
    /// Written by version 2; kept as it is forever.
    const MAIL_ENTRY_V2: &[u8] =
        b"\x02\xf7\xcc\xd5\xa2\xb4\xc6\xc8\x88\x80\xde\xb7\xde\x9a\xf1\xd9\xa2\xa3\x02!\x80\xe2\xcf\xaa\x06\x80\x10M\xe4\xe2\xcf\xaa\x06";
}
