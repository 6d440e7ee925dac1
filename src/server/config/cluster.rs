//! `[cluster]`: several nodes sending as one, sharing their limits and lists through Redis.

use std::num::NonZeroU64;

use serde::Deserialize;

/// `[cluster]`: the Redis the nodes share and this node's name in it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// `redis://host:port/db` (`rediss://` with TLS), or
    /// `redis+sentinel://host:port[,host:port...]/service[/db]`; empty: no cluster.
    pub redis: String,
    /// This node's name among the others; empty: the `hostname`.
    pub node: String,
    /// Seconds a connection lease lasts unless renewed: how soon a dead node's share is
    /// given back.
    pub lease_secs: NonZeroU64,
    /// The prefix of every key ringmail keeps in Redis (several clusters can share one).
    pub prefix: String,
}

impl Default for ClusterConfig {
    fn default() -> ClusterConfig {
        ClusterConfig {
            redis: String::new(),
            node: String::new(),
            lease_secs: NonZeroU64::new(10).unwrap(),
            prefix: "ringmail".to_string(),
        }
    }
}

impl ClusterConfig {
    /// Whether this node is part of a cluster.
    pub fn enabled(&self) -> bool {
        !self.redis.is_empty()
    }
}
