//! Hostile inputs: the parsers and the validator on bytes made to hurt. Nothing may panic, and
//! what parses must be within the limits the types promise.

use super::{Zone, run};
use crate::arc::{ArcAuthenticationResults, ArcMessageSignature, ArcResult, ArcSeal, MAX_INSTANCE, Sealer};
use crate::dkim::{KeyType, Signer, SigningKey, generate};

/// A small deterministic generator (xorshift64*), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces that ARC fields are made of, and some that break them.
const PIECES: &[&[u8]] = &[
    b"i=1",
    b"i=50",
    b"i=51",
    b"i=0",
    b"i=",
    b"i=99999999999999999999",
    b"a=rsa-sha256",
    b"a=ed25519-sha256",
    b"a=rsa-sha1",
    b"cv=none",
    b"cv=pass",
    b"cv=fail",
    b"cv=",
    b"b=AAAA",
    b"b=",
    b"bh=AAAA",
    b"d=example.org",
    b"d=.",
    b"s=sel",
    b"h=from:to",
    b"h=",
    b"h=::",
    b"h=arc-seal",
    b"c=relaxed/relaxed",
    b"c=x",
    b"t=1",
    b"t=-1",
    b"x=0",
    b"l=99999999999999999999999999999",
    b"q=dns/txt",
    b"mx.example",
    b";",
    b";;",
    b"=",
    b" ",
    b"\t",
    b"\r\n ",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"(",
    b")",
    b"\"",
    b"i",
    b"\x7f",
];

fn random_field(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(24) {
        if rng.below(8) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        if rng.below(3) == 0 {
            out.extend_from_slice(b"; ");
        }
    }
    out
}

#[test]
fn parsers_take_any_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let field = random_field(&mut rng);
        if let Ok(aar) = ArcAuthenticationResults::parse_bytes(&field) {
            assert!((1..=MAX_INSTANCE).contains(&aar.instance));
            assert!(!aar.authserv_id.is_empty() && aar.payload.starts_with(&aar.authserv_id));
        }
        if let Ok(ams) = ArcMessageSignature::parse_bytes(&field) {
            assert!((1..=MAX_INSTANCE).contains(&ams.instance));
            assert!(ams.b_span.end <= field.len() && !ams.signature.is_empty());
            assert!(!ams.signed_headers.iter().any(|h| h.is_empty() || h == "arc-seal"));
        }
        if let Ok(seal) = ArcSeal::parse_bytes(&field) {
            assert!((1..=MAX_INSTANCE).contains(&seal.instance));
            assert!(seal.b_span.end <= field.len() && !seal.signature.is_empty());
        }
    }
}

/// Messages whose ARC fields are random: the validator answers and never passes them (no key
/// is published), and the sealer either refuses or makes a set.
#[test]
fn validator_and_sealer_take_any_arc_fields() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let zone = Zone::default().with("sel._domainkey.example.org", "v=DKIM1; p=MIIB");
    let (pkcs8, _) = generate(KeyType::Ed25519).unwrap();
    let signer = Signer::new("example.org", "sel", SigningKey::from_pkcs8_der(&pkcs8).unwrap());
    let names: [&[u8]; 4] = [b"ARC-Seal:", b"ARC-Message-Signature:", b"ARC-Authentication-Results:", b"arc-seal :"];
    for _ in 0..2_000 {
        let mut message = Vec::new();
        for _ in 0..rng.below(8) {
            message.extend_from_slice(names[rng.below(names.len())]);
            message.extend_from_slice(&random_field(&mut rng));
            message.extend_from_slice(b"\r\n");
        }
        message.extend_from_slice(b"From: a@example.org\r\n\r\nbody\r\n");
        let out = run(&zone, &message, 1_700_000_000);
        assert_ne!(out.result, ArcResult::Pass, "{}", String::from_utf8_lossy(&message));
        let _ = Sealer::new(&signer).seal(&message, "mx", "spf=pass", out.result, 1_700_000_000);
    }
}

#[test]
fn hostile_messages() {
    let zone = Zone::default();
    let now = 1_700_000_000;
    let none = |m: &[u8]| run(&zone, m, now).result;
    assert_eq!(none(b""), ArcResult::None);
    assert_eq!(none(b"\r\n\r\n"), ArcResult::None);
    assert_eq!(none(b"ARC-Sealed: i=1\r\n\r\n"), ArcResult::None);
    assert_eq!(none(b"\r\nARC-Seal: i=1; in the body\r\n"), ArcResult::None);
    for message in [
        &b"ARC-Seal:"[..],
        b"ARC-Seal:\r\n\r\n",
        b"ARC-Seal: \xff\xfe\r\n\r\n",
        b"arc-seal:i=1\nFrom: x\n\nbare LF\n",
        b"ARC-Authentication-Results: i=1; mx\r\n ARC-Seal: folded into it\r\n",
        b"ARC-Message-Signature: i=1; h=from:::::::::; b=AAAA\r\n",
    ] {
        let out = run(&zone, message, now);
        assert_eq!(out.result, ArcResult::Fail, "{}", String::from_utf8_lossy(message));
        assert!(out.reason.is_some());
    }

    // Ten thousand ARC fields are refused before they are parsed.
    let many = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA\r\n".repeat(10_000);
    let out = run(&zone, many.as_bytes(), now);
    assert_eq!(out.reason.as_deref(), Some("10000 ARC header fields, more than 150"));

    // A huge h= list and a huge l= do no harm.
    let huge_h = format!(
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA\r\n\
         ARC-Message-Signature: i=1; a=rsa-sha256; d=example.org; s=s; l=99999999999; h={}from; bh=AAAA; b=AAAA\r\n\
         ARC-Authentication-Results: i=1; mx; none\r\n\r\nbody\r\n",
        "to:".repeat(20_000)
    );
    let out = run(&zone, huge_h.as_bytes(), now);
    assert_eq!(out.reason.as_deref(), Some("ARC-Message-Signature i=1: body is shorter than l=99999999999"));
}

/// Key records that are not keys, or keys that do not fit.
#[test]
fn hostile_key_records() {
    let (pkcs8, _) = generate(KeyType::Ed25519).unwrap();
    let signer = Signer::new("example.org", "sel", SigningKey::from_pkcs8_der(&pkcs8).unwrap());
    let message = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
    let sealed = Sealer::new(&signer).seal(message, "mx", "", ArcResult::None, 1_000).unwrap();
    let sealed = [sealed.as_bytes(), message.as_slice()].concat();
    let name = "sel._domainkey.example.org";
    let good = signer.key.public_key_record();
    assert_eq!(run(&Zone::default().with(name, &good), &sealed, 1_000).result, ArcResult::Pass);
    for (record, reason) in [
        ("v=DKIM1; k=ed25519; p=", "key revoked"),
        ("v=DKIM1; k=rsa; p=AAAA", "inappropriate key algorithm (k=)"),
        ("v=DKIM1; k=ed25519; h=sha1; p=AAAA", "inappropriate hash algorithm (h=)"),
        ("v=DKIM1; k=ed25519; s=tlsrpt; p=AAAA", "key is not for email (s=)"),
        ("v=DKIM1; k=ed25519; p=AAAA", "key p= is not an Ed25519 public key"),
        (
            "omgwhatsgoingon",
            "key syntax error at sel._domainkey.example.org: key record syntax error: tag-spec without '=' at byte 0",
        ),
    ] {
        let out = run(&Zone::default().with(name, record), &sealed, 1_000);
        assert_eq!(out.result, ArcResult::Fail);
        assert_eq!(out.reason, Some(format!("ARC-Message-Signature i=1: {reason}")), "{record}");
    }
    let out = run(&Zone::default(), &sealed, 1_000);
    assert_eq!(out.reason.as_deref(), Some("ARC-Message-Signature i=1: no key record at sel._domainkey.example.org"));
    // Signatures from the future are refused, as for DKIM.
    let out = run(&Zone::default().with(name, &good), &sealed, 1_000 - 301);
    assert_eq!(out.reason.as_deref(), Some("ARC-Message-Signature i=1: signature made in the future (t=1000)"));
}
