//! `[http]`: the HTTP API, the dashboard and the Prometheus metrics.

use std::net::SocketAddr;
use std::num::NonZeroU64;

use serde::Deserialize;

/// `[http]`: where the HTTP API and the dashboard listen, and their limits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Addresses of the API and the dashboard; empty turns them off.
    pub listen: Vec<SocketAddr>,
    /// Serve `listen` over TLS with the `[tls]` certificates.
    pub tls: bool,
    /// Addresses that serve only `GET /metrics`, without a token; empty turns them off.
    pub metrics_listen: Vec<SocketAddr>,
    /// Largest request body in MiB; larger ones get `413`.
    pub max_body_mib: NonZeroU64,
    /// Recipients one injection request may name.
    pub max_recipients: NonZeroU64,
    /// Seconds a connection may stay silent (while a request is read, or between requests).
    pub idle_timeout_secs: NonZeroU64,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            listen: Vec::new(),
            tls: false,
            metrics_listen: Vec::new(),
            max_body_mib: NonZeroU64::new(48).unwrap(),
            max_recipients: NonZeroU64::new(1000).unwrap(),
            idle_timeout_secs: NonZeroU64::new(60).unwrap(),
        }
    }
}

impl HttpConfig {
    /// The body limit in octets.
    pub fn max_body(&self) -> usize {
        usize::try_from(self.max_body_mib.get() << 20).unwrap_or(usize::MAX)
    }
}
