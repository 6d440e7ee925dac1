//! The event log: one JSON line per reception, delivery, deferral, bounce and expiry, for
//! billing, analytics and debugging (`[events] file`). Sessions and delivery attempts hand
//! events to a channel without waiting; one writer thread appends them to the file and rotates
//! it by size. A full channel drops events (and counts them) rather than slowing mail down.

mod writer;

pub use writer::Writer;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use store::unix_now;

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
    /// Which attempt this was (1 for the first).
    pub attempt: u32,
    /// The remote reply or the local reason.
    pub reply: String,
    /// The enhanced status code, when known.
    pub status: Option<String>,
    /// A coarse class: `delivered`, `bad-mailbox`, `bad-domain`, `mailbox-full`, `policy`,
    /// `message-content`, `temporary`, `dns`, `connection` or `other`.
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

/// Where events go; cheap to clone. A disabled log ignores everything.
#[derive(Clone, Debug)]
pub struct EventLog {
    sender: Option<async_channel::Sender<Event>>,
    dropped: Arc<AtomicU64>,
}

impl EventLog {
    /// A log writing to `file` (rotating past `max_bytes`, keeping `keep` old files), or a
    /// disabled one when `file` is empty.
    pub fn start(file: PathBuf, max_bytes: u64, keep: usize) -> std::io::Result<(EventLog, Option<Writer>)> {
        if file.as_os_str().is_empty() {
            return Ok((EventLog { sender: None, dropped: Arc::default() }, None));
        }
        let (sender, receiver) = async_channel::bounded(CHANNEL_CAPACITY);
        let writer = Writer::start(file, max_bytes, keep, receiver)?;
        Ok((EventLog { sender: Some(sender), dropped: Arc::default() }, Some(writer)))
    }

    /// Records `event`; never waits.
    pub fn record(&self, event: Event) {
        if let Some(sender) = &self.sender
            && sender.try_send(event).is_err()
        {
            // Warn at 1, 2, 4, 8, ... drops: a writer that falls behind must not flood the log.
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "event log is behind: events were dropped");
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

/// The line written for `event` now.
fn line(event: &Event) -> String {
    let mut text = serde_json::to_string(&Line { time: unix_now(), event }).unwrap_or_default();
    text.push('\n');
    text
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
            attempt: 1,
            reply: "550 5.1.1 unknown".into(),
            status: Some("5.1.1".into()),
            classification: "bad-mailbox",
            queued_secs: 3,
        });
        let text = line(&event);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["event"], "bounce");
        assert_eq!(json["recipient"], "x@far.example");
        assert_eq!(json["classification"], "bad-mailbox");
        assert!(json["time"].as_u64().unwrap() > 0);
        assert!(text.ends_with('\n') && text.matches('\n').count() == 1);
    }
}
