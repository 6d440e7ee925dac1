//! DKIM: DomainKeys Identified Mail signatures, verified and made (RFC 6376, with RFC 8463's
//! Ed25519 and RFC 8301's rules on weak crypto).
//!
//! - [`verify`] checks every DKIM-Signature of a received message against the keys that DNS
//!   (any [`Lookup`](crate::lookup::Lookup)) publishes, and returns one [`Verdict`]
//!   each: `rsa-sha256`, `ed25519-sha256`, and `rsa-sha1` (passes, flagged weak).
//! - [`Signer`] makes the DKIM-Signature field for an outgoing message, with a [`SigningKey`]
//!   (RSA or Ed25519, PKCS#8) that [`generate`] can create along with its DNS record.
//! - [`BodyHasher`] canonicalizes and hashes a body fed in chunks, so the SMTP DATA path can
//!   hash while it receives.
//!
//! Nothing here does I/O but through the `Lookup` trait, and nothing takes the clock: `now` is
//! passed in. Parsers take any bytes and return typed errors ([`TagError`], [`SignatureError`],
//! [`KeyError`]); they are fuzzed (`fuzz/fuzz_targets/dkim_signature.rs`).
//!
//! Layout, one idea a file: [`tags`] (tag=value lists), [`signature`] (the DKIM-Signature
//! field), [`key`] (the key record), [`canon`] (canonicalization and body hashing), `headers`
//! (field selection and the header hash input), `der` (public key DER), `verify`, `sign`,
//! `signing_key` and `generate`.
//!
//! Messages are taken as they travel: CRLF line ends, header, empty line, body.

mod algorithm;
pub mod canon;
mod der;
mod generate;
pub(crate) mod headers;
pub mod key;
mod sign;
pub mod signature;
mod signing_key;
mod stream;
pub mod tags;
mod verify;

#[cfg(test)]
mod tests;

pub use algorithm::{Algorithm, HashAlgorithm, KeyType};
pub use canon::{BodyHash, BodyHasher, Canonicalization};
pub use generate::{RSA_BITS, generate};
pub use key::{KeyError, KeyRecord};
pub(crate) use sign::Folder;
pub use sign::{DEFAULT_HEADERS, OVERSIGNED, SignError, Signer};
pub use signature::{Signature, SignatureError};
pub use signing_key::{SigningKey, SigningKeyError};
pub use stream::{BodyHashKey, BodyHashes, StreamingBodyHashes};
pub use tags::{TagError, TagList};
pub(crate) use verify::PublicKey;
pub use verify::{
    CLOCK_SKEW_SECS, DkimResult, MAX_SIGNATURES, RSA_MIN_BITS, RSA_STRONG_BITS, Verdict, verify, verify_streamed,
};
