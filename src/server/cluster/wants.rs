//! Leases wanted elsewhere. A lease stands for an open connection, idle or not, so a node whose
//! sessions sit idle in its pool would keep a site's connections from a node with mail for it.
//! When the acquire script finds a site full it publishes the site's name (at most every
//! [`MARK_MS`] per site, however many wait); every node listens and notes when each site was
//! last wanted, and its pool closes the sessions idle there, giving their leases back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Cluster, Target, lock};

/// How often, at most, the acquire script publishes that a site is wanted (milliseconds).
pub(super) const MARK_MS: u64 = 250;
/// How long a site counts as wanted after it was last published: longer than a queue's poll
/// interval, so that the pool of an idle shard sees it.
const FRESH: Duration = Duration::from_secs(2);
/// How long the listener waits for a message before it looks whether to stop.
const POLL: Duration = Duration::from_millis(200);
/// Sites remembered at most; the stale ones go first.
const MAX_SITES: usize = 10_000;

/// The listening thread.
pub(super) struct Listener {
    stopping: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Cluster {
    /// The pub/sub channel sites are wanted on.
    pub(super) fn wants_channel(&self) -> String {
        self.key(&["wanted"])
    }

    /// Whether a node waited for a lease at `site` lately.
    pub fn wanted(&self, site: &str) -> bool {
        lock(&self.wanted).get(site).is_some_and(|at| at.elapsed() < FRESH)
    }

    fn note_wanted(&self, site: String) {
        let mut wanted = lock(&self.wanted);
        if wanted.len() >= MAX_SITES {
            wanted.retain(|_, at| at.elapsed() < FRESH);
        }
        if wanted.len() < MAX_SITES {
            wanted.insert(site, Instant::now());
        }
    }

    /// Starts listening for wanted sites on a connection of its own.
    pub(super) fn listen_for_wants(self: &Arc<Self>) -> std::io::Result<Listener> {
        let mut target = Target::parse(&self.redis_url).map_err(std::io::Error::other)?;
        let stopping = Arc::new(AtomicBool::new(false));
        let (cluster, stop) = (Arc::clone(self), Arc::clone(&stopping));
        let thread = std::thread::Builder::new().name("cluster-wants".into()).spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = cluster.listen(&mut target, &stop) {
                    tracing::debug!("cluster: lease wants interrupted: {e}");
                    std::thread::sleep(POLL * 5);
                }
            }
        })?;
        Ok(Listener { stopping, thread })
    }

    fn listen(&self, target: &mut Target, stop: &AtomicBool) -> redis::RedisResult<()> {
        let mut conn = target.connect()?;
        let mut pubsub = conn.as_pubsub();
        pubsub.subscribe(self.wants_channel())?;
        pubsub.set_read_timeout(Some(POLL))?;
        while !stop.load(Ordering::Relaxed) {
            match pubsub.get_message() {
                Ok(message) => {
                    if let Ok(site) = String::from_utf8(message.get_payload_bytes().to_vec()) {
                        self.note_wanted(site);
                    }
                }
                Err(e) if e.is_timeout() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Listener {
    /// Stops the thread.
    pub(super) fn stop(self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
