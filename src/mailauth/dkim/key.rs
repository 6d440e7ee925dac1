//! The key record a signer publishes at `selector._domainkey.domain` (RFC 6376 section 3.6.1).
//!
//! `v=` (if present, first, and `DKIM1`), `h=` (acceptable hashes), `k=` (key type, default
//! `rsa`), `n=` (notes, ignored), `p=` (the key; empty means revoked), `s=` (service types,
//! default `*`) and `t=` (flags: `y` testing, `s` strict). Unknown tags, flags, hashes and
//! service types are ignored, as the RFC asks.

use base64::Engine;

use super::algorithm::{Algorithm, HashAlgorithm, KeyType};
use super::signature::BASE64;
use super::tags::{TagError, TagList, colon_list, strip_ws};

/// Why a key record was rejected: each is "key syntax error" to the verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The tag list is malformed.
    #[error("key record syntax error: {0}")]
    Tags(#[from] TagError),
    /// `v=` is present but not first, or not `DKIM1`.
    #[error("key record version is not DKIM1")]
    Version,
    /// `k=` names a key type we do not know.
    #[error("unknown key type k={0}")]
    KeyType(String),
    /// `p=` is absent.
    #[error("key record has no p= tag")]
    MissingKey,
    /// `p=` is not base64.
    #[error("key p= is not valid base64")]
    Base64,
}

/// A parsed key record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// `k=`.
    pub key_type: KeyType,
    /// `h=`, lower-cased; `None` when absent (every hash is acceptable).
    pub hashes: Option<Vec<String>>,
    /// `s=` allows email (`*` or `email`).
    pub email: bool,
    /// `t=y`: the domain is testing DKIM.
    pub testing: bool,
    /// `t=s`: the `i=` domain must be `d=` itself, not a subdomain.
    pub strict: bool,
    /// `p=`, decoded; empty when the key is revoked.
    pub public_key: Vec<u8>,
}

impl KeyRecord {
    /// Parses a TXT record (its strings already joined).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let tags = TagList::parse(text)?;
        if let Some(v) = tags.get("v") {
            let first = tags.iter().next().is_some_and(|t| t.name == "v");
            if !first || v.value != "DKIM1" {
                return Err(KeyError::Version);
            }
        }
        let key_type = match tags.value("k") {
            None => KeyType::Rsa,
            Some(k) => KeyType::parse(k).ok_or_else(|| KeyError::KeyType(k.to_owned()))?,
        };
        let hashes = tags.value("h").map(|h| colon_list(h).map(str::to_ascii_lowercase).collect());
        let email = tags.value("s").is_none_or(|s| colon_list(s).any(|s| s == "*" || s.eq_ignore_ascii_case("email")));
        let flags: Vec<&str> = tags.value("t").map(|t| colon_list(t).collect()).unwrap_or_default();
        let p = strip_ws(tags.value("p").ok_or(KeyError::MissingKey)?);
        let public_key = BASE64.decode(p).map_err(|_| KeyError::Base64)?;
        Ok(KeyRecord {
            key_type,
            hashes,
            email,
            testing: flags.iter().any(|f| f.eq_ignore_ascii_case("y")),
            strict: flags.iter().any(|f| f.eq_ignore_ascii_case("s")),
            public_key,
        })
    }

    /// Whether `h=` allows `hash`.
    pub fn accepts(&self, hash: HashAlgorithm) -> bool {
        self.hashes.as_ref().is_none_or(|list| list.iter().any(|h| h == hash.as_str()))
    }

    /// Whether `p=` is empty: the key is revoked.
    pub fn revoked(&self) -> bool {
        self.public_key.is_empty()
    }

    /// Why this key may not verify a signature made with `algorithm`, if it may not: a key not
    /// for email (`s=`), of another type (`k=`), or refusing the hash (`h=`). Each is a
    /// permanent error; DKIM and ARC apply the same rules.
    pub(crate) fn unfit_for(&self, algorithm: Algorithm) -> Option<&'static str> {
        if !self.email {
            Some("key is not for email (s=)")
        } else if self.key_type != algorithm.key_type() {
            Some("inappropriate key algorithm (k=)")
        } else if !self.accepts(algorithm.hash()) {
            Some("inappropriate hash algorithm (h=)")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let key = KeyRecord::parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
        assert_eq!(key.key_type, KeyType::Ed25519);
        assert_eq!(key.public_key.len(), 32);
        assert!(key.email && !key.testing && !key.strict && key.accepts(HashAlgorithm::Sha1));

        let key = KeyRecord::parse("v=DKIM1;p=AAAA;s=email;t=s:y:x; h=sha256:sha3").unwrap();
        assert_eq!(key.key_type, KeyType::Rsa);
        assert!(key.email && key.testing && key.strict);
        assert!(key.accepts(HashAlgorithm::Sha256) && !key.accepts(HashAlgorithm::Sha1));

        let key = KeyRecord::parse("k=rsa; s=tlsrpt; p=").unwrap();
        assert!(!key.email && key.revoked());
    }

    #[test]
    fn rejects_bad_records() {
        // dkimpy's badversion.txt: `v=DKIM1:` is not DKIM1.
        assert_eq!(KeyRecord::parse("v=DKIM1: g=*; k=rsa; p=AAAA"), Err(KeyError::Version));
        assert_eq!(KeyRecord::parse("k=rsa; v=DKIM1; p=AAAA"), Err(KeyError::Version));
        assert_eq!(
            KeyRecord::parse("v=DKIM1; k=ed25519-sha256; p=AAAA"),
            Err(KeyError::KeyType("ed25519-sha256".into()))
        );
        assert_eq!(KeyRecord::parse("v=DKIM1; k=rsa"), Err(KeyError::MissingKey));
        assert_eq!(KeyRecord::parse("p=A*AA"), Err(KeyError::Base64));
        assert!(matches!(KeyRecord::parse("p=AAAA; p=AAAA"), Err(KeyError::Tags(_))));
    }
}
