//! Several nodes sending as one (`[cluster]`): what they must agree on lives in one Redis
//! (or a Sentinel-watched set), while each node keeps its own mail in its own RocksDB.
//!
//! | file | what |
//! |---|---|
//! | `client.rs` | the connection to Redis: a thread that pipelines every waiting call |
//! | `scripts.rs` | the Lua scripts: connection leases, the message rate (GCRA) |
//! | `leases.rs` | connection leases per destination site, renewed while held |
//! | `rates.rs` | a message slot per destination site under its rate |
//! | `logins.rs` | failed-login counts per address and per account |
//! | `suppressions.rs` | the suppression list: published from the event log, applied from pub/sub |
//! | `shaping.rs` | traffic-shaping actions of one node held by all, carried by the suppression feed |
//! | `dmarc.rs` | DMARC aggregate report counts, so that one node sends each report |
//! | `generation.rs` | telling a Redis that restarted empty, so that lost leases settle first |
//! | `heartbeat.rs` | the nodes alive, their leases and queues, for the shares and `cluster status` |
//! | `wants.rs` | sites where a node waits for a lease, so that idle sessions there give theirs back |
//!
//! Redis unreachable: nothing waits for it. Every call fails at once and the caller keeps to
//! this node's share of the limit (the limit divided by the nodes last seen alive), counted
//! in `ringmail_cluster_fallbacks_total`; the shared limits apply again once Redis answers.

mod client;
mod dmarc;
mod generation;
mod heartbeat;
mod leases;
mod logins;
mod rates;
mod scripts;
pub mod shaping;
pub mod suppressions;
mod wants;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub use client::{Client, Target};
use generation::Generation;
pub use heartbeat::status;
pub use leases::Lease;
pub use suppressions::Suppressions;

use crate::config::ClusterConfig;

/// This node's part in the cluster; shared by every shard.
pub struct Cluster {
    client: Client,
    /// Where Redis is (`[cluster] redis`), for the connections of the listening threads.
    redis_url: String,
    /// This node's name.
    node: String,
    /// The key of the mark that leases are settling after Redis lost them.
    settling_key: String,
    /// Whether the last lease answer was to keep to this node's share (Redis away or settling).
    keeping_share: AtomicBool,
    /// The prefix of every key.
    prefix: String,
    /// How long a lease lasts unless renewed, in milliseconds.
    lease_ms: u64,
    /// Numbers the leases this node takes.
    next_lease: AtomicU64,
    /// When this run of the node started (Unix milliseconds), in its leases' names.
    run: u128,
    /// The leases this node holds: number to site.
    held: Mutex<HashMap<u64, String>>,
    /// While Redis is away: each site's next free message slot, in milliseconds since `epoch`.
    local_rates: Mutex<HashMap<String, f64>>,
    epoch: Instant,
    /// The nodes seen alive by the last heartbeat (at least this one).
    nodes: AtomicUsize,
    /// Sites where a node waited for a lease, with when it was last heard.
    wanted: Mutex<HashMap<String, Instant>>,
}

impl Cluster {
    /// Connects (in the background) to the Redis of `config`; `hostname` names the node when
    /// the config does not.
    pub fn start(config: &ClusterConfig, hostname: &str) -> anyhow::Result<Arc<Cluster>> {
        let target = Target::parse(&config.redis).map_err(|e| anyhow::anyhow!("[cluster] redis: {e}"))?;
        let node = if config.node.is_empty() { hostname.to_string() } else { config.node.clone() };
        let lease_ms = config.lease_secs.get().saturating_mul(1000);
        let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let generation = Generation::new(&config.prefix, lease_ms, format!("{node}:{run}"));
        Ok(Arc::new(Cluster {
            settling_key: generation.settling_key().to_string(),
            client: Client::start(target, generation)?,
            keeping_share: AtomicBool::new(false),
            redis_url: config.redis.clone(),
            node,
            prefix: config.prefix.clone(),
            lease_ms,
            next_lease: AtomicU64::new(1),
            run,
            held: Mutex::default(),
            local_rates: Mutex::default(),
            epoch: Instant::now(),
            nodes: AtomicUsize::new(1),
            wanted: Mutex::default(),
        }))
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The key `parts` names, under the prefix.
    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        for part in parts {
            key.push(':');
            key.push_str(part);
        }
        key
    }

    /// This node's share of `limit` while Redis is away: the limit divided by the nodes last
    /// seen alive, at least one.
    fn share(&self, limit: usize) -> usize {
        (limit / self.nodes.load(Ordering::Relaxed).max(1)).max(1)
    }
}

/// `m` locked, whatever panicked while it was held.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
