//! The heartbeat: every third of a lease time each node renews its leases and says it is
//! alive (its name in the sorted set of nodes, scored by the time, and a hash of its figures:
//! leases held, queued recipients). A node not heard of for three lease times counts as gone,
//! both for the shares the others keep to while Redis is away and in `ringmail cluster status`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::Commands;
use store::unix_now;

use super::wants::Listener;
use super::{Cluster, Target};
use crate::config::ClusterConfig;

/// How often the heartbeat beats while Redis is away.
const AWAY_PERIOD: Duration = Duration::from_millis(100);

/// The running heartbeat thread.
pub struct Heartbeat {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
    wants: Listener,
}

impl Cluster {
    /// Starts the heartbeat, and the listener for leases wanted elsewhere; `queued` tells the node's queued recipients (None: not known).
    pub fn start_heartbeat(
        self: &Arc<Self>,
        queued: impl Fn() -> Option<u64> + Send + 'static,
    ) -> std::io::Result<Heartbeat> {
        let (stop, stopped) = mpsc::channel();
        let cluster = Arc::clone(self);
        let period = Duration::from_millis((self.lease_ms / 3).max(100));
        let thread = std::thread::Builder::new().name("cluster-heartbeat".into()).spawn(move || {
            let mut fewer_since = None;
            loop {
                cluster.renew_leases();
                cluster.beat(queued(), &mut fewer_since);
                // While Redis is away, beat often: the first beat it answers puts back every
                // lease this node holds, and the shared counts are whole again.
                let wait = if cluster.client.is_up() { period } else { period.min(AWAY_PERIOD) };
                if stopped.recv_timeout(wait) != Err(RecvTimeoutError::Timeout) {
                    break;
                }
            }
            let mut gone = redis::cmd("ZREM");
            gone.arg(cluster.key(&["nodes"])).arg(&cluster.node);
            let _ = cluster.client.call_blocking(gone);
        })?;
        let wants = self.listen_for_wants()?;
        Ok(Heartbeat { stop, thread, wants })
    }

    /// Says this node is alive and counts the nodes that are. A count below the last one
    /// applies only once it has held for a lease time (`fewer_since`: since when it has):
    /// a Redis that restarted empty counts the nodes as they beat again, one by one, and the
    /// shares must not grow meanwhile.
    fn beat(&self, queued: Option<u64>, fewer_since: &mut Option<Instant>) {
        let now = unix_now();
        let gone_before = now.saturating_sub(3 * self.lease_ms / 1000).max(1);
        let nodes = self.key(&["nodes"]);
        let mut add = redis::cmd("ZADD");
        add.arg(&nodes).arg(now).arg(&self.node);
        self.client.send(add);
        let mut trim = redis::cmd("ZREMRANGEBYSCORE");
        trim.arg(&nodes).arg("-inf").arg(gone_before - 1);
        self.client.send(trim);
        let leases = self.leases_held();
        let figures = self.key(&["node", &self.node]);
        let mut hset = redis::cmd("HSET");
        hset.arg(&figures).arg("seen").arg(now).arg("leases").arg(leases);
        if let Some(queued) = queued {
            hset.arg("queued").arg(queued);
        }
        self.client.send(hset);
        let mut expire = redis::cmd("EXPIRE");
        expire.arg(&figures).arg(3 * self.lease_ms / 1000 + 1);
        self.client.send(expire);
        let mut count = redis::cmd("ZCARD");
        count.arg(&nodes);
        if let Ok(alive) = self.client.call_blocking(count).and_then(|v| Ok(redis::from_redis_value::<usize>(v)?)) {
            let alive = alive.max(1);
            if alive >= self.nodes.load(Ordering::Relaxed) {
                *fewer_since = None;
            } else if fewer_since.get_or_insert_with(Instant::now).elapsed() < Duration::from_millis(self.lease_ms) {
                return;
            }
            self.nodes.store(alive, Ordering::Relaxed);
        }
    }
}

impl Heartbeat {
    /// Stops the heartbeat and takes the node out of the set of nodes alive.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
        self.wants.stop();
    }
}

/// `ringmail cluster status`: the nodes seen, their leases and queues, and the leases held at
/// each site, read from the Redis of `config`.
pub fn status(config: &ClusterConfig) -> anyhow::Result<String> {
    let mut conn = Target::parse(&config.redis)?.connect()?;
    let key = |parts: &[&str]| {
        std::iter::once(config.prefix.as_str()).chain(parts.iter().copied()).collect::<Vec<_>>().join(":")
    };
    let nodes: Vec<(String, u64)> = conn.zrange_withscores(key(&["nodes"]), 0, -1)?;
    let now = unix_now();
    let mut out = String::from("node\tlast_seen_secs\tleases\tqueued\n");
    for (node, seen) in &nodes {
        let figures: std::collections::HashMap<String, String> = conn.hgetall(key(&["node", node]))?;
        let field = |name: &str| figures.get(name).cloned().unwrap_or_else(|| "-".into());
        let _ = writeln!(out, "{node}\t{}\t{}\t{}", now.saturating_sub(*seen), field("leases"), field("queued"));
    }
    let pattern = key(&["lease", "*"]);
    let sites = conn.scan_match::<_, String>(&pattern)?.collect::<Result<Vec<String>, _>>()?;
    out.push_str("\nsite\tleases (node: count)\n");
    let now_ms = now * 1000;
    for site_key in sites {
        let members: Vec<String> = conn.zrangebyscore(&site_key, now_ms, "+inf")?;
        let mut by_node: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for member in &members {
            *by_node.entry(member.rsplit_once(':').map_or(member.as_str(), |(node, _)| node)).or_default() += 1;
        }
        let site = site_key.strip_prefix(&pattern[..pattern.len() - 1]).unwrap_or(&site_key);
        let held: Vec<String> = by_node.iter().map(|(node, n)| format!("{node}: {n}")).collect();
        let _ = writeln!(out, "{site}\t{}", held.join(", "));
    }
    Ok(out)
}
