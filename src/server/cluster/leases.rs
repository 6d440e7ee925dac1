//! Connection leases per destination site. A node holds one lease for every connection it has
//! open to a site (in use or idle in the pool), as a member of the site's sorted set scored by
//! its expiry; the heartbeat renews them, and a node that dies stops renewing, so its
//! connections are given back within `lease_secs`. While Redis is away a node takes leases of
//! its own, up to its share of the limit.

use std::sync::Arc;
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
    /// The shared lease's number; None for one taken locally while Redis was away.
    shared: Option<u64>,
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
        let id = self.next_lease.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(scripts::ACQUIRE.get_hash()).arg(2).arg(self.key(&["lease", site])).arg(self.key(&["wanted", site]));
        cmd.arg(self.lease_ms).arg(limit).arg(self.member(id));
        cmd.arg(wants::MARK_MS).arg(self.wants_channel()).arg(site);
        match self.client.call(cmd).await.and_then(|v| redis::from_redis_value::<i64>(v).map_err(Into::into)) {
            Ok(1) => {
                lock(&self.held).insert(id, site.to_string());
                Some(Lease { cluster: Arc::clone(self), site: site.to_string(), shared: Some(id) })
            }
            Ok(_) => None,
            Err(_) => {
                metrics::cluster_fallback("lease");
                let mut local = lock(&self.local_leases);
                let held = local.entry(site.to_string()).or_default();
                if *held >= self.share(limit) {
                    return None;
                }
                *held += 1;
                Some(Lease { cluster: Arc::clone(self), site: site.to_string(), shared: None })
            }
        }
    }

    /// The name of lease `id` of this node in Redis.
    fn member(&self, id: u64) -> String {
        format!("{}:{id}", self.node)
    }

    /// Renews every shared lease this node holds (from the heartbeat).
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

    /// Leases this node holds: shared ones, and local ones taken while Redis was away.
    pub fn leases_held(&self) -> (usize, usize) {
        (lock(&self.held).len(), lock(&self.local_leases).values().sum())
    }
}

impl Lease {
    /// Whether another node waits for a lease at this one's site.
    pub fn wanted(&self) -> bool {
        self.cluster.wanted(&self.site)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let cluster = &self.cluster;
        match self.shared {
            Some(id) => {
                lock(&cluster.held).remove(&id);
                let mut cmd = redis::cmd("ZREM");
                cmd.arg(cluster.key(&["lease", &self.site])).arg(cluster.member(id));
                cluster.client.send(cmd);
            }
            None => {
                let mut local = lock(&cluster.local_leases);
                if let Some(held) = local.get_mut(&self.site) {
                    *held = held.saturating_sub(1);
                    if *held == 0 {
                        local.remove(&self.site);
                    }
                }
            }
        }
    }
}
