//! A Redis that restarts empty has lost every lease the nodes hold. Each node renews its own
//! at its next heartbeat, but until all have, the lease sets count too few and a node could
//! take leases the others still hold. So Redis carries a generation name, made by the first
//! node to find none; a node that connects and finds another generation than it knew marks
//! the leases as settling for a lease time and a reconnect, while which every node keeps to
//! its share (the acquire script answers -1) and puts its leases back.

use std::time::Duration;

use redis::{Connection, RedisResult};

use super::scripts;

/// The longest a node takes to connect again once Redis answers (the client's retry).
const RECONNECT: Duration = Duration::from_secs(1);

/// What a node knows of the Redis generation, checked on each new connection.
pub struct Generation {
    key: String,
    settling_key: String,
    settle_ms: u64,
    /// The generation this node last saw; empty before its first connection.
    known: String,
    /// What names a generation this node is the first to see, with `connections`.
    fresh: String,
    /// The connections made so far: a new generation's name must differ from every earlier one.
    connections: u64,
}

impl Generation {
    /// The generation under `prefix`, for leases of `lease_ms`; `fresh` names a new one.
    pub fn new(prefix: &str, lease_ms: u64, fresh: String) -> Generation {
        Generation {
            key: format!("{prefix}:generation"),
            settling_key: format!("{prefix}:settling"),
            settle_ms: lease_ms + RECONNECT.as_millis() as u64,
            known: String::new(),
            fresh,
            connections: 0,
        }
    }

    /// The settling mark's key, for the acquire script.
    pub fn settling_key(&self) -> &str {
        &self.settling_key
    }

    /// Learns the generation of the Redis on `conn`, marking the leases settling when it is
    /// not the one this node knew.
    pub fn check(&mut self, conn: &mut Connection) -> RedisResult<()> {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(scripts::GENERATION.get_hash()).arg(2).arg(&self.key).arg(&self.settling_key);
        self.connections += 1;
        cmd.arg(&self.known).arg(format!("{}-{}", self.fresh, self.connections)).arg(self.settle_ms);
        let seen: String = cmd.query(conn)?;
        if seen != self.known && !self.known.is_empty() {
            tracing::warn!(
                "cluster: Redis lost its state (generation {} is now {seen}): leases settle for {} ms",
                self.known,
                self.settle_ms
            );
        }
        self.known = seen;
        Ok(())
    }
}
