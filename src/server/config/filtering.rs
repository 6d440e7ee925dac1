//! `[mailauth]`, `[dnsbl]`, `[antivirus]` and `[spam]`: what is checked of received mail.

use std::num::NonZeroU64;
use std::path::PathBuf;

use serde::Deserialize;

/// `[dnsbl]`: DNS blocklists checked when another server connects to `[smtp]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsblConfig {
    /// Zones, each `zone` or `zone=127.0.0.2,127.0.0.3` (the answers that count).
    pub zones: Vec<crate::filter::dnsbl::Zone>,
}

/// `[antivirus]`: the built-in scanner.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AntivirusConfig {
    /// Scan every received message (its decoded MIME parts) and refuse infected ones.
    pub enabled: bool,
    /// ClamAV-format signature files: `.hdb`, `.hsb`, `.ndb` (fixed-string patterns).
    pub databases: Vec<PathBuf>,
    /// A clamd to ask as well: `host:port` or a unix socket path; empty for none.
    pub clamd: String,
    /// Seconds clamd may take per message.
    pub clamd_timeout_secs: NonZeroU64,
    /// Accept mail when clamd cannot answer (true), or answer `451` so it is tried again later.
    pub clamd_fail_open: bool,
}

impl Default for AntivirusConfig {
    fn default() -> AntivirusConfig {
        AntivirusConfig {
            enabled: true,
            databases: Vec::new(),
            clamd: String::new(),
            clamd_timeout_secs: NonZeroU64::new(30).unwrap(),
            clamd_fail_open: true,
        }
    }
}

/// `[spam]`: the built-in spam filter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpamConfig {
    /// Score received mail and add `X-Spam-*` headers.
    pub enabled: bool,
    /// Score from which mail for local accounts goes to their Junk folder.
    pub junk_score: f64,
    /// Score from which mail from other servers is refused with `550 5.7.1`.
    pub reject_score: f64,
    /// Score from which mail submitted by logged-in users is refused (a compromised account
    /// sending spam); 0 scores it without ever refusing.
    pub outbound_reject_score: f64,
    /// Domain blocklists (URIBL/DBL style) the domains of links in the body are looked up in.
    pub uribl_zones: Vec<String>,
    /// Start from the model shipped with ringmail (false: only what is learned here).
    pub shipped_model: bool,
}

impl Default for SpamConfig {
    fn default() -> SpamConfig {
        SpamConfig {
            enabled: true,
            junk_score: spam::JUNK_THRESHOLD,
            reject_score: spam::REJECT_THRESHOLD,
            outbound_reject_score: spam::REJECT_THRESHOLD,
            uribl_zones: Vec::new(),
            shipped_model: true,
        }
    }
}

/// `[mailauth]`: SPF, DKIM and DMARC checks of mail from other servers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailAuthConfig {
    /// Check mail arriving on `[smtp]` from outside `relay_networks` without a login, and
    /// record the results in an `Authentication-Results:` header.
    pub check: bool,
    /// Refuse mail failing DMARC whose domain asks `p=reject`; file `p=quarantine` into Junk.
    pub enforce_dmarc: bool,
    /// When an SPF `fail` refuses the message.
    pub reject_spf_fail: SpfFailPolicy,
    /// What happens to a message whose author is not exactly one unambiguous mailbox.
    pub ambiguous_author: AmbiguousAuthor,
    /// Seconds each DMARC aggregate report covers; 0 sends none.
    pub dmarc_report_interval_secs: u64,
    /// Sender of DMARC and TLS reports; empty means `dmarc-noreply@<hostname>` and
    /// `tlsrpt-noreply@<hostname>`.
    pub report_from: String,
    /// Local addresses that receive other senders' TLS reports (RFC 8460): mail to them is
    /// delivered as usual, and a report in it is also read and kept for `ringmail tls-reports`.
    pub tls_report_addresses: Vec<String>,
    /// Domain whose DKIM key seals forwarded mail with ARC; empty means the organizational
    /// domain of `hostname`.
    pub arc_domain: String,
}

/// `[mailauth] ambiguous_author`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmbiguousAuthor {
    /// Refuse it at the end of DATA (`550 5.7.1`).
    #[default]
    Reject,
    /// Deliver it into Junk, the reason in `Authentication-Results:`.
    Junk,
}

/// `[mailauth] reject_spf_fail`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpfFailPolicy {
    /// Only record it.
    Never,
    /// Refuse it when the sender's domain also publishes DMARC `p=reject`.
    #[default]
    DmarcReject,
    /// Always refuse it.
    Always,
}

impl Default for MailAuthConfig {
    fn default() -> MailAuthConfig {
        MailAuthConfig {
            check: true,
            enforce_dmarc: true,
            reject_spf_fail: SpfFailPolicy::DmarcReject,
            ambiguous_author: AmbiguousAuthor::Reject,
            dmarc_report_interval_secs: 86_400,
            report_from: String::new(),
            tls_report_addresses: Vec::new(),
            arc_domain: String::new(),
        }
    }
}
