//! Recipients the journal has just queued, handed to the shard schedulers as soon as they are
//! on disk, so that fresh mail starts its first attempt at once instead of at a scheduler's
//! next look at RocksDB. A hint only: RocksDB stays the truth, and what a scheduler does not
//! take from here (it is not running, or it is behind) it finds there later.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::queue::DueRecipient;

/// Batches a subscriber may fall behind by before newer ones are dropped (and left to RocksDB).
const BACKLOG: usize = 64;

/// Who wants which newly queued recipients.
#[derive(Default)]
pub struct QueueFeed {
    subscribers: Mutex<Vec<Subscriber>>,
}

type Wants = Box<dyn Fn(&DueRecipient) -> bool + Send + Sync>;

struct Subscriber {
    wants: Wants,
    sender: async_channel::Sender<Vec<DueRecipient>>,
    missed: Arc<AtomicBool>,
}

/// One scheduler's end of the feed.
pub struct FeedReceiver {
    receiver: async_channel::Receiver<Vec<DueRecipient>>,
    missed: Arc<AtomicBool>,
}

impl QueueFeed {
    /// From now on, newly queued recipients that `wants` accepts go to the returned receiver.
    pub fn subscribe(&self, wants: impl Fn(&DueRecipient) -> bool + Send + Sync + 'static) -> FeedReceiver {
        let (sender, receiver) = async_channel::bounded(BACKLOG);
        let missed = Arc::new(AtomicBool::new(false));
        let subscriber = Subscriber { wants: Box::new(wants), sender, missed: Arc::clone(&missed) };
        self.lock().push(subscriber);
        FeedReceiver { receiver, missed }
    }

    /// Hands `queued`, now on disk, to the subscribers that want it.
    pub(crate) fn publish(&self, mut queued: Vec<DueRecipient>) {
        if queued.is_empty() {
            return;
        }
        let mut subscribers = self.lock();
        subscribers.retain(|subscriber| {
            let (wanted, rest): (Vec<_>, Vec<_>) = queued.drain(..).partition(|r| (subscriber.wants)(r));
            queued = rest;
            if wanted.is_empty() {
                return true;
            }
            match subscriber.sender.try_send(wanted) {
                Ok(()) => true,
                Err(async_channel::TrySendError::Full(_)) => {
                    subscriber.missed.store(true, Ordering::Relaxed);
                    true
                }
                Err(async_channel::TrySendError::Closed(_)) => false,
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FeedReceiver {
    /// Waits for the next batch; never returns when the feed is gone (the journal stopped).
    pub async fn recv(&self) -> Vec<DueRecipient> {
        match self.receiver.recv().await {
            Ok(batch) => batch,
            Err(_) => std::future::pending().await,
        }
    }

    /// Every batch waiting now, joined.
    pub fn drain(&self) -> Vec<DueRecipient> {
        let mut all = Vec::new();
        while let Ok(batch) = self.receiver.try_recv() {
            all.extend(batch);
        }
        all
    }

    /// Whether a batch was dropped because this receiver was behind since the last call: the
    /// scheduler should look at RocksDB soon.
    pub fn take_missed(&self) -> bool {
        self.missed.swap(false, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(recipient: &str) -> DueRecipient {
        DueRecipient::for_test(1, 0, recipient)
    }

    fn recipients(batch: Vec<DueRecipient>) -> Vec<String> {
        batch.into_iter().map(|r| r.entry.recipient).collect()
    }

    #[test]
    fn each_subscriber_gets_what_it_wants_once() {
        let feed = QueueFeed::default();
        let a = feed.subscribe(|r| r.entry.recipient.ends_with("@a.example"));
        let rest = feed.subscribe(|_| true);
        feed.publish(vec![due("x@a.example"), due("y@b.example"), due("z@a.example")]);
        assert_eq!(recipients(a.drain()), ["x@a.example", "z@a.example"]);
        assert_eq!(recipients(rest.drain()), ["y@b.example"], "what the first took is gone");
    }

    #[test]
    fn a_subscriber_that_falls_behind_is_told_and_a_gone_one_is_forgotten() {
        let feed = QueueFeed::default();
        let slow = feed.subscribe(|_| true);
        for _ in 0..=BACKLOG {
            feed.publish(vec![due("x@a.example")]);
        }
        assert!(slow.take_missed(), "one batch more than the backlog was dropped");
        assert!(!slow.take_missed(), "told once");
        assert_eq!(slow.drain().len(), BACKLOG);
        drop(slow);
        feed.publish(vec![due("x@a.example")]);
        assert!(feed.lock().is_empty());
    }
}
