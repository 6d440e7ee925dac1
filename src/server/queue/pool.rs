//! Open SMTP sessions kept between messages, per server and way of reaching it, so that the
//! next message to the same place skips the TCP connection, the TLS handshake and EHLO. A session is reused at
//! most `max_messages_per_connection` times and closed after `connection_idle_secs` unused.
//! Per shard, so without locks. In a cluster an idle session keeps the lease it was opened
//! with (a lease stands for an open connection, idle or not) until another node waits for one
//! at its site: then a session idle for [`WANTED_GRACE`] is closed and its lease given back.
//! While Redis is away, sessions past the node's share of their site are closed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::cluster::Lease;
use crate::config::outbound::TlsPolicy;
use crate::smtp::client::{Peer, Session};
use crate::tls::dane::DaneHost;

/// What an idle session is good for: the same server, reached from the same address with the
/// same name, TLS policy (DANE records included) and login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    addr: SocketAddr,
    source: Option<IpAddr>,
    helo: String,
    tls: TlsPolicy,
    dane: Option<DaneHost>,
    user: Option<String>,
}

impl PoolKey {
    /// The key of sessions to `peer`.
    pub fn of(peer: &Peer<'_>) -> PoolKey {
        PoolKey {
            addr: peer.addr,
            source: peer.source,
            helo: peer.helo.to_string(),
            tls: peer.tls,
            dane: peer.dane.cloned(),
            user: peer.login.map(|(user, _)| user.to_string()),
        }
    }
}

/// Idle sessions by server and way of reaching it.
pub struct Pool {
    idle: HashMap<PoolKey, Vec<Idle>>,
    max_messages: usize,
    idle_timeout: Duration,
}

/// An idle session, with its lease in a cluster.
pub struct Idle {
    /// The session.
    pub session: Session,
    /// Its connection lease, in a cluster.
    pub lease: Option<Lease>,
}

/// Idle sessions kept per key at most.
const MAX_IDLE_PER_ADDRESS: usize = 32;
/// How long a session must have been idle before it gives its lease to another node: longer
/// than a busy shard leaves one between messages, so that only the unused ones go.
pub const WANTED_GRACE: Duration = Duration::from_millis(250);

impl Pool {
    /// An empty pool.
    pub fn new(max_messages: usize, idle_timeout: Duration) -> Pool {
        Pool { idle: HashMap::new(), max_messages, idle_timeout }
    }

    /// The most recently used idle session for `key` that has not timed out.
    pub fn take(&mut self, key: &PoolKey) -> Option<Idle> {
        self.expire();
        let sessions = self.idle.get_mut(key)?;
        let session = sessions.pop();
        if sessions.is_empty() {
            self.idle.remove(key);
        }
        session
    }

    /// Keeps `session` for the next message that `key` fits, or closes it when it has carried
    /// enough messages or the pool is full.
    pub fn put(&mut self, key: PoolKey, idle: Idle) {
        if idle.lease.as_ref().is_some_and(Lease::over_share) {
            return close_over_share(idle);
        }
        let sessions = self.idle.entry(key).or_default();
        if idle.session.messages >= self.max_messages || sessions.len() >= MAX_IDLE_PER_ADDRESS {
            close(idle);
        } else {
            sessions.push(idle);
        }
    }

    /// Closes the sessions idle for longer than the timeout; in a cluster also those idle
    /// for the grace time at a site where another node waits for a lease, and, while Redis
    /// is away, those past this node's share of their site.
    pub fn expire(&mut self) {
        let timeout = self.idle_timeout;
        for sessions in self.idle.values_mut() {
            for idle in std::mem::take(sessions) {
                let for_long = idle.session.idle_since.elapsed();
                let lease = idle.lease.as_ref();
                if lease.is_some_and(Lease::over_share) {
                    close_over_share(idle);
                } else if for_long >= timeout || (for_long >= WANTED_GRACE && lease.is_some_and(Lease::wanted)) {
                    close(idle);
                } else {
                    sessions.push(idle);
                }
            }
        }
        self.idle.retain(|_, sessions| !sessions.is_empty());
    }
}

/// Gives the lease back now, so that the next session's check counts one fewer, then closes.
fn close_over_share(Idle { session, lease }: Idle) {
    drop(lease);
    close(Idle { session, lease: None });
}

/// Says QUIT in the background, then gives the lease back.
pub fn close(idle: Idle) {
    glommio::spawn_local(async move {
        idle.session.quit().await;
        drop(idle.lease);
    })
    .detach();
}
