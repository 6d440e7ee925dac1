//! ARC's parsers on any bytes: the ARC-Authentication-Results, ARC-Message-Signature and
//! ARC-Seal fields must give a value or a typed error, never panic, and what parses must keep
//! the limits the types promise. The same bytes as a message's header, under each ARC field
//! name: validating the chain must not panic either, against a zone that answers every key
//! query with one Ed25519 key, so that the signature checks run too.
#![no_main]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use mailauth::arc::{ArcAuthenticationResults, ArcMessageSignature, ArcResult, ArcSeal, MAX_INSTANCE, validate};
use mailauth::lookup::{Lookup, LookupError};

/// Answers every TXT query with the same key record, at once.
struct OneKey;

impl Lookup for OneKey {
    async fn txt(&self, _: &str) -> Result<Vec<String>, LookupError> {
        Ok(vec!["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_owned()])
    }
    async fn a(&self, _: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn aaaa(&self, _: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn mx(&self, _: &str) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
    async fn ptr(&self, _: IpAddr) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
}

/// Runs a future that never waits (every lookup above is ready at once).
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("validation waited on a lookup that is always ready"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(aar) = ArcAuthenticationResults::parse_bytes(data) {
        assert!((1..=MAX_INSTANCE).contains(&aar.instance));
        assert!(!aar.authserv_id.is_empty() && aar.payload.starts_with(&aar.authserv_id));
    }
    if let Ok(ams) = ArcMessageSignature::parse_bytes(data) {
        assert!((1..=MAX_INSTANCE).contains(&ams.instance));
        assert!(ams.b_span.end <= data.len() && !ams.signature.is_empty() && !ams.body_hash.is_empty());
        assert!(!ams.signed_headers.iter().any(|h| h.is_empty() || h == "arc-seal"));
    }
    if let Ok(seal) = ArcSeal::parse_bytes(data) {
        assert!((1..=MAX_INSTANCE).contains(&seal.instance));
        assert!(seal.b_span.end <= data.len() && !seal.signature.is_empty());
    }
    for name in ["ARC-Authentication-Results:", "ARC-Message-Signature:", "ARC-Seal:"] {
        let message = [name.as_bytes(), data, b"\r\nFrom: a@example.org\r\n\r\nbody\r\n"].concat();
        let out = ready(validate(&OneKey, &message, 1_700_000_000));
        assert!(out.result != ArcResult::None, "an ARC field was there");
        assert_eq!(out.result == ArcResult::Pass, out.reason.is_none());
    }
});
