//! SASL messages from AUTH (SMTP, IMAP AUTHENTICATE, POP3 AUTH), PLAIN and LOGIN: decoding any
//! line (`decode_line`) and parsing any decoded or raw message as PLAIN (`parse_plain`) or as
//! a LOGIN field (`parse_login_field`) must return a value or a typed error, never panic.
//! A decoded line encodes back to itself; credentials are never empty and hold no NUL; a PLAIN
//! message rebuilt from its credentials, with or without the same authorization identity,
//! reads the same; a LOGIN field is exactly the message's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sasl::{Credentials, Mechanism, decode_line, encode, parse_login_field, parse_plain};

fuzz_target!(|line: &[u8]| {
    if let Ok(name) = std::str::from_utf8(line) {
        let _ = Mechanism::parse(name);
    }
    let decoded = decode_line(line);
    if let Ok(message) = &decoded {
        assert_eq!(decode_line(encode(message).as_bytes()).as_ref(), Ok(message));
    }
    for message in [decoded, Ok(line.to_vec())].into_iter().flatten() {
        if let Ok(Credentials { username, password }) = parse_plain(&message) {
            assert!(!username.is_empty() && !password.is_empty());
            assert!(!username.contains('\0') && !password.contains('\0'));
            let again = Credentials { username: username.clone(), password: password.clone() };
            let bare = format!("\0{username}\0{password}");
            assert_eq!(parse_plain(bare.as_bytes()).as_ref(), Ok(&again));
            let acting = format!("{username}\0{username}\0{password}");
            assert_eq!(parse_plain(acting.as_bytes()).as_ref(), Ok(&again));
        }
        if let Ok(field) = parse_login_field(&message) {
            assert!(!field.is_empty() && !field.contains('\0'));
            assert_eq!(field.as_bytes(), &message[..]);
        }
    }
});
