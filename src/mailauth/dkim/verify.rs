//! Verification (RFC 6376 section 6): every DKIM-Signature of a message, each to a [`Verdict`].
//!
//! For each signature, in order: the field is parsed and checked (permerror), `x=` and `t=` are
//! compared with the clock (permerror, RFC 6376 section 6.1.1), the key record is fetched
//! (temperror on a DNS failure, permerror when there is none) and checked (permerror; a revoked
//! key fails), then the body hash and the signature are compared (fail).

use std::collections::HashMap;

use ring::signature::{self as ring_sig, UnparsedPublicKey};

use super::algorithm::{Algorithm, KeyType};
use super::canon::{BodyHash, BodyHasher};
use super::der;
use super::headers::{self, Field};
use super::key::KeyRecord;
use super::signature::Signature;
use super::stream::BodyHashes;
use super::tags::{TagList, strip_ws};
use crate::lookup::{Lookup, LookupError};

/// Signatures verified per message; any further ones are ignored, so that a message cannot make
/// us fetch keys and hash its body without end.
pub const MAX_SIGNATURES: usize = 10;

/// How far `t=` may be in the future, and `x=` in the past, before the signature is refused:
/// clocks drift.
pub const CLOCK_SKEW_SECS: u64 = 300;

/// RSA keys below this are refused (RFC 8301 section 3.2).
pub const RSA_MIN_BITS: u32 = 1024;

/// RSA keys below this verify but are reported weak.
pub const RSA_STRONG_BITS: u32 = 2048;

/// The outcome for one signature, named as in Authentication-Results (RFC 8601 section 2.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimResult {
    /// The message was not signed. [`verify`] returns no verdict then; this is for callers
    /// that summarize.
    None,
    /// The signature verified.
    Pass,
    /// The signature did not verify: altered header or body, revoked key, body shorter than `l=`.
    Fail,
    /// Not produced by [`verify`]; for callers that must say "signed, but no opinion".
    Neutral,
    /// Not produced by [`verify`]; for local policy that rejects an otherwise valid signature.
    Policy,
    /// The key could not be fetched for now (DNS timeout or server failure).
    TempError,
    /// The signature or its key is unusable: syntax, missing tags, unsigned From, expired, no
    /// key, key unfit for the signature.
    PermError,
}

impl DkimResult {
    /// The Authentication-Results keyword: `pass`, `fail`, `permerror`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::None => "none",
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::Policy => "policy",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for DkimResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`verify`] found for one DKIM-Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The result.
    pub result: DkimResult,
    /// `d=`, lower-cased (empty if the field is too broken to say). Checked only when the
    /// signature parsed: a permerror may carry whatever the field held.
    pub domain: String,
    /// `s=`, lower-cased (empty if the field is too broken to say).
    pub selector: String,
    /// `a=` as written, lower-cased (empty if absent).
    pub algorithm: String,
    /// `i=` as written, if present.
    pub identity: Option<String>,
    /// Why it did not pass; for a pass, notes such as an unsigned body remainder under `l=`.
    pub reason: Option<String>,
    /// Passed with a weak algorithm: `rsa-sha1`, or an RSA key under 2048 bits (RFC 8301).
    pub weak: bool,
    /// The key record says the domain is testing DKIM (`t=y`): RFC 6376 asks that such a
    /// message be treated like an unsigned one, whatever the result.
    pub testing: bool,
    /// The key size in bits (RSA modulus; 256 for Ed25519), once the key was read.
    pub key_bits: Option<u32>,
    /// The start of `b=` for `header.b` (RFC 6008): 8 characters, more when another signature
    /// of the message starts alike.
    pub signature_b_prefix: String,
}

impl Verdict {
    fn with(mut self, result: DkimResult, reason: impl Into<String>) -> Self {
        self.result = result;
        self.reason = Some(reason.into());
        self
    }
}

/// A verdict for a signature before it is judged (permerror until something better is known).
fn blank(domain: &str, selector: &str, algorithm: &str, identity: Option<&str>) -> Verdict {
    Verdict {
        result: DkimResult::PermError,
        domain: domain.to_ascii_lowercase(),
        selector: selector.to_ascii_lowercase(),
        algorithm: algorithm.to_ascii_lowercase(),
        identity: identity.map(str::to_owned),
        reason: None,
        weak: false,
        testing: false,
        key_bits: None,
        signature_b_prefix: String::new(),
    }
}

/// Verifies every DKIM-Signature of `message` (CRLF line ends, header and body), at most
/// [`MAX_SIGNATURES`], top to bottom, at time `now` (seconds since the epoch). An unsigned
/// message gives an empty list. Never panics, whatever the message or the DNS answers hold.
pub async fn verify<L: Lookup>(lookup: &L, message: &[u8], now: u64) -> Vec<Verdict> {
    verify_streamed(lookup, message, now, BodyHashes::new()).await
}

/// Like [`verify`], with body hashes already computed while the message arrived
/// ([`StreamingBodyHashes`](super::StreamingBodyHashes)); any that are missing are computed here.
pub async fn verify_streamed<L: Lookup>(lookup: &L, message: &[u8], now: u64, streamed: BodyHashes) -> Vec<Verdict> {
    let (fields, body) = headers::split(message);
    let candidates: Vec<&Field<'_>> = fields.iter().filter(|f| f.is("dkim-signature")).take(MAX_SIGNATURES).collect();

    // Parse and check each field; a failure is already its verdict.
    let mut checked = Vec::with_capacity(candidates.len());
    let mut b_values = Vec::with_capacity(candidates.len());
    for field in &candidates {
        let (result, b) = check(field, now);
        checked.push(result);
        b_values.push(b);
    }

    // One pass over the body per distinct (canonicalization, hash, l=).
    let mut body_hashes = streamed;
    for (sig, _) in checked.iter().flatten() {
        let key = (sig.body_canon, sig.algorithm.hash(), sig.body_length);
        body_hashes.entry(key).or_insert_with(|| {
            let mut hasher = BodyHasher::new(key.0, key.1, key.2);
            hasher.update(body);
            hasher.finish()
        });
    }

    let mut records: HashMap<String, Result<Vec<String>, LookupError>> = HashMap::new();
    let mut verdicts = Vec::with_capacity(candidates.len());
    for (field, checked) in candidates.iter().zip(checked) {
        let verdict = match checked {
            Err(verdict) => verdict,
            Ok((sig, verdict)) => {
                let name = format!("{}._domainkey.{}", sig.selector, sig.domain);
                if !records.contains_key(&name) {
                    let answer = lookup.txt(&name).await;
                    records.insert(name.clone(), answer);
                }
                let key = (sig.body_canon, sig.algorithm.hash(), sig.body_length);
                match (records.get(&name), body_hashes.get(&key)) {
                    (Some(answer), Some(body_hash)) => judge(&sig, verdict, field, &fields, body_hash, &name, answer),
                    _ => verdict.with(DkimResult::TempError, "internal: missing key answer or body hash"),
                }
            }
        };
        verdicts.push(verdict);
    }
    set_b_prefixes(&mut verdicts, &b_values);
    verdicts
}

/// Parses and checks one field, and the clock against it. Returns the signature with its
/// verdict to be, or the final verdict; and the `b=` value for `header.b`.
fn check(field: &Field<'_>, now: u64) -> (Result<(Signature, Verdict), Verdict>, String) {
    let Ok(text) = std::str::from_utf8(field.value()) else {
        return (Err(blank("", "", "", None).with(DkimResult::PermError, "signature is not UTF-8")), String::new());
    };
    let tags = match TagList::parse(text) {
        Ok(tags) => tags,
        Err(e) => {
            let reason = format!("signature syntax error: {e}");
            return (Err(blank("", "", "", None).with(DkimResult::PermError, reason)), String::new());
        }
    };
    let b = tags.value("b").map(strip_ws).unwrap_or_default();
    let tag = |name| tags.value(name).unwrap_or("");
    let verdict = blank(tag("d"), tag("s"), tag("a"), tags.value("i"));
    let sig = match Signature::from_tags(&tags) {
        Ok(sig) => sig,
        Err(e) => return (Err(verdict.with(DkimResult::PermError, e.to_string())), b),
    };
    if let Some(x) = sig.expiration {
        if now > x.saturating_add(CLOCK_SKEW_SECS) {
            return (Err(verdict.with(DkimResult::PermError, format!("signature expired (x={x})"))), b);
        }
    }
    if let Some(t) = sig.timestamp {
        if t > now.saturating_add(CLOCK_SKEW_SECS) {
            return (Err(verdict.with(DkimResult::PermError, format!("signature made in the future (t={t})"))), b);
        }
    }
    (Ok((sig, verdict)), b)
}

/// Judges a checked signature with the key records found at `name` and the body's hash.
fn judge(
    sig: &Signature,
    mut verdict: Verdict,
    field: &Field<'_>,
    fields: &[Field<'_>],
    body_hash: &BodyHash,
    name: &str,
    answer: &Result<Vec<String>, LookupError>,
) -> Verdict {
    use DkimResult::{Fail, Pass, PermError, TempError};

    let records = match answer {
        Ok(records) => records,
        Err(e) => return verdict.with(TempError, format!("key lookup for {name} failed: {e}")),
    };
    if records.is_empty() {
        return verdict.with(PermError, format!("no key record at {name}"));
    }
    // Use the first record that parses (RFC 6376 section 6.1.2 lets the verifier choose).
    let mut first_error = None;
    let Some(key) = records.iter().find_map(|r| KeyRecord::parse(r).map_err(|e| first_error.get_or_insert(e)).ok())
    else {
        let error = first_error.map(|e| e.to_string()).unwrap_or_default();
        return verdict.with(PermError, format!("key syntax error at {name}: {error}"));
    };
    verdict.testing = key.testing;
    if let Some(reason) = key.unfit_for(sig.algorithm) {
        return verdict.with(PermError, reason);
    }
    if key.strict && sig.identity_domain() != sig.domain {
        return verdict.with(PermError, "key has t=s but the i= domain is not d=");
    }
    if key.revoked() {
        return verdict.with(Fail, "key revoked");
    }
    let public = match PublicKey::read(&key) {
        Ok(public) => public,
        Err(reason) => return verdict.with(PermError, reason),
    };
    verdict.key_bits = Some(public.bits());
    verdict.weak =
        sig.algorithm == Algorithm::RsaSha1 || matches!(public, PublicKey::Rsa(_, bits) if bits < RSA_STRONG_BITS);

    if let Some(limit) = sig.body_length {
        if body_hash.length < limit {
            return verdict.with(Fail, format!("body is shorter than l={limit}"));
        }
    }
    if body_hash.digest != sig.body_hash {
        return verdict.with(Fail, "body hash did not verify");
    }
    let signature_field = without_b_value(field, sig);
    let data = headers::hash_input(sig.header_canon, fields, &sig.signed_headers, &signature_field);
    if !public.verify(sig.algorithm, &data, &sig.signature) {
        return verdict.with(Fail, "signature did not verify");
    }

    let mut notes = Vec::new();
    if let Some(limit) = sig.body_length {
        if body_hash.length > limit {
            notes.push(format!("l={limit}: {} body bytes unsigned", body_hash.length - limit));
        }
    }
    if key.testing {
        notes.push("key in testing mode (t=y)".to_owned());
    }
    verdict.result = Pass;
    verdict.reason = (!notes.is_empty()).then(|| notes.join("; "));
    verdict
}

/// The raw field with the `b=` value (and the whitespace around it) deleted.
fn without_b_value(field: &Field<'_>, sig: &Signature) -> Vec<u8> {
    let start = field.value_start + sig.b_span.start;
    let end = field.value_start + sig.b_span.end;
    let mut out = field.raw.get(..start).unwrap_or_default().to_vec();
    out.extend_from_slice(field.raw.get(end..).unwrap_or_default());
    out
}

/// A public key ready for ring (ARC verifies with it too).
pub(crate) enum PublicKey<'a> {
    /// PKCS#1 RSAPublicKey and its modulus size.
    Rsa(&'a [u8], u32),
    /// The raw 32 bytes.
    Ed25519(&'a [u8]),
}

impl<'a> PublicKey<'a> {
    /// The key of a record, refused outside the sizes RFC 8301 and ring allow.
    pub(crate) fn read(key: &'a KeyRecord) -> Result<Self, String> {
        match key.key_type {
            KeyType::Rsa => {
                let der = der::rsa_public_key(&key.public_key).ok_or("key p= is not an RSA public key")?;
                let bits = der::rsa_modulus_bits(der).ok_or("key p= is not an RSA public key")?;
                if bits < RSA_MIN_BITS {
                    return Err(format!("RSA key of {bits} bits is too short (RFC 8301)"));
                }
                if bits > 8192 {
                    return Err(format!("RSA key of {bits} bits is too long"));
                }
                Ok(PublicKey::Rsa(der, bits))
            }
            KeyType::Ed25519 => der::ed25519_public_key(&key.public_key)
                .map(PublicKey::Ed25519)
                .ok_or_else(|| "key p= is not an Ed25519 public key".to_owned()),
        }
    }

    fn bits(&self) -> u32 {
        match self {
            PublicKey::Rsa(_, bits) => *bits,
            PublicKey::Ed25519(_) => 256,
        }
    }

    /// Whether `signature` is this key's signature of `data` with `algorithm`.
    pub(crate) fn verify(&self, algorithm: Algorithm, data: &[u8], signature: &[u8]) -> bool {
        match (self, algorithm) {
            (PublicKey::Rsa(der, _), Algorithm::RsaSha256) => {
                UnparsedPublicKey::new(&ring_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, der)
                    .verify(data, signature)
                    .is_ok()
            }
            (PublicKey::Rsa(der, _), Algorithm::RsaSha1) => {
                UnparsedPublicKey::new(&ring_sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, der)
                    .verify(data, signature)
                    .is_ok()
            }
            (PublicKey::Ed25519(key), Algorithm::Ed25519Sha256) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                UnparsedPublicKey::new(&ring_sig::ED25519, key).verify(digest.as_ref(), signature).is_ok()
            }
            _ => false,
        }
    }
}

/// Sets each verdict's `header.b` prefix: 8 characters of `b=`, more while another signature's
/// `b=` starts the same (RFC 6008 section 4).
fn set_b_prefixes(verdicts: &mut [Verdict], b_values: &[String]) {
    for (i, verdict) in verdicts.iter_mut().enumerate() {
        let Some(b) = b_values.get(i).filter(|b| b.is_ascii()) else { continue };
        let mut len = 8.min(b.len());
        while len < b.len()
            && b_values.iter().enumerate().any(|(j, other)| j != i && other != b && other.starts_with(&b[..len]))
        {
            len += 1;
        }
        verdict.signature_b_prefix = b[..len].to_owned();
    }
}
