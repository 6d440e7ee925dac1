//! TLS reports (RFC 8460) that other senders mail to `[mailauth] tls_report_addresses`: read and
//! kept for `ringmail tls-reports`, besides the usual delivery of the message.

use mailauth::tlsrpt::received::{parse_report, report_json};
use message::Parsed;
use smtp_proto::Mailbox;
use store::journal::{JournalOp, TlsReportOp};
use store::records::{ReceivedTlsPolicy, ReceivedTlsReport};
use store::unix_now;

use super::session::Session;

impl Session {
    /// The report in `message` when one of `recipients` receives TLS reports.
    pub(super) fn tls_report_in(
        &self,
        recipients: &[Mailbox],
        message: Option<&Parsed<'_>>,
    ) -> Option<ReceivedTlsReport> {
        let addresses = &self.ctx.config.mailauth.tls_report_addresses;
        if !recipients.iter().any(|r| addresses.iter().any(|a| a.eq_ignore_ascii_case(&r.to_string()))) {
            return None;
        }
        let Some(message) = message else {
            tracing::info!(peer = %self.peer, "mail to a TLS report address was not read: nothing reads this message");
            return None;
        };
        let report = match report_json(message).map(|json| parse_report(&json)) {
            Some(Ok(report)) => report,
            Some(Err(e)) => {
                tracing::info!(peer = %self.peer, "a TLS report that does not read: {e}");
                return None;
            }
            None => {
                tracing::info!(peer = %self.peer, "mail to a TLS report address without a report");
                return None;
            }
        };
        let policies = report
            .policies
            .into_iter()
            .map(|p| ReceivedTlsPolicy {
                domain: p.domain,
                policy_type: p.policy_type,
                successful: p.successful,
                failed: p.failed,
                failures: p.failures,
            })
            .collect();
        Some(ReceivedTlsReport {
            organization: report.organization,
            report_id: report.report_id,
            period: (report.start, report.end),
            policies,
        })
    }

    /// Keeps a received report, once the message it came in is stored.
    pub(super) async fn keep_tls_report(&self, report: ReceivedTlsReport) {
        tracing::info!(peer = %self.peer, from = %report.organization, id = %report.report_id, "TLS report received");
        let op = JournalOp::TlsReport(TlsReportOp::Received { at: unix_now(), report });
        if let Err(e) = self.ctx.journal.submit(op).await {
            tracing::error!("keeping a received TLS report failed: {e}");
        }
    }
}
