//! Mail to the unsubscribe (mailto) and feedback (ARF) addresses: read at the end of DATA,
//! turned into a suppression of the recipient it names for its sender domain, and not stored.

use smtp_proto::{Reply, Status};

use super::session::{Session, Transaction};
use crate::unsubscribe::feedback::Outcome;
use message::Parsed;

impl Session {
    /// Reads `content` for each report address of `transaction`, committing what it asks for;
    /// the reply when nobody else gets the message (it is then not stored).
    pub(super) async fn take_reports(&self, transaction: &Transaction, content: &[u8]) -> Option<Reply> {
        let parsed = Parsed::new(content);
        for address in &transaction.reports {
            let unsubscribe = &self.ctx.unsubscribe;
            let outcome: Outcome = match unsubscribe.is_mailto(address) {
                true => unsubscribe.mailed_request(&parsed),
                false => unsubscribe.complaint(&parsed),
            };
            match outcome {
                Ok((op, event)) => {
                    if let Err(e) = self.ctx.events.commit(&self.ctx.journal, op, vec![event]).await {
                        tracing::error!(%address, "recording a suppression failed: {e}");
                        return Some(Reply::new(451, Status(4, 3, 0), "Could not record it now; try again later"));
                    }
                    tracing::info!(peer = %self.peer, %address, "report read: recipient suppressed");
                }
                Err(why) => tracing::info!(peer = %self.peer, %address, "report ignored: {why}"),
            }
        }
        let alone = transaction.local.is_empty() && transaction.remote.is_empty();
        alone.then(|| Reply::new(250, Status(2, 0, 0), "Report received"))
    }
}
