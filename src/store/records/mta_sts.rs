//! The record of an MTA-STS policy kept for a destination domain.

use serde::{Deserialize, Serialize};

use super::Record;

/// A domain's MTA-STS policy as last fetched (`mta_sts` column family, keyed by the lower-case
/// domain), kept until it expires so that blocking its fetch cannot strip it (RFC 8461 5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsPolicy {
    /// The id of the `_mta-sts` TXT record it was fetched for.
    pub id: String,
    /// `enforce`, `testing` or `none`.
    pub mode: String,
    /// The MX patterns.
    pub mx: Vec<String>,
    /// Seconds it may be used after `fetched`.
    pub max_age: u64,
    /// Unix seconds when it was fetched (or found unchanged by a later fetch).
    pub fetched: u64,
}

impl Record for MtaStsPolicy {
    const VERSION: u8 = 1;
}

impl MtaStsPolicy {
    /// Whether it may still be used at unix time `now`.
    pub fn valid_at(&self, now: u64) -> bool {
        now < self.fetched.saturating_add(self.max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn mta_sts_policy_version_1_decodes_and_expires() {
        let policy = MtaStsPolicy {
            id: "20160831085700Z".into(),
            mode: "enforce".into(),
            mx: vec!["*.example.net".into()],
            max_age: 86_400,
            fetched: 1_700_000_000,
        };
        golden::check(MTA_STS_POLICY_V1, &policy);
        assert!(policy.valid_at(1_700_086_399) && !policy.valid_at(1_700_086_400));
    }

    /// Written by version 1; kept as it is forever.
    const MTA_STS_POLICY_V1: &[u8] =
        b"\x01\x0f20160831085700Z\x07enforce\x01\x0d*.example.net\x80\xa3\x05\x80\xe2\xcf\xaa\x06";
}
