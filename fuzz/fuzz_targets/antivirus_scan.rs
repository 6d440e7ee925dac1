//! Any bytes as a received message through the virus scanner: MIME parsing and decoding of
//! every part (`message::Parsed`) and the signature matching must never panic, and the built-in
//! EICAR signature is found wherever the raw bytes carry it.
#![no_main]

use std::sync::OnceLock;

use antivirus::{Database, scan};
use libfuzzer_sys::fuzz_target;
use message::Parsed;

const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fuzz_target!(|bytes: &[u8]| {
    static DATABASE: OnceLock<Database> = OnceLock::new();
    let database = DATABASE.get_or_init(|| Database::load(&[] as &[&str]).expect("built-in signatures"));
    let found = scan(database, &Parsed::new(bytes));
    if memchr::memmem::find(bytes, EICAR).is_some() {
        assert_eq!(found, Some("Eicar-Test-Signature"));
    }
});
