//! Checking one ARC signature, message signature or seal, against the key DNS publishes: the
//! key rules, canonicalization, header selection and crypto are DKIM's.
//!
//! A [`Verifier`] serves one message: it fetches each key record once and hashes the body once
//! per (canonicalization, hash, `l=`), however many signatures ask.

use std::collections::HashMap;

use super::ams::ArcMessageSignature;
use super::chain::{ArcSet, Parsed};
use super::hash::{SetFields, seal_input, without_b};
use crate::dkim::headers::{self, Field};
use crate::dkim::{
    Algorithm, BodyHash, BodyHasher, CLOCK_SKEW_SECS, Canonicalization, HashAlgorithm, KeyRecord, PublicKey,
};
use crate::lookup::{Lookup, LookupError};

/// Why a signature did not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// In words.
    pub reason: String,
    /// DNS failed (timeout or server failure): the same message may validate later.
    pub temporary: bool,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Self {
        Failure { reason: reason.into(), temporary: false }
    }
}

/// Verifies the ARC signatures of one message.
pub(crate) struct Verifier<'l, 'm, L> {
    lookup: &'l L,
    fields: &'m [Field<'m>],
    body: &'m [u8],
    now: u64,
    keys: HashMap<String, Result<Vec<String>, LookupError>>,
    body_hashes: HashMap<(Canonicalization, HashAlgorithm, Option<u64>), BodyHash>,
}

impl<'l, 'm, L: Lookup> Verifier<'l, 'm, L> {
    /// A verifier for the message split into `fields` and `body`, at time `now`.
    pub fn new(lookup: &'l L, fields: &'m [Field<'m>], body: &'m [u8], now: u64) -> Self {
        Verifier { lookup, fields, body, now, keys: HashMap::new(), body_hashes: HashMap::new() }
    }

    /// Checks an ARC-Message-Signature: the clock, the body hash, then the signature over the
    /// header fields it names (RFC 8617 section 5.2 step 4).
    pub async fn message_signature(&mut self, ams: &Parsed<'_, '_, ArcMessageSignature>) -> Result<(), Failure> {
        let sig = &ams.value;
        if let Some(x) = sig.expiration {
            if self.now > x.saturating_add(CLOCK_SKEW_SECS) {
                return Err(Failure::new(format!("signature expired (x={x})")));
            }
        }
        self.check_timestamp(sig.timestamp)?;
        let key = (sig.body_canon, sig.algorithm.hash(), sig.body_length);
        let body = self.body;
        let body_hash = self.body_hashes.entry(key).or_insert_with(|| {
            let mut hasher = BodyHasher::new(key.0, key.1, key.2);
            hasher.update(body);
            hasher.finish()
        });
        if let Some(limit) = sig.body_length {
            if body_hash.length < limit {
                return Err(Failure::new(format!("body is shorter than l={limit}")));
            }
        }
        if body_hash.digest != sig.body_hash {
            return Err(Failure::new("body hash did not verify"));
        }
        let own = without_b(ams.field.raw, ams.field.value_start, &sig.b_span);
        let data = headers::hash_input(sig.header_canon, self.fields, &sig.signed_headers, &own);
        self.check_signature(&sig.domain, &sig.selector, sig.algorithm, &data, &sig.signature).await
    }

    /// Checks the seal of the last of `sets` (sets 1 to its instance) over those sets
    /// (RFC 8617 section 5.2 step 8).
    pub async fn seal(&mut self, sets: &[ArcSet<'_, '_>]) -> Result<(), Failure> {
        let Some((last, before)) = sets.split_last() else { return Err(Failure::new("no ARC set")) };
        let seal = &last.seal.value;
        self.check_timestamp(seal.timestamp)?;
        let before: Vec<SetFields<'_>> = before
            .iter()
            .map(|s| SetFields { aar: s.aar.field.raw, ams: s.ams.field.raw, seal: s.seal.field.raw })
            .collect();
        let own = without_b(last.seal.field.raw, last.seal.field.value_start, &seal.b_span);
        let data = seal_input(&before, last.aar.field.raw, last.ams.field.raw, &own);
        self.check_signature(&seal.domain, &seal.selector, seal.algorithm, &data, &seal.signature).await
    }

    /// A signature made more than the allowed skew in the future is refused, as for DKIM.
    fn check_timestamp(&self, timestamp: Option<u64>) -> Result<(), Failure> {
        match timestamp {
            Some(t) if t > self.now.saturating_add(CLOCK_SKEW_SECS) => {
                Err(Failure::new(format!("signature made in the future (t={t})")))
            }
            _ => Ok(()),
        }
    }

    /// Checks `signature` of `data` with the key at `selector._domainkey.domain`, under DKIM's
    /// rules for key records.
    async fn check_signature(
        &mut self,
        domain: &str,
        selector: &str,
        algorithm: Algorithm,
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), Failure> {
        let name = format!("{selector}._domainkey.{domain}");
        if !self.keys.contains_key(&name) {
            let answer = self.lookup.txt(&name).await;
            self.keys.insert(name.clone(), answer);
        }
        let records = match self.keys.get(&name) {
            Some(Ok(records)) => records,
            Some(Err(e)) => {
                return Err(Failure { reason: format!("key lookup for {name} failed: {e}"), temporary: true });
            }
            None => return Err(Failure { reason: format!("key lookup for {name} lost"), temporary: true }),
        };
        if records.is_empty() {
            return Err(Failure::new(format!("no key record at {name}")));
        }
        let mut first_error = None;
        let Some(key) = records.iter().find_map(|r| KeyRecord::parse(r).map_err(|e| first_error.get_or_insert(e)).ok())
        else {
            let error = first_error.map(|e| e.to_string()).unwrap_or_default();
            return Err(Failure::new(format!("key syntax error at {name}: {error}")));
        };
        if let Some(reason) = key.unfit_for(algorithm) {
            return Err(Failure::new(reason));
        }
        if key.revoked() {
            return Err(Failure::new("key revoked"));
        }
        let public = PublicKey::read(&key).map_err(Failure::new)?;
        if !public.verify(algorithm, data, signature) {
            return Err(Failure::new("signature did not verify"));
        }
        Ok(())
    }
}
