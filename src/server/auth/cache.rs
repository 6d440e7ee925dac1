//! A short-lived memory of successful logins, so that a client which reconnects for every
//! message does not pay an argon2id verification each time (Dovecot's `auth_cache` does the
//! same). Only successes are remembered, so guessing still costs the full hash every time.
//!
//! An entry holds a keyed SHA-256 of the password (the key is random per process and never
//! leaves memory) and the stored hash it was checked against: a password change, or a deleted
//! account, makes the entry useless at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Entries kept before the expired ones are dropped (and, if still full, all of them).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
struct Entry {
    digest: [u8; 32],
    password_hash: String,
    expires: Instant,
}

/// Recently verified logins by account.
#[derive(Debug)]
pub struct LoginCache {
    key: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginCache {
    /// A cache keeping logins for `ttl`; a zero `ttl` remembers nothing.
    pub fn new(ttl: Duration) -> LoginCache {
        LoginCache { key: rand::random(), ttl, entries: Mutex::default() }
    }

    /// True when `password` was verified for `account` against `password_hash` within the TTL.
    pub fn contains(&self, account: &str, password: &str, password_hash: &str) -> bool {
        let digest = self.digest(password);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(account).is_some_and(|e| {
            e.expires > Instant::now() && e.password_hash == password_hash && constant_time_eq(&e.digest, &digest)
        })
    }

    /// Remembers a login that argon2id just verified.
    pub fn insert(&self, account: &str, password: &str, password_hash: &str) {
        if self.ttl.is_zero() {
            return;
        }
        let entry = Entry {
            digest: self.digest(password),
            password_hash: password_hash.into(),
            expires: Instant::now() + self.ttl,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(account.to_string(), entry);
    }

    fn digest(&self, password: &str) -> [u8; 32] {
        Sha256::new().chain_update(self.key).chain_update(password.as_bytes()).finalize().into()
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_the_same_password_against_the_same_hash() {
        let cache = LoginCache::new(Duration::from_secs(60));
        assert!(!cache.contains("a@x", "pw", "$hash1"));
        cache.insert("a@x", "pw", "$hash1");
        assert!(cache.contains("a@x", "pw", "$hash1"));
        assert!(!cache.contains("a@x", "pw2", "$hash1"), "another password");
        assert!(!cache.contains("a@x", "pw", "$hash2"), "the password was changed");
        assert!(!cache.contains("b@x", "pw", "$hash1"), "another account");
    }

    #[test]
    fn zero_ttl_and_expiry_remember_nothing() {
        let off = LoginCache::new(Duration::ZERO);
        off.insert("a@x", "pw", "$h");
        assert!(!off.contains("a@x", "pw", "$h"));
        let short = LoginCache::new(Duration::from_millis(20));
        short.insert("a@x", "pw", "$h");
        std::thread::sleep(Duration::from_millis(40));
        assert!(!short.contains("a@x", "pw", "$h"));
    }
}
