//! IMAP URLs (RFC 5092) as CATENATE names messages: parsing any string never panics, and what
//! parses names a message (a nonzero UID) with a section and partial range that make sense.
#![no_main]

use imap_proto::command::parse_section;
use imap_proto::imap_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(url) = imap_url::parse(text) {
        assert!(url.uid > 0);
        assert!(url.partial.is_none_or(|(_, length)| length != Some(0)));
        if let Some(section) = &url.section {
            let _ = parse_section(section.as_bytes());
        }
    }
});
