//! "Delivered" reports (RFC 3461 section 5.2.2): a local recipient that asked for
//! `NOTIFY=SUCCESS` gets its sender a report with `Action: delivered` once the message is in
//! the mailbox. (Remote recipients are reported by the next server, or as "relayed" by the
//! queue when that server has no DSN.)

use bytes::Bytes;

use super::session::Session;
use crate::queue::dsn::{self, Action, Notice, Returned};
use smtp_proto::MailParams;
use store::journal::JournalOp;
use store::unix_now;

/// A local recipient that asked for a success report.
#[derive(Debug, Clone)]
pub(super) struct SuccessWanted {
    /// The recipient as the client gave it.
    pub recipient: String,
    /// Its `ORCPT`, as `type;address`.
    pub orcpt: Option<String>,
}

impl Session {
    /// Reports the delivery of `message` to the local recipients in `wanted` to `sender`; a
    /// failure to queue the report is logged, never fatal to the delivery already made.
    pub(super) async fn report_delivered(
        &self,
        sender: &str,
        message: &[Bytes],
        params: &MailParams,
        wanted: &[SuccessWanted],
    ) {
        if sender.is_empty() || wanted.is_empty() {
            return;
        }
        let notices: Vec<Notice> = wanted
            .iter()
            .map(|w| Notice {
                action: Action::Delivered,
                recipient: w.recipient.clone(),
                orcpt: w.orcpt.clone(),
                status: "2.0.0".into(),
                diagnostic: "250 2.0.0 delivered to the mailbox".into(),
                remote_mta: None,
            })
            .collect();
        let original = message.concat();
        let returned = Returned {
            sender,
            message: &original,
            arrival: unix_now(),
            envid: params.envid.as_deref(),
            ret: params.ret,
        };
        let hostname = self.ctx.config.hostname.as_str();
        let Some(report) = dsn::bounce(&self.ctx.store, hostname, self.ctx.ids.next_id(), returned, &notices) else {
            return;
        };
        if let Err(e) = self.ctx.journal.submit(JournalOp::Deliver(report)).await {
            tracing::warn!("queueing a delivery report to <{sender}> failed: {e}");
        }
    }
}
