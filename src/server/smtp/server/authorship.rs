//! Who the mail we send may claim as its author. A logged-in user may put in `From:` and
//! `Sender:` only addresses it owns: its own (with any `+tag`), aliases that deliver to it,
//! and the addresses or domains granted to it (`ringmail user grant`); a client of a
//! `[[relay_network]]` only addresses of that network's sender domains. Anything else, or a
//! `From:` whose author is ambiguous, is refused at the end of DATA: the message would be
//! signed with our DKIM keys and be a perfect forgery of a colleague or another tenant.

use super::session::Session;
use crate::routing::Router;
use mailauth::author;
use message::Parsed;
use smtp_proto::{Reply, Status};

impl Session {
    /// Whether the authors of this session's mail are checked: a logged-in user, or a client
    /// that a `[[relay_network]]` restricts.
    pub(super) fn checks_authorship(&self) -> bool {
        self.user.is_some() || self.relay_restriction().is_some()
    }

    /// The refusal of a message whose `From:` or `Sender:` holds an address this client may
    /// not use, or whose author is ambiguous; `None` when it may be sent.
    pub(super) fn authorship_refusal(&self, parsed: &Parsed<'_>) -> Option<Reply> {
        let refuse = |text: String| Some(Reply::new(550, Status(5, 7, 1), text));
        let author = match author::find(parsed.header()) {
            Ok(author) => author,
            Err(why) => return refuse(format!("Message refused: its author is ambiguous ({why})")),
        };
        let router = Router::new(&self.ctx.store, self.ctx.config.hostname.as_str());
        let restriction = self.relay_restriction();
        let claimed = std::iter::once(&author.address).chain(author.sender.as_ref());
        for address in claimed {
            let allowed = match (&self.user, restriction) {
                (Some(user), _) => match router.may_send_as_address(user, address) {
                    Ok(allowed) => allowed,
                    Err(e) => {
                        tracing::warn!("author lookup failed: {e}");
                        return Some(Reply::new(451, Status(4, 3, 0), "Temporary lookup failure, try again later"));
                    }
                },
                (None, Some(network)) => network.allows(store::directory::domain_of(address)),
                (None, None) => true,
            };
            if !allowed {
                let who = self.user.as_deref().map_or("your network".to_string(), |u| format!("user {u}"));
                return refuse(format!("Message refused: author <{address}> is not owned by {who}"));
            }
        }
        None
    }
}
