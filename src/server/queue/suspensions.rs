//! Destinations whose delivery the operator suspended (`ringmail queue suspend`, the HTTP
//! API, the dashboard): a recipient domain, or a site (the name `queue summary` and the
//! metrics show for domains sharing mail exchangers). Their mail stays queued, deferred with
//! the operator's reason, until the suspension is lifted or lapses. Kept in RocksDB
//! (`suspension`) and, for the schedulers of every shard, in memory here.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use store::journal::{JournalOp, OperatorOp};
use store::records::Suspension;
use store::{JournalHandle, Store, StoreError, unix_now};

/// The suspensions in force, shared by every shard.
#[derive(Debug, Default)]
pub struct Suspensions {
    entries: RwLock<BTreeMap<String, Suspension>>,
}

impl Suspensions {
    /// The suspensions stored in `store`.
    pub fn load(store: &Store) -> Result<Arc<Suspensions>, StoreError> {
        let entries = store.suspensions()?.into_iter().collect();
        Ok(Arc::new(Suspensions { entries: RwLock::new(entries) }))
    }

    /// The suspension of `destination` (any case) in force now, if there is one.
    pub fn of(&self, destination: &str) -> Option<Suspension> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        if entries.is_empty() {
            return None;
        }
        entries.get(&destination.to_ascii_lowercase()).filter(|s| s.holds(unix_now())).cloned()
    }

    /// Every suspension in force now, by destination.
    pub fn list(&self) -> Vec<(String, Suspension)> {
        let now = unix_now();
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.iter().filter(|(_, s)| s.holds(now)).map(|(d, s)| (d.clone(), s.clone())).collect()
    }

    /// Suspends `destination` durably, for `seconds` or until resumed.
    pub fn suspend(
        &self,
        journal: &JournalHandle,
        destination: &str,
        reason: &str,
        seconds: Option<u64>,
    ) -> Result<Suspension, StoreError> {
        let destination = destination.trim_end_matches('.').to_ascii_lowercase();
        let now = unix_now();
        let suspension =
            Suspension { reason: reason.to_string(), until: seconds.map(|s| now.saturating_add(s)), created: now };
        let op = OperatorOp::Suspend { destination: destination.clone(), suspension: suspension.clone() };
        journal.submit_blocking(JournalOp::Operator(op))?;
        self.hold(&destination, suspension.clone());
        Ok(suspension)
    }

    /// Holds `destination` back in memory with `suspension`, which the caller stores.
    pub fn hold(&self, destination: &str, suspension: Suspension) {
        let destination = destination.trim_end_matches('.').to_ascii_lowercase();
        self.entries.write().unwrap_or_else(PoisonError::into_inner).insert(destination, suspension);
    }

    /// Lifts the suspension of `destination` durably; `NotFound` when there is none.
    pub fn resume(&self, journal: &JournalHandle, destination: &str) -> Result<(), StoreError> {
        let destination = destination.trim_end_matches('.').to_ascii_lowercase();
        journal.submit_blocking(JournalOp::Operator(OperatorOp::Resume { destination: destination.clone() }))?;
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(&destination);
        Ok(())
    }
}
