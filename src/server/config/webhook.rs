//! `[[webhook]]`: HTTP endpoints that the event log is POSTed to, and the kinds of event.

use std::num::{NonZeroU64, NonZeroUsize};

use serde::Deserialize;

/// A kind of event: the `event` field of a log line, and a name in `[[webhook]] events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A message was accepted and stored.
    Reception,
    /// A remote server accepted a recipient.
    Delivery,
    /// A temporary failure; another attempt follows.
    Deferral,
    /// A permanent failure.
    Bounce,
    /// Undeliverable for too long.
    Expiry,
    /// A recipient was put on the suppression list.
    Suppression,
    /// A recipient reported a message as spam (a feedback-loop report).
    Complaint,
    /// A traffic-shaping rule fired at a site.
    Shaping,
    /// A recipient unsubscribed (one-click or mailto).
    Unsubscribe,
}

impl EventKind {
    /// Every kind, the default of `events`.
    pub const ALL: [EventKind; 9] = [
        EventKind::Reception,
        EventKind::Delivery,
        EventKind::Deferral,
        EventKind::Bounce,
        EventKind::Expiry,
        EventKind::Suppression,
        EventKind::Complaint,
        EventKind::Shaping,
        EventKind::Unsubscribe,
    ];
}

/// One `[[webhook]]`: where events go, which of them, and how.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The `http://` or `https://` URL the batches are POSTed to.
    pub url: WebhookUrl,
    /// The name its place in the log is kept under; the URL when empty.
    #[serde(default)]
    pub name: String,
    /// The kinds of event it is sent; the others are skipped.
    #[serde(default = "every_kind")]
    pub events: Vec<EventKind>,
    /// Most events in one POST.
    #[serde(default = "default_batch_size")]
    pub batch_size: NonZeroUsize,
    /// Key of the HMAC-SHA256 signature of each body (`X-Ringmail-Signature`).
    pub secret: String,
    /// Seconds a POST may take, connection included, before it counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: NonZeroU64,
}

impl Webhook {
    /// The name its cursor is kept under: `name`, or the URL.
    pub fn cursor_name(&self) -> &str {
        if self.name.is_empty() { &self.url.0 } else { &self.name }
    }
}

fn every_kind() -> Vec<EventKind> {
    EventKind::ALL.to_vec()
}

fn default_batch_size() -> NonZeroUsize {
    NonZeroUsize::new(100).expect("not zero")
}

fn default_timeout() -> NonZeroU64 {
    NonZeroU64::new(10).expect("not zero")
}

/// An `http://` or `https://` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = String;

    fn try_from(url: String) -> Result<WebhookUrl, String> {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
        match host {
            Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => Ok(WebhookUrl(url)),
            _ => Err(format!("url: `{url}` is not an http:// or https:// URL with a host")),
        }
    }
}

/// Checks what one table cannot: every webhook has a secret and some events, and no two keep
/// their cursor under the same name.
pub(super) fn check(webhooks: &[Webhook]) -> Result<(), String> {
    for (i, webhook) in webhooks.iter().enumerate() {
        let name = webhook.cursor_name();
        if webhook.secret.is_empty() {
            return Err(format!("[[webhook]] {name}: `secret` must not be empty"));
        }
        if webhook.events.is_empty() {
            return Err(format!("[[webhook]] {name}: `events` names no event"));
        }
        if webhooks[..i].iter().any(|w| w.cursor_name() == name) {
            return Err(format!("[[webhook]] {name}: two webhooks have this name (give one a `name`)"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn a_webhook_takes_defaults_and_is_checked() {
        let text = "[[webhook]]\nurl = \"https://hooks.example/in\"\nsecret = \"s\"\n";
        let config = Config::from_toml(text, "f.toml").unwrap();
        let hook = &config.webhook[0];
        assert_eq!(hook.cursor_name(), "https://hooks.example/in");
        assert_eq!(hook.events, EventKind::ALL);
        assert_eq!(hook.batch_size.get(), 100);
        let wrong = [
            ("url = \"ftp://x.example\"\nsecret = \"s\"\n", "not an http"),
            ("url = \"http:///path\"\nsecret = \"s\"\n", "not an http"),
            ("url = \"http://x.example\"\nsecret = \"\"\n", "must not be empty"),
            ("url = \"http://x.example\"\nsecret = \"s\"\nevents = [\"bounce\", \"spam\"]\n", "spam"),
            ("url = \"http://x.example\"\nsecret = \"s\"\nevents = []\n", "names no event"),
            ("url = \"http://x.example\"\nsecret = \"s\"\nbatch_size = 0\n", "batch_size"),
        ];
        for (table, message) in wrong {
            let err = Config::from_toml(&format!("[[webhook]]\n{table}"), "f.toml").unwrap_err().to_string();
            assert!(err.contains(message), "{table}: {err}");
        }
        let twice = "[[webhook]]\nurl = \"http://x.example\"\nsecret = \"s\"\n".repeat(2);
        let err = Config::from_toml(&twice, "f.toml").unwrap_err().to_string();
        assert!(err.contains("two webhooks"), "{err}");
    }
}
