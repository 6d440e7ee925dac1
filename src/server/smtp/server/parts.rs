//! A large incoming message written to the store in parts while it arrives (`store::parts`),
//! so that its session holds at most about `[limits] message_part_size` octets of it.

use bytes::Bytes;
use smtp_proto::MessageBody;
use store::journal::StagedParts;
use store::{MessageId, Store, StoreError};

/// The parts of one message in the store so far; dropped before the message is stored (too
/// large, refused, the client gone), it removes them.
pub(super) struct ReceivedParts {
    store: Store,
    /// The id the message will be stored under.
    pub id: MessageId,
    last: u32,
    /// Octets in the parts.
    pub size: usize,
    stored: bool,
}

impl ReceivedParts {
    /// No parts yet of the message that will be `id`.
    pub fn new(store: Store, id: MessageId) -> ReceivedParts {
        ReceivedParts { store, id, last: 0, size: 0, stored: false }
    }

    /// Writes `body` as the next part, on a thread that may block; the session reads no more
    /// of the message meanwhile.
    pub async fn write(&mut self, body: MessageBody) -> Result<(), StoreError> {
        if body.size == 0 {
            return Ok(());
        }
        let (store, id, n) = (self.store.clone(), self.id, self.last + 1);
        let size = body.size;
        glommio::executor().spawn_blocking(move || store.put_part(id, n, &joined(&body.segments))).await?;
        self.last = n;
        self.size += size;
        Ok(())
    }

    /// Whether any part was written.
    pub fn any(&self) -> bool {
        self.last > 0
    }

    /// The content written so far, read back in one piece.
    pub async fn read_back(&self) -> Result<Vec<u8>, StoreError> {
        let (store, id, last) = (self.store.clone(), self.id, self.last);
        glommio::executor().spawn_blocking(move || store.received_parts(id, last)).await
    }

    /// The first part read back: the received header section, unless it is larger than a part.
    pub async fn read_first(&self) -> Result<Vec<u8>, StoreError> {
        let (store, id) = (self.store.clone(), self.id);
        glommio::executor().spawn_blocking(move || store.received_parts(id, 1)).await
    }

    /// Where the parts go in a delivery whose first `after_segments` segments are ours.
    pub fn staged(&self, after_segments: usize) -> StagedParts {
        StagedParts { last: self.last, size: self.size, after_segments }
    }

    /// The delivery that holds the parts is committed: they are the message's now.
    pub fn stored(&mut self) {
        self.stored = true;
    }
}

impl Drop for ReceivedParts {
    fn drop(&mut self) {
        if !self.stored && self.last > 0 {
            // Deletions only, without waiting for the disk: quick enough for the executor. If
            // they are lost in a crash, the store drops unfinished parts when it opens.
            if let Err(e) = self.store.drop_parts(self.id, self.last) {
                tracing::error!(id = %self.id, "removing the parts of a message not stored failed: {e}");
            }
        }
    }
}

/// Segments in one piece.
fn joined(segments: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(segments.iter().map(Bytes::len).sum());
    segments.iter().for_each(|segment| out.extend_from_slice(segment));
    out
}
