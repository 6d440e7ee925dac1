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

/// An in-memory zone of TXT records (names matched case-insensitively; a missing name has no
/// records) that answers every other question with nothing: what DKIM, DMARC and ARC ask,
/// for tests, benchmarks and fuzz targets.
#[derive(Debug, Default, Clone)]
pub struct TxtZone {
    txt: std::collections::HashMap<String, Result<Vec<String>, LookupError>>,
}

impl TxtZone {
    /// The zone with `record` added at `name`.
    pub fn with(mut self, name: &str, record: &str) -> Self {
        self.add(name, record);
        self
    }

    /// Adds `record` at `name` (a name may hold several).
    pub fn add(&mut self, name: &str, record: &str) {
        if let Ok(records) = self.txt.entry(name.to_ascii_lowercase()).or_insert_with(|| Ok(Vec::new())) {
            records.push(record.to_owned());
        }
    }

    /// The zone with every lookup of `name` failing (a timeout).
    pub fn failing(mut self, name: &str) -> Self {
        self.txt.insert(name.to_ascii_lowercase(), Err(LookupError("timeout".into())));
        self
    }
}

impl Lookup for TxtZone {
    async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        self.txt.get(&name.to_ascii_lowercase()).cloned().unwrap_or(Ok(Vec::new()))
    }
    async fn a(&self, _: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn aaaa(&self, _: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn mx(&self, _: &str) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
    async fn ptr(&self, _: IpAddr) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
}
