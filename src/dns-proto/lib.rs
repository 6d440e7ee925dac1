//! DNS without any I/O: building queries and checking responses on the wire (`hickory-proto`),
//! what a lookup found ([`Answer`]) or why it found nothing ([`DnsError`]), and the answer
//! cache. The resolver that sends the queries lives in the server.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod wire;

use hickory_proto::rr::RData;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Records of the asked type (after following CNAMEs).
    Records(Vec<RData>),
    /// The name does not exist (NXDOMAIN).
    NoSuchName,
    /// The name exists but has no records of this type.
    NoData,
}

/// An answer, and whether DNSSEC validated it (the resolver set AD, and is trusted to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secured {
    /// What the lookup found.
    pub answer: Answer,
    /// Validated: every record on the way (CNAMEs included) and the denial of existence for a
    /// negative answer.
    pub secure: bool,
}

/// Why a lookup gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// Not a valid domain name.
    #[error("invalid name: {0}")]
    BadName(String),
    /// No nameserver answered usefully in time (temporary: try again later).
    #[error("no nameserver answered: {0}")]
    Unavailable(String),
    /// A message that could not be parsed or did not match the question.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// CNAMEs point at each other or go on for too long.
    #[error("CNAME chain too long")]
    CnameLoop,
}
