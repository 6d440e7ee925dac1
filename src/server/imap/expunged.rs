//! Deleting the bodies of expunged messages once no session can still want them: the store
//! keeps each for `[imap] keep_expunged_secs` after its last reference went (RFC 2180 4.1.1:
//! a session not yet told of the expunge reads the message it sees), and this task on shard 0
//! deletes those kept longer. At start everything kept goes, as no session survives a restart.

use std::time::Duration;

use store::{Store, unix_now};

use crate::net::Shutdown;

/// Bodies deleted in one write at most.
const SWEEP_BATCH: usize = 10_000;

/// Sweeps every `keep_secs / 4` (1 to 60 s) until shutdown.
pub async fn run(store: Store, keep_secs: u64, shutdown: Shutdown) {
    let pause = Duration::from_secs((keep_secs / 4).clamp(1, 60));
    while !shutdown.sleep(pause).await {
        let before = unix_now().saturating_sub(keep_secs);
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
    }
}
