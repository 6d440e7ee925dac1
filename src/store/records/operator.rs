//! Records of the operator's interface: HTTP API tokens and delivery suspensions.

use serde::{Deserialize, Serialize};

use super::Record;

/// An HTTP API token (`api_token` column family, keyed by its name). Only the SHA-256 of the
/// token is kept: tokens are 256 random bits, so a fast hash is as safe as a slow one and a
/// request costs one hash, not a memory-hard derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// What it may do: `inject`, `read`, `metrics` or `admin`.
    pub scope: String,
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// The account whose addresses injected mail may use as its author, if bound to one.
    pub user: Option<String>,
    /// Domains whose addresses injected mail may use as its author.
    pub domains: Vec<String>,
    /// Unix seconds when it was made.
    pub created: u64,
}

impl Record for ApiToken {
    const VERSION: u8 = 1;
}

/// Delivery to a destination held back by the operator (`suspension` column family, keyed
/// by the lower-case destination: a recipient domain or a site name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Why, as the operator said it.
    pub reason: String,
    /// Unix seconds when it lapses by itself; `None` until resumed.
    pub until: Option<u64>,
    /// Unix seconds when it was set.
    pub created: u64,
}

impl Record for Suspension {
    const VERSION: u8 = 1;
}

impl Suspension {
    /// Whether it holds at unix time `now`.
    pub fn holds(&self, now: u64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn api_token_version_1_decodes() {
        let token = ApiToken {
            scope: "inject".into(),
            hash: vec![1, 2, 3],
            user: Some("a@b.example".into()),
            domains: vec!["b.example".into()],
            created: 1_700_000_000,
        };
        golden::check(API_TOKEN_V1, &token);
    }

    #[test]
    fn suspension_version_1_decodes_and_lapses() {
        let suspension = Suspension { reason: "rate".into(), until: Some(1_700_000_600), created: 1_700_000_000 };
        golden::check(SUSPENSION_V1, &suspension);
        assert!(suspension.holds(1_700_000_599) && !suspension.holds(1_700_000_600));
        assert!(Suspension { until: None, ..suspension }.holds(u64::MAX));
    }

    /// Written by version 1; kept as it is forever.
    const API_TOKEN_V1: &[u8] =
        b"\x01\x06inject\x03\x01\x02\x03\x01\x0ba@b.example\x01\x09b.example\x80\xe2\xcf\xaa\x06";
    /// Written by version 1; kept as it is forever.
    const SUSPENSION_V1: &[u8] = b"\x01\x04rate\x01\xd8\xe6\xcf\xaa\x06\x80\xe2\xcf\xaa\x06";
}
