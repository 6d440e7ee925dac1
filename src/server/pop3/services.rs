//! What a POP3 session uses, handed to it by the code that starts the shard.

use std::sync::Arc;

use store::{JournalHandle, Store};

use super::MaildropLocks;
use crate::auth::login::Logins;
use crate::config::Config;
use crate::tls::Tls;

/// The services of one shard that its POP3 sessions share.
pub struct Services {
    /// The configuration.
    pub config: Arc<Config>,
    /// Maildrop reads.
    pub store: Store,
    /// Durable writes: the expunge at QUIT.
    pub journal: JournalHandle,
    /// TLS handshakes (STLS, port 995).
    pub tls: Tls,
    /// Failed-login counters and recent logins, shared by all shards.
    pub logins: Arc<Logins>,
    /// Accounts whose maildrop is in use, across all shards.
    pub maildrop_locks: Arc<MaildropLocks>,
}
