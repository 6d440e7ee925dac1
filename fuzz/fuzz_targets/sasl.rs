//! SASL messages from AUTH: decoding any line and parsing any decoded PLAIN or LOGIN message
//! must return credentials or a typed error, never panic; credentials are never empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sasl;

fuzz_target!(|line: &[u8]| {
    for message in [sasl::decode_line(line), Ok(line.to_vec())].into_iter().flatten() {
        if let Ok(c) = sasl::parse_plain(&message) {
            assert!(!c.username.is_empty() && !c.password.is_empty());
        }
        if let Ok(field) = sasl::parse_login_field(&message) {
            assert!(!field.is_empty());
        }
    }
});
