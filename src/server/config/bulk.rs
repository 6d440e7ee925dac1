//! `[[bulk_sender]]`, `[unsubscribe]` and `[feedback]`: which sender domains send bulk mail,
//! how their recipients unsubscribe in one click (RFC 8058), and where complaint reports
//! (RFC 5965) arrive.

use std::path::PathBuf;

use serde::Deserialize;

/// One `[[bulk_sender]]`: mail whose envelope sender is in (or under) `domain` gets the
/// one-click unsubscribe header fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkSender {
    /// The sender domain; its recipients unsubscribe from all of its mail at once.
    pub domain: String,
}

/// `[unsubscribe]`: the links in bulk mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnsubscribeConfig {
    /// Where the links point, the HTTPS origin that reaches `[http] listen` (`https://host`);
    /// empty: `https://<hostname>`.
    pub url: String,
    /// The address of the mailto form; empty: `unsubscribe@<hostname>`.
    pub mailto: String,
    /// The file of the key the tokens are signed with (made at first start; every node of a
    /// cluster needs the same one); empty: `<data_dir>/unsubscribe.key`.
    pub key_file: PathBuf,
}

/// `[feedback]`: complaint feedback loops.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackConfig {
    /// Addresses the mailbox providers' feedback reports (ARF) are sent to; mail to them is
    /// read as a report and not stored.
    pub addresses: Vec<String>,
}
