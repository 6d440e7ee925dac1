//! Sign, then verify: RSA and Ed25519, every canonicalization pair, and what oversigning buys.

use super::super::DkimResult::{Fail, Pass};
use super::super::{Canonicalization, KeyType, SignError, Signer, SigningKey, generate, signature::Signature};
use super::{Zone, crlf, data, results, run, text};

const NOW: u64 = 1_700_000_000;

pub(super) fn message() -> Vec<u8> {
    crlf(b"Received: from a by b\nFrom: Joe SixPack <joe@football.example.com>\nTo: Suzie Q <suzie@shopping.example.net>\n\
Subject: Is dinner ready?\nDate: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n\
Message-ID: <20030712040037.46341.5F8J@football.example.com>\n\nHi.\n\nWe lost the game.  Are you hungry yet?  \n\nJoe.\n\n\n")
}

pub(super) fn rsa_key() -> SigningKey {
    SigningKey::from_pem(&text("dkimpy-1.1.8/data/2048_testkey_PKCS8.key")).unwrap()
}

pub(super) fn ed25519_key() -> SigningKey {
    let (pkcs8, _) = generate(KeyType::Ed25519).unwrap();
    SigningKey::from_pkcs8_der(&pkcs8).unwrap()
}

/// Signs `message` and returns the signed message and a zone serving the key.
pub(super) fn signed(signer: &Signer, message: &[u8]) -> (Vec<u8>, Zone) {
    let field = signer.sign(message, NOW).unwrap();
    let zone = Zone::default()
        .with(&format!("{}._domainkey.{}", signer.selector, signer.domain), &signer.key.public_key_record());
    ([field.as_bytes(), message].concat(), zone)
}

#[test]
fn round_trips_for_every_key_and_canonicalization() {
    use Canonicalization::{Relaxed, Simple};
    for key in [rsa_key, ed25519_key] {
        for (header_canon, body_canon) in [(Simple, Simple), (Simple, Relaxed), (Relaxed, Simple), (Relaxed, Relaxed)] {
            let mut signer = Signer::new("football.example.com", "sel", key());
            signer.header_canon = header_canon;
            signer.body_canon = body_canon;
            let (message, zone) = signed(&signer, &message());
            let verdicts = run(&zone, &message, NOW + 1);
            assert_eq!(results(&verdicts), [Pass], "{:?} {header_canon:?}/{body_canon:?}: {verdicts:?}", signer.key);
            assert!(!verdicts[0].weak);

            let tampered = String::from_utf8(message).unwrap().replace("hungry", "angry");
            assert_eq!(results(&run(&zone, tampered.as_bytes(), NOW + 1)), [Fail]);
        }
    }
}

#[test]
fn pkcs1_rsa_keys_load_too() {
    let key = SigningKey::from_pem(&text("dkimpy-1.1.8/data/2048_testkey.key")).unwrap();
    let (message, zone) = signed(&Signer::new("example.com", "s1", key), &message());
    assert_eq!(results(&run(&zone, &message, NOW)), [Pass]);
    // And its record matches the one dkimpy publishes for it.
    let published = text("dkimpy-1.1.8/data/2048_testkey_wo_markers.pub.txt");
    let record = SigningKey::from_pem(&text("dkimpy-1.1.8/data/2048_testkey.key")).unwrap().public_key_record();
    assert_eq!(record.rsplit_once("p=").unwrap().1, published.trim().rsplit_once("p=").unwrap().1);
}

#[test]
fn the_field_is_folded_and_oversigned() {
    let field = Signer::new("football.example.com", "sel", rsa_key()).sign(&message(), NOW).unwrap();
    assert!(field.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=football.example.com;"));
    assert!(field.ends_with("\r\n"));
    for line in field.trim_end().split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    let value = field.split_once(':').unwrap().1.trim_end();
    let sig = Signature::parse(value).unwrap();
    assert_eq!(sig.timestamp, Some(NOW));
    let count = |name: &str| sig.signed_headers.iter().filter(|h| *h == name).count();
    // Present once and oversigned: twice. Absent but oversigned: once. Received: never.
    assert_eq!((count("from"), count("subject"), count("message-id")), (2, 2, 2));
    assert_eq!((count("cc"), count("reply-to"), count("received"), count("references")), (1, 1, 0, 0));
}

#[test]
fn added_oversigned_fields_break_the_signature() {
    let (message, zone) = signed(&Signer::new("example.com", "s", ed25519_key()), &message());
    let text = String::from_utf8(message).unwrap();
    for added in ["Subject: Buy now\r\n", "Cc: someone@else.example\r\n", "Reply-To: <m@evil.example>\r\n"] {
        let forged = text.replacen("Received:", &format!("{added}Received:"), 1);
        assert_eq!(results(&run(&zone, forged.as_bytes(), NOW)), [Fail], "{added}");
    }
    // A field not signed may be added.
    let extra = text.replacen("Received:", "X-Spam: no\r\nReceived:", 1);
    assert_eq!(results(&run(&zone, extra.as_bytes(), NOW)), [Pass]);
}

#[test]
fn expiry_is_written_and_enforced() {
    let mut signer = Signer::new("example.com", "s", ed25519_key());
    signer.expire_after = Some(3600);
    let (message, zone) = signed(&signer, &message());
    assert_eq!(results(&run(&zone, &message, NOW + 3600)), [Pass]);
    assert_eq!(results(&run(&zone, &message, NOW + 7200))[0], super::super::DkimResult::PermError);
}

#[test]
fn signing_needs_a_from_field_and_valid_names() {
    let no_from = crlf(&data("dkimpy-1.1.8/data/test_nofrom.message"));
    assert_eq!(Signer::new("example.com", "s", ed25519_key()).sign(&no_from, NOW), Err(SignError::NoFrom));
    assert!(matches!(Signer::new("exa mple.com", "s", ed25519_key()).sign(&message(), NOW), Err(SignError::Name(_))));
}

#[test]
fn generated_keys_sign_and_verify() {
    for key_type in [KeyType::Ed25519, KeyType::Rsa] {
        let (pkcs8, record) = generate(key_type).unwrap();
        let key = SigningKey::from_pkcs8_der(&pkcs8).unwrap();
        assert_eq!(key.key_type(), key_type);
        assert_eq!(record, key.public_key_record());
        assert!(record.starts_with(&format!("v=DKIM1; k={}; p=", key_type.as_str())));
        let (message, zone) = signed(&Signer::new("example.com", "gen", key), &message());
        let verdicts = run(&zone, &message, NOW);
        assert_eq!(results(&verdicts), [Pass]);
        let bits = if key_type == KeyType::Rsa { 2048 } else { 256 };
        assert_eq!(verdicts[0].key_bits, Some(bits));
    }
}
