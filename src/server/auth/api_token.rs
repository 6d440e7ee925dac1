//! Bearer tokens of the HTTP API: made by `ringmail api-token add`, shown once, kept only as
//! their SHA-256 (`store::records::ApiToken`), each with a scope.

use sha2::{Digest, Sha256};

use store::records::ApiToken;
use store::{Store, StoreError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Inject messages (`POST /api/v1/messages`), nothing else.
    Inject,
    /// Read everything: the queue, the lists, the dashboard's figures, the metrics.
    Read,
    /// Only `GET /metrics`, for a Prometheus scraper.
    Metrics,
    /// Everything, changes included.
    Admin,
}

impl Scope {
    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        match name {
            "inject" => Some(Scope::Inject),
            "read" => Some(Scope::Read),
            "metrics" => Some(Scope::Metrics),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Its name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Inject => "inject",
            Scope::Read => "read",
            Scope::Metrics => "metrics",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token of this scope may make a request that needs `needed`.
    pub fn covers(self, needed: Scope) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Read => matches!(needed, Scope::Read | Scope::Metrics),
            Scope::Inject => needed == Scope::Inject,
            Scope::Metrics => needed == Scope::Metrics,
        }
    }
}

/// Prefix of every token, so that a leaked one is easy to recognise (and to scan for).
const PREFIX: &str = "rm_";

/// A new token: what the operator is shown once, and the hash that is stored.
pub fn generate() -> (String, Vec<u8>) {
    let secret: [u8; 32] = rand::random();
    let token = format!("{PREFIX}{}", hex(&secret));
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of `token`.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The token whose hash matches `token`, as `(name, record)`. Every stored hash is compared
/// in full, in constant time, so the time taken says nothing about how close a guess was.
pub fn find(store: &Store, token: &str) -> Result<Option<(String, ApiToken)>, StoreError> {
    let presented = hash(token);
    let mut found = None;
    for (name, record) in store.api_tokens()? {
        if equal_in_constant_time(&presented, &record.hash) && found.is_none() {
            found = Some((name, record));
        }
    }
    Ok(found)
}

fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_what_is_stored() {
        let (a, hash_a) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a), hash_a);
        assert_ne!(hash(&b), hash_a);
        assert!(equal_in_constant_time(&hash_a, &hash(&a)) && !equal_in_constant_time(&hash_a, &hash_a[1..]));
    }

    #[test]
    fn scopes_cover_what_they_should() {
        assert!(Scope::Admin.covers(Scope::Inject) && Scope::Admin.covers(Scope::Read));
        assert!(Scope::Read.covers(Scope::Metrics) && !Scope::Read.covers(Scope::Admin));
        assert!(!Scope::Read.covers(Scope::Inject), "reading is not sending");
        assert!(!Scope::Inject.covers(Scope::Read) && !Scope::Metrics.covers(Scope::Read));
        for scope in [Scope::Inject, Scope::Read, Scope::Metrics, Scope::Admin] {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("root"), None);
    }
}
