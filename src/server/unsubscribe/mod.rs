//! One-click unsubscription (RFC 8058) for the mail of bulk senders (`[[bulk_sender]]`), and
//! the complaint feedback loop (RFC 5965 ARF reports to `[feedback] addresses`). Mail from a
//! bulk sender's domain to a single remote recipient gets `List-Unsubscribe:` (an HTTPS link
//! and a mailto) and `List-Unsubscribe-Post:` before it is DKIM-signed, so the signature covers
//! both; each carries a token naming the sender domain and the recipient, signed with a key
//! kept in the data folder. A one-click POST, a mail to the mailto address, or a complaint
//! about a message carrying a token suppresses that recipient for that sender domain.

pub mod feedback;
pub mod token;

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context as _;
use ring::hmac;
use store::journal::{JournalOp, SuppressionOp};

use crate::config::Config;
use crate::events::Event;

/// Octets of a new key.
const KEY_LEN: usize = 32;

/// The bulk senders, the links' base and the signing key.
pub struct Unsubscribe {
    key: hmac::Key,
    /// Lower-case bulk sender domains.
    domains: Vec<String>,
    /// `https://host` the links start with, without a trailing `/`.
    url: String,
    /// The mailto address (lower case).
    mailto: String,
    /// The feedback (ARF) addresses (lower case).
    feedback: Vec<String>,
}

/// How a recipient asked to be suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The one-click POST.
    OneClick,
    /// A mail to the mailto address.
    Mail,
}

impl Unsubscribe {
    /// The settings of `config`, with the key from `[unsubscribe] key_file` (made, readable by
    /// this user only, when missing).
    pub fn load(config: &Config) -> anyhow::Result<Unsubscribe> {
        let u = &config.unsubscribe;
        let path = match u.key_file.as_os_str().is_empty() {
            true => config.data_dir.join("unsubscribe.key"),
            false => u.key_file.clone(),
        };
        let key = read_or_make_key(&path).with_context(|| format!("the unsubscribe key {}", path.display()))?;
        let hostname = config.hostname.as_str();
        let url = match u.url.as_str() {
            "" => format!("https://{hostname}"),
            url => url.trim_end_matches('/').to_string(),
        };
        let mailto = match u.mailto.as_str() {
            "" => format!("unsubscribe@{hostname}"),
            mailto => mailto.to_lowercase(),
        };
        Ok(Unsubscribe {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            domains: config.bulk_sender.iter().map(|b| b.domain.trim_end_matches('.').to_ascii_lowercase()).collect(),
            url,
            mailto,
            feedback: config.feedback.addresses.iter().map(|a| a.to_lowercase()).collect(),
        })
    }

    /// The bulk sender domain that mail from `sender` (an address) belongs to: a configured
    /// domain it is in or under.
    pub fn bulk_domain(&self, sender: &str) -> Option<&str> {
        let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d).trim_end_matches('.').to_ascii_lowercase();
        let within = |bulk: &&String| {
            domain.strip_suffix(bulk.as_str()).is_some_and(|head| head.is_empty() || head.ends_with('.'))
        };
        self.domains.iter().find(within).map(String::as_str)
    }

    /// The domain whose delivery and complaint counts mail from `sender` (an address) adds to:
    /// its bulk sender domain, else its own, lower-case; None for the null sender (reports).
    pub fn counted_domain(&self, sender: &str) -> Option<String> {
        let own = sender.rsplit_once('@')?.1.trim_end_matches('.');
        Some(self.bulk_domain(sender).map_or_else(|| own.to_ascii_lowercase(), str::to_string))
            .filter(|d| !d.is_empty())
    }

    /// The header fields for mail from `domain` to `recipient`: both links and the one-click
    /// marker (RFC 8058 section 3.1), each ending in CRLF.
    pub fn header_fields(&self, domain: &str, recipient: &str) -> String {
        let token = token::make(&self.key, domain, recipient);
        format!(
            "List-Unsubscribe: <{}/unsubscribe/{token}>,\r\n <mailto:{}?subject=unsubscribe%20{token}>\r\n\
             List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            self.url, self.mailto
        )
    }

    /// The sender domain and recipient of a token we made.
    pub fn verify(&self, token: &str) -> Option<(String, String)> {
        token::verify(&self.key, token)
    }

    /// Whether `address` is the mailto address.
    pub fn is_mailto(&self, address: &str) -> bool {
        address.eq_ignore_ascii_case(&self.mailto)
    }

    /// Whether `address` is a feedback (ARF) address.
    pub fn is_feedback(&self, address: &str) -> bool {
        self.feedback.iter().any(|a| a.eq_ignore_ascii_case(address))
    }
}

/// The journal op and event that suppress `recipient` for `domain` because it unsubscribed.
pub fn unsubscription(domain: &str, recipient: &str, via: Via) -> (JournalOp, Event) {
    let how = match via {
        Via::OneClick => "one-click",
        Via::Mail => "mail",
    };
    let reason = format!("unsubscribed from the mail of {domain} ({how})");
    let op = SuppressionOp::AddFor { domain: domain.to_string(), address: recipient.to_string(), reason };
    let event = Event::Unsubscribe { domain: domain.to_string(), address: recipient.to_string(), via: how };
    (JournalOp::Suppression(op), event)
}

/// The key in `path`, or a new random one written there.
fn read_or_make_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(key) if key.len() >= KEY_LEN => return Ok(key),
        Ok(_) => anyhow::bail!("shorter than {KEY_LEN} octets"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let mut key = vec![0u8; KEY_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .map_err(|_| anyhow::anyhow!("no random numbers"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(&key)?;
    file.sync_all()?;
    Ok(key)
}
