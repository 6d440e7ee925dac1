//! The outbound queue scheduler. Each shard owns the destination domains that hash to it, so
//! per-destination state needs no locks. Every `poll_interval_ms` a shard reads the due
//! recipients from RocksDB, groups them by message and domain, and starts a delivery attempt
//! for each group (at most `max_concurrent` at once, within each destination's limits). An attempt's outcome is committed through
//! the journal before anything else can see it: a recipient the remote server accepted is
//! removed from the queue before it could be tried again, so `kill -9` resends at most what
//! was in flight.
//!
//! | file | what |
//! |---|---|
//! | `attempt.rs` | one attempt: MX lookup, SMTP client, outcome per recipient, durable commit |
//! | `destinations.rs` | per-destination connection and rate limits |
//! | `dsn.rs` | bounce reports (RFC 3464) |

mod attempt;
pub mod destinations;
pub mod dsn;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::future::or;

use crate::dns::Resolver;
use crate::runtime::ShardContext;
use crate::store::queue::DueRecipient;
use crate::store::{MessageId, unix_now};
use destinations::Destinations;

/// Due recipients read per look at the queue.
const READ_BATCH: usize = 10_000;

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

/// The shard that owns deliveries to `domain`.
pub fn owner(domain: &str, shards: usize) -> usize {
    let mut h = DefaultHasher::new();
    domain.hash(&mut h);
    (h.finish() % shards.max(1) as u64) as usize
}

/// Runs this shard's part of the queue until shutdown.
pub async fn run(ctx: Rc<ShardContext>, resolver: Rc<Resolver>) {
    let in_flight: Rc<RefCell<HashSet<Vec<u8>>>> = Rc::default();
    let interval = Duration::from_millis(ctx.config.delivery.poll_interval_ms.get());
    let max = ctx.config.delivery.max_concurrent.get();
    let destinations = Rc::new(RefCell::new(Destinations::new(&ctx.config.delivery)));
    loop {
        let stopped = or(
            async {
                ctx.shutdown.wait().await;
                true
            },
            async {
                glommio::timer::sleep(interval).await;
                false
            },
        )
        .await;
        if stopped {
            return;
        }
        let store = ctx.store.clone();
        let due = match glommio::executor().spawn_blocking(move || store.due_recipients(unix_now(), READ_BATCH)).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!("reading the queue failed: {e}");
                continue;
            }
        };
        let ready = groups(&ctx, due, &in_flight.borrow());
        for group in ready {
            if in_flight.borrow().len() >= max {
                break;
            }
            if !destinations.borrow_mut().try_start(&group.domain, Instant::now()) {
                continue;
            }
            in_flight.borrow_mut().extend(group.recipients.iter().map(|r| r.key.clone()));
            let (ctx, resolver, in_flight) = (Rc::clone(&ctx), Rc::clone(&resolver), Rc::clone(&in_flight));
            let destinations = Rc::clone(&destinations);
            glommio::spawn_local(async move {
                let keys: Vec<Vec<u8>> = group.recipients.iter().map(|r| r.key.clone()).collect();
                let domain = group.domain.clone();
                let feedback = attempt::deliver(&ctx, &resolver, group).await;
                destinations.borrow_mut().finish(&domain, feedback);
                let mut in_flight = in_flight.borrow_mut();
                for key in keys {
                    in_flight.remove(&key);
                }
            })
            .detach();
        }
    }
}

/// This shard's due recipients that are not in flight, grouped by message and domain.
fn groups(ctx: &ShardContext, due: Vec<DueRecipient>, in_flight: &HashSet<Vec<u8>>) -> Vec<Group> {
    let shards = ctx.config.shard_count();
    let mut by_key: BTreeMap<(MessageId, String), Vec<DueRecipient>> = BTreeMap::new();
    for recipient in due {
        let domain = recipient.entry.recipient.rsplit_once('@').map_or("", |(_, d)| d).to_ascii_lowercase();
        if owner(&domain, shards) != ctx.shard || in_flight.contains(&recipient.key) {
            continue;
        }
        by_key.entry((recipient.id, domain)).or_default().push(recipient);
    }
    by_key.into_iter().map(|((id, domain), recipients)| Group { id, domain, recipients }).collect()
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
}
