//! Delivery status notifications (RFC 3464): the report a sender gets when a recipient failed
//! for good or expired in the queue, is delayed, or (when asked with `NOTIFY=SUCCESS`) was
//! relayed to a server that cannot report delivery itself, or delivered into a local mailbox.

use std::time::SystemTime;

use bytes::Bytes;

use crate::routing::Router;
use message::date::rfc5322;
use message::headers::header_block;
use smtp_proto::Mailbox;
use smtp_proto::dsn::{Ret, xtext_encode};
use store::journal::{Delivery, RemoteRecipient};
use store::records::{QueueEntry, QueueOptions};
use store::{MessageId, Store};

/// What happened to one recipient (its `Action:`, RFC 3464 section 2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Failed for good, or expired.
    Failed,
    /// Not delivered yet, still being retried.
    Delayed,
    /// Handed to a server that does not report delivery (no DSN extension).
    Relayed,
    /// Delivered into a local mailbox.
    Delivered,
}

impl Action {
    fn field(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Relayed => "relayed",
            Action::Delivered => "delivered",
        }
    }

    /// Subject and first paragraph of a report whose gravest action is this one.
    fn wording(self) -> (&'static str, &'static str) {
        match self {
            Action::Failed => (
                "Undelivered Mail Returned to Sender",
                "Your message could not be delivered to one or more recipients.",
            ),
            Action::Delayed => (
                "Delayed Mail (still being retried)",
                "Your message has not been delivered yet to the recipients below; it is still being retried.",
            ),
            Action::Relayed => (
                "Successful Mail Delivery Report",
                "Your message was handed on to the recipients' mail servers, which do not report delivery.",
            ),
            Action::Delivered => {
                ("Successful Mail Delivery Report", "Your message was delivered to the recipients below.")
            }
        }
    }
}

/// One recipient the report is about.
#[derive(Debug, Clone)]
pub struct Notice {
    /// What happened.
    pub action: Action,
    /// The recipient address.
    pub recipient: String,
    /// The original recipient the sender gave (`ORCPT`, `type;address`).
    pub orcpt: Option<String>,
    /// The enhanced status code, e.g. `5.1.1`.
    pub status: String,
    /// What the remote server said, or what went wrong here.
    pub diagnostic: String,
    /// The MX host that refused, if one did.
    pub remote_mta: Option<String>,
}

/// The first enhanced status code in a reply text (`mx: 550 5.1.1 ...`), or a generic one for
/// its class.
pub fn status_of(reply: &str, permanent: bool) -> String {
    let is_status = |w: &&str| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let code = reply.split_whitespace().find(is_status);
    code.map_or_else(|| if permanent { "5.0.0" } else { "4.0.0" }.to_string(), str::to_string)
}

impl Notice {
    /// A notice about the queued recipient `entry`.
    pub fn about(entry: &QueueEntry, action: Action, status: String, diagnostic: String) -> Notice {
        Notice {
            action,
            recipient: entry.recipient.clone(),
            orcpt: entry.orcpt.clone(),
            status,
            diagnostic,
            remote_mta: None,
        }
    }
}

/// The message a report is about.
#[derive(Debug, Clone, Copy)]
pub struct Returned<'a> {
    /// Its envelope sender, who gets the report.
    pub sender: &'a str,
    /// The message as it was relayed (its headers go into the report).
    pub message: &'a [u8],
    /// Unix seconds when we received it.
    pub arrival: u64,
    /// The sender's envelope id (`ENVID`).
    pub envid: Option<&'a str>,
    /// Whether a failure report returns the whole message (`RET=FULL`) or only its headers.
    pub ret: Option<Ret>,
}

impl<'a> Returned<'a> {
    /// The queued message of `entry`, whose relayed form is `message`.
    pub fn of(entry: &'a QueueEntry, message: &'a [u8]) -> Returned<'a> {
        Returned {
            sender: &entry.sender,
            message,
            arrival: entry.created,
            envid: entry.options.envid.as_deref(),
            ret: entry.options.ret,
        }
    }
}

/// The report as a complete message (multipart/report with a text part, the
/// message/delivery-status part and the original headers, or the whole original message for a
/// failure report the sender asked for with `RET=FULL`).
pub fn report(hostname: &str, id: MessageId, returned: Returned<'_>, notices: &[Notice], now: SystemTime) -> Vec<u8> {
    let gravest = [Action::Failed, Action::Delayed, Action::Relayed, Action::Delivered]
        .into_iter()
        .find(|a| notices.iter().any(|n| n.action == *a))
        .unwrap_or(Action::Failed);
    let (subject, summary) = gravest.wording();
    let (sender, original) = (returned.sender, returned.message);
    let boundary = format!("{id}/{hostname}");
    let date = rfc5322(now);
    let arrival = rfc5322(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(returned.arrival));
    let mut m = String::new();
    m.push_str(&format!("From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n"));
    m.push_str(&format!("To: <{sender}>\r\n"));
    m.push_str(&format!("Subject: {subject}\r\n"));
    m.push_str(&format!("Date: {date}\r\n"));
    m.push_str(&format!("Message-ID: <{id}.dsn@{hostname}>\r\n"));
    m.push_str("Auto-Submitted: auto-replied\r\n");
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n"
    ));
    m.push_str("\r\nThis is a MIME-encapsulated message.\r\n\r\n");

    m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"));
    m.push_str(&format!("This is the mail system at host {hostname}.\r\n\r\n"));
    m.push_str(summary);
    m.push_str("\r\n\r\n");
    for f in notices {
        m.push_str(&format!("<{}>: {}\r\n", f.recipient, one_line(&f.diagnostic)));
    }
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"));
    if let Some(envid) = returned.envid {
        m.push_str(&format!("Original-Envelope-Id: {}\r\n", xtext_encode(envid)));
    }
    m.push_str(&format!("Reporting-MTA: dns; {hostname}\r\nArrival-Date: {arrival}\r\n"));
    for f in notices {
        m.push_str("\r\n");
        if let Some((kind, address)) = f.orcpt.as_deref().and_then(|o| o.split_once(';')) {
            m.push_str(&format!("Original-Recipient: {kind}; {}\r\n", xtext_encode(address)));
        }
        m.push_str(&format!(
            "Final-Recipient: rfc822; {}\r\nAction: {}\r\nStatus: {}\r\n",
            f.recipient,
            f.action.field(),
            f.status
        ));
        if let Some(mta) = &f.remote_mta {
            m.push_str(&format!("Remote-MTA: dns; {mta}\r\n"));
        }
        m.push_str(&format!("Diagnostic-Code: smtp; {}\r\n", one_line(&f.diagnostic)));
    }
    let full = gravest == Action::Failed && returned.ret == Some(Ret::Full);
    let part = if full { "message/rfc822" } else { "text/rfc822-headers" };
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: {part}\r\n\r\n"));
    let mut out = m.into_bytes();
    out.extend_from_slice(if full { original } else { header_block(original) });
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// The report for `notices` as a delivery to `sender` (local, or queued for a remote sender)
/// with message id `id`; none when there is nothing to report, for the null sender, or for a
/// sender that cannot be routed.
pub fn bounce(
    store: &Store,
    hostname: &str,
    id: MessageId,
    returned: Returned<'_>,
    notices: &[Notice],
) -> Option<Delivery> {
    if notices.is_empty() {
        return None;
    }
    let sender = returned.sender;
    let mailbox = Mailbox::parse(sender).ok()?;
    let destinations = match Router::new(store, hostname).resolve(&mailbox, true) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("no way to return a bounce to <{sender}>: {e}");
            return None;
        }
    };
    let text = report(hostname, id, returned, notices, SystemTime::now());
    Some(Delivery {
        id,
        local_prefix: Bytes::from_static(b"Return-Path: <>\r\n"),
        message: vec![Bytes::from(text)],
        staged: None,
        sender: String::new(),
        local: destinations.local,
        junk: false,
        remote: destinations.remote.into_iter().map(RemoteRecipient::plain).collect(),
        options: QueueOptions::default(),
        dmarc: Vec::new(),
        copies: Vec::new(),
    })
}

/// Text fit for one header or report line: controls and non-ASCII become `?`.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_come_from_the_reply() {
        assert_eq!(status_of("550 5.1.1 <x@y>: unknown", true), "5.1.1");
        assert_eq!(status_of("550 no such user", true), "5.0.0");
        assert_eq!(status_of("451 4.3.0 later", false), "4.3.0");
        assert_eq!(status_of("mx.example: 452 4.2.2 mailbox full", false), "4.2.2");
        assert_eq!(status_of("connection refused at 127.0.0.1", false), "4.0.0");
    }

    #[test]
    fn report_shape() {
        let failures = [Notice {
            action: Action::Failed,
            recipient: "bob@far.example".into(),
            orcpt: None,
            status: "5.1.1".into(),
            diagnostic: "550 5.1.1 unknown\u{7}user".into(),
            remote_mta: Some("mx.far.example".into()),
        }];
        let original = b"Subject: hello\r\nFrom: a@here.example\r\n\r\nsecret body\r\n";
        let returned =
            Returned { sender: "a@here.example", message: original, arrival: 86_400, envid: None, ret: None };
        let r = report("mx.here.example", MessageId(7), returned, &failures, SystemTime::UNIX_EPOCH);
        let text = String::from_utf8(r).unwrap();
        assert!(text.contains("Content-Type: multipart/report; report-type=delivery-status;"));
        assert!(text.contains("Final-Recipient: rfc822; bob@far.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
        assert!(text.contains("Remote-MTA: dns; mx.far.example\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown?user\r\n"));
        assert!(text.contains("Subject: hello\r\n"), "original headers");
        assert!(text.contains("Arrival-Date: Fri, 02 Jan 1970 00:00:00 +0000\r\n"), "when we received it");
        assert!(!text.contains("secret body"), "but not the body");
        assert!(text.ends_with("--\r\n"));
    }

    #[test]
    fn dsn_parameters_shape_the_report() {
        let mut notices = [Notice {
            action: Action::Delayed,
            recipient: "bob@far.example".into(),
            orcpt: Some("rfc822;Bob+x@far.example".into()),
            status: "4.4.1".into(),
            diagnostic: "connection refused".into(),
            remote_mta: None,
        }];
        let original = b"Subject: hello\r\n\r\nsecret body\r\n";
        let returned = Returned {
            sender: "a@here.example",
            message: original,
            arrival: 0,
            envid: Some("QQ 1"),
            ret: Some(Ret::Full),
        };
        let delayed = report("mx.here.example", MessageId(8), returned, &notices, SystemTime::UNIX_EPOCH);
        let text = String::from_utf8(delayed).unwrap();
        assert!(text.contains("Subject: Delayed Mail (still being retried)\r\n"));
        assert!(text.contains("Original-Envelope-Id: QQ+201\r\nReporting-MTA: dns; mx.here.example\r\n"));
        assert!(text.contains("Original-Recipient: rfc822; Bob+2Bx@far.example\r\nFinal-Recipient: rfc822; bob@far.example\r\nAction: delayed\r\n"));
        assert!(!text.contains("secret body"), "a delay report returns headers only, whatever RET says");
        notices[0].action = Action::Failed;
        let failed = report("mx.here.example", MessageId(9), returned, &notices, SystemTime::UNIX_EPOCH);
        let text = String::from_utf8(failed).unwrap();
        assert!(text.contains("Content-Type: message/rfc822\r\n\r\nSubject: hello\r\n\r\nsecret body\r\n"), "RET=FULL");
    }
}
