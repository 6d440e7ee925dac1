//! The server-wide budget of message octets that SMTP sessions hold in memory while a message
//! arrives, and IMAP sessions while an APPEND literal does (`[limits] message_memory`), shared
//! by every shard through one atomic counter.
//!
//! A transaction holds a [`Reservation`] and grows it as DATA or BDAT octets are buffered;
//! dropping the transaction (stored, refused, RSET, a new EHLO, disconnect) releases it. Once
//! the budget is spent, new transactions and growing ones are refused with `452 4.3.1`, so
//! clients that all send large messages at once cannot make the server hold more than this.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Free budget below which a new transaction is not started: less than one full read of
/// message data would be refused at once.
pub const MIN_FREE: usize = 64 * 1024;

/// The budget and what all reservations hold of it.
#[derive(Debug)]
pub struct MessageMemory {
    limit: usize,
    used: AtomicUsize,
}

impl MessageMemory {
    /// A budget of `limit` octets, shared by whoever holds the `Arc`.
    pub fn new(limit: usize) -> Arc<MessageMemory> {
        Arc::new(MessageMemory { limit, used: AtomicUsize::new(0) })
    }

    /// Octets not reserved by anyone.
    pub fn available(&self) -> usize {
        self.limit.saturating_sub(self.used.load(Ordering::Acquire))
    }

    /// The budget, in octets.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Octets reserved now, by all sessions together.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Whether a new transaction that announced `size` octets (SIZE=, or none) may start.
    pub fn admits(&self, size: Option<u64>) -> bool {
        let available = self.available();
        available >= MIN_FREE && size.is_none_or(|size| size <= available as u64)
    }

    /// An empty reservation against this budget.
    pub fn reservation(self: &Arc<Self>) -> Reservation {
        Reservation { budget: Arc::clone(self), held: 0 }
    }
}

/// Octets of the budget held by one transaction; released when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MessageMemory>,
    held: usize,
}

impl Reservation {
    /// Grows the reservation to `total` octets (a smaller total changes nothing); false, and
    /// nothing more reserved, when the budget cannot cover the difference.
    pub fn reserve_to(&mut self, total: usize) -> bool {
        let Some(extra) = total.checked_sub(self.held).filter(|&extra| extra > 0) else { return true };
        let limit = self.budget.limit;
        let grown = self.budget.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            used.checked_add(extra).filter(|&after| after <= limit)
        });
        if grown.is_ok() {
            self.held = total;
        }
        grown.is_ok()
    }

    /// Octets held.
    pub fn held(&self) -> usize {
        self.held
    }

    /// The budget this reservation is held against.
    pub fn budget(&self) -> &MessageMemory {
        &self.budget
    }

    /// Gives back everything held (the transaction goes on without buffered content).
    pub fn release(&mut self) {
        self.budget.used.fetch_sub(self.held, Ordering::AcqRel);
        self.held = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_share_the_budget_and_give_it_back_when_dropped() {
        let budget = MessageMemory::new(1 << 20);
        let mut a = budget.reservation();
        let mut b = budget.reservation();
        assert!(a.reserve_to(600 << 10));
        assert!(!b.reserve_to(500 << 10), "over the budget");
        assert_eq!(b.held(), 0, "a refused reservation holds nothing");
        assert!(b.reserve_to(400 << 10));
        assert!(a.reserve_to(100), "a smaller total changes nothing");
        assert_eq!(budget.used(), 1000 << 10);
        assert!(!budget.admits(None), "less than one read free");
        drop(a);
        assert_eq!(budget.used(), 400 << 10);
        assert!(budget.admits(Some(600 << 10)) && !budget.admits(Some(700 << 10)));
        b.release();
        assert_eq!((budget.used(), b.held()), (0, 0));
        drop(b);
        assert_eq!(budget.used(), 0, "released once only");
    }

    #[test]
    fn shards_reserve_concurrently_without_overshooting() {
        let budget = MessageMemory::new(1000);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let budget = Arc::clone(&budget);
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    for _ in 0..1000 {
                        let mut r = budget.reservation();
                        if r.reserve_to(7) {
                            assert!(budget.used() <= 1000);
                            held.push(r);
                        }
                        if held.len() > 10 {
                            held.clear();
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("thread"));
        assert_eq!(budget.used(), 0);
    }
}
