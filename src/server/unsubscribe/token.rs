//! Unsubscription tokens: which sender domain and recipient a link or a feedback report is
//! about, signed (HMAC-SHA-256, the first 128 bits) so that nobody unsubscribes others by
//! guessing. `BASE64URL(domain \0 recipient) . BASE64URL(tag)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// Octets of the tag kept.
const TAG_LEN: usize = 16;
/// Longest token read (a domain and an address fit well within it).
const MAX_LEN: usize = 1024;

/// The token for `recipient` of mail from `domain`, both lower-cased.
pub fn make(key: &hmac::Key, domain: &str, recipient: &str) -> String {
    let payload = format!("{}\0{}", domain.to_ascii_lowercase(), recipient.to_lowercase());
    let tag = hmac::sign(key, payload.as_bytes());
    format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(&tag.as_ref()[..TAG_LEN]))
}

/// The sender domain and recipient of a token `key` signed; None for anything else.
pub fn verify(key: &hmac::Key, token: &str) -> Option<(String, String)> {
    if token.len() > MAX_LEN {
        return None;
    }
    let (payload, tag) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if tag.len() != TAG_LEN {
        return None;
    }
    let full = hmac::sign(key, &payload);
    // Constant time: `ring` compares whole tags only, so compare the kept prefix ourselves.
    let differs = full.as_ref()[..TAG_LEN].iter().zip(&tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if differs != 0 {
        return None;
    }
    let text = String::from_utf8(payload).ok()?;
    let (domain, recipient) = text.split_once('\0')?;
    (!domain.is_empty() && recipient.contains('@')).then(|| (domain.to_string(), recipient.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &[seed; 32])
    }

    #[test]
    fn a_token_gives_back_its_domain_and_recipient() {
        let token = make(&key(1), "News.Example", "Bob@Far.Example");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {token}");
        assert_eq!(verify(&key(1), &token), Some(("news.example".into(), "bob@far.example".into())));
    }

    #[test]
    fn forged_altered_and_foreign_tokens_are_refused() {
        let token = make(&key(1), "news.example", "bob@far.example");
        assert_eq!(verify(&key(2), &token), None, "another key");
        let (payload, tag) = token.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode("news.example\0eve@far.example");
        assert_eq!(verify(&key(1), &format!("{other}.{tag}")), None, "another recipient, the same tag");
        let mut flipped = tag.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(verify(&key(1), &format!("{payload}.{}", String::from_utf8(flipped).unwrap())), None);
        for junk in ["", ".", "abc", "abc.def", &"x".repeat(5000), &format!("{payload}.")] {
            assert_eq!(verify(&key(1), junk), None, "{junk:.20}");
        }
    }
}
