//! DANE TLSA records (RFC 6698, RFC 7671) as an SMTP client reads them (RFC 7672): which
//! records it can use, and whether a certificate matches one. The TLS code that walks the
//! server's chain with them lives in the server.

use std::fmt;

use ring::digest::{SHA256, SHA512, digest};

/// DANE-TA (RFC 7218): the record names a trust anchor in the server's chain.
pub const DANE_TA: u8 = 2;
/// DANE-EE: the record names the server's own certificate or key.
pub const DANE_EE: u8 = 3;

/// One TLSA record: certificate usage, selector, matching type and association data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// 0: the whole certificate; 1: its SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0: the data itself; 1: its SHA-256; 2: its SHA-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

impl Tlsa {
    /// Whether an SMTP client may use the record (RFC 7672 3.1): DANE-TA or DANE-EE (the
    /// PKIX usages are unusable for SMTP), a known selector, and a known matching type whose
    /// digest has the right length.
    pub fn usable(&self) -> bool {
        let length_ok = match self.matching {
            0 => !self.data.is_empty(),
            1 => self.data.len() == 32,
            2 => self.data.len() == 64,
            _ => false,
        };
        matches!(self.usage, DANE_TA | DANE_EE) && self.selector <= 1 && length_ok
    }

    /// Whether the certificate `cert` (DER), whose SubjectPublicKeyInfo is `spki` (DER),
    /// matches the record's selector and data.
    pub fn matches(&self, cert: &[u8], spki: &[u8]) -> bool {
        let selected = match self.selector {
            0 => cert,
            1 => spki,
            _ => return false,
        };
        match self.matching {
            0 => selected == self.data.as_slice(),
            1 => digest(&SHA256, selected).as_ref() == self.data.as_slice(),
            2 => digest(&SHA512, selected).as_ref() == self.data.as_slice(),
            _ => false,
        }
    }
}

impl fmt::Display for Tlsa {
    /// The presentation form: `3 1 1 0123...` (hex in upper case, as RFC 6698 prints it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} ", self.usage, self.selector, self.matching)?;
        self.data.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(usage: u8, selector: u8, matching: u8, data: &[u8]) -> Tlsa {
        Tlsa { usage, selector, matching, data: data.to_vec() }
    }

    #[test]
    fn selectors_and_matching_types() {
        let (cert, spki) = (b"certificate bytes".as_slice(), b"key bytes".as_slice());
        let sha256_spki = digest(&SHA256, spki).as_ref().to_vec();
        let sha512_cert = digest(&SHA512, cert).as_ref().to_vec();
        assert!(record(3, 1, 1, &sha256_spki).matches(cert, spki));
        assert!(!record(3, 0, 1, &sha256_spki).matches(cert, spki), "the selector picks what is hashed");
        assert!(record(2, 0, 2, &sha512_cert).matches(cert, spki));
        assert!(record(3, 0, 0, cert).matches(cert, spki));
        assert!(!record(3, 1, 0, cert).matches(cert, spki));
        let mut wrong = sha256_spki.clone();
        wrong[0] ^= 1;
        assert!(!record(3, 1, 1, &wrong).matches(cert, spki));
        assert!(!record(3, 1, 9, &sha256_spki).matches(cert, spki), "unknown matching type");
    }

    #[test]
    fn only_dane_usages_with_well_formed_data_are_usable() {
        let digest32 = [7u8; 32];
        assert!(record(3, 1, 1, &digest32).usable());
        assert!(record(2, 0, 1, &digest32).usable());
        assert!(!record(1, 1, 1, &digest32).usable(), "PKIX-EE is unusable for SMTP (RFC 7672 3.1.3)");
        assert!(!record(0, 0, 1, &digest32).usable(), "PKIX-TA too");
        assert!(!record(3, 1, 2, &digest32).usable(), "a SHA-512 record holds 64 bytes");
        assert!(!record(3, 2, 1, &digest32).usable(), "unknown selector");
        assert!(!record(3, 1, 0, &[]).usable());
        assert_eq!(record(3, 1, 1, &[0xab, 0x01]).to_string(), "3 1 1 AB01");
    }
}
