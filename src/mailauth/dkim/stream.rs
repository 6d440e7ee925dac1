//! Body hashes computed while a message streams in (SMTP DATA and BDAT): the header is kept
//! until it ends, its DKIM-Signature fields say which hashes are needed, and every body chunk
//! then goes through one [`BodyHasher`] per distinct canonicalization, hash and `l=`, as it
//! arrives. [`verify_streamed`](super::verify_streamed) uses the results instead of reading
//! the body again.

use std::collections::HashMap;

use memchr::memmem;

use super::algorithm::HashAlgorithm;
use super::canon::{BodyHash, BodyHasher, Canonicalization};
use super::headers;
use super::signature::Signature;
use super::verify::MAX_SIGNATURES;

/// What a body hash depends on: body canonicalization, hash algorithm and `l=`.
pub type BodyHashKey = (Canonicalization, HashAlgorithm, Option<u64>);

/// Body hashes by what they depend on.
pub type BodyHashes = HashMap<BodyHashKey, BodyHash>;

/// Most header octets kept while looking for its end; past that, the body is hashed after the
/// fact instead.
const MAX_HEADER: usize = 1 << 20;

/// Hashes a message's body as it is fed in order, from its first byte.
#[derive(Default)]
pub struct StreamingBodyHashes {
    /// The header so far, until its end is found.
    header: Vec<u8>,
    /// Set once the header ended: one hasher per needed key.
    hashers: Option<Vec<(BodyHashKey, BodyHasher)>>,
    /// The header was too long: nothing is hashed here.
    gave_up: bool,
}

impl StreamingBodyHashes {
    /// Nothing fed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the message (header and body, CRLF line ends).
    pub fn update(&mut self, chunk: &[u8]) {
        if self.gave_up {
            return;
        }
        if let Some(hashers) = &mut self.hashers {
            for (_, hasher) in hashers {
                hasher.update(chunk);
            }
            return;
        }
        let searched = self.header.len().saturating_sub(3);
        self.header.extend_from_slice(chunk);
        let end = if self.header.starts_with(b"\r\n") {
            Some(2)
        } else {
            memmem::find(&self.header[searched..], b"\r\n\r\n").map(|i| searched + i + 4)
        };
        match end {
            Some(end) => {
                let body = self.header.split_off(end);
                let mut hashers: Vec<(BodyHashKey, BodyHasher)> =
                    needed(&self.header).into_iter().map(|k| (k, BodyHasher::new(k.0, k.1, k.2))).collect();
                for (_, hasher) in &mut hashers {
                    hasher.update(&body);
                }
                self.header = Vec::new();
                self.hashers = Some(hashers);
            }
            None if self.header.len() > MAX_HEADER => {
                self.gave_up = true;
                self.header = Vec::new();
            }
            None => {}
        }
    }

    /// The body hashes, or `None` when the header never ended (or was too long to keep).
    pub fn finish(self) -> Option<BodyHashes> {
        let hashers = self.hashers?;
        Some(hashers.into_iter().map(|(key, hasher)| (key, hasher.finish())).collect())
    }
}

/// The distinct body hashes the header's DKIM-Signature fields ask for.
fn needed(header: &[u8]) -> Vec<BodyHashKey> {
    let (fields, _) = headers::split(header);
    let mut keys = Vec::new();
    for field in fields.iter().filter(|f| f.is("dkim-signature")).take(MAX_SIGNATURES) {
        if let Ok(sig) = Signature::parse_bytes(field.value()) {
            let key = (sig.body_canon, sig.algorithm.hash(), sig.body_length);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s;\r\n\
\th=from; bh=AAAA; b=BBBB\r\nDKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; d=example.com; s=t;\r\n\
\th=from; l=10; bh=AAAA; b=BBBB\r\nFrom: a@example.com\r\n\r\nHello  there \r\n\r\nsecond line\r\n\r\n\r\n";

    fn one_shot(key: BodyHashKey) -> BodyHash {
        let (_, body) = headers::split(MESSAGE);
        let mut hasher = BodyHasher::new(key.0, key.1, key.2);
        hasher.update(body);
        hasher.finish()
    }

    #[test]
    fn streamed_hashes_equal_one_shot_hashes_at_every_split() {
        for split in 0..MESSAGE.len() {
            for second in split..MESSAGE.len() {
                let mut s = StreamingBodyHashes::new();
                s.update(&MESSAGE[..split]);
                s.update(&MESSAGE[split..second]);
                s.update(&MESSAGE[second..]);
                let hashes = s.finish().expect("the header ends");
                assert_eq!(hashes.len(), 2, "one hash per distinct key");
                for (key, hash) in hashes {
                    assert_eq!(hash, one_shot(key), "split at {split} and {second}");
                }
            }
        }
    }

    #[test]
    fn a_header_that_never_ends_gives_nothing() {
        let mut s = StreamingBodyHashes::new();
        s.update(b"From: a@example.com\r\nSubject: no body");
        assert!(s.finish().is_none());
        let mut unsigned = StreamingBodyHashes::new();
        unsigned.update(b"From: a@example.com\r\n\r\nbody\r\n");
        assert_eq!(unsigned.finish().map(|h| h.len()), Some(0));
    }
}
