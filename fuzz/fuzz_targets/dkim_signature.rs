//! DKIM's parsers on any bytes: the tag=value list, the DKIM-Signature field and the key record
//! must return a value or a typed error, never panic, and every tag span must hold its value.
//! The same bytes as a body: the streaming body hasher must give the same hash however the
//! body is cut, for both canonicalizations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::dkim::{BodyHasher, Canonicalization, HashAlgorithm, KeyRecord, Signature, TagList};

fuzz_target!(|input: (u16, &[u8])| {
    let (cut, data) = input;
    if let Ok(sig) = Signature::parse_bytes(data) {
        assert!(sig.signed_headers.iter().any(|h| h == "from"));
        assert!(!sig.domain.is_empty() && !sig.selector.is_empty());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(tags) = TagList::parse(text) {
            for tag in tags.iter() {
                assert!(text[tag.span.clone()].contains(tag.value));
            }
        }
        let _ = KeyRecord::parse(text);
    }
    let cut = usize::from(cut).min(data.len());
    for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
        let mut whole = BodyHasher::new(canon, HashAlgorithm::Sha256, None);
        whole.update(data);
        let mut parts = BodyHasher::new(canon, HashAlgorithm::Sha256, None);
        parts.update(&data[..cut]);
        parts.update(&data[cut..]);
        assert_eq!(whole.finish(), parts.finish());
    }
});
