//! The key record's rules (`t=`, `h=`, `k=`, `s=`, revocation, size), DNS failures, the clock,
//! the signature count and `header.b` prefixes.

use super::super::DkimResult::{Fail, Pass, PermError, TempError};
use super::super::{MAX_SIGNATURES, Signer, SigningKey};
use super::roundtrip::{ed25519_key, message, rsa_key, signed};
use super::{Zone, results, run, zone_from_lines};

const NOW: u64 = 1_700_000_000;
const NAME: &str = "s._domainkey.example.com";

/// A message signed with `key` as d=example.com, s=s, and the key's record.
fn signed_by(key: SigningKey) -> (Vec<u8>, String) {
    let signer = Signer::new("example.com", "s", key);
    let (message, _) = signed(&signer, &message());
    (message, signer.key.public_key_record())
}

fn verdict(record: &str, message: &[u8]) -> super::super::Verdict {
    run(&Zone::default().with(NAME, record), message, NOW).remove(0)
}

#[test]
fn key_record_flags_and_restrictions() {
    let (message, record) = signed_by(rsa_key());
    assert_eq!(verdict(&record, &message).result, Pass);

    let testing = verdict(&format!("{record}; t=y"), &message);
    assert_eq!((testing.result, testing.testing), (Pass, true));
    assert!(testing.reason.unwrap().contains("testing"));

    assert_eq!(verdict(&format!("{record}; h=sha1"), &message).result, PermError);
    assert_eq!(verdict(&format!("{record}; h=sha1:sha256"), &message).result, Pass);
    assert_eq!(verdict(&format!("{record}; s=tlsrpt"), &message).result, PermError);
    assert_eq!(verdict(&format!("{record}; s=email:tlsrpt"), &message).result, Pass);
    assert_eq!(verdict(&record.replace("k=rsa", "k=ed25519"), &message).result, PermError);
    let revoked = verdict("v=DKIM1; k=rsa; p=", &message);
    assert_eq!((revoked.result, revoked.reason.as_deref()), (Fail, Some("key revoked")));
    // An Ed25519 signature against an RSA key.
    let (ed_message, _) = signed_by(ed25519_key());
    assert_eq!(verdict(&record, &ed_message).result, PermError);
}

#[test]
fn strict_keys_refuse_subdomain_identities() {
    let (message, record) = signed_by(ed25519_key());
    let text = String::from_utf8(message).unwrap();
    // Our signer writes no i=; dkimpy's rsa2048pkcs8-identity.eml covers a signed i=. Here a
    // t=s key with no i= passes, and t=s is checked against i= in the parsed signature.
    assert_eq!(verdict(&format!("{record}; t=s"), text.as_bytes()).result, Pass);
    let zone = zone_from_lines(&super::text("dkimpy-signed/records.txt").replace("g=*;", "t=s;"));
    let verdicts = run(&zone, &super::data("dkimpy-signed/rsa2048pkcs8-identity.eml"), 4_000_000_000);
    assert_eq!(results(&verdicts), [PermError], "{verdicts:?}");
}

#[test]
fn short_rsa_keys_are_refused() {
    let (message, _) = signed_by(rsa_key());
    // mailauth's public-small.pem: a 512-bit RSA key.
    let small = "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALJAzaT5FwXdsMJxkqi4ZKcBPW+Acyi5fDMF/ozF+lwYI98Pz6iMCy+PPG4YdxT77D7cV38iDnJhxc3QOmUoN4sCAwEAAQ==";
    let v = verdict(small, &message);
    assert_eq!(v.result, PermError);
    assert!(v.reason.unwrap().contains("512 bits"));
}

#[test]
fn dns_answers() {
    let (message, record) = signed_by(ed25519_key());
    assert_eq!(results(&run(&Zone::default().failing(NAME), &message, NOW)), [TempError]);
    assert_eq!(results(&run(&Zone::default(), &message, NOW)), [PermError]);
    assert_eq!(results(&run(&Zone::default().with(NAME, "v=DKIM1; p=!!"), &message, NOW)), [PermError]);
    // A broken record before a good one: the first that parses is used.
    let zone = Zone::default().with(NAME, "garbage").with(NAME, &record);
    assert_eq!(results(&run(&zone, &message, NOW)), [Pass]);
}

#[test]
fn the_clock() {
    let (message, record) = signed_by(ed25519_key());
    let zone = Zone::default().with(NAME, &record);
    // Signed at NOW: a verifier whose clock is a little behind still accepts it.
    assert_eq!(results(&run(&zone, &message, NOW - 200)), [Pass]);
    assert_eq!(results(&run(&zone, &message, NOW - 3600)), [PermError]);
}

#[test]
fn at_most_ten_signatures_and_distinct_b_prefixes() {
    let (message, record) = signed_by(ed25519_key());
    let zone = Zone::default().with(NAME, &record);
    let mut many = message.clone();
    for _ in 0..12 {
        let field = Signer::new("example.com", "s", ed25519_key()).sign(&message, NOW).unwrap();
        many = [field.as_bytes(), &many].concat();
    }
    let verdicts = run(&zone, &many, NOW);
    assert_eq!(verdicts.len(), MAX_SIGNATURES);
    // Other keys signed those: they fail against the published one, and their header.b
    // prefixes differ.
    assert!(verdicts.iter().all(|v| v.result == Fail));
    for (i, a) in verdicts.iter().enumerate() {
        assert!(a.signature_b_prefix.len() >= 8);
        for b in &verdicts[i + 1..] {
            assert_ne!(a.signature_b_prefix, b.signature_b_prefix);
        }
    }
}

#[test]
fn hostile_signature_fields_never_panic() {
    let (message, record) = signed_by(ed25519_key());
    let zone = Zone::default().with(NAME, &record);
    let body = String::from_utf8(message).unwrap();
    for field in [
        "DKIM-Signature:",
        "DKIM-Signature: ;",
        "DKIM-Signature: v=1; a=rsa-sha256; b=\u{fffd}; bh=; d=; h=; s=",
        "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; l=99999999999999999999999",
        "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; l=5",
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; x=1; t=0",
        "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=s; h=from:from:from:from; bh=AAAA; b=AAAA",
    ] {
        let verdicts = run(&zone, format!("{field}\r\n{body}").as_bytes(), NOW);
        assert_eq!(verdicts.len(), 2);
        assert_ne!(verdicts[0].result, Pass, "{field}");
        assert_eq!(verdicts[1].result, Pass, "{field}");
    }
    let mut bytes = b"DKIM-Signature: v=1; a=\xff\xfe\r\n".to_vec();
    bytes.extend_from_slice(body.as_bytes());
    assert_eq!(results(&run(&zone, &bytes, NOW)), [PermError, Pass]);
}
