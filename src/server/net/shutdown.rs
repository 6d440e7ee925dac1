//! A process-wide shutdown signal that any thread can fire and any task can await.
//!
//! It is a closed channel: closing wakes every waiting task on every shard at once (glommio
//! accepts wakes from other threads), and a closed channel stays closed, so late waiters see it.

/// The waiting side, cloned into every task that must stop on shutdown.
#[derive(Clone, Debug)]
pub struct Shutdown {
    signal: async_channel::Receiver<()>,
}

/// The firing side, held by the signal handler thread.
#[derive(Clone, Debug)]
pub struct ShutdownTrigger {
    signal: async_channel::Sender<()>,
}

/// A new trigger and its waiting side.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (signal, waiting) = async_channel::bounded(1);
    (ShutdownTrigger { signal }, Shutdown { signal: waiting })
}

impl ShutdownTrigger {
    /// Tells every waiter to stop.
    pub fn fire(&self) {
        self.signal.close();
    }
}

impl Shutdown {
    /// Completes once shutdown was fired.
    pub async fn wait(&self) {
        // Nothing is ever sent: recv only returns when the channel closes.
        let _ = self.signal.recv().await;
    }

    /// Sleeps for `pause` on the executor's timer; true when shutdown fired first.
    pub async fn sleep(&self, pause: std::time::Duration) -> bool {
        futures_lite::future::or(
            async {
                self.wait().await;
                true
            },
            async {
                glommio::timer::sleep(pause).await;
                false
            },
        )
        .await
    }

    /// True once shutdown was fired.
    pub fn is_fired(&self) -> bool {
        self.signal.is_closed()
    }
}
