//! Mailbox names for clients that speak UTF-8 (ENABLE IMAP4rev2 or UTF8=ACCEPT, RFC 6855):
//! they send and see names in UTF-8, while the store keeps the modified UTF-7 that IMAP4rev1
//! clients use (RFC 3501 5.1.3), so both kinds of client see the same mailboxes.

use std::borrow::Cow;

use imap_proto::command::Command;
use imap_proto::mutf7;

use super::Session;

impl Session {
    /// Puts the mailbox names of `command` in the stored form.
    pub(super) fn stored_names(&self, command: &mut Command) {
        if !self.utf8_names {
            return;
        }
        let stored = |name: &mut String| *name = mutf7::encode(name);
        match command {
            Command::Select { mailbox, .. }
            | Command::Examine { mailbox, .. }
            | Command::Create { mailbox }
            | Command::Delete { mailbox }
            | Command::Subscribe { mailbox }
            | Command::Unsubscribe { mailbox }
            | Command::Status { mailbox, .. }
            | Command::Append { mailbox, .. }
            | Command::Copy { mailbox, .. }
            | Command::Move { mailbox, .. }
            | Command::GetQuotaRoot { mailbox } => stored(mailbox),
            Command::Rename { from, to } => {
                stored(from);
                stored(to);
            }
            Command::List { reference, patterns, .. } => {
                stored(reference);
                patterns.iter_mut().for_each(stored);
            }
            Command::Lsub { reference, pattern } => {
                stored(reference);
                stored(pattern);
            }
            _ => {}
        }
    }

    /// A stored mailbox name as this client is to see it.
    pub(super) fn shown_name<'n>(&self, stored: &'n str) -> Cow<'n, str> {
        match self.utf8_names {
            true => mutf7::decode(stored).map_or(Cow::Borrowed(stored), Cow::Owned),
            false => Cow::Borrowed(stored),
        }
    }
}
