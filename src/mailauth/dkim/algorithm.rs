//! The algorithms a signature names (`a=`) and the key types a key record names (`k=`).

use std::fmt;

/// A key type: the `k=` tag of a key record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA (RFC 6376), verified from 1024 bits (RFC 8301); generated at 2048.
    Rsa,
    /// Ed25519 (RFC 8463).
    Ed25519,
}

impl KeyType {
    /// The `k=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }

    /// Reads a `k=` value (case-insensitive); `None` for a type we do not know.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("rsa") {
            Some(KeyType::Rsa)
        } else if s.eq_ignore_ascii_case("ed25519") {
            Some(KeyType::Ed25519)
        } else {
            None
        }
    }
}

/// A hash algorithm: half of `a=`, and an entry of a key record's `h=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1: verified for old signatures only, reported weak (RFC 8301).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlgorithm {
    /// The name used in `a=` and `h=`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha256 => "sha256",
        }
    }

    pub(crate) fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            HashAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgorithm::Sha256 => &ring::digest::SHA256,
        }
    }
}

/// A signing algorithm: the `a=` tag of a DKIM-Signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `rsa-sha1`: verified, never produced, reported weak.
    RsaSha1,
    /// `rsa-sha256`.
    RsaSha256,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
}

impl Algorithm {
    /// The `a=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 => "rsa-sha1",
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// Reads an `a=` value (case-insensitive); `None` for one we do not know.
    pub fn parse(s: &str) -> Option<Self> {
        [Algorithm::RsaSha1, Algorithm::RsaSha256, Algorithm::Ed25519Sha256]
            .into_iter()
            .find(|a| s.eq_ignore_ascii_case(a.as_str()))
    }

    /// The key type it needs.
    pub fn key_type(self) -> KeyType {
        match self {
            Algorithm::RsaSha1 | Algorithm::RsaSha256 => KeyType::Rsa,
            Algorithm::Ed25519Sha256 => KeyType::Ed25519,
        }
    }

    /// The hash it uses for the body and the header.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Algorithm::RsaSha1 => HashAlgorithm::Sha1,
            Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => HashAlgorithm::Sha256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
