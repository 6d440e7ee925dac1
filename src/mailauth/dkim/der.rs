//! The little DER that public keys need: unwrapping a SubjectPublicKeyInfo to the key inside
//! and measuring an RSA modulus when verifying, wrapping one when publishing.
//!
//! RFC 6376 publishes RSA keys as SubjectPublicKeyInfo, but records holding a bare PKCS#1
//! RSAPublicKey are common (and in test suites), so both are read. RFC 8463 publishes Ed25519
//! keys as the raw 32 bytes; a SubjectPublicKeyInfo is read too.

/// rsaEncryption, 1.2.840.113549.1.1.1.
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// The SubjectPublicKeyInfo of an Ed25519 key, up to the 32 key bytes.
const ED25519_SPKI_PREFIX: &[u8] = &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const NULL: u8 = 0x05;

/// Reads one tag-length-value: `(tag, value, rest)`.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 RSAPublicKey in `der`, which is either that or a SubjectPublicKeyInfo holding it.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<&[u8]> {
    let (tag, content, rest) = read_tlv(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let (first_tag, first, after) = read_tlv(content)?;
    match first_tag {
        INTEGER => Some(der),
        SEQUENCE => {
            let (oid_tag, oid, _) = read_tlv(first)?;
            let (bits_tag, bits, rest) = read_tlv(after)?;
            if oid_tag != OID || oid != RSA_OID || bits_tag != BIT_STRING || !rest.is_empty() {
                return None;
            }
            match bits.split_first()? {
                (0, key) => Some(key),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The size in bits of the modulus of a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Option<u32> {
    let (tag, content, _) = read_tlv(rsa_public_key)?;
    let (int_tag, modulus, _) = read_tlv(content)?;
    if tag != SEQUENCE || int_tag != INTEGER {
        return None;
    }
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

fn write_tlv(tag: u8, value: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

/// Wraps a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo, the form `p=` should hold.
pub(crate) fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let mut algorithm = Vec::new();
    write_tlv(OID, RSA_OID, &mut algorithm);
    write_tlv(NULL, &[], &mut algorithm);
    let mut bits = vec![0];
    bits.extend_from_slice(rsa_public_key);
    let mut content = Vec::new();
    write_tlv(SEQUENCE, &algorithm, &mut content);
    write_tlv(BIT_STRING, &bits, &mut content);
    let mut out = Vec::new();
    write_tlv(SEQUENCE, &content, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailauth::dkim::signature::BASE64;
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
