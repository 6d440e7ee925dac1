//! Validating a received message's chain (RFC 8617 section 5.2).
//!
//! 1. No ARC header field: `none`. More than 50 sets: `fail`.
//! 2. The latest seal says `cv=fail`: `fail`.
//! 3. The sets must be 1..N without gaps or repeats, exactly one AAR, AMS and AS each, and the
//!    seals must say `cv=none` at instance 1 and `cv=pass` after; else `fail`.
//! 4. The latest AMS must validate; else `fail`.
//! 5. to 7. Only for a passing chain, so that a broken one costs no further DNS queries: the
//!    older AMSes are checked, newest first, to find the oldest-pass; at most
//!    [`OLDEST_PASS_CHECKS`] of them, as DKIM checks at most 10 signatures, since each may ask
//!    for another key and another pass over the body.
//! 8. Every seal must validate, from N down to 1; else `fail`.
//! 9. `pass`.

use super::chain::{self, ArcSet};
use super::result::{ArcOutput, ArcResult};
use super::seal::ChainStatus;
use super::verify::Verifier;
use crate::dkim::headers;
use crate::lookup::Lookup;

/// Older ARC-Message-Signatures checked for the oldest-pass. Past them, the oldest-pass is the
/// last one checked: less than the truth, never more.
pub const OLDEST_PASS_CHECKS: usize = 10;

/// Validates the ARC chain of `message` (CRLF line ends, header and body) at time `now`
/// (seconds since the epoch), fetching keys through `lookup`. Never panics, whatever the
/// message or the DNS answers hold.
pub async fn validate<L: Lookup>(lookup: &L, message: &[u8], now: u64) -> ArcOutput {
    let (fields, body) = headers::split(message);
    let chain = chain::collect(&fields);
    if !chain.present {
        return ArcOutput::none();
    }
    if chain.latest_fails {
        return ArcOutput::fail(format!("the latest ARC-Seal (i={}) says cv=fail", chain.highest), false);
    }
    let sets = match chain.sets {
        Ok(sets) if !sets.is_empty() => sets,
        Ok(_) => return ArcOutput::fail("no complete ARC set", false),
        Err(reason) => return ArcOutput::fail(reason, false),
    };
    if let Err(reason) = check_chain_status(&sets) {
        return ArcOutput::fail(reason, false);
    }

    let mut verifier = Verifier::new(lookup, &fields, body, now);
    let n = sets.len();
    if let Some(latest) = sets.last() {
        if let Err(f) = verifier.message_signature(&latest.ams).await {
            return ArcOutput::fail(format!("ARC-Message-Signature i={n}: {}", f.reason), f.temporary);
        }
    }
    for i in (1..=n).rev() {
        if let Err(f) = verifier.seal(&sets[..i]).await {
            return ArcOutput::fail(format!("ARC-Seal i={i}: {}", f.reason), f.temporary);
        }
    }
    let mut oldest_pass = 0;
    for (checked, i) in (1..n).rev().enumerate() {
        if checked == OLDEST_PASS_CHECKS {
            oldest_pass = i + 1;
            break;
        }
        if verifier.message_signature(&sets[i - 1].ams).await.is_err() {
            oldest_pass = i + 1;
            break;
        }
    }
    ArcOutput {
        result: ArcResult::Pass,
        instances: u32::try_from(n).unwrap_or(u32::MAX),
        oldest_pass: Some(u32::try_from(oldest_pass).unwrap_or(u32::MAX)),
        sealers: sets.iter().map(|s| s.seal.value.domain.clone()).collect(),
        reason: None,
        temporary: false,
    }
}

/// Step 3.3: `cv=none` at instance 1, `cv=pass` at every other.
fn check_chain_status(sets: &[ArcSet<'_, '_>]) -> Result<(), String> {
    for (i, set) in (1u32..).zip(sets) {
        let expected = if i == 1 { ChainStatus::None } else { ChainStatus::Pass };
        let cv = set.seal.value.chain_status;
        if cv != expected {
            return Err(format!("ARC-Seal i={i} says cv={cv}, not {expected}"));
        }
    }
    Ok(())
}
