//! Open SMTP sessions kept between messages, per server address, so that the next message to
//! the same place skips the TCP connection, the TLS handshake and EHLO. A session is reused at
//! most `max_messages_per_connection` times and closed after `connection_idle_secs` unused.
//! Per shard, so without locks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::smtp::client::Session;

/// Idle sessions by server address.
pub struct Pool {
    idle: HashMap<SocketAddr, Vec<Session>>,
    max_messages: usize,
    idle_timeout: Duration,
}

/// Idle sessions kept per address at most.
const MAX_IDLE_PER_ADDRESS: usize = 32;

impl Pool {
    /// An empty pool.
    pub fn new(max_messages: usize, idle_timeout: Duration) -> Pool {
        Pool { idle: HashMap::new(), max_messages, idle_timeout }
    }

    /// The most recently used idle session to `addr` that has not timed out.
    pub fn take(&mut self, addr: SocketAddr) -> Option<Session> {
        self.expire();
        let sessions = self.idle.get_mut(&addr)?;
        let session = sessions.pop();
        if sessions.is_empty() {
            self.idle.remove(&addr);
        }
        session
    }

    /// Keeps `session` for the next message to `addr`, or closes it when it has carried enough
    /// messages or the pool is full.
    pub fn put(&mut self, addr: SocketAddr, session: Session) {
        let sessions = self.idle.entry(addr).or_default();
        if session.messages >= self.max_messages || sessions.len() >= MAX_IDLE_PER_ADDRESS {
            close(session);
        } else {
            sessions.push(session);
        }
    }

    /// Closes the sessions idle for longer than the timeout.
    pub fn expire(&mut self) {
        let timeout = self.idle_timeout;
        for sessions in self.idle.values_mut() {
            let (expired, kept): (Vec<Session>, Vec<Session>) =
                sessions.drain(..).partition(|s| s.idle_since.elapsed() >= timeout);
            *sessions = kept;
            expired.into_iter().for_each(close);
        }
        self.idle.retain(|_, sessions| !sessions.is_empty());
    }
}

/// Says QUIT in the background.
pub fn close(session: Session) {
    glommio::spawn_local(session.quit()).detach();
}
