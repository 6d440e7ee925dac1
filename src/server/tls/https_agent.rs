//! The blocking HTTPS client that webhooks and TLS report POSTs use: ureq with rustls and ring,
//! the trust anchors given, no proxy, every status an answer rather than an error, and no
//! redirects (a POST redirected would arrive as a GET without its body, and its `2xx` would
//! count as delivered).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// A client trusting `roots`, giving each request `timeout` in all.
pub fn agent(roots: Arc<Vec<Certificate<'static>>>, timeout: Duration) -> ureq::Agent {
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(roots))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("ringmail/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The system's trust anchors, and those of the PEM file `ca_file` (none when it is empty; a
/// file that cannot be read is logged and left out).
pub fn roots(ca_file: &Path) -> Arc<Vec<Certificate<'static>>> {
    let native = rustls_native_certs::load_native_certs();
    let mut roots: Vec<Certificate<'static>> =
        native.certs.iter().map(|der| Certificate::from_der(der.as_ref()).to_owned()).collect();
    if !ca_file.as_os_str().is_empty() {
        match CertificateDer::pem_file_iter(ca_file).and_then(|certs| certs.collect::<Result<Vec<_>, _>>()) {
            Ok(certs) => roots.extend(certs.iter().map(|der| Certificate::from_der(der.as_ref()).to_owned())),
            Err(e) => tracing::warn!("reading {}: {e}", ca_file.display()),
        }
    }
    Arc::new(roots)
}
