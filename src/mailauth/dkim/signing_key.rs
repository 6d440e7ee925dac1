//! A private key that signs: RSA (2048 to 4096 bits, what ring signs with) or Ed25519, loaded
//! from PKCS#8 DER (or PEM), and the key record that publishes its public half.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::algorithm::{Algorithm, KeyType};
use super::der;

/// Why a private key could not be loaded, or could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    /// Neither an RSA nor an Ed25519 key in a form ring accepts (RSA must be 2048 to 4096 bits).
    #[error("not an RSA (2048-4096 bits) or Ed25519 private key: {0}")]
    Rejected(String),
    /// The PEM text is malformed or of a kind we do not read.
    #[error("malformed PEM private key")]
    Pem,
    /// Key generation or signing failed inside the crypto library.
    #[error("crypto failure: {0}")]
    Crypto(String),
}

enum Inner {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key for signing.
pub struct SigningKey {
    inner: Inner,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey").field("key_type", &self.key_type()).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads a PKCS#8 private key (DER): RSA, or Ed25519 in either PKCS#8 version.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SigningKeyError> {
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(SigningKey { inner: Inner::Ed25519(pair) });
        }
        RsaKeyPair::from_pkcs8(der)
            .map(|pair| SigningKey { inner: Inner::Rsa(pair) })
            .map_err(|e| SigningKeyError::Rejected(e.to_string()))
    }

    /// Loads a PKCS#1 RSAPrivateKey (DER), the form of `BEGIN RSA PRIVATE KEY`.
    pub fn from_rsa_pkcs1_der(der: &[u8]) -> Result<Self, SigningKeyError> {
        RsaKeyPair::from_der(der)
            .map(|pair| SigningKey { inner: Inner::Rsa(pair) })
            .map_err(|e| SigningKeyError::Rejected(e.to_string()))
    }

    /// Loads a PEM private key: `BEGIN PRIVATE KEY` (PKCS#8) or `BEGIN RSA PRIVATE KEY`.
    pub fn from_pem(pem: &str) -> Result<Self, SigningKeyError> {
        let (label, der) = decode_pem(pem).ok_or(SigningKeyError::Pem)?;
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Self::from_rsa_pkcs1_der(&der),
            _ => Err(SigningKeyError::Pem),
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.inner {
            Inner::Rsa(_) => KeyType::Rsa,
            Inner::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The algorithm it signs with: `rsa-sha256` or `ed25519-sha256`.
    pub fn algorithm(&self) -> Algorithm {
        match self.inner {
            Inner::Rsa(_) => Algorithm::RsaSha256,
            Inner::Ed25519(_) => Algorithm::Ed25519Sha256,
        }
    }

    /// The public key as `p=` holds it: SubjectPublicKeyInfo for RSA, the raw 32 bytes for
    /// Ed25519 (RFC 8463).
    pub fn public_key(&self) -> Vec<u8> {
        match &self.inner {
            Inner::Rsa(pair) => der::rsa_spki(pair.public().as_ref()),
            Inner::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// The TXT record to publish at `selector._domainkey.domain`, e.g. `v=DKIM1; k=rsa; p=...`.
    pub fn public_key_record(&self) -> String {
        format!("v=DKIM1; k={}; p={}", self.key_type().as_str(), STANDARD.encode(self.public_key()))
    }

    /// Signs the header hash input: RSASSA-PKCS1-v1_5 with SHA-256 over the data, or Ed25519
    /// over its SHA-256 digest (RFC 8463 section 3).
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SigningKeyError> {
        match &self.inner {
            Inner::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), data, &mut out)
                    .map_err(|e| SigningKeyError::Crypto(e.to_string()))?;
                Ok(out)
            }
            Inner::Ed25519(pair) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                Ok(pair.sign(digest.as_ref()).as_ref().to_vec())
            }
        }
    }
}

/// The label and bytes of the first PEM block in `pem`.
fn decode_pem(pem: &str) -> Option<(&str, Vec<u8>)> {
    let begin = pem.find("-----BEGIN ")?;
    let after = &pem[begin + 11..];
    let label_end = after.find("-----")?;
    let label = &after[..label_end];
    let body = &after[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let text: String = body[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Some((label, STANDARD.decode(text).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mailauth's Ed25519 test key (PKCS#8 v1); its public half is in public-ed25519.pem.
    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIGILDEwEsSouzPkcYPofR+FE1DThrAHq+i2kIAsHJd5m\n-----END PRIVATE KEY-----\n";

    #[test]
    fn loads_ed25519_pem_and_publishes_its_key() {
        let key = SigningKey::from_pem(ED25519_PEM).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519Sha256);
        // public-ed25519.pem is `MCowBQYDK2VwAyEA` + this key.
        assert_eq!(key.public_key_record(), "v=DKIM1; k=ed25519; p=NwX0YghfQX/TRxQSYEoLKT7Rtut+lQ/iCYexN/oL4xA=");
        assert!(format!("{key:?}").contains("Ed25519"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(SigningKey::from_pkcs8_der(b"nope"), Err(SigningKeyError::Rejected(_))));
        assert_eq!(
            SigningKey::from_pem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----").err(),
            Some(SigningKeyError::Pem)
        );
        assert_eq!(SigningKey::from_pem("no pem here").err(), Some(SigningKeyError::Pem));
    }
}
