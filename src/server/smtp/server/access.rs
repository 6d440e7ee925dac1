//! Who may send mail at all: the local block list and the DNS blocklists refuse a client before
//! its greeting (`554 5.7.1`, then the connection closes), the block list refuses senders at
//! MAIL FROM. Only mail from other servers is filtered (port 25, no login, outside
//! `relay_networks`); the allow list exempts clients and senders.

use std::time::Duration;

use futures_lite::future::or;

use super::listener::Role;
use super::session::Session;
use crate::filter::access::List;
use crate::filter::dnsbl;
use smtp_proto::{Mailbox, Reply, Status};

/// The longest the blocklist lookups may delay a greeting; after that the client is let in.
const DNSBL_TIMEOUT: Duration = Duration::from_secs(10);

impl Session {
    /// Whether this client is another server whose mail is filtered.
    fn filtered(&self) -> bool {
        self.role == Role::Inbound && self.user.is_none() && !self.client_in_relay_networks()
    }

    /// The refusal for a client that is blocked or listed, before it is greeted.
    pub(super) async fn connect_refusal(&self) -> Option<Reply> {
        if !self.filtered() {
            return None;
        }
        let ip = self.peer.ip();
        let lists = self.ctx.access.get();
        if lists.client_on(List::Allow, ip) {
            return None;
        }
        if lists.client_on(List::Block, ip) {
            return Some(Reply::new(554, Status(5, 7, 1), format!("Client [{ip}] blocked by local policy")));
        }
        let zones = &self.ctx.config.dnsbl.zones;
        let resolver = self.ctx.resolver.as_deref().filter(|_| !zones.is_empty())?;
        let expire = async {
            glommio::timer::sleep(DNSBL_TIMEOUT).await;
            None
        };
        let listing = or(dnsbl::check(resolver, ip, zones), expire).await?;
        tracing::info!(peer = %self.peer, %listing, "client refused: listed on a DNS blocklist");
        Some(Reply::new(554, Status(5, 7, 1), format!("Service unavailable; client [{ip}] blocked using {listing}")))
    }

    /// The refusal for a blocked envelope sender.
    pub(super) fn sender_refusal(&self, from: Option<&Mailbox>) -> Option<Reply> {
        let sender = from.filter(|_| self.filtered())?.to_string().to_lowercase();
        let lists = self.ctx.access.get();
        if lists.sender_on(List::Block, &sender) && !lists.sender_on(List::Allow, &sender) {
            return Some(Reply::new(
                550,
                Status(5, 7, 1),
                format!("<{sender}>: Sender address blocked by local policy"),
            ));
        }
        None
    }
}
