//! Deleting the bodies of expunged messages once no session can still want them: the store
//! keeps each for `[imap] keep_expunged_secs` after its last reference went (RFC 2180 4.1.1:
//! a session not yet told of the expunge reads the message it sees), and this task on shard 0
//! deletes those kept longer. At start everything kept goes, as no session survives a restart.
//! Hourly it also drops the expunge tombstones QRESYNC reads that are older than
//! `[imap] keep_vanished_days`.

use std::time::Duration;

use store::{Store, unix_now};

use crate::net::Shutdown;

/// Bodies deleted in one write at most.
const SWEEP_BATCH: usize = 10_000;

/// Seconds between sweeps of the tombstones (or the time they are kept, when shorter).
const VANISHED_SWEEP_SECS: u64 = 3600;

/// How long things expunged are kept.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// Bodies, in seconds.
    pub bodies_secs: u64,
    /// Tombstones, in seconds.
    pub vanished_secs: u64,
}

/// Sweeps every `keep.bodies_secs / 4` (1 to 60 s) until shutdown.
pub async fn run(store: Store, keep: Keep, shutdown: Shutdown) {
    let pause = Duration::from_secs((keep.bodies_secs / 4).clamp(1, 60));
    let mut tombstones_swept = 0;
    while !shutdown.sleep(pause).await {
        let before = unix_now().saturating_sub(keep.bodies_secs);
        loop {
            let store = store.clone();
            let swept = glommio::executor().spawn_blocking(move || store.sweep_expunged(before, SWEEP_BATCH)).await;
            match swept {
                Ok(SWEEP_BATCH) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!("deleting the bodies of expunged messages failed (will retry): {e}");
                    break;
                }
            }
        }
        if unix_now() >= tombstones_swept + VANISHED_SWEEP_SECS.min(keep.vanished_secs) {
            tombstones_swept = unix_now();
            let before = unix_now().saturating_sub(keep.vanished_secs);
            let store = store.clone();
            if let Err(e) = glommio::executor().spawn_blocking(move || store.sweep_vanished(before)).await {
                tracing::warn!("dropping old expunge tombstones failed (will retry): {e}");
            }
        }
    }
}
