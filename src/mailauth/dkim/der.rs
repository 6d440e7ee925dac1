//! The DER that public keys need, through the `rsa` crate's `pkcs1` and `pkcs8` (spki)
//! decoders: unwrapping a SubjectPublicKeyInfo to the key inside and measuring an RSA modulus
//! when verifying, wrapping one when publishing.
//!
//! RFC 6376 publishes RSA keys as SubjectPublicKeyInfo, but records holding a bare PKCS#1
//! RSAPublicKey are common (and in test suites), so both are read. RFC 8463 publishes Ed25519
//! keys as the raw 32 bytes; a SubjectPublicKeyInfo is read too.

use rsa::pkcs1::der::asn1::{AnyRef, BitStringRef};
use rsa::pkcs1::der::{Decode, Encode};
use rsa::pkcs1::{ALGORITHM_OID, RsaPublicKey};
use rsa::pkcs8::SubjectPublicKeyInfoRef;
use rsa::pkcs8::spki::AlgorithmIdentifierRef;

/// The SubjectPublicKeyInfo of an Ed25519 key, up to the 32 key bytes.
const ED25519_SPKI_PREFIX: &[u8] = &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The PKCS#1 RSAPublicKey in `der`, which is either that or a SubjectPublicKeyInfo holding it.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<&[u8]> {
    if RsaPublicKey::from_der(der).is_ok() {
        return Some(der);
    }
    let spki = SubjectPublicKeyInfoRef::from_der(der).ok()?;
    if spki.algorithm.oid != ALGORITHM_OID {
        return None;
    }
    let key = spki.subject_public_key.as_bytes()?;
    RsaPublicKey::from_der(key).ok().map(|_| key)
}

/// The size in bits of the modulus of a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Option<u32> {
    let key = RsaPublicKey::from_der(rsa_public_key).ok()?;
    let modulus = key.modulus.as_bytes();
    let start = modulus.iter().position(|&b| b != 0)?;
    let significant = &modulus[start..];
    let bytes = u32::try_from(significant.len()).ok()?;
    Some(bytes * 8 - significant[0].leading_zeros())
}

/// The raw Ed25519 key in `key`: the 32 bytes themselves, or a SubjectPublicKeyInfo of them.
pub(crate) fn ed25519_public_key(key: &[u8]) -> Option<&[u8]> {
    match key.len() {
        32 => Some(key),
        44 => key.strip_prefix(ED25519_SPKI_PREFIX),
        _ => None,
    }
}

/// Wraps a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo, the form `p=` should hold.
pub(crate) fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid: ALGORITHM_OID, parameters: Some(AnyRef::NULL) },
        // A key of ours is far below DER's length limits, so neither step can fail.
        subject_public_key: BitStringRef::from_bytes(rsa_public_key).expect("key fits a BIT STRING"),
    };
    spki.to_der().expect("SubjectPublicKeyInfo encodes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::signature::BASE64;
    use base64::Engine;

    /// The RSA key of RFC 8463's example, as SubjectPublicKeyInfo.
    const SPKI: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    #[test]
    fn unwraps_and_rewraps_rsa_keys() {
        let spki = BASE64.decode(SPKI).unwrap();
        let pkcs1 = rsa_public_key(&spki).unwrap();
        assert_eq!(rsa_modulus_bits(pkcs1), Some(1024));
        assert_eq!(rsa_public_key(pkcs1), Some(pkcs1));
        assert_eq!(rsa_spki(pkcs1), spki);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let spki = BASE64.decode(SPKI).unwrap();
        for len in 0..spki.len() {
            assert_eq!(rsa_public_key(&spki[..len]), None);
        }
        assert_eq!(rsa_public_key(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(rsa_modulus_bits(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
        assert_eq!(ed25519_public_key(&[0; 31]), None);
    }
}
