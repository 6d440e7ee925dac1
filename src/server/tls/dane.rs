//! Certificate checks under DANE (RFC 7672 section 3): the server's chain is judged by the MX
//! host's DNSSEC-validated TLSA records instead of the CA system. A DANE-EE(3) record must
//! match the server's own certificate or key (its names and dates are not checked); a
//! DANE-TA(2) record must match a certificate in the chain the server sent, which then serves
//! as the only trust anchor of an ordinary path check, names included (the MX host, or the
//! destination domain). Handshake signatures are verified as always.

use std::sync::Arc;

use futures_rustls::TlsConnector;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::version::{TLS12, TLS13};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use mailauth::dane::{DANE_EE, DANE_TA, Tlsa};

/// What DANE asks of one MX host's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DaneHost {
    /// Its usable TLSA records.
    pub records: Vec<Tlsa>,
    /// The names a DANE-TA chain may be issued to: the MX host, then the destination domain.
    pub names: Vec<String>,
}

/// A connector whose sessions verify the server against `host`'s records.
pub fn connector(host: &DaneHost, provider: Arc<CryptoProvider>) -> TlsConnector {
    let verifier = Arc::new(DaneVerifier { host: host.clone(), provider: Arc::clone(&provider) });
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&TLS13, &TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// The DANE certificate check; see the module documentation.
#[derive(Debug)]
struct DaneVerifier {
    host: DaneHost,
    provider: Arc<CryptoProvider>,
}

impl DaneVerifier {
    /// Whether a DANE-TA record names a certificate of the chain that the end entity's path,
    /// for one of the host's names, leads to.
    fn trust_anchor_path(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> bool {
        let anchors = self.host.records.iter().filter(|r| r.usage == DANE_TA);
        anchors.into_iter().any(|record| {
            intermediates.iter().filter(|cert| matches(record, cert)).any(|anchor| {
                let mut roots = RootCertStore::empty();
                if roots.add(anchor.clone()).is_err() {
                    return false;
                }
                let Ok(webpki) =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&self.provider)).build()
                else {
                    return false;
                };
                self.host
                    .names
                    .iter()
                    .filter_map(|name| ServerName::try_from(name.as_str()).ok())
                    .any(|name| webpki.verify_server_cert(end_entity, intermediates, &name, &[], now).is_ok())
            })
        })
    }
}

/// Whether `cert` matches `record`; a certificate that does not parse matches nothing.
fn matches(record: &Tlsa, cert: &CertificateDer<'_>) -> bool {
    match webpki::EndEntityCert::try_from(cert) {
        Ok(parsed) => record.matches(cert.as_ref(), parsed.subject_public_key_info().as_ref()),
        Err(_) => false,
    }
}

impl ServerCertVerifier for DaneVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let own = self.host.records.iter().any(|r| r.usage == DANE_EE && matches(r, end_entity));
        if own || self.trust_anchor_path(end_entity, intermediates, now) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
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

#[cfg(test)]
mod tests {
    use ring::digest::{SHA256, digest};

    use super::*;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A CA and a certificate it issued for `name`.
    fn chain(name: &str) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf =
            rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
        (leaf.der().clone(), ca.der().clone())
    }

    fn sha256_record(usage: u8, selector: u8, cert: &CertificateDer<'_>) -> Tlsa {
        let spki = webpki::EndEntityCert::try_from(cert).unwrap().subject_public_key_info();
        let selected = if selector == 0 { cert.as_ref() } else { spki.as_ref() };
        Tlsa { usage, selector, matching: 1, data: digest(&SHA256, selected).as_ref().to_vec() }
    }

    fn verify(records: Vec<Tlsa>, names: &[&str], leaf: &CertificateDer<'_>, chain: &[CertificateDer<'_>]) -> bool {
        let host = DaneHost { records, names: names.iter().map(|n| n.to_string()).collect() };
        let verifier = DaneVerifier { host, provider: provider() };
        let name = ServerName::try_from("ignored.example").unwrap();
        verifier.verify_server_cert(leaf, chain, &name, &[], UnixTime::now()).is_ok()
    }

    #[test]
    fn dane_ee_matches_the_servers_own_key_whatever_its_names() {
        let (leaf, ca) = chain("other-name.example");
        let with_ca = [ca];
        assert!(verify(vec![sha256_record(3, 1, &leaf)], &["mx.example"], &leaf, &with_ca));
        assert!(verify(vec![sha256_record(3, 0, &leaf)], &["mx.example"], &leaf, &[]));
        let (stranger, _) = chain("mx.example");
        assert!(!verify(vec![sha256_record(3, 1, &stranger)], &["mx.example"], &leaf, &with_ca), "another key");
    }

    #[test]
    fn dane_ta_needs_the_anchor_in_the_chain_and_a_name_it_issued() {
        let (leaf, ca) = chain("mx.example");
        let anchor = sha256_record(2, 0, &ca);
        let with_ca = [ca.clone()];
        assert!(verify(vec![anchor.clone()], &["mx.example"], &leaf, &with_ca));
        assert!(verify(vec![sha256_record(2, 1, &ca)], &["mx.example"], &leaf, &with_ca));
        assert!(!verify(vec![anchor.clone()], &["mx.example"], &leaf, &[]), "the server must send the anchor");
        assert!(!verify(vec![anchor.clone()], &["elsewhere.example"], &leaf, &with_ca), "names are checked");
        assert!(verify(vec![anchor], &["elsewhere.example", "mx.example"], &leaf, &with_ca));
        let (_, other_ca) = chain("mx.example");
        assert!(!verify(vec![sha256_record(2, 0, &other_ca)], &["mx.example"], &leaf, &with_ca));
        assert!(!verify(vec![sha256_record(2, 0, &leaf)], &["mx.example"], &leaf, &with_ca), "a TA is not the leaf");
    }
}
