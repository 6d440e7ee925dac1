//! ARC: the Authenticated Received Chain (RFC 8617), validated on receipt and sealed when
//! ringmail forwards a message on (an alias fanning out to a remote address).
//!
//! Each handler that forwards a message adds an *ARC set* of three header fields, all with the
//! same instance number `i=` (1 for the first, one more at each hop, at most 50):
//!
//! - `ARC-Authentication-Results` (AAR): what that handler's checks found, in the syntax of
//!   `Authentication-Results` (RFC 8601) after an `i=N;` prefix;
//! - `ARC-Message-Signature` (AMS): a DKIM-like signature of the message as that handler saw it
//!   (no `v=`, and `i=` is the instance);
//! - `ARC-Seal` (AS): a signature over every ARC set so far, with `cv=` saying whether the chain
//!   it found was valid (`none` at instance 1, `pass` after, `fail` to mark a broken chain).
//!
//! [`validate`] follows RFC 8617 section 5.2 and gives an [`ArcOutput`]; [`Sealer`] makes the
//! next set (section 5.1) with a DKIM [`Signer`](super::dkim::Signer)'s domain, selector and
//! key. Canonicalization, header selection, key records and the crypto are DKIM's own
//! (`super::dkim`): a key record must pass the same rules as for a DKIM signature.
//!
//! Nothing here does I/O but through the [`Lookup`](super::lookup::Lookup) trait, and nothing
//! takes the clock: `now` is passed in. The parsers ([`ArcAuthenticationResults`],
//! [`ArcMessageSignature`], [`ArcSeal`]) take any bytes and return typed errors
//! ([`ArcHeaderError`]); they are fuzzed (`fuzz/fuzz_targets/arc_headers.rs`).
//!
//! Layout, one idea a file: `instance` (the `i=` tag), `aar`, `ams` and `seal` (the three
//! fields), `chain` (collecting a message's sets), `hash` (what the seal signs), `verify` (one
//! signature against DNS), `validate`, `sealer`, `result` (the outcome types).
//!
//! Messages are taken as they travel: CRLF line ends, header, empty line, body.

mod aar;
mod ams;
mod chain;
mod hash;
mod instance;
mod result;
mod seal;
mod sealer;
mod validate;
mod verify;

#[cfg(test)]
mod tests;

pub use aar::ArcAuthenticationResults;
pub use ams::ArcMessageSignature;
pub use instance::{ArcHeaderError, MAX_INSTANCE};
pub use result::{ArcOutput, ArcResult};
pub use seal::{ArcSeal, ChainStatus};
pub use sealer::{ArcError, Sealer};
pub use validate::{OLDEST_PASS_CHECKS, validate};

/// The name of the ARC-Authentication-Results header field.
pub const AAR_NAME: &str = "ARC-Authentication-Results";
/// The name of the ARC-Message-Signature header field.
pub const AMS_NAME: &str = "ARC-Message-Signature";
/// The name of the ARC-Seal header field.
pub const AS_NAME: &str = "ARC-Seal";
