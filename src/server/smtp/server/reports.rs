//! Mail to the unsubscribe (mailto) and feedback (ARF) addresses: read at the end of DATA,
//! turned into a suppression of the recipient it names for its sender domain, and not stored.

use smtp_proto::{Reply, Status};

use super::session::{Session, Transaction};
use crate::events::Event;
use crate::unsubscribe::feedback::Outcome;
use message::Parsed;
use store::journal::{JournalOp, SenderTally};
use store::keys::SenderCount;

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
                    let complained = match &event {
                        Event::Complaint { domain, .. } => Some(domain.clone()),
                        _ => None,
                    };
                    if let Err(e) = self.ctx.events.commit(&self.ctx.journal, op, vec![event]).await {
                        tracing::error!(%address, "recording a suppression failed: {e}");
                        return Some(Reply::new(451, Status(4, 3, 0), "Could not record it now; try again later"));
                    }
                    if let Some(domain) = complained {
                        let tally = SenderTally { domain, count: SenderCount::Complaint, n: 1 };
                        if let Err(e) = self.ctx.journal.submit(JournalOp::Tally(tally)).await {
                            tracing::warn!(%address, "counting a complaint failed: {e}");
                        }
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
