//! The record of a TLS report another sender mailed us.

use serde::{Deserialize, Serialize};

use super::Record;

/// A received TLS report (`tls_report_in` column family, keyed by when it arrived and its id),
/// as far as `ringmail tls-reports` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedTlsReport {
    /// The reporting organization.
    pub organization: String,
    /// Its report id.
    pub report_id: String,
    /// Start and end of the period, as the report wrote them.
    pub period: (String, String),
    /// Per policy: domain, policy type, successful and failed sessions, failures by type.
    pub policies: Vec<ReceivedTlsPolicy>,
}

/// What a received report says of one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedTlsPolicy {
    /// The policy domain.
    pub domain: String,
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// Sessions that went well.
    pub successful: u64,
    /// Sessions that failed.
    pub failed: u64,
    /// Failed sessions by result type.
    pub failures: Vec<(String, u64)>,
}

impl Record for ReceivedTlsReport {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn received_tls_report_version_1_decodes() {
        let report = ReceivedTlsReport {
            organization: "X".into(),
            report_id: "r1".into(),
            period: ("a".into(), "b".into()),
            policies: vec![ReceivedTlsPolicy {
                domain: "y.example".into(),
                policy_type: "sts".into(),
                successful: 5,
                failed: 1,
                failures: vec![("starttls-not-supported".into(), 1)],
            }],
        };
        golden::check(RECEIVED_TLS_REPORT_V1, &report);
    }

    /// Written by version 1; kept as it is forever.
    const RECEIVED_TLS_REPORT_V1: &[u8] =
        b"\x01\x01X\x02r1\x01a\x01b\x01\x09y.example\x03sts\x05\x01\x01\x16starttls-not-supported\x01";
}
