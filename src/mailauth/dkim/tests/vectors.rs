//! Published vectors: Stalwart's mail-auth suite (RFC 8463 A.3 and real mail), mailauth's
//! RFC 8463 files and dkimpy's messages.

use super::super::DkimResult::{Fail, Pass, PermError};
use super::{Zone, crlf, data, results, run, text, zone_from_lines};

/// `NNN.txt`: DNS records (`name record` lines), an empty line, then the message.
fn stalwart(n: u32) -> (Zone, Vec<u8>) {
    let file = text(&format!("stalwart-mail-auth/{n:03}.txt"));
    let (records, message) = file.split_once("\n\n").expect("records, blank line, message");
    (zone_from_lines(records), crlf(message.as_bytes()))
}

/// Each file at a time just after its signatures were made (005's expire a day later).
const STALWART: &[(u32, u64, usize)] = &[
    (1, 1528637909, 2),
    (2, 1615825284, 1),
    (3, 1667592145, 2),
    (4, 1667862801, 1),
    (5, 1667843664, 1),
    (6, 1667414738, 1),
];

#[test]
fn stalwart_mail_auth_vectors_pass() {
    for &(n, now, count) in STALWART {
        let (zone, message) = stalwart(n);
        let verdicts = run(&zone, &message, now + 60);
        assert_eq!(results(&verdicts), vec![Pass; count], "{n:03}: {verdicts:#?}");
    }
}

#[test]
fn rfc8463_example_details() {
    let (zone, message) = stalwart(1);
    let verdicts = run(&zone, &message, 1528637909);
    let (ed, rsa) = (&verdicts[0], &verdicts[1]);
    assert_eq!(
        (ed.algorithm.as_str(), ed.selector.as_str(), ed.domain.as_str()),
        ("ed25519-sha256", "brisbane", "football.example.com")
    );
    assert_eq!((ed.key_bits, ed.weak), (Some(256), false));
    assert_eq!(ed.identity.as_deref(), Some("@football.example.com"));
    assert_eq!(ed.signature_b_prefix, "/gCrinpc");
    // The RFC's RSA example key has 1024 bits: accepted, but weak (RFC 8301).
    assert_eq!((rsa.algorithm.as_str(), rsa.key_bits, rsa.weak), ("rsa-sha256", Some(1024), true));
    assert_eq!(rsa.signature_b_prefix, "F45dVWDf");
}

#[test]
fn expired_signature_is_a_permerror() {
    // 005 has x=1667930064.
    let (zone, message) = stalwart(5);
    let verdicts = run(&zone, &message, 1667930064 + 3600);
    assert_eq!(results(&verdicts), [PermError]);
    assert!(verdicts[0].reason.as_deref().unwrap_or("").contains("expired"), "{verdicts:?}");
}

#[test]
fn mailauth_rfc8463_files_pass() {
    let dns: serde_json::Value = serde_json::from_slice(&data("mailauth-js/ec/dns.json")).unwrap();
    let mut zone = Zone::default();
    for (name, types) in dns.as_object().unwrap() {
        for record in types["TXT"].as_array().unwrap() {
            let joined: String = record.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            zone.add(name, &joined);
        }
    }
    let message = crlf(&data("mailauth-js/ec/signed.eml"));
    assert_eq!(results(&run(&zone, &message, 1528637909)), [Pass, Pass]);
}

fn real_mail_zone() -> Zone {
    zone_from_lines(&text("records.txt"))
}

#[test]
fn dkimpy_degenerate_folding_passes() {
    // test2.message: `b=` folded with a space inside the base64 (Debian bug 711751).
    let verdicts = run(&real_mail_zone(), &crlf(&data("dkimpy-1.1.8/data/test2.message")), 1370770622);
    assert_eq!(results(&verdicts), [Pass], "{verdicts:#?}");
}

#[test]
fn dkimpy_bad_domain_is_a_permerror() {
    let zone =
        Zone::default().with("test._domainkey.legitimate.com(.attacker.com", &text("dkimpy-1.1.8/data/test.txt"));
    let verdicts = run(&zone, &crlf(&data("dkimpy-1.1.8/data/test.message.baddomain")), 1587514615);
    assert_eq!(results(&verdicts), [PermError]);
    assert!(verdicts[0].reason.as_deref().unwrap_or("").contains("invalid domain"));
}

/// dkimpy's key records, served in place of the RSA key of RFC 8463's example (the same key
/// for `test.txt`, `test2.txt` and, corrupted or mislabelled, for the others).
#[test]
fn dkimpy_key_records() {
    let (_, message) = stalwart(1);
    let cases = [
        ("test.txt", Pass),
        ("test2.txt", Pass),
        ("test_bad.txt", PermError),
        ("badversion.txt", PermError),
        ("badk.txt", PermError),
        ("test_tlsrpt.txt", PermError),
    ];
    for (file, expected) in cases {
        let record = text(&format!("dkimpy-1.1.8/data/{file}"));
        let zone = Zone::default().with("test._domainkey.football.example.com", record.trim()).with(
            "brisbane._domainkey.football.example.com",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        );
        let verdicts = run(&zone, &message, 1528637909);
        assert_eq!(verdicts[1].result, expected, "{file}: {:?}", verdicts[1]);
        assert_eq!(verdicts[0].result, Pass);
    }
}

fn rfc8463_zone() -> Zone {
    stalwart(1).0
}

#[test]
fn tampered_header_fails() {
    let (_, message) = stalwart(1);
    let tampered =
        String::from_utf8(message).unwrap().replace("Subject: Is dinner ready?", "Subject: Is dinner ready?!");
    assert_eq!(results(&run(&rfc8463_zone(), tampered.as_bytes(), 1528637909)), [Fail, Fail]);
}

#[test]
fn tampered_body_fails_on_the_body_hash() {
    let (_, message) = stalwart(1);
    let tampered = String::from_utf8(message).unwrap().replace("We lost", "We won");
    let verdicts = run(&rfc8463_zone(), tampered.as_bytes(), 1528637909);
    assert_eq!(results(&verdicts), [Fail, Fail]);
    assert_eq!(verdicts[0].reason.as_deref(), Some("body hash did not verify"));
}

#[test]
fn whitespace_changes_pass_relaxed() {
    let (_, message) = stalwart(1);
    let respaced = String::from_utf8(message)
        .unwrap()
        .replace("Subject: Is dinner", "subject:   Is \t dinner")
        .replace("game.  Are", "game. \t Are");
    assert_eq!(results(&run(&rfc8463_zone(), respaced.as_bytes(), 1528637909)), [Pass, Pass]);
}

#[test]
fn added_from_fails_because_from_is_oversigned() {
    // h= lists from twice but the message has one From: a second one is noticed.
    let (_, message) = stalwart(1);
    let mut forged = message.clone();
    let at = forged.windows(5).position(|w| w == b"From:").unwrap();
    forged.splice(at..at, b"From: Mallory <m@evil.example>\r\n".iter().copied());
    assert_eq!(results(&run(&rfc8463_zone(), &forged, 1528637909)), [Fail, Fail]);
}

#[test]
fn unsigned_from_is_a_permerror() {
    let (_, message) = stalwart(1);
    let text = String::from_utf8(message)
        .unwrap()
        .replace("h=from : to :", "h=to :")
        .replace("message-id : from : subject", "message-id : subject");
    let verdicts = run(&rfc8463_zone(), text.as_bytes(), 1528637909);
    assert_eq!(verdicts[0].result, PermError);
    assert_eq!(verdicts[0].reason.as_deref(), Some("From field not signed"));
    assert_eq!(verdicts[0].domain, "football.example.com");
}

#[test]
fn broken_base64_is_a_permerror() {
    let (_, message) = stalwart(1);
    let text = String::from_utf8(message).unwrap().replace("b=/gCrinpc", "b=/gC!inpc");
    assert_eq!(run(&rfc8463_zone(), text.as_bytes(), 1528637909)[0].result, PermError);
}

#[test]
fn truncated_messages_never_panic() {
    let (zone, message) = stalwart(1);
    for len in 0..message.len() {
        assert!(run(&zone, &message[..len], 1528637909).len() <= 2);
    }
}
