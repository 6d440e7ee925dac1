//! The DNS questions email authentication asks, behind a trait, so that the server's resolver
//! and the test suites' in-memory zones answer them alike.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A lookup that could not be answered: a timeout or a server failure. A name that does not
/// exist, or has no records of the type, is not an error: it is an empty answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup failed: {0}")]
pub struct LookupError(pub String);

/// Answers DNS questions. Names are given without a trailing dot; CNAMEs are followed by the
/// implementation. Futures need not be `Send`: each shard runs its own single-threaded executor.
#[allow(async_fn_in_trait)]
pub trait Lookup {
    /// TXT records, each with its character-strings joined.
    async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError>;
    /// IPv4 addresses.
    async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, LookupError>;
    /// IPv6 addresses.
    async fn aaaa(&self, name: &str) -> Result<Vec<Ipv6Addr>, LookupError>;
    /// MX exchange host names, in any order (without the trailing dot).
    async fn mx(&self, name: &str) -> Result<Vec<String>, LookupError>;
    /// PTR names of an address (without the trailing dot).
    async fn ptr(&self, ip: IpAddr) -> Result<Vec<String>, LookupError>;
}
