//! Modified UTF-7 mailbox names (RFC 3501 5.1.3), as IMAP4rev1 clients send them and UTF-8
//! clients are shown them: decoding any name never panics; what decodes encodes back to the
//! very same octets (one spelling per name), and any UTF-8 name encodes to ASCII that decodes
//! back to it.
#![no_main]

use imap_proto::mutf7;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(decoded) = mutf7::decode(text) {
        assert_eq!(mutf7::encode(&decoded), text, "a name with two spellings");
    }
    let encoded = mutf7::encode(text);
    assert!(encoded.is_ascii());
    assert_eq!(mutf7::decode(&encoded).as_deref(), Some(text), "{encoded}");
});
