//! The outbound queue scheduler. Each shard owns the destination domains that hash to it, so
//! per-destination state needs no locks. Newly queued recipients come from the journal's feed
//! the moment they are on disk; every `poll_interval_ms` a shard also reads the due recipients
//! from RocksDB (deferred ones coming due, and anything the feed did not carry). It groups them
//! by message and domain, and starts a delivery attempt for each group (at most
//! `max_concurrent` at once, within each destination's limits). An attempt's outcome is
//! committed through the journal before anything else can see it: a recipient the remote
//! server accepted is removed from the queue before it could be tried again, so `kill -9`
//! resends at most what was in flight.
//!
//! | file | what |
//! |---|---|
//! | `attempt.rs` | one attempt: MX lookup, SMTP client, outcome per recipient, durable commit |
//! | `destinations.rs` | per-destination connection and rate limits |
//! | `dsn.rs` | bounce reports (RFC 3464) |
//! | `pool.rs` | open SMTP sessions kept between messages |
//! | `ready.rs` | groups waiting to start, by destination, taking turns |
//! | `routes.rs` | relay hosts, TLS policy, AUTH and source-address pools per domain |
//! | `sites.rs` | limits shared by domains with the same mail exchangers |
//! | `suspensions.rs` | destinations the operator suspended |
//! | `transfers.rs` | queued mail being handed to another node (`queue transfer`) |

mod attempt;
pub mod destinations;
pub mod dsn;
pub mod mta_sts;
pub mod pool;
mod ready;
pub mod routes;
mod services;
pub mod shaping;
pub mod sites;
pub mod suspensions;
mod tls_policy;
pub mod transfers;
pub mod warmup;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::future::or;

use crate::dns::Resolver;
use crate::tls::client::Connectors;
use destinations::Destinations;
use mta_sts::MtaSts;
use pool::Pool;
use ready::{Ready, Start};
use routes::Routes;
pub use services::Services;
use store::directory::domain_of;
use store::queue::DueRecipient;
use store::{MessageId, unix_now};

/// Due recipients read per look at the queue.
const READ_BATCH: usize = 10_000;
/// How often a look at the queue starts at its beginning instead of at the low-water mark.
const FULL_READ_EVERY: Duration = Duration::from_secs(60);

/// Recipients of one message for one domain: delivered in one SMTP transaction.
#[derive(Debug)]
pub struct Group {
    /// The message.
    pub id: MessageId,
    /// The destination domain (lower case).
    pub domain: String,
    /// Its due recipients.
    pub recipients: Vec<DueRecipient>,
}

/// What a shard's delivery attempts share: the resolver, open sessions, routes and pools.
pub struct Outbound {
    /// The shard's DNS resolver.
    pub resolver: Rc<Resolver>,
    /// Idle SMTP sessions.
    pub pool: RefCell<Pool>,
    /// `[[route]]` and `[[pool]]`.
    pub routes: Routes,
    /// TLS client configurations.
    pub tls: Connectors,
    /// The MTA-STS policies of this shard's destinations.
    pub mta_sts: MtaSts,
}

/// The shard that owns deliveries to `domain`.
pub fn owner(domain: &str, shards: usize) -> usize {
    let mut h = DefaultHasher::new();
    domain.hash(&mut h);
    (h.finish() % shards.max(1) as u64) as usize
}

/// Whether deliveries to `recipient` belong to shard `shard` of `shards`.
fn owns(recipient: &str, shard: usize, shards: usize) -> bool {
    owner(&domain_of(recipient).to_ascii_lowercase(), shards) == shard
}

/// This shard's view of its deliveries between looks at RocksDB.
#[derive(Default)]
struct Tracker {
    /// Keys being delivered now.
    in_flight: HashSet<Vec<u8>>,
    /// Keys whose outcome was committed, with when. A read that began before then may still
    /// return them, so they are skipped until a read that began later.
    finished: HashMap<Vec<u8>, Instant>,
    /// Attempts running now.
    running: usize,
}

impl Tracker {
    /// Keys a read should not return: in flight or recently finished.
    fn handled(&self) -> HashSet<Vec<u8>> {
        self.in_flight.iter().chain(self.finished.keys()).cloned().collect()
    }

    /// Whether `key` is in flight or recently finished.
    fn handles(&self, key: &[u8]) -> bool {
        self.in_flight.contains(key) || self.finished.contains_key(key)
    }
}

/// Runs this shard's part of the queue until shutdown.
pub async fn run(ctx: Rc<Services>, resolver: Rc<Resolver>) {
    let tracker: Rc<RefCell<Tracker>> = Rc::default();
    let interval = Duration::from_millis(ctx.config.delivery.poll_interval_ms.get());
    let destinations = Rc::new(RefCell::new(Destinations::new(&ctx.config.delivery)));
    let d = &ctx.config.delivery;
    let idle = Duration::from_secs(d.connection_idle_secs.get());
    let outbound = Rc::new(Outbound {
        resolver,
        pool: RefCell::new(Pool::new(d.max_messages_per_connection.get(), idle)),
        routes: Routes::new(&ctx.config),
        tls: Connectors::new(&d.tls_ca_file),
        mta_sts: MtaSts::new(),
    });
    // A finished attempt wakes the loop, so a freed slot is used at once, not at the next poll.
    let (wake, woken) = async_channel::bounded::<()>(1);
    // Mail queued on any shard for a destination of this one comes straight from the journal.
    let (shard, shards) = (ctx.shard, ctx.config.shard_count());
    let feed = ctx.journal.queue_feed().subscribe(move |r| owns(&r.entry.recipient, shard, shards));
    let mut ready = Ready::default();
    let mut last_read: Option<Instant> = None;
    let mut more_in_store = false;
    let mut low_water = LowWater::default();
    loop {
        let next = or(
            async {
                ctx.shutdown.wait().await;
                Wakeup::Stop
            },
            or(
                async {
                    glommio::timer::sleep(interval).await;
                    Wakeup::Look
                },
                or(
                    async {
                        let _ = woken.recv().await;
                        Wakeup::Look
                    },
                    async { Wakeup::Fresh(feed.recv().await) },
                ),
            ),
        )
        .await;
        let mut fresh = match next {
            Wakeup::Stop => return,
            Wakeup::Look => Vec::new(),
            Wakeup::Fresh(batch) => batch,
        };
        // Drained before any read: the read sees everything announced so far, so the
        // announcements can be dropped in favour of it.
        fresh.extend(feed.drain());
        outbound.pool.borrow_mut().expire();
        // RocksDB is read once per interval (for deferred recipients coming due), or sooner
        // when there is more there than the last read took or the feed dropped something.
        let missed = feed.take_missed();
        if last_read.is_none_or(|at| at.elapsed() >= interval) || (ready.is_empty() && more_in_store) || missed {
            let read_started = Instant::now();
            // Taken before the await: finishing deliveries borrow the tracker meanwhile.
            let handled = tracker.borrow().handled();
            let now = unix_now();
            let from = low_water.from();
            let due = match read_due(&ctx, handled, from, now).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!("reading the queue failed: {e}");
                    continue;
                }
            };
            low_water.read(from, now, &due);
            more_in_store = due.len() >= READ_BATCH;
            let mut t = tracker.borrow_mut();
            ready.replace(due.into_iter().filter(|r| !t.handles(&r.key)));
            t.finished.retain(|_, at| *at >= read_started);
            last_read = Some(read_started);
        } else if !fresh.is_empty() {
            // Held in memory up to one read's worth; the rest waits in RocksDB for a read.
            let room = READ_BATCH.saturating_sub(ready.recipients());
            more_in_store |= fresh.len() > room;
            let t = tracker.borrow();
            ready.extend(fresh.into_iter().take(room).filter(|r| !t.handles(&r.key)));
        }
        let shared = Shared { ctx: &ctx, outbound: &outbound, tracker: &tracker, destinations: &destinations };
        start_ready(&shared, &wake, &mut ready);
    }
}

/// Why the scheduler loop woke up.
enum Wakeup {
    Stop,
    /// Time to look at RocksDB, or an attempt finished and freed a slot.
    Look,
    /// The journal announced newly queued recipients of this shard.
    Fresh(Vec<DueRecipient>),
}

/// What the scheduler's attempts share on one shard.
struct Shared<'a> {
    ctx: &'a Rc<Services>,
    outbound: &'a Rc<Outbound>,
    tracker: &'a Rc<RefCell<Tracker>>,
    destinations: &'a Rc<RefCell<Destinations>>,
}

/// Starts the groups that fit within the shard's and the destinations' limits; the rest wait.
fn start_ready(shared: &Shared<'_>, wake: &async_channel::Sender<()>, ready: &mut Ready) {
    let Shared { ctx, outbound, tracker, destinations } = *shared;
    let max = ctx.config.delivery.max_concurrent.get();
    let now = Instant::now();
    ready.start_each(|mut group| {
        if tracker.borrow().running >= max {
            return Start::Stop(group);
        }
        // A recipient can be both announced by the journal and read from RocksDB: whichever
        // copy starts first wins.
        let t = tracker.borrow();
        group.recipients.retain(|r| !t.handles(&r.key));
        drop(t);
        if group.recipients.is_empty() {
            return Start::Taken;
        }
        if !destinations.borrow_mut().try_start(&group.domain, now) {
            return Start::Full(group);
        }
        {
            let mut t = tracker.borrow_mut();
            t.running += 1;
            t.in_flight.extend(group.recipients.iter().map(|r| r.key.clone()));
        }
        let (ctx, outbound, tracker) = (Rc::clone(ctx), Rc::clone(outbound), Rc::clone(tracker));
        let (destinations, wake) = (Rc::clone(destinations), wake.clone());
        glommio::spawn_local(async move {
            let keys: Vec<Vec<u8>> = group.recipients.iter().map(|r| r.key.clone()).collect();
            let domain = group.domain.clone();
            let feedback = attempt::deliver(&ctx, &outbound, group).await;
            destinations.borrow_mut().finish(&domain, feedback);
            {
                let mut t = tracker.borrow_mut();
                t.running -= 1;
                let now = Instant::now();
                for key in keys {
                    t.in_flight.remove(&key);
                    t.finished.insert(key, now);
                }
            }
            let _ = wake.try_send(());
        })
        .detach();
        Start::Taken
    });
}

/// Where the next look at the queue starts. Entries due before the first one this shard found
/// last time are not its concern: the others' entries, and the deletion markers recipients
/// leave when they move to a later due time, which would otherwise be read over and over.
/// Every [`FULL_READ_EVERY`] a look starts at the beginning, so that nothing stays hidden
/// (an outcome that could not be committed keeps its old due time).
#[derive(Default)]
struct LowWater {
    mark: u64,
    last_full: Option<Instant>,
}

impl LowWater {
    /// The due time to start reading at.
    fn from(&self) -> u64 {
        if self.last_full.is_none_or(|at| at.elapsed() >= FULL_READ_EVERY) { 0 } else { self.mark }
    }

    /// Notes a read that started at `from`, at `now`, and found `due` (in due order).
    fn read(&mut self, from: u64, now: u64, due: &[DueRecipient]) {
        if from == 0 {
            self.last_full = Some(Instant::now());
        }
        // New entries are due now or later; what this shard left behind starts at the first.
        self.mark = due.first().map_or(now, |r| r.due.min(now));
    }
}

/// Reads up to [`READ_BATCH`] recipients due at `now` (from due time `from` on) that this shard
/// owns and is not already handling, on the blocking thread, so that other shards' and busy
/// recipients never crowd them out.
async fn read_due(
    ctx: &Services,
    skip: HashSet<Vec<u8>>,
    from: u64,
    now: u64,
) -> Result<Vec<DueRecipient>, store::StoreError> {
    let (shard, shards) = (ctx.shard, ctx.config.shard_count());
    let store = ctx.store.clone();
    glommio::executor()
        .spawn_blocking(move || {
            store.due_recipients_from(from, now, READ_BATCH, |r| {
                owns(&r.entry.recipient, shard, shards) && !skip.contains(&r.key)
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_has_exactly_one_owner() {
        for domain in ["a.example", "b.example", "example.org", "x.test"] {
            let owner = owner(domain, 4);
            assert!(owner < 4);
            assert_eq!(owner, super::owner(domain, 4), "stable");
        }
        assert_eq!(owner("anything", 1), 0);
    }

    #[test]
    fn reads_start_at_the_low_water_mark_with_a_full_read_now_and_then() {
        let due = |at: u64| DueRecipient::for_test(1, at, "a@b.example");
        let mut low = LowWater::default();
        assert_eq!(low.from(), 0, "the first read is full");
        low.read(0, 1000, &[due(400), due(900)]);
        assert_eq!(low.from(), 400, "what was left behind starts at the first found");
        low.read(400, 1010, &[]);
        assert_eq!(low.from(), 1010, "nothing due: new entries come at now or later");
        low.last_full = Some(Instant::now() - FULL_READ_EVERY);
        assert_eq!(low.from(), 0);
    }
}
