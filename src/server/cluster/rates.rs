//! Message rates per destination site for the whole cluster: the generic cell rate algorithm
//! in Redis (one script call per message, pipelined with the other shards' calls), spaced
//! evenly with one message of tolerance; while Redis is away, the same algorithm locally at this node's share of the rate.

use std::time::Duration;

use super::{Cluster, lock, scripts};
use crate::config::outbound::Rate;
use crate::metrics;
use crate::net::Shutdown;

/// Sites whose local rate is kept before the idle ones are forgotten.
const MAX_LOCAL_SITES: usize = 10_000;

impl Cluster {
    /// Waits until a message may go to `site` under `rate` for the whole cluster; false when
    /// the server stops first. An unlimited rate (0 messages) never waits.
    pub async fn rate_slot(&self, site: &str, rate: Rate, shutdown: &Shutdown) -> bool {
        if rate.messages == 0 {
            return true;
        }
        let interval = rate.per.as_secs_f64() * 1000.0 / rate.messages as f64;
        loop {
            let wait = match self.shared_slot(site, interval).await {
                Some(wait) => wait,
                None => {
                    metrics::cluster_fallback("rate");
                    self.local_slot(
                        site,
                        interval * self.nodes.load(std::sync::atomic::Ordering::Relaxed).max(1) as f64,
                    )
                }
            };
            if wait.is_zero() {
                return true;
            }
            if shutdown.sleep(wait).await {
                return false;
            }
        }
    }

    /// The wait Redis gives for a slot at `site`; None when it cannot be asked.
    async fn shared_slot(&self, site: &str, interval: f64) -> Option<Duration> {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(scripts::RATE.get_hash()).arg(1).arg(self.key(&["rate", site]));
        // One interval of tolerance: a node that wakes late for its slot may catch up, so the
        // rate holds at the limit instead of losing each wake-up's delay.
        cmd.arg(interval).arg(interval);
        let value = self.client.call(cmd).await.ok()?;
        let wait: i64 = redis::from_redis_value(value).ok()?;
        Some(Duration::from_millis(wait.max(0) as u64))
    }

    /// The same algorithm on this node alone, one message every `interval` milliseconds.
    fn local_slot(&self, site: &str, interval: f64) -> Duration {
        let now = self.epoch.elapsed().as_secs_f64() * 1000.0;
        let mut rates = lock(&self.local_rates);
        if rates.len() >= MAX_LOCAL_SITES {
            rates.retain(|_, tat| *tat > now);
        }
        let tat = rates.entry(site.to_string()).or_insert(now);
        if *tat < now {
            *tat = now;
        }
        if *tat > now + interval {
            return Duration::from_secs_f64((*tat - now - interval) / 1000.0).max(Duration::from_millis(1));
        }
        *tat += interval;
        Duration::ZERO
    }
}
