//! Object identifiers (RFC 8474): MAILBOXID, stable across renames and never given to another
//! mailbox of the account, and EMAILID, the same for every copy of a stored message. THREADID
//! is not kept: FETCH answers it with NIL, as the RFC allows.

use store::records::MailboxMeta;

/// The MAILBOXID of a mailbox: its id within the account and its UIDVALIDITY.
pub fn mailbox_id(meta: &MailboxMeta) -> String {
    mailbox_id_of(meta.id, meta.uid_validity)
}

/// The MAILBOXID of the mailbox with `id` and `uid_validity`.
pub fn mailbox_id_of(id: u32, uid_validity: u32) -> String {
    format!("F{uid_validity:08x}{id:x}")
}

/// The EMAILID of the stored message `message_id` (copies share it).
pub fn email_id(message_id: u128) -> String {
    format!("M{message_id:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_rfc_8474_objectids() {
        for id in [mailbox_id_of(7, 0x5f00_0001), email_id(u128::MAX), email_id(1)] {
            assert!((1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert_ne!(mailbox_id_of(1, 2), mailbox_id_of(2, 1));
    }
}
