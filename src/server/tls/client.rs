//! The client side of TLS for outbound SMTP. Opportunistic (RFC 7435, like Postfix's
//! `smtp_tls_security_level = may`): encrypt whenever the peer offers STARTTLS, without
//! rejecting certificates that do not verify, since MX host names are not authenticated by DNS
//! without DANE. Handshake signatures are still checked, so the session key is the peer's.
//! Verified (Postfix's `secure`): the chain must lead to a trusted CA (the system's trust store
//! and `[delivery] tls_ca_file`) and name the host connected to. DANE (`dane.rs`): the chain
//! must match the host's TLSA records.

use std::path::Path;
use std::sync::Arc;

use futures_rustls::TlsConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::version::{TLS12, TLS13};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;

use super::dane::{self, DaneHost};
use crate::config::outbound::TlsPolicy;

/// The TLS client configurations of one shard, made once and shared by its deliveries (so
/// that sessions can be resumed).
pub struct Connectors {
    opportunistic: TlsConnector,
    /// The verifying connector, or why there is none (no trusted CA could be loaded).
    verified: Result<TlsConnector, String>,
}

impl Connectors {
    /// Both connectors; `ca_file` (PEM, may be empty) adds CAs to the system's trust store.
    pub fn new(ca_file: &Path) -> Connectors {
        Connectors { opportunistic: opportunistic(), verified: verified(ca_file) }
    }

    /// The connector for a route's policy, or why a verified session cannot be made.
    pub fn for_policy(&self, policy: TlsPolicy) -> Result<&TlsConnector, String> {
        match policy {
            TlsPolicy::Verify => self.verified.as_ref().map_err(Clone::clone),
            _ => Ok(&self.opportunistic),
        }
    }

    /// A connector for one MX host under DANE.
    pub fn for_dane(&self, host: &DaneHost) -> TlsConnector {
        dane::connector(host, provider())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A connector for opportunistic TLS to any SMTP server.
fn opportunistic() -> TlsConnector {
    let provider = provider();
    let config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&TLS13, &TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate { provider }))
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A connector that verifies the server's chain and name (webpki), trusting the system's CAs
/// and those in `ca_file`.
fn verified(ca_file: &Path) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (system, _) = roots.add_parsable_certificates(native.certs);
    if !ca_file.as_os_str().is_empty() {
        let certs = CertificateDer::pem_file_iter(ca_file)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("reading tls_ca_file {}: {e}", ca_file.display()))?;
        let (added, ignored) = roots.add_parsable_certificates(certs);
        if ignored > 0 {
            tracing::warn!("{ignored} certificates in {} are not usable CAs", ca_file.display());
        }
        tracing::debug!(system, added, "trusted CAs for verified outbound TLS");
    }
    if roots.is_empty() {
        return Err("no trusted CA for tls = \"verify\" (the system has none: set [delivery] tls_ca_file)".into());
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&TLS13, &TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Accepts any certificate chain but checks the handshake signatures made with it.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
