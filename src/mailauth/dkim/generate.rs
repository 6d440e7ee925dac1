//! New signing keys: Ed25519 from ring, RSA-2048 from the `rsa` crate (ring cannot generate RSA
//! keys). Either way the result is PKCS#8 DER, loaded back through ring for signing, with the
//! TXT record to publish.

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use rsa::pkcs8::EncodePrivateKey;

use super::algorithm::KeyType;
use super::signing_key::{SigningKey, SigningKeyError};

/// The size of generated RSA keys: what receivers expect; the record fits two TXT strings.
pub const RSA_BITS: usize = 2048;

/// Generates a key of `key_type`: its PKCS#8 DER (to store, secret) and the TXT record value
/// to publish at `selector._domainkey.domain`.
pub fn generate(key_type: KeyType) -> Result<(Vec<u8>, String), SigningKeyError> {
    let pkcs8 = match key_type {
        KeyType::Ed25519 => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|e| SigningKeyError::Crypto(e.to_string()))?
            .as_ref()
            .to_vec(),
        KeyType::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
                .map_err(|e| SigningKeyError::Crypto(e.to_string()))?;
            key.to_pkcs8_der().map_err(|e| SigningKeyError::Crypto(e.to_string()))?.as_bytes().to_vec()
        }
    };
    let record = SigningKey::from_pkcs8_der(&pkcs8)?.public_key_record();
    Ok((pkcs8, record))
}
