//! The event log: one JSON object per reception, delivery, deferral, bounce, expiry and
//! suppression, for billing, analytics, debugging and the webhooks.
//!
//! [`EventLog::commit`] hands the serialised events to the journal with the op whose change
//! they describe, so they reach the store's `events` column family in the same write: an event
//! is durable exactly when its change is. [`webhook`] sends them on from there, at least once,
//! and [`retention`] trims the store's log. Once committed they are also appended to the file
//! (`[events] file`) through a channel, without waiting: one writer thread writes them and
//! rotates the file by size, and a full channel drops lines from the file (and counts them)
//! rather than slowing mail down.

pub mod retention;
pub mod webhook;
mod writer;

pub use writer::Writer;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use store::journal::{Committed, JournalOp};
use store::{JournalHandle, StoreError, unix_now};

/// Events queued for the writer before new ones are dropped.
const CHANNEL_CAPACITY: usize = 65_536;

/// What happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A message was accepted and stored (`250`).
    Reception {
        /// The message id.
        id: String,
        /// The client's address.
        peer: IpAddr,
        /// The logged-in user, if any.
        user: Option<String>,
        /// TLS version and cipher, if any.
        tls: Option<String>,
        /// Envelope sender.
        sender: String,
        /// Envelope recipients as given.
        recipients: Vec<String>,
        /// Octets received.
        size: usize,
    },
    /// A remote server accepted a recipient.
    Delivery(Outcome),
    /// A temporary failure; another attempt follows.
    Deferral(Outcome),
    /// A permanent failure; the sender gets a report.
    Bounce(Outcome),
    /// Undeliverable for too long; the sender gets a report.
    Expiry(Outcome),
    /// A recipient was put on the suppression list: mail to it is refused from now on.
    Suppression {
        /// The address.
        address: String,
        /// Why: the remote server's reply, or the operator's words.
        reason: String,
        /// The message whose bounce suppressed it; none when the operator did.
        id: Option<String>,
    },
    /// A recipient unsubscribed from a bulk sender's mail (RFC 8058): it is suppressed for
    /// that sender domain.
    Unsubscribe {
        /// The sender domain.
        domain: String,
        /// The recipient.
        address: String,
        /// `one-click` (the HTTPS POST) or `mail` (the mailto form).
        via: &'static str,
    },
    /// A recipient complained about a message (a feedback report, RFC 5965): it is
    /// suppressed for that sender domain.
    Complaint {
        /// The sender domain.
        domain: String,
        /// The recipient.
        address: String,
        /// The report's `Feedback-Type` (`abuse`, `fraud`, `virus`).
        feedback_type: String,
        /// The report's `User-Agent`.
        reporter: String,
    },
    /// A traffic-shaping rule fired at a site (`[delivery] shaping`).
    Shaping {
        /// The rule's name.
        rule: String,
        /// The site.
        site: String,
        /// What it does: `suspend`, `suspend-source`, `limit`, `bounce` or `count`.
        action: &'static str,
        /// The source address it is about (`suspend-source`).
        source: Option<String>,
        /// Until when (Unix seconds); none for `count`.
        until: Option<u64>,
        /// The reply that made it fire.
        reply: String,
    },
}

/// The details of a delivery attempt's outcome for one recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The message id.
    pub id: String,
    /// The recipient.
    pub recipient: String,
    /// Its domain.
    pub domain: String,
    /// The MX host that answered, if one did.
    pub mx: Option<String>,
    /// Its address.
    pub ip: Option<IpAddr>,
    /// TLS version and cipher of the session, if any.
    pub tls: Option<String>,
    /// The DNS names of the certificate the server presented in that session.
    pub tls_cert: Option<String>,
    /// The policy the TLS of the delivery followed: `none` (opportunistic, or the route's
    /// setting), `mta-sts` (enforced), `mta-sts-testing`, `dane`, `dane-tls-only` (its TLSA
    /// records are all unusable: TLS without authentication).
    pub tls_policy: &'static str,
    /// Which attempt this was (1 for the first).
    pub attempt: u32,
    /// The remote reply or the local reason.
    pub reply: String,
    /// The enhanced status code, when known.
    pub status: Option<String>,
    /// A coarse class: `delivered`, `bad-mailbox`, `bad-domain`, `mailbox-full`, `policy`,
    /// `message-content`, `temporary`, `dns`, `connection`, `suspended` (by the operator) or
    /// `other`.
    pub classification: &'static str,
    /// Seconds the message had been queued.
    pub queued_secs: u64,
}

/// A line of the log: the event with its time.
#[derive(Serialize)]
struct Line<'a> {
    time: u64,
    #[serde(flatten)]
    event: &'a Event,
}

/// Where events go; cheap to clone. The default writes no file.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    sender: Option<async_channel::Sender<Vec<u8>>>,
    dropped: Arc<AtomicU64>,
}

impl EventLog {
    /// A log writing to `file` (rotating past `max_bytes`, keeping `keep` old files), or a
    /// disabled one when `file` is empty.
    pub fn start(file: PathBuf, max_bytes: u64, keep: usize) -> std::io::Result<(EventLog, Option<Writer>)> {
        if file.as_os_str().is_empty() {
            return Ok((EventLog::default(), None));
        }
        let (sender, receiver) = async_channel::bounded(CHANNEL_CAPACITY);
        let writer = Writer::start(file, max_bytes, keep, receiver)?;
        Ok((EventLog { sender: Some(sender), dropped: Arc::default() }, Some(writer)))
    }

    /// Commits `op` through `journal` with `events` written to the store's event log in the
    /// same batch; once they are on disk, appends them to the file too. An op that fails
    /// writes no event.
    pub async fn commit(
        &self,
        journal: &JournalHandle,
        op: JournalOp,
        events: Vec<Event>,
    ) -> Result<Committed, StoreError> {
        let lines: Vec<Vec<u8>> = events.iter().map(json).collect();
        let for_file = self.sender.as_ref().map(|_| lines.clone());
        let committed = journal.submit_with_events(op, lines).await?;
        for line in for_file.into_iter().flatten() {
            self.append(line);
        }
        Ok(committed)
    }

    /// [`EventLog::commit`] for threads outside an executor (the admin thread, the CLI).
    pub fn commit_blocking(
        &self,
        journal: &JournalHandle,
        op: JournalOp,
        events: Vec<Event>,
    ) -> Result<Committed, StoreError> {
        futures_lite::future::block_on(self.commit(journal, op, events))
    }

    /// Hands a line to the file's writer; never waits.
    fn append(&self, line: Vec<u8>) {
        if let Some(sender) = &self.sender
            && sender.try_send(line).is_err()
        {
            // Warn at 1, 2, 4, 8, ... drops: a writer that falls behind must not flood the log.
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "event log file is behind: lines were dropped");
            }
        }
    }
}

/// The coarse class of a failure, from its enhanced status code (RFC 3463).
pub fn classify(status: Option<&str>, permanent: bool) -> &'static str {
    match status {
        Some(s) if s.starts_with("5.1.2") || s.starts_with("5.1.10") => "bad-domain",
        Some(s) if s.starts_with("5.1.") => "bad-mailbox",
        Some(s) if s.starts_with("5.2.2") || s.starts_with("4.2.2") => "mailbox-full",
        Some(s) if class_detail(s) == Some(".7.") => "policy",
        Some(s) if class_detail(s) == Some(".6.") || s.starts_with("5.3.4") => "message-content",
        Some(s) if class_detail(s) == Some(".4.") => "connection",
        _ if !permanent => "temporary",
        _ => "other",
    }
}

/// The subject part of a status code with its dots: `.7.` for `5.7.1`.
fn class_detail(status: &str) -> Option<&str> {
    status.get(1..4)
}

/// `event` at this time as one JSON object: a line of the file without its newline.
fn json(event: &Event) -> Vec<u8> {
    serde_json::to_vec(&Line { time: unix_now(), event }).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_json_shape() {
        assert_eq!(classify(Some("5.1.1"), true), "bad-mailbox");
        assert_eq!(classify(Some("5.1.2"), true), "bad-domain");
        assert_eq!(classify(Some("4.2.2"), false), "mailbox-full");
        assert_eq!(classify(Some("5.7.1"), true), "policy");
        assert_eq!(classify(Some("4.4.1"), false), "connection");
        assert_eq!(classify(None, false), "temporary");
        let event = Event::Bounce(Outcome {
            id: "AB".into(),
            recipient: "x@far.example".into(),
            domain: "far.example".into(),
            mx: Some("mx.far.example".into()),
            ip: Some("192.0.2.1".parse().unwrap()),
            tls: None,
            tls_cert: None,
            tls_policy: "none",
            attempt: 1,
            reply: "550 5.1.1 unknown".into(),
            status: Some("5.1.1".into()),
            classification: "bad-mailbox",
            queued_secs: 3,
        });
        let text = String::from_utf8(json(&event)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["event"], "bounce");
        assert_eq!(value["recipient"], "x@far.example");
        assert_eq!(value["classification"], "bad-mailbox");
        assert!(value["time"].as_u64().unwrap() > 0);
        assert!(text.starts_with("{\"time\":") && !text.contains('\n'), "{text}");
        let suppression = Event::Suppression { address: "x@far.example".into(), reason: "550".into(), id: None };
        let value: serde_json::Value = serde_json::from_slice(&json(&suppression)).unwrap();
        assert_eq!(value["event"], "suppression");
        assert_eq!(value["address"], "x@far.example");
    }

    #[test]
    fn committed_events_are_in_the_store_and_the_file_and_failed_ones_in_neither() {
        let dir = tempfile::tempdir().unwrap();
        let store = store::Store::open(&dir.path().join("store")).unwrap();
        let journal = store::Journal::start(store.clone());
        let file = dir.path().join("events.log");
        let (log, writer) = EventLog::start(file.clone(), 1 << 20, 1).unwrap();
        let suppressed = |address: &str| Event::Suppression { address: address.into(), reason: "r".into(), id: None };
        let add = |address: &str| {
            let op = store::journal::SuppressionOp::Add { address: address.into(), reason: "r".into() };
            JournalOp::Suppression(op)
        };
        log.commit_blocking(&journal.handle(), add("a@x.example"), vec![suppressed("a@x.example")]).unwrap();
        let gone = JournalOp::DeleteAccount { address: "nobody@x.example".into() };
        assert!(log.commit_blocking(&journal.handle(), gone, vec![suppressed("b@x.example")]).is_err());
        journal.stop();
        writer.unwrap().stop();
        let stored = store.events_after(0, 10).unwrap();
        assert_eq!(stored.len(), 1);
        let line = std::fs::read_to_string(&file).unwrap();
        assert_eq!(line.as_bytes(), [stored[0].1.as_slice(), b"\n"].concat());
        assert!(line.contains("\"address\":\"a@x.example\""), "{line}");
    }
}
