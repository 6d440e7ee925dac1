//! Who the mail we send may claim as its author. A logged-in user may put in `From:` and
//! `Sender:` only addresses it owns: its own (with any `+tag`), aliases that deliver to it,
//! and the addresses or domains granted to it (`ringmail user grant`); a client of a
//! `[[relay_network]]` only addresses of that network's sender domains. Anything else, or a
//! `From:` whose author is ambiguous, is refused at the end of DATA: the message would be
//! signed with our DKIM keys and be a perfect forgery of a colleague or another tenant.

use super::session::Session;
use super::submitted::{Claimant, author_refusal};
use message::Parsed;
use smtp_proto::Reply;

impl Session {
    /// Whether the authors of this session's mail are checked: a logged-in user, or a client
    /// that a `[[relay_network]]` restricts.
    pub(super) fn checks_authorship(&self) -> bool {
        self.user.is_some() || self.relay_restriction().is_some()
    }

    /// The refusal of a message whose `From:` or `Sender:` holds an address this client may
    /// not use, or whose author is ambiguous; `None` when it may be sent.
    pub(super) fn authorship_refusal(&self, parsed: &Parsed<'_>) -> Option<Reply> {
        let claimant = match (&self.user, self.relay_restriction()) {
            (Some(user), _) => Claimant::User(user),
            (None, Some(network)) => Claimant::Domains(&network.sender_domains),
            (None, None) => return None,
        };
        author_refusal(&self.ctx, claimant, parsed)
    }
}
