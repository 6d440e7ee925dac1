//! One suppression list for the cluster, with a copy in every node's own store so that RCPT
//! never waits for Redis.
//!
//! - Out: a thread follows this node's durable event log (its cursor `cluster`, which holds back
//!   the log's trimming like a webhook's) and writes each `suppression` event into the shared
//!   hash and onto the pub/sub channel; a suppression made while Redis is away goes out when it
//!   is back. A suppression lifted by hand is published at once (not from the log: lifting
//!   records no event), and lost for the other nodes if Redis is away at that moment.
//! - In: a thread subscribed to the channel applies what other nodes publish to this node's
//!   store, and on each (re)connection first copies every entry of the shared hash it lacks.
//!
//! The same two threads carry the traffic-shaping actions (`shaping.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use redis::Commands;
use serde::{Deserialize, Serialize};
use store::journal::{EventsOp, JournalHandle, JournalOp, SuppressionOp};
use store::{Store, StoreError};

use super::shaping::{Adopt, Published};
use super::{Cluster, Target};
use crate::config::ClusterConfig;

/// The event-log reader name of the publisher.
pub const CURSOR: &str = "cluster";
/// How long the threads wait when there is nothing to do, or after a failure.
const POLL: Duration = Duration::from_millis(200);
/// Events read from the log at a time.
const PAGE: usize = 500;

/// A change to the list, as published.
#[derive(Debug, Serialize, Deserialize)]
struct Change {
    /// `add` or `del`.
    op: String,
    address: String,
    #[serde(default)]
    reason: String,
    /// The node it was made on.
    node: String,
}

/// A `suppression` line of the event log.
#[derive(Deserialize)]
struct Logged {
    event: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    reason: String,
}

/// The running publisher and subscriber threads.
pub struct Suppressions {
    stopping: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Suppressions {
    /// Starts both threads for `cluster`, reading and writing `store` through `journal`;
    /// `adopt` holds the shaping actions of the other nodes.
    pub fn start(
        cluster: &Arc<Cluster>,
        config: &ClusterConfig,
        store: &Store,
        journal: &JournalHandle,
        adopt: Adopt,
    ) -> anyhow::Result<Suppressions> {
        let cursor = match store.event_cursor(CURSOR)? {
            Some(cursor) => cursor,
            None => {
                let newest = store.event_bounds()?.map_or(0, |(_, last)| last);
                journal.submit_blocking(JournalOp::Events(EventsOp::Cursor { name: CURSOR.into(), seq: newest }))?;
                newest
            }
        };
        let stopping = Arc::new(AtomicBool::new(false));
        let publisher = Publisher {
            cluster: Arc::clone(cluster),
            store: store.clone(),
            journal: journal.clone(),
            stopping: Arc::clone(&stopping),
        };
        let subscriber = Subscriber {
            target: Target::parse(&config.redis)?,
            cluster: Arc::clone(cluster),
            store: store.clone(),
            journal: journal.clone(),
            adopt,
            stopping: Arc::clone(&stopping),
        };
        let spawn = |name: &str| std::thread::Builder::new().name(name.into());
        let threads = vec![
            spawn("cluster-publish").spawn(move || publisher.run(cursor))?,
            spawn("cluster-subscribe").spawn(move || subscriber.run())?,
        ];
        Ok(Suppressions { stopping, threads })
    }

    /// Stops both threads.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

impl Cluster {
    /// Publishes that `address` may receive mail again.
    pub fn unsuppressed(&self, address: &str) {
        let mut hdel = redis::cmd("HDEL");
        hdel.arg(self.key(&["suppressions"])).arg(address.to_lowercase());
        self.client.send(hdel);
        let change = Change {
            op: "del".into(),
            address: address.to_lowercase(),
            reason: String::new(),
            node: self.node.clone(),
        };
        self.client.send(self.publish(&change));
    }

    fn publish(&self, change: &Change) -> redis::Cmd {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(self.key(&["suppressions"])).arg(serde_json::to_string(change).unwrap_or_default());
        cmd
    }
}

/// Sends this node's suppressions out, from its event log.
struct Publisher {
    cluster: Arc<Cluster>,
    store: Store,
    journal: JournalHandle,
    stopping: Arc<AtomicBool>,
}

impl Publisher {
    fn run(self, mut cursor: u64) {
        while !self.stopping.load(Ordering::Relaxed) {
            match self.step(cursor) {
                Ok(Some(last)) => {
                    let moved = JournalOp::Events(EventsOp::Cursor { name: CURSOR.into(), seq: last });
                    match self.journal.submit_blocking(moved) {
                        Ok(_) => cursor = last,
                        Err(e) => tracing::warn!("cluster: recording the suppressions published failed: {e}"),
                    }
                }
                Ok(None) => std::thread::sleep(POLL),
                Err(e) => {
                    tracing::debug!("cluster: publishing suppressions waits: {e}");
                    std::thread::sleep(POLL);
                }
            }
        }
    }

    /// Publishes the suppressions of the next page of events after `cursor`; the last event
    /// read, or None when there was none.
    fn step(&self, cursor: u64) -> anyhow::Result<Option<u64>> {
        let page = self.store.events_after(cursor, PAGE)?;
        let Some(&(last, _)) = page.last() else { return Ok(None) };
        let cluster = &self.cluster;
        let mut pending = Vec::new();
        for (_, line) in &page {
            if let Some(action) = Published::from_log(line, &cluster.node) {
                pending.extend(cluster.share_shaping(&action));
                continue;
            }
            let Ok(logged) = serde_json::from_slice::<Logged>(line) else { continue };
            if logged.event != "suppression" || logged.address.is_empty() {
                continue;
            }
            let address = logged.address.to_lowercase();
            let change = Change { op: "add".into(), address, reason: logged.reason, node: cluster.node.clone() };
            let mut hset = redis::cmd("HSET");
            hset.arg(cluster.key(&["suppressions"])).arg(&change.address).arg(&change.reason);
            pending.push(hset);
            pending.push(cluster.publish(&change));
        }
        // Every command must have reached Redis before the cursor moves on.
        let answers: Vec<_> = pending.into_iter().map(|cmd| cluster.client.call_blocking(cmd)).collect();
        if let Some(Err(e)) = answers.into_iter().find(Result::is_err) {
            return Err(e.into());
        }
        Ok(Some(last))
    }
}

/// Applies the other nodes' changes to this node's store.
struct Subscriber {
    target: Target,
    cluster: Arc<Cluster>,
    store: Store,
    journal: JournalHandle,
    adopt: Adopt,
    stopping: Arc<AtomicBool>,
}

impl Subscriber {
    fn run(mut self) {
        while !self.stopping.load(Ordering::Relaxed) {
            if let Err(e) = self.session() {
                tracing::debug!("cluster: suppression feed interrupted: {e}");
                std::thread::sleep(POLL * 5);
            }
        }
    }

    /// One connection: copy what is missing, then apply changes as they come.
    fn session(&mut self) -> anyhow::Result<()> {
        let mut conn = self.target.connect()?;
        let channel = self.cluster.key(&["suppressions"]);
        let shaping = self.cluster.shaping_key();
        let mut pubsub = conn.as_pubsub();
        pubsub.subscribe(&channel)?;
        pubsub.subscribe(&shaping)?;
        pubsub.set_read_timeout(Some(POLL))?;
        // Subscribed first, so that nothing published during the copy is missed.
        let mut copy = self.target.connect()?;
        let entries = copy.hscan(&channel)?.collect::<Result<Vec<(String, String)>, _>>()?;
        for (address, reason) in entries {
            self.apply(Change { op: "add".into(), address, reason, node: String::new() })?;
        }
        let actions = copy.hscan(&shaping)?.collect::<Result<Vec<(String, String)>, _>>()?;
        for (field, json) in actions {
            match serde_json::from_str::<Published>(&json) {
                Ok(action) if action.is_from(&self.cluster.node) && !action.is_over() => {}
                Ok(action) if !action.is_over() => (self.adopt)(action.into_shared()),
                _ => self.cluster.client.send(self.cluster.forget_shaping(&field)),
            }
        }
        while !self.stopping.load(Ordering::Relaxed) {
            let message = match pubsub.get_message() {
                Ok(message) => message,
                Err(e) if e.is_timeout() => continue,
                Err(e) => return Err(e.into()),
            };
            let payload = message.get_payload_bytes();
            if message.get_channel_name() == shaping {
                match serde_json::from_slice::<Published>(payload) {
                    Ok(action) if !action.is_from(&self.cluster.node) && !action.is_over() => {
                        (self.adopt)(action.into_shared());
                    }
                    _ => {}
                }
            } else if let Ok(change) = serde_json::from_slice::<Change>(payload)
                && change.node != self.cluster.node
            {
                self.apply(change)?;
            }
        }
        Ok(())
    }

    /// Applies one change to the store unless it is there already.
    fn apply(&self, change: Change) -> Result<(), StoreError> {
        let known = self.store.suppression(&change.address)?.is_some();
        let op = match (change.op.as_str(), known) {
            ("add", false) => SuppressionOp::Add { address: change.address, reason: change.reason },
            ("del", true) => SuppressionOp::Del { address: change.address },
            _ => return Ok(()),
        };
        self.journal.submit_blocking(JournalOp::Suppression(op)).map(drop)
    }
}
