//! Sealing (RFC 8617 section 5.1): the next ARC set of a message ringmail forwards.
//!
//! The set is instance N+1 for a message holding N sets:
//!
//! 1. ARC-Authentication-Results: `i=N+1; authserv-id;` then our results on receipt, with
//!    `arc=` (the chain result) first unless they already say it.
//! 2. ARC-Message-Signature: as a DKIM-Signature by the same [`Signer`] would be (its header
//!    list, oversigning and canonicalization), without `v=`, with `i=`; never over ARC or
//!    Authentication-Results fields, always over the DKIM-Signatures present (section 4.1.2).
//! 3. ARC-Seal: `cv=none` for the first set, `pass` after a passing chain, `fail` after a failed
//!    one; signed over every set (over its own set only with `cv=fail`, section 5.1.2).
//!
//! A chain whose latest seal already says `cv=fail` is never sealed again (section 5.1 step 1).
//! The result of validation on receipt must be passed in: sealing does no DNS queries.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::chain::{self, Chain};
use super::hash::{SetFields, seal_input};
use super::instance::MAX_INSTANCE;
use super::result::ArcResult;
use super::seal::ChainStatus;
use super::{AAR_NAME, AMS_NAME, AS_NAME};
use crate::dkim::headers::{self, Field};
use crate::dkim::signature::valid_domain;
use crate::dkim::{BodyHasher, Folder, HashAlgorithm, Signer, SigningKeyError};

/// Why a message could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArcError {
    /// The latest seal says `cv=fail`: the chain ended there and no set may follow.
    #[error("the ARC chain was already marked failed (cv=fail)")]
    ChainFailed,
    /// The message already holds the most sets a chain may have (or names a higher instance).
    #[error("the message already holds ARC instance {0}; at most {MAX_INSTANCE} are allowed")]
    TooManySets(u64),
    /// The chain result given does not fit the message: `none` for a message with ARC fields,
    /// `pass` for one without a well-formed chain.
    #[error("chain result {0} does not match the message's ARC header fields")]
    ChainMismatch(ArcResult),
    /// The authserv-id is empty or holds whitespace, a control character or a special.
    #[error("invalid authserv-id {0:?}")]
    AuthservId(String),
    /// The authentication results hold control characters.
    #[error("the authentication results hold control characters")]
    AuthResults,
    /// The signer's domain or selector is not a domain name.
    #[error("invalid sealing domain or selector: {0}")]
    Name(String),
    /// The key failed to sign.
    #[error(transparent)]
    Key(#[from] SigningKeyError),
}

/// Seals messages with a DKIM signer's domain (`d=`), selector (`s=`), key and header list: a
/// domain seals with the key it signs with, published at the same place.
#[derive(Debug, Clone, Copy)]
pub struct Sealer<'k> {
    signer: &'k Signer,
}

impl<'k> Sealer<'k> {
    /// A sealer using `signer`'s domain, selector, key, header list and canonicalization.
    pub fn new(signer: &'k Signer) -> Self {
        Sealer { signer }
    }

    /// Makes the next ARC set of `message` (CRLF line ends, header and body) at time `now`
    /// (seconds since the epoch): the three fields `ARC-Seal`, `ARC-Message-Signature` and
    /// `ARC-Authentication-Results`, folded, each CRLF-ended, in the order to prepend them.
    ///
    /// `authserv_id` is our host name, as in our `Authentication-Results:`; `auth_results` is
    /// what our checks found: the results after the authserv-id (`spf=pass ...; dkim=pass ...`)
    /// or our whole `Authentication-Results:` field as [`header`](crate::results::header)
    /// makes it. `chain` is what [`validate`](super::validate) said of the message on receipt;
    /// when it failed only for DNS ([`ArcOutput::temporary`](super::ArcOutput::temporary)),
    /// better not seal at all than end the chain for good with `cv=fail`.
    pub fn seal(
        &self,
        message: &[u8],
        authserv_id: &str,
        auth_results: &str,
        chain: ArcResult,
        now: u64,
    ) -> Result<String, ArcError> {
        let signer = self.signer;
        if !valid_domain(&signer.domain) || !valid_domain(&signer.selector) {
            return Err(ArcError::Name(format!("d={} s={}", signer.domain, signer.selector)));
        }
        if !valid_authserv_id(authserv_id) {
            return Err(ArcError::AuthservId(authserv_id.to_owned()));
        }
        let (fields, body) = headers::split(message);
        let existing = chain::collect(&fields);
        if existing.latest_fails {
            return Err(ArcError::ChainFailed);
        }
        if existing.highest >= u64::from(MAX_INSTANCE) {
            return Err(ArcError::TooManySets(existing.highest));
        }
        let instance = existing.highest + 1;
        let (cv, before) = status_and_scope(&existing, chain)?;

        let aar = aar_field(instance, authserv_id, auth_results, chain)?;
        let ams = self.ams_field(instance, &fields, body, now)?;
        let mut seal = Folder::new(&format!("{AS_NAME}:"));
        for tag in [
            format!("i={instance};"),
            format!("a={};", signer.key.algorithm()),
            format!("cv={cv};"),
            format!("d={};", signer.domain),
            format!("s={};", signer.selector),
            format!("t={now};"),
        ] {
            seal.word(&tag);
        }
        seal.word("b=");
        let data = seal_input(&before, aar.as_bytes(), ams.as_bytes(), seal.text.as_bytes());
        seal.chunks(&STANDARD.encode(signer.key.sign(&data)?));
        Ok(format!("{}\r\n{ams}\r\n{aar}\r\n", seal.text))
    }

    /// The ARC-Message-Signature, folded, without the final CRLF.
    fn ams_field(&self, instance: u64, fields: &[Field<'_>], body: &[u8], now: u64) -> Result<String, ArcError> {
        let signer = self.signer;
        // RFC 8617 section 4.1.2: never ARC-Seal (ARC fields are the seals' business), never
        // Authentication-Results (receivers delete them), but the DKIM-Signatures present.
        let mut signed: Vec<String> = signer
            .signed_headers(fields)
            .into_iter()
            .filter(|h| {
                ![AAR_NAME, AMS_NAME, AS_NAME, "Authentication-Results"].iter().any(|n| h.eq_ignore_ascii_case(n))
            })
            .collect();
        if !signed.iter().any(|h| h == "dkim-signature") {
            let present = fields.iter().filter(|f| f.is("dkim-signature")).count();
            signed.extend(std::iter::repeat_n("dkim-signature".to_owned(), present));
        }
        let mut hasher = BodyHasher::new(signer.body_canon, HashAlgorithm::Sha256, None);
        hasher.update(body);
        let body_hash = STANDARD.encode(hasher.finish().digest);

        let mut field = Folder::new(&format!("{AMS_NAME}:"));
        for tag in [
            format!("i={instance};"),
            format!("a={};", signer.key.algorithm()),
            format!("c={}/{};", signer.header_canon.as_str(), signer.body_canon.as_str()),
            format!("d={};", signer.domain),
            format!("s={};", signer.selector),
            format!("t={now};"),
        ] {
            field.word(&tag);
        }
        field.list("h=", &signed, ";");
        field.word(&format!("bh={body_hash};"));
        field.word("b=");
        let data = headers::hash_input(signer.header_canon, fields, &signed, field.text.as_bytes());
        field.chunks(&STANDARD.encode(signer.key.sign(&data)?));
        Ok(field.text)
    }
}

/// The `cv=` of the new seal and the sets it signs besides its own.
fn status_and_scope<'a>(
    existing: &Chain<'_, 'a>,
    chain: ArcResult,
) -> Result<(ChainStatus, Vec<SetFields<'a>>), ArcError> {
    match (chain, existing.present) {
        (ArcResult::None, false) => Ok((ChainStatus::None, Vec::new())),
        (ArcResult::Fail, _) => Ok((ChainStatus::Fail, Vec::new())),
        (ArcResult::Pass, true) => match &existing.sets {
            Ok(sets) if !sets.is_empty() => Ok((
                ChainStatus::Pass,
                sets.iter()
                    .map(|s| SetFields { aar: s.aar.field.raw, ams: s.ams.field.raw, seal: s.seal.field.raw })
                    .collect(),
            )),
            _ => Err(ArcError::ChainMismatch(chain)),
        },
        (ArcResult::None, true) | (ArcResult::Pass, false) => Err(ArcError::ChainMismatch(chain)),
    }
}

/// An authserv-id we can write unquoted: no whitespace, controls or specials.
fn valid_authserv_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| !c.is_control() && !c.is_whitespace() && !";()\"\\".contains(c))
}

/// `prefix` removed from the start of `text`, ignoring ASCII case.
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// The ARC-Authentication-Results, folded, without the final CRLF.
fn aar_field(instance: u64, authserv_id: &str, auth_results: &str, chain: ArcResult) -> Result<String, ArcError> {
    if auth_results.chars().any(|c| c.is_control() && !matches!(c, '\r' | '\n' | '\t')) {
        return Err(ArcError::AuthResults);
    }
    // Unfolded, whitespace runs made one space: the field is folded anew below.
    let words: Vec<&str> = auth_results.split_whitespace().collect();
    let flat = words.join(" ");
    let mut rest = flat.as_str();
    if let Some(after) = strip_prefix_ignore_case(rest, "Authentication-Results:") {
        rest = after.trim_start();
    }
    if let Some(after) = strip_prefix_ignore_case(rest, authserv_id) {
        if after.is_empty() || after.starts_with([' ', ';']) {
            // Our own field: drop the authserv-id (and any version after it).
            rest = after.split_once(';').map_or("", |(_, r)| r).trim();
        }
    }
    if rest.eq_ignore_ascii_case("none") {
        rest = "";
    }
    let says_arc = rest.split(';').any(|r| strip_prefix_ignore_case(r.trim_start(), "arc=").is_some());

    let mut field = Folder::new(&format!("{AAR_NAME}:"));
    field.word(&format!("i={instance};"));
    let mut pieces: Vec<String> = Vec::new();
    if !says_arc {
        pieces.push(format!("arc={chain}"));
    }
    if !rest.is_empty() {
        pieces.push(rest.to_owned());
    }
    // Never empty: either `arc=` is added or the results already say it.
    field.word(&format!("{authserv_id};"));
    for word in pieces.join("; ").split(' ') {
        field.word(word);
    }
    Ok(field.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aar(results: &str, chain: ArcResult) -> String {
        aar_field(2, "mx.example.net", results, chain).unwrap()
    }

    #[test]
    fn aar_from_results_or_our_own_field() {
        let want = "ARC-Authentication-Results: i=2; mx.example.net; arc=pass; spf=pass\r\n smtp.mailfrom=a@example.org; dkim=fail (body hash did not verify)\r\n header.d=example.org";
        let results =
            "spf=pass smtp.mailfrom=a@example.org;\r\n\tdkim=fail (body hash did not verify) header.d=example.org";
        assert_eq!(aar(results, ArcResult::Pass), want);
        let field = format!("Authentication-Results: mx.example.net;\r\n\t{results}\r\n");
        assert_eq!(aar(&field, ArcResult::Pass), want);
        assert_eq!(
            aar("mx.example.net 1; arc=fail; spf=none", ArcResult::Pass),
            "ARC-Authentication-Results: i=2; mx.example.net; arc=fail; spf=none"
        );
        assert_eq!(
            aar("Authentication-Results: mx.example.net; none\r\n", ArcResult::None),
            "ARC-Authentication-Results: i=2; mx.example.net; arc=none"
        );
        assert_eq!(aar("", ArcResult::Fail), "ARC-Authentication-Results: i=2; mx.example.net; arc=fail");
        assert_eq!(aar_field(1, "mx", "spf=pass\x00", ArcResult::None), Err(ArcError::AuthResults));
    }

    #[test]
    fn authserv_ids() {
        assert!(valid_authserv_id("mx.example.net"));
        for bad in ["", "mx example", "mx;", "mx\r\n", "(mx)", "\"mx\""] {
            assert!(!valid_authserv_id(bad), "{bad:?}");
        }
    }
}
