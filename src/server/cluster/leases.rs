//! Connection leases per destination site. A node holds one lease for every connection it has
//! open to a site (in use or idle in the pool), as a member of the site's sorted set scored by
//! its expiry; the heartbeat renews them, and a node that dies stops renewing, so its
//! connections are given back within `lease_secs`.
//!
//! While Redis is away a node opens new connections only up to its share of the limit,
//! counting those it already has, and its pools close idle ones past the share. Every lease,
//! including those taken meanwhile, is renewed into Redis when it answers again, so the shared
//! count is whole again within a heartbeat; a Redis that restarted empty grants none until
//! then (`generation.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Cluster, lock, scripts, wants};
use crate::metrics;
use crate::net::Shutdown;

/// How often a node waiting for a lease asks again.
const RETRY: Duration = Duration::from_millis(20);

/// A connection lease at a site, given back when dropped.
pub struct Lease {
    cluster: Arc<Cluster>,
    site: String,
    id: u64,
    /// The site's connection limit for the cluster.
    limit: usize,
}

impl Cluster {
    /// Waits for a lease at `site`, whose limit is `limit` connections for the whole cluster;
    /// None when the server stops first.
    pub async fn lease(self: &Arc<Self>, site: &str, limit: usize, shutdown: &Shutdown) -> Option<Lease> {
        loop {
            if let Some(lease) = self.try_lease(site, limit).await {
                return Some(lease);
            }
            if shutdown.sleep(RETRY).await {
                return None;
            }
        }
    }

    async fn try_lease(self: &Arc<Self>, site: &str, limit: usize) -> Option<Lease> {
        let id = self.next_lease.fetch_add(1, Ordering::Relaxed);
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(scripts::ACQUIRE.get_hash()).arg(3);
        cmd.arg(self.key(&["lease", site])).arg(self.key(&["wanted", site])).arg(&self.settling_key);
        cmd.arg(self.lease_ms).arg(limit).arg(self.member(id));
        cmd.arg(wants::MARK_MS).arg(self.wants_channel()).arg(site);
        let answer = self.client.call(cmd).await.and_then(|v| redis::from_redis_value::<i64>(v).map_err(Into::into));
        let keep_share = !matches!(answer, Ok(0 | 1));
        self.keeping_share.store(keep_share, Ordering::Relaxed);
        let taken = if keep_share {
            metrics::cluster_fallback("lease");
            self.held_at(site) < self.share(limit)
        } else {
            answer.is_ok_and(|a| a == 1)
        };
        taken.then(|| {
            lock(&self.held).insert(id, site.to_string());
            Lease { cluster: Arc::clone(self), site: site.to_string(), id, limit }
        })
    }

    /// The leases this node holds at `site`.
    fn held_at(&self, site: &str) -> usize {
        lock(&self.held).values().filter(|held| *held == site).count()
    }

    /// The name of lease `id` of this node in Redis: unique to this run of the node, so that
    /// a node restarted within the lease time does not renew its former leases as new ones.
    fn member(&self, id: u64) -> String {
        format!("{}:{}-{id}", self.node, self.run)
    }

    /// Renews every lease this node holds, adding back those Redis lost or never had (from
    /// the heartbeat).
    pub(super) fn renew_leases(&self) {
        let held: Vec<(u64, String)> = lock(&self.held).iter().map(|(id, site)| (*id, site.clone())).collect();
        for (id, site) in held {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(scripts::RENEW.get_hash())
                .arg(1)
                .arg(self.key(&["lease", &site]))
                .arg(self.lease_ms)
                .arg(self.member(id));
            self.client.send(cmd);
        }
    }

    /// The leases this node holds.
    pub fn leases_held(&self) -> usize {
        lock(&self.held).len()
    }
}

impl Lease {
    /// Whether another node waits for a lease at this one's site.
    pub fn wanted(&self) -> bool {
        self.cluster.wanted(&self.site)
    }

    /// Whether, with Redis away or its leases settling, this node holds more leases at the
    /// site than its share.
    pub fn over_share(&self) -> bool {
        let cluster = &self.cluster;
        let keeping_share = !cluster.client.is_up() || cluster.keeping_share.load(Ordering::Relaxed);
        keeping_share && cluster.held_at(&self.site) > cluster.share(self.limit)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let cluster = &self.cluster;
        lock(&cluster.held).remove(&self.id);
        let mut cmd = redis::cmd("ZREM");
        cmd.arg(cluster.key(&["lease", &self.site])).arg(cluster.member(self.id));
        cluster.client.send(cmd);
    }
}
