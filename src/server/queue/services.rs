//! What a shard's delivery scheduler uses, handed to it by the code that starts the shard.

use std::rc::Rc;
use std::sync::Arc;

use store::{JournalHandle, MessageIdGenerator, Store};

use super::shaping::Shaping;
use super::sites::Sites;
use super::suspensions::Suspensions;
use super::transfers::Transfers;
use super::warmup::Warmup;
use crate::config::Config;
use crate::events::EventLog;
use crate::net::shutdown::Shutdown;
use crate::unsubscribe::Unsubscribe;

/// The services of one shard that its outbound deliveries share.
pub struct Services {
    /// This shard's number (it owns the destinations that hash to it).
    pub shard: usize,
    /// The configuration.
    pub config: Arc<Config>,
    /// Queue and message reads.
    pub store: Store,
    /// Durable writes: outcomes, deferrals, bounce reports.
    pub journal: JournalHandle,
    /// Message ids of this shard (bounce and delay reports).
    pub ids: Rc<MessageIdGenerator>,
    /// The JSON event log.
    pub events: EventLog,
    /// Fires when the server stops.
    pub shutdown: Shutdown,
    /// Limits of outbound sites (domains sharing mail exchangers), shared by all shards.
    pub sites: Arc<Sites>,
    /// Destinations the operator suspended, shared by all shards.
    pub suspensions: Arc<Suspensions>,
    /// The traffic-shaping rules and what they hold, shared by all shards.
    pub shaping: Arc<Shaping>,
    /// IP warm-up progress of the pools' addresses, shared by all shards.
    pub warmup: Arc<Warmup>,
    /// Queued mail being handed to another node, shared by all shards.
    pub transfers: Arc<Transfers>,
    /// The bulk sender domains, whose deliveries count together.
    pub unsubscribe: Arc<Unsubscribe>,
}
