//! The RFC 5322 author: any bytes as an address list (`message::mime::address::parse`) and as a
//! whole message (`mailauth::author::author_domain`) must never panic. An author domain is
//! never empty, is lower case and holds only letters, digits, `-` and `.`; for a one-line
//! `From:` value it is the host of the one address that the address parser reads there (in
//! lower case; a non-ASCII host is compared only for being there).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::author::author_domain;
use message::mime::address;

/// Checks what `author_domain` says of a message.
fn check(domain: &Option<String>) {
    if let Some(domain) = domain {
        assert!(!domain.is_empty());
        assert!(domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
    }
}

fuzz_target!(|data: &[u8]| {
    let addresses = address::parse(data);
    check(&author_domain(data));

    let message = [b"Subject: x\r\nFrom: ", data, b"\r\n\r\nbody\r\n"].concat();
    let domain = author_domain(&message);
    check(&domain);
    if let Some(domain) = domain
        && !data.contains(&b'\r')
        && !data.contains(&b'\n')
    {
        let [one] = addresses.as_slice() else { panic!("author {domain:?} from {} addresses", addresses.len()) };
        let host = one.host.as_deref().expect("an author has a host");
        let host = host.strip_suffix(b".").unwrap_or(host);
        // A non-ASCII host comes out as its A-label (IDNA), an ASCII one as it is.
        if host.is_ascii() {
            assert_eq!(host.to_ascii_lowercase(), domain.as_bytes());
        }
    }
});
