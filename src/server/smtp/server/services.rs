//! What an SMTP session uses, handed to it by the code that starts the shard.

use std::rc::Rc;
use std::sync::Arc;

use store::{JournalHandle, MessageIdGenerator, Store};

use crate::auth::login::Logins;
use crate::config::Config;
use crate::dkim_signers::Signers;
use crate::dns::Resolver;
use crate::events::EventLog;
use crate::filter::lists::AccessLists;
use crate::imap::summary::SummaryCache;
use crate::net::MessageMemory;
use crate::tls::Tls;
use crate::unsubscribe::Unsubscribe;

/// The services of one shard that its SMTP sessions share.
pub struct Services {
    /// The configuration.
    pub config: Arc<Config>,
    /// Directory reads (RCPT, logins, sender ownership).
    pub store: Store,
    /// Durable writes: the message, before `250`.
    pub journal: JournalHandle,
    /// Message ids of this shard.
    pub ids: Rc<MessageIdGenerator>,
    /// TLS handshakes (STARTTLS, port 465).
    pub tls: Tls,
    /// Failed-login counters and recent logins, shared by all shards.
    pub logins: Arc<Logins>,
    /// The JSON event log.
    pub events: EventLog,
    /// This shard's DNS resolver (SPF, DKIM, DMARC, DNSBL), if one could be made.
    pub resolver: Option<Rc<Resolver>>,
    /// DKIM signers by domain, for mail we send.
    pub signers: Signers,
    /// The allow and block lists.
    pub access: AccessLists,
    /// Virus signatures, when scanning is on.
    pub antivirus: Option<Arc<antivirus::Database>>,
    /// The spam classifier's shipped model, when the filter is on.
    pub spam_model: Option<Arc<spam::Model>>,
    /// IMAP message summaries, made here for mail to local mailboxes from the one parse.
    pub imap_summaries: Arc<SummaryCache>,
    /// The budget of message octets all sessions of all shards may hold while receiving.
    pub message_memory: Arc<MessageMemory>,
    /// Bulk senders' one-click unsubscription and the feedback loop.
    pub unsubscribe: Arc<Unsubscribe>,
}
