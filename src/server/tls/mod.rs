//! TLS for every protocol: rustls (ring provider, TLS 1.2 and 1.3 only) over glommio TCP
//! streams through `futures-rustls`.
//!
//! | file | what |
//! |---|---|
//! | `certs.rs` | reading PEM files, making the self-signed certificate |
//! | `resolver.rs` | choosing a certificate by SNI; reloading them all on SIGHUP |
//! | `stream.rs` | a stream that is plain TCP or TLS (server or client side), and what TLS was negotiated |
//! | `client.rs` | outbound SMTP TLS: opportunistic, or verified against trusted CAs |
//! | `dane.rs` | outbound SMTP TLS verified by an MX host's TLSA records (DANE) |
//! | `https_agent.rs`, `policy_fetch.rs` | HTTPS for MTA-STS policies and TLS report POSTs |

pub mod certs;
pub mod client;
pub mod dane;
pub mod https_agent;
pub mod policy_fetch;
pub mod resolver;
pub mod stream;

use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use rustls::ServerConfig;
use rustls::version::{TLS12, TLS13};

use crate::config::Config;
pub use resolver::CertificateStore;
pub use stream::{ClientStream, MaybeTls, ServerStream, TlsInfo};

/// The server side of TLS, shared by every shard and protocol.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    certificates: Arc<CertificateStore>,
}

impl Tls {
    /// Loads (or, with none configured, makes) the certificates named by `config`.
    pub fn new(config: &Config) -> anyhow::Result<Tls> {
        let certificates = Arc::new(CertificateStore::load(config)?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&TLS13, &TLS12])?
            .with_no_client_auth()
            .with_cert_resolver(certificates.clone());
        server.ignore_client_order = true;
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(server)), certificates })
    }

    /// The handshake side for new connections.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The certificates, for reloading.
    pub fn certificates(&self) -> &CertificateStore {
        &self.certificates
    }
}
