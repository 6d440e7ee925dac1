//! Messages signed by dkimpy (an independent implementation) with its test keys, verified
//! here. `tests/data/dkim/dkimpy-signed/gen.py` made them.

use super::super::DkimResult::{Fail, Pass};
use super::{Zone, data, results, run, text, zone_from_lines};

/// After every t= the generator can have written.
const NOW: u64 = 4_000_000_000;

fn zone() -> Zone {
    zone_from_lines(&text("dkimpy-signed/records.txt"))
}

#[test]
fn every_dkimpy_signature_passes() {
    let cases = [
        ("rsa2048-relaxed-relaxed", false),
        ("rsa2048-relaxed-simple", false),
        ("rsa2048-simple-relaxed", false),
        ("rsa2048-simple-simple", false),
        ("rsa2048-sha1", true),
        ("rsa2048-length", false),
        ("rsa2048pkcs8-identity", false),
        ("rsa1024-relaxed-relaxed", true),
        ("ed25519-relaxed-relaxed", false),
        ("ed25519-simple-simple", false),
    ];
    for (name, weak) in cases {
        let verdicts = run(&zone(), &data(&format!("dkimpy-signed/{name}.eml")), NOW);
        assert_eq!(results(&verdicts), [Pass], "{name}: {verdicts:#?}");
        assert_eq!(verdicts[0].weak, weak, "{name}");
    }
}

#[test]
fn body_length_limit_notes_the_unsigned_remainder() {
    let verdicts = run(&zone(), &data("dkimpy-signed/rsa2048-length.eml"), NOW);
    let reason = verdicts[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("l=25") && reason.contains("25 body bytes unsigned"), "{reason}");
}

#[test]
fn identity_is_reported() {
    let verdicts = run(&zone(), &data("dkimpy-signed/rsa2048pkcs8-identity.eml"), NOW);
    assert_eq!(verdicts[0].identity.as_deref(), Some("joe@mail.example.com"));
}

#[test]
fn dkimpy_signatures_fail_when_tampered() {
    for name in ["rsa2048-simple-simple", "ed25519-relaxed-relaxed"] {
        let message = String::from_utf8(data(&format!("dkimpy-signed/{name}.eml"))).unwrap();
        let body = message.replace("This is a test message.", "This is a test message!");
        let header = message.replace("Subject: Testing", "Subject: Testing 2");
        assert_eq!(results(&run(&zone(), body.as_bytes(), NOW)), [Fail], "{name}");
        assert_eq!(results(&run(&zone(), header.as_bytes(), NOW)), [Fail], "{name}");
    }
}
