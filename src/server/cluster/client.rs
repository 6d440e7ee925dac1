//! The node's connection to Redis, on a thread of its own: callers on the shards hand it
//! commands and await the answers; it sends everything waiting as one pipeline, so that many
//! deliveries asking at once cost one round trip, not one each. When Redis cannot be reached
//! every call fails at once (callers fall back to their local share) and the thread tries to
//! connect again at most once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use redis::{Cmd, ConnectionLike, RedisError, RedisResult, Value};

use super::generation::Generation;
use super::scripts;

/// Commands waiting for the thread at most; past that, calls fail as if Redis were down.
const MAX_WAITING: usize = 65_536;
/// Commands sent in one pipeline at most.
const MAX_PIPELINE: usize = 512;
/// How long connecting, and each read or write, may take.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a lost Redis is tried again.
const RECONNECT: Duration = Duration::from_secs(1);

/// One command and where its answer goes (nowhere: nobody waits for it).
struct Call {
    cmd: Cmd,
    reply: Option<async_channel::Sender<RedisResult<Value>>>,
}

/// A handle on the Redis thread; cheap to clone.
#[derive(Clone)]
pub struct Client {
    calls: SyncSender<Call>,
    /// Whether the last exchange with Redis went through.
    up: Arc<AtomicBool>,
}

/// Where Redis is: one server, or the master a set of Sentinels names.
pub enum Target {
    /// `redis://` or `rediss://`.
    Direct(redis::Client),
    /// `redis+sentinel://`: the Sentinels, the service's name and the database.
    Sentinel(Box<redis::sentinel::SentinelClient>, i64),
}

impl Target {
    /// Parses `url`: `redis://host:port/db`, `rediss://...`, or
    /// `redis+sentinel://host:port[,host:port...]/service[/db]`.
    pub fn parse(url: &str) -> RedisResult<Target> {
        let Some(rest) = url.strip_prefix("redis+sentinel://") else {
            return redis::Client::open(url).map(Target::Direct);
        };
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut path = path.split('/');
        let service = path.next().filter(|s| !s.is_empty()).unwrap_or("mymaster").to_string();
        let db = path.next().and_then(|d| d.parse().ok()).unwrap_or(0);
        let sentinels: Vec<String> = hosts.split(',').map(|h| format!("redis://{h}")).collect();
        let kind = redis::sentinel::SentinelServerType::Master;
        let client = redis::sentinel::SentinelClient::build(sentinels, service, None, kind)?;
        Ok(Target::Sentinel(Box::new(client), db))
    }

    /// A new connection with the I/O timeouts set and the scripts loaded.
    pub fn connect(&mut self) -> RedisResult<redis::Connection> {
        let mut conn = match self {
            Target::Direct(client) => client.get_connection_with_timeout(IO_TIMEOUT)?,
            Target::Sentinel(client, db) => {
                let mut conn = client.get_connection()?;
                if *db != 0 {
                    redis::cmd("SELECT").arg(*db).exec(&mut conn)?;
                }
                conn
            }
        };
        conn.set_read_timeout(Some(IO_TIMEOUT))?;
        conn.set_write_timeout(Some(IO_TIMEOUT))?;
        for script in scripts::ALL {
            redis::cmd("SCRIPT").arg("LOAD").arg(script).exec(&mut conn)?;
        }
        Ok(conn)
    }
}

impl Client {
    /// Starts the thread that talks to `target`, checking `generation` on each new connection.
    pub fn start(target: Target, generation: Generation) -> std::io::Result<Client> {
        let (calls, waiting) = sync_channel(MAX_WAITING);
        let up = Arc::new(AtomicBool::new(false));
        let thread_up = Arc::clone(&up);
        std::thread::Builder::new()
            .name("cluster-redis".into())
            .spawn(move || run(target, generation, waiting, &thread_up))?;
        Ok(Client { calls, up })
    }

    /// Whether Redis answered the last calls (false until it first does).
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Sends `cmd` and waits for its answer.
    pub async fn call(&self, cmd: Cmd) -> RedisResult<Value> {
        let (reply, answer) = async_channel::bounded(1);
        self.enqueue(Call { cmd, reply: Some(reply) })?;
        answer.recv().await.unwrap_or_else(|_| Err(unreachable()))
    }

    /// [`Client::call`] for threads that may block.
    pub fn call_blocking(&self, cmd: Cmd) -> RedisResult<Value> {
        let (reply, answer) = async_channel::bounded(1);
        self.enqueue(Call { cmd, reply: Some(reply) })?;
        answer.recv_blocking().unwrap_or_else(|_| Err(unreachable()))
    }

    /// Sends `cmd` without waiting for its answer.
    pub fn send(&self, cmd: Cmd) {
        let _ = self.enqueue(Call { cmd, reply: None });
    }

    fn enqueue(&self, call: Call) -> RedisResult<()> {
        match self.calls.try_send(call) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(unreachable()),
        }
    }
}

/// The error calls get while Redis cannot be reached.
fn unreachable() -> RedisError {
    RedisError::from((redis::ErrorKind::Io, "Redis is not reachable"))
}

/// The thread: pipelines whatever is waiting, connecting (again) as needed.
fn run(mut target: Target, mut generation: Generation, waiting: Receiver<Call>, up: &AtomicBool) {
    let mut conn: Option<redis::Connection> = None;
    let mut next_try = Instant::now();
    let mut warned = false;
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        batch.extend(waiting.try_iter().take(MAX_PIPELINE - 1));
        if conn.is_none() && Instant::now() >= next_try {
            match target.connect().and_then(|mut c| generation.check(&mut c).map(|()| c)) {
                Ok(c) => {
                    tracing::info!("cluster: connected to Redis");
                    (conn, warned) = (Some(c), false);
                }
                Err(e) => {
                    if !std::mem::replace(&mut warned, true) {
                        tracing::warn!("cluster: Redis unreachable, this node keeps to its share of each limit: {e}");
                    }
                    next_try = Instant::now() + RECONNECT;
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            up.store(false, Ordering::Relaxed);
            for reply in batch.into_iter().filter_map(|call| call.reply) {
                let _ = reply.try_send(Err(unreachable()));
            }
            continue;
        };
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut replies = Vec::with_capacity(batch.len());
        for call in batch {
            pipe.add_command(call.cmd);
            replies.push(call.reply);
        }
        match pipe.query::<Vec<RedisResult<Value>>>(c) {
            Ok(results) => {
                up.store(true, Ordering::Relaxed);
                if results.iter().any(
                    |r| matches!(r, Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)),
                ) {
                    // Redis lost its scripts (SCRIPT FLUSH or a restart we did not see): load them again.
                    conn = None;
                }
                for (reply, result) in replies.into_iter().zip(results) {
                    if let Some(reply) = reply {
                        let _ = reply.try_send(result);
                    }
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut warned, true) {
                    tracing::warn!("cluster: lost Redis, this node keeps to its share of each limit: {e}");
                }
                if !c.is_open() || e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
                    up.store(false, Ordering::Relaxed);
                    conn = None;
                    next_try = Instant::now();
                }
                for reply in replies.into_iter().flatten() {
                    let _ = reply.try_send(Err(unreachable()));
                }
            }
        }
    }
}
