//! Records of outbound mail: queued recipients and suppressed ones.

use serde::{Deserialize, Serialize};

use super::Record;
use smtp_proto::dsn::{Notify, Ret};

/// A recipient waiting for outbound delivery (`queue` column family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Envelope sender; empty for the null sender.
    pub sender: String,
    /// Envelope recipient.
    pub recipient: String,
    /// Where the relayed message starts inside the blob (after local-only headers).
    pub body_offset: u32,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Unix seconds when the message was received.
    pub created: u64,
    /// Last temporary error, if any.
    pub last_error: Option<String>,
    /// What the sender asked to hear about this recipient (RFC 3461 `NOTIFY`).
    pub notify: Notify,
    /// The original recipient (`ORCPT`, as `type;address`), if the sender gave it.
    pub orcpt: Option<String>,
    /// What the whole message asked for.
    pub options: QueueOptions,
    /// Set when the recipient is suppressed and is to bounce at once, with the reason.
    pub suppressed: Option<String>,
    /// Whether the sender has been told of a delay already.
    pub delay_reported: bool,
}

impl Record for QueueEntry {
    const VERSION: u8 = 1;
}

/// Per-message options of queued mail, from the MAIL command (part of a [`QueueEntry`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueOptions {
    /// `RET` (RFC 3461): what a report returns of the message.
    pub ret: Option<Ret>,
    /// `ENVID` (RFC 3461), decoded.
    pub envid: Option<String>,
    /// The message was received with SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
}

/// Why and since when a recipient is suppressed (`suppression` column family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The remote server's answer, or the administrator's note.
    pub reason: String,
    /// Unix seconds when it was suppressed.
    pub since: u64,
}

impl Record for Suppression {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn queue_entry_version_1_decodes() {
        let entry = QueueEntry {
            sender: "a@example.net".into(),
            recipient: "x@far.example".into(),
            body_offset: 31,
            attempts: 2,
            created: 1_700_000_000,
            last_error: Some("451 later".into()),
            notify: Notify::parse("SUCCESS,FAILURE").expect("valid NOTIFY"),
            orcpt: Some("rfc822;x@far.example".into()),
            options: QueueOptions { ret: Some(Ret::Headers), envid: Some("abc".into()), smtputf8: true },
            suppressed: None,
            delay_reported: true,
        };
        golden::check(QUEUE_ENTRY_V1, &entry);
    }

    #[test]
    fn suppression_version_1_decodes() {
        golden::check(SUPPRESSION_V1, &Suppression { reason: "550 5.1.1 no such user".into(), since: 1_700_000_000 });
    }

    /// Written by version 1; kept as it is forever.
    const QUEUE_ENTRY_V1: &[u8] = b"\x01\x0da@example.net\x0dx@far.example\x1f\x02\x80\xe2\xcf\xaa\x06\x01\x09451 later\x03\x01\x14rfc822;x@far.example\x01\x01\x01\x03abc\x01\x00\x01";
    /// Written by version 1; kept as it is forever.
    const SUPPRESSION_V1: &[u8] = b"\x01\x16550 5.1.1 no such user\x80\xe2\xcf\xaa\x06";
}
