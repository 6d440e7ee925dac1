//! Any text as a ClamAV signature file of each supported type: loading must never panic, and
//! the database it gives must scan without panicking and still know EICAR.
#![no_main]

use antivirus::Database;
use libfuzzer_sys::fuzz_target;

const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes).into_owned();
    for kind in ["hdb", "hsb", "ndb"] {
        let sources = [("fuzz".to_string(), kind.to_string(), text.clone())];
        let Ok(database) = Database::parse(&sources) else { continue };
        let _ = database.scan(bytes);
        assert!(database.scan(EICAR).is_some());
    }
});
