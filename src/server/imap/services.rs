//! What an IMAP session uses, handed to it by the code that starts the shard.

use std::rc::Rc;
use std::sync::Arc;

use store::{JournalHandle, MessageIdGenerator, Store};

use super::summary::SummaryCache;
use crate::auth::login::Logins;
use crate::config::Config;
use crate::net::MessageMemory;
use crate::tls::Tls;

/// The services of one shard that its IMAP sessions share.
pub struct Services {
    /// The configuration.
    pub config: Arc<Config>,
    /// Mailbox and message reads.
    pub store: Store,
    /// Durable writes: every mailbox change.
    pub journal: JournalHandle,
    /// Message ids of this shard (APPEND).
    pub ids: Rc<MessageIdGenerator>,
    /// TLS handshakes (STARTTLS, port 993).
    pub tls: Tls,
    /// Failed-login counters and recent logins, shared by all shards.
    pub logins: Arc<Logins>,
    /// The spam classifier's shipped model (moves into and out of Junk teach it).
    pub spam_model: Option<Arc<spam::Model>>,
    /// Message summaries, shared by all shards.
    pub imap_summaries: Arc<SummaryCache>,
    /// Message octets all sessions of all shards may hold: APPEND literals reserve from it.
    pub message_memory: Arc<MessageMemory>,
}
