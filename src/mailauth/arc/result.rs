//! What validating a message's chain gives: [`ArcResult`] and the details around it
//! ([`ArcOutput`]).

use std::fmt;

use crate::results::MethodResult;

/// The chain validation status of a received message (RFC 8617 section 4.4), as reported in
/// `Authentication-Results: ... arc=` and carried into the `cv=` of our own seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArcResult {
    /// The message has no ARC header fields.
    None,
    /// Every seal and the latest message signature validated.
    Pass,
    /// The chain is malformed, a seal or the latest message signature did not validate, or the
    /// latest seal says `cv=fail`.
    Fail,
}

impl ArcResult {
    /// The Authentication-Results keyword: `none`, `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArcResult::None => "none",
            ArcResult::Pass => "pass",
            ArcResult::Fail => "fail",
        }
    }
}

impl fmt::Display for ArcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`validate`](super::validate) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcOutput {
    /// The chain validation status.
    pub result: ArcResult,
    /// For a passing chain, how many ARC sets the message holds (the highest instance); 0
    /// otherwise.
    pub instances: u32,
    /// For a passing chain, the "oldest-pass" of RFC 8617 section 5.2: the lowest instance from
    /// which every message signature up to the latest still validates, or 0 when all of them
    /// do (the message was not changed since the first handler signed it). `None` otherwise.
    /// At most [`OLDEST_PASS_CHECKS`](super::OLDEST_PASS_CHECKS) older signatures are checked.
    pub oldest_pass: Option<u32>,
    /// The `d=` of each seal, from instance 1 up, for a passing chain: who handled the message.
    /// A receiver that trusts one of them may honour its ARC-Authentication-Results.
    pub sealers: Vec<String>,
    /// Why the chain failed, in words.
    pub reason: Option<String>,
    /// The failure came from DNS (a timeout or a server failure), not from the message: the
    /// same message may pass later. Such a chain should not be sealed with `cv=fail`.
    pub temporary: bool,
}

impl ArcOutput {
    /// A message without ARC header fields.
    pub(crate) fn none() -> Self {
        ArcOutput {
            result: ArcResult::None,
            instances: 0,
            oldest_pass: None,
            sealers: Vec::new(),
            reason: None,
            temporary: false,
        }
    }

    /// A failed chain, for `reason`.
    pub(crate) fn fail(reason: impl Into<String>, temporary: bool) -> Self {
        ArcOutput { result: ArcResult::Fail, reason: Some(reason.into()), temporary, ..ArcOutput::none() }
    }

    /// The `arc=` entry of an `Authentication-Results:` header: the result, the reason as a
    /// comment, and `header.oldest-pass` (RFC 8617 section 10.1) when it is not 0.
    pub fn method_result(&self) -> MethodResult {
        let mut method = MethodResult::new("arc", self.result.as_str());
        if let Some(reason) = &self.reason {
            method = method.comment(reason.clone());
        } else if self.result == ArcResult::Pass && !self.sealers.is_empty() {
            method = method.comment(format!("i={} sealed by {}", self.instances, self.sealers.join(", ")));
        }
        if let Some(oldest) = self.oldest_pass.filter(|&o| o > 0) {
            method = method.with("header.oldest-pass", oldest.to_string());
        }
        method
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::header;

    #[test]
    fn authentication_results_entries() {
        let pass = ArcOutput {
            result: ArcResult::Pass,
            instances: 2,
            oldest_pass: Some(2),
            sealers: vec!["lists.example.org".into(), "fwd.example.net".into()],
            reason: None,
            temporary: false,
        };
        assert_eq!(
            header("mx.example.com", &[pass.method_result()]),
            "Authentication-Results: mx.example.com;\r\n\tarc=pass (i=2 sealed by lists.example.org, \
             fwd.example.net) header.oldest-pass=2\r\n"
        );
        let fail = ArcOutput::fail("ARC-Seal i=1: signature did not verify", false);
        assert_eq!(
            header("mx", &[fail.method_result()]),
            "Authentication-Results: mx;\r\n\tarc=fail (ARC-Seal i=1: signature did not verify)\r\n"
        );
        assert_eq!(header("mx", &[ArcOutput::none().method_result()]), "Authentication-Results: mx;\r\n\tarc=none\r\n");
    }
}
