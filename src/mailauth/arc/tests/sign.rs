//! Sealing, then validating what was sealed: the signing half of the ValiMail suite
//! (`arc-draft-sign-tests.yml`), chains of several hops with RSA and Ed25519 keys, and the
//! cases where no set may be added.
//!
//! The suite's expected `b=` values come from an old draft, and its key is RSA 1024, which ring
//! does not sign with (nor should a signer: RFC 8301 asks for 2048). So each case is sealed with
//! dkimpy's 2048-bit test key, published at another selector of the scenario's domain, next to
//! the scenario's own records that the older sets in its messages need. What is checked: the new
//! seal's `i=` and `cv=`, the new AAR against the suite's (whitespace aside), the AMS header list
//! against `sig-headers`, that our validator gives `pass` (or `fail` after `cv=fail`), and that
//! the new AMS and seal verify on their own.

use futures_lite::future::block_on;
use yaml_rust2::Yaml;

use super::{Zone, crlf, load_suite, read, run, text, zone_from_yaml};
use crate::arc::chain::{self, ArcSet, Parsed};
use crate::arc::verify::Verifier;
use crate::arc::{ArcAuthenticationResults, ArcError, ArcMessageSignature, ArcResult, ArcSeal, ChainStatus, Sealer};
use crate::dkim::headers::split;
use crate::dkim::{KeyType, Signer, SigningKey, generate};

const SUITE: &str = "arc/arc-draft-sign-tests.yml";

/// The cases in the file.
const SUITE_CASES: usize = 17;

/// The selector our key is published at in each scenario's zone.
const SELECTOR: &str = "arc2048";

fn rsa_key() -> SigningKey {
    SigningKey::from_pem(&read("dkim/dkimpy-1.1.8/data/2048_testkey_PKCS8.key")).unwrap()
}

fn ed25519_key() -> SigningKey {
    let (pkcs8, _) = generate(KeyType::Ed25519).unwrap();
    SigningKey::from_pkcs8_der(&pkcs8).unwrap()
}

/// Whitespace runs made one space, and one space after each `;`.
fn normalize(text: &str) -> String {
    text.split(';')
        .map(|part| part.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What our checks found, as the suite has it: the results of the message's
/// Authentication-Results fields whose authserv-id is `srv_id`, joined (the `ar_merged` cases
/// spread them over several fields, among others' fields).
fn our_results(message: &[u8], srv_id: &str) -> String {
    let (fields, _) = split(message);
    let mut parts = Vec::new();
    for field in fields.iter().filter(|f| f.is("authentication-results")) {
        let value = normalize(&String::from_utf8_lossy(field.value()));
        if let Some((id, results)) = value.split_once(';') {
            if id.trim() == srv_id {
                parts.push(results.trim().to_owned());
            }
        }
    }
    parts.join("; ")
}

/// The set we just put on top of `message`, checked on its own: its AMS over the message, its
/// seal over the sets it covers (its own only with `cv=fail`).
fn check_new_set(zone: &Zone, message: &[u8], now: u64) -> Result<(), String> {
    let (fields, body) = split(message);
    let [seal, ams, aar, ..] = fields.as_slice() else { return Err("fewer than three fields".into()) };
    let set = ArcSet {
        aar: Parsed {
            field: aar,
            value: ArcAuthenticationResults::parse_bytes(aar.value()).map_err(|e| e.to_string())?,
        },
        ams: Parsed { field: ams, value: ArcMessageSignature::parse_bytes(ams.value()).map_err(|e| e.to_string())? },
        seal: Parsed { field: seal, value: ArcSeal::parse_bytes(seal.value()).map_err(|e| e.to_string())? },
    };
    let mut verifier = Verifier::new(zone, &fields, body, now);
    block_on(verifier.message_signature(&set.ams)).map_err(|f| format!("new AMS: {}", f.reason))?;
    let scope = if set.seal.value.chain_status == ChainStatus::Fail {
        block_on(verifier.seal(std::slice::from_ref(&set)))
    } else {
        let sets = chain::collect(&fields).sets?;
        block_on(verifier.seal(&sets))
    };
    scope.map_err(|f| format!("new seal: {}", f.reason))
}

/// Seals one case of the suite and checks the outcome.
fn check_case(zone: &Zone, signer: &mut Signer, case: &Yaml) -> Result<(), String> {
    let message = crlf(text(&case["message"]));
    let now = case["t"].as_i64().and_then(|t| u64::try_from(t).ok()).ok_or("no t")?;
    let srv_id = text(&case["srv-id"]);
    let sig_headers: Vec<String> = text(&case["sig-headers"]).split(':').map(|h| h.trim().to_owned()).collect();
    signer.headers.clone_from(&sig_headers);

    let received = run(zone, &message, now);
    let sealed = Sealer::new(signer).seal(&message, srv_id, &our_results(&message, srv_id), received.result, now);
    if text(&case["AS"]).trim().is_empty() {
        // The suite expects no new set: the chain already ends with cv=fail.
        return match sealed {
            Err(ArcError::ChainFailed) => Ok(()),
            other => Err(format!("expected no new set, got {other:?}")),
        };
    }
    let want = ArcSeal::parse(text(&case["AS"])).map_err(|e| format!("the suite's AS: {e}"))?;
    let fields = sealed.map_err(|e| format!("sealing failed: {e} (chain on receipt: {received:?})"))?;

    let (new, _) = split(fields.as_bytes());
    let names: Vec<&[u8]> = new.iter().map(|f| f.name()).collect();
    if names != [&b"ARC-Seal"[..], b"ARC-Message-Signature", b"ARC-Authentication-Results"] || !fields.ends_with("\r\n")
    {
        return Err(format!("unexpected fields: {fields:?}"));
    }
    let seal = ArcSeal::parse_bytes(new[0].value()).map_err(|e| e.to_string())?;
    if (seal.instance, seal.chain_status) != (want.instance, want.chain_status) {
        return Err(format!(
            "seal i={} cv={}, expected i={} cv={}",
            seal.instance, seal.chain_status, want.instance, want.chain_status
        ));
    }
    let ams = ArcMessageSignature::parse_bytes(new[1].value()).map_err(|e| e.to_string())?;
    let mut signed = ams.signed_headers.clone();
    signed.dedup();
    let mut wanted: Vec<String> = Vec::new();
    for name in std::iter::once("from".to_owned()).chain(sig_headers) {
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    if signed != wanted {
        return Err(format!("AMS h= {:?}, expected the names {wanted:?}", ams.signed_headers));
    }
    let aar = ArcAuthenticationResults::parse_bytes(new[2].value()).map_err(|e| e.to_string())?;
    let got_aar = normalize(&format!("i={}; {}", aar.instance, aar.payload));
    if got_aar != normalize(text(&case["AAR"])) {
        return Err(format!("AAR {got_aar:?}, expected {:?}", normalize(text(&case["AAR"]))));
    }

    let sealed_message = [fields.as_bytes(), &message].concat();
    let out = run(zone, &sealed_message, now);
    let expected = if want.chain_status == ChainStatus::Fail { ArcResult::Fail } else { ArcResult::Pass };
    if out.result != expected {
        return Err(format!("validation gave {} ({:?}), expected {expected}", out.result, out.reason));
    }
    check_new_set(zone, &sealed_message, now)
}

#[test]
fn valimail_sign_suite_seal_then_validate() {
    let (scenarios, renamed) = load_suite(SUITE);
    assert!(renamed.is_empty(), "{renamed:?}");
    let (mut cases, mut failures) = (0, Vec::new());
    for scenario in &scenarios {
        let domain = text(&scenario["domain"]);
        // RSA 1024: ring refuses to sign with it.
        assert!(SigningKey::from_pem(text(&scenario["privatekey"])).is_err());
        let mut signer = Signer::new(domain, SELECTOR, rsa_key());
        let zone = zone_from_yaml(&scenario["txt-records"])
            .with(&format!("{SELECTOR}._domainkey.{domain}"), &signer.key.public_key_record());
        for (name, case) in scenario["tests"].as_hash().into_iter().flatten() {
            cases += 1;
            if let Err(e) = check_case(&zone, &mut signer, case) {
                failures.push(format!("{}: {e}", text(name)));
            }
        }
    }
    eprintln!("ARC signing suite (seal, then validate): {}/{cases} cases pass", cases - failures.len());
    assert_eq!(cases, SUITE_CASES);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

const NOW: u64 = 1_700_000_000;

fn message() -> Vec<u8> {
    crlf(
        "Received: from a by b\nFrom: Joe SixPack <joe@football.example.com>\n\
         To: list@lists.example.org\nSubject: Is dinner ready?\nDate: Fri, 11 Jul 2003 21:00:37 -0700\n\
         Message-ID: <20030712040037.46341.5F8J@football.example.com>\n\nHi.\n\nWe lost the game.\n",
    )
}

/// Three handlers: a list (RSA), a forwarder (Ed25519), a last hop (RSA), all in one zone.
fn handlers() -> (Vec<Signer>, Zone) {
    let signers = vec![
        Signer::new("lists.example.org", "arc", rsa_key()),
        Signer::new("fwd.example.net", "ed", ed25519_key()),
        Signer::new("example.com", "s1", rsa_key()),
    ];
    let mut zone = Zone::default();
    for s in &signers {
        zone.add(&format!("{}._domainkey.{}", s.selector, s.domain), &s.key.public_key_record());
    }
    (signers, zone)
}

/// One hop: validate on receipt, then seal with what was found.
fn hop(zone: &Zone, signer: &Signer, message: &[u8], now: u64) -> Result<Vec<u8>, ArcError> {
    let received = run(zone, message, now);
    let authserv_id = format!("mx.{}", signer.domain);
    let fields = Sealer::new(signer).seal(
        message,
        &authserv_id,
        "spf=pass smtp.mailfrom=joe@football.example.com",
        received.result,
        now,
    )?;
    Ok([fields.as_bytes(), message].concat())
}

#[test]
fn chains_of_three_hops_pass_and_break_where_changed() {
    let (signers, zone) = handlers();
    let mut msg = message();
    for (n, signer) in signers.iter().enumerate() {
        msg = hop(&zone, signer, &msg, NOW + n as u64).unwrap();
        let out = run(&zone, &msg, NOW + 10);
        assert_eq!(out.result, ArcResult::Pass, "after hop {}: {out:?}", n + 1);
        assert_eq!(out.instances as usize, n + 1);
        assert_eq!(out.oldest_pass, Some(0), "nothing changed the message");
        check_new_set(&zone, &msg, NOW + 10).unwrap();
    }
    let out = run(&zone, &msg, NOW + 10);
    assert_eq!(out.sealers, ["lists.example.org", "fwd.example.net", "example.com"]);
    let text = String::from_utf8(msg).unwrap();
    assert!(text.starts_with("ARC-Seal: i=3; a=rsa-sha256; cv=pass; d=example.com; s=s1;"), "{text}");
    assert!(text.contains("\r\nARC-Seal: i=2; a=ed25519-sha256; cv=pass;"));
    assert!(text.contains("ARC-Authentication-Results: i=1; mx.lists.example.org; arc=none; spf=pass"));
    assert!(text.lines().all(|l| l.len() <= 78 || !l.contains(' ')), "folded:\n{text}");

    let changed_body = text.replace("We lost the game.", "We won the game.");
    let out = run(&zone, changed_body.as_bytes(), NOW + 10);
    assert_eq!(out.result, ArcResult::Fail);
    assert_eq!(out.reason.as_deref(), Some("ARC-Message-Signature i=3: body hash did not verify"));

    let changed_aar = text.replace("i=1; mx.lists.example.org; arc=none;", "i=1; mx.lists.example.org; arc=pass;");
    let out = run(&zone, changed_aar.as_bytes(), NOW + 10);
    assert_eq!(out.reason.as_deref(), Some("ARC-Seal i=3: signature did not verify"));

    let out = run(&zone.clone().failing("ed._domainkey.fwd.example.net"), text.as_bytes(), NOW + 10);
    assert_eq!((out.result, out.temporary), (ArcResult::Fail, true), "{out:?}");
}

#[test]
fn oldest_pass_points_past_the_handler_that_changed_the_message() {
    let (signers, zone) = handlers();
    let first = hop(&zone, &signers[0], &message(), NOW).unwrap();
    // A mailing list validates what it received, tags the subject, then seals.
    let received = run(&zone, &first, NOW);
    assert_eq!(received.result, ArcResult::Pass);
    let tagged = String::from_utf8(first).unwrap().replace("Subject: Is dinner", "Subject: [list] Is dinner");
    let fields = Sealer::new(&signers[1]).seal(tagged.as_bytes(), "mx", "", received.result, NOW).unwrap();
    let second = [fields.as_bytes(), tagged.as_bytes()].concat();
    let out = run(&zone, &second, NOW);
    assert_eq!((out.result, out.instances, out.oldest_pass), (ArcResult::Pass, 2, Some(2)), "{out:?}");
    assert_eq!(
        crate::results::header("mx", &[out.method_result()]),
        "Authentication-Results: mx;\r\n\tarc=pass (i=2 sealed by lists.example.org, fwd.example.net) \
         header.oldest-pass=2\r\n"
    );
}

#[test]
fn a_failed_chain_is_sealed_once_with_cv_fail_then_never_again() {
    let (signers, zone) = handlers();
    let first = hop(&zone, &signers[0], &message(), NOW).unwrap();
    let changed = String::from_utf8(first).unwrap().replace("We lost", "We lost, again,");
    let received = run(&zone, changed.as_bytes(), NOW);
    assert_eq!(received.result, ArcResult::Fail);
    let second = hop(&zone, &signers[1], changed.as_bytes(), NOW).unwrap();
    let text = String::from_utf8(second.clone()).unwrap();
    assert!(text.starts_with("ARC-Seal: i=2; a=ed25519-sha256; cv=fail;"), "{text}");
    assert!(text.contains("ARC-Authentication-Results: i=2; mx.fwd.example.net; arc=fail; spf=pass"));
    check_new_set(&zone, &second, NOW).unwrap();
    let out = run(&zone, &second, NOW);
    assert_eq!(out.reason.as_deref(), Some("the latest ARC-Seal (i=2) says cv=fail"));
    assert_eq!(hop(&zone, &signers[2], &second, NOW), Err(ArcError::ChainFailed));
}

#[test]
fn the_chain_result_must_fit_the_message() {
    let (signers, zone) = handlers();
    let sealer = Sealer::new(&signers[0]);
    let plain = message();
    assert_eq!(sealer.seal(&plain, "mx", "", ArcResult::Pass, NOW), Err(ArcError::ChainMismatch(ArcResult::Pass)));
    let sealed = hop(&zone, &signers[0], &plain, NOW).unwrap();
    assert_eq!(sealer.seal(&sealed, "mx", "", ArcResult::None, NOW), Err(ArcError::ChainMismatch(ArcResult::None)));
    let broken = [b"ARC-Seal: i=2; cv=pass\r\n".as_slice(), &sealed].concat();
    assert_eq!(sealer.seal(&broken, "mx", "", ArcResult::Pass, NOW), Err(ArcError::ChainMismatch(ArcResult::Pass)));
    // Fail is always possible: the new seal covers its own set only.
    let out = sealer.seal(&broken, "mx", "", ArcResult::Fail, NOW).unwrap();
    assert!(out.starts_with("ARC-Seal: i=3; a=rsa-sha256; cv=fail;"), "{out}");

    assert_eq!(sealer.seal(&plain, "m x", "", ArcResult::None, NOW), Err(ArcError::AuthservId("m x".into())));
    assert_eq!(sealer.seal(&plain, "mx", "spf=pass\x07", ArcResult::None, NOW), Err(ArcError::AuthResults));
    let bad = Signer::new("bad domain", "s", rsa_key());
    assert!(matches!(Sealer::new(&bad).seal(&plain, "mx", "", ArcResult::None, NOW), Err(ArcError::Name(_))));
}

#[test]
fn fifty_sets_at_most() {
    let signer = Signer::new("example.org", "ed", ed25519_key());
    let zone = Zone::default().with("ed._domainkey.example.org", &signer.key.public_key_record());
    let mut msg = message();
    for _ in 0..50 {
        msg = hop(&zone, &signer, &msg, NOW).unwrap();
    }
    let out = run(&zone, &msg, NOW);
    // Ten older AMSes are checked (49 to 40), so the oldest-pass says 40 although all verify.
    assert_eq!((out.result, out.instances, out.oldest_pass), (ArcResult::Pass, 50, Some(40)));
    assert_eq!(hop(&zone, &signer, &msg, NOW), Err(ArcError::TooManySets(50)));
    let claimed = [b"ARC-Seal: i=99; cv=pass\r\n".as_slice(), &message()].concat();
    assert_eq!(Sealer::new(&signer).seal(&claimed, "mx", "", ArcResult::Fail, NOW), Err(ArcError::TooManySets(99)));
}

#[test]
fn the_ams_signs_dkim_signatures_but_never_arc_or_authentication_results() {
    let (mut signers, zone) = handlers();
    signers[0].headers.extend(["arc-seal", "ARC-Message-Signature", "authentication-results"].map(String::from));
    let dkim = signers[2].sign(&message(), NOW).unwrap();
    let signed = [dkim.as_bytes(), b"Authentication-Results: mx; spf=pass\r\n", &message()].concat();
    let sealed = hop(&zone, &signers[0], &signed, NOW).unwrap();
    let (fields, _) = split(&sealed);
    let ams = ArcMessageSignature::parse_bytes(fields[1].value()).unwrap();
    assert!(ams.signed_headers.contains(&"dkim-signature".to_owned()), "{:?}", ams.signed_headers);
    assert!(!ams.signed_headers.iter().any(|h| h.starts_with("arc-") || h == "authentication-results"));
    assert_eq!(run(&zone, &sealed, NOW).result, ArcResult::Pass);
}
