//! Symbols from what the caller found out (authentication results, DNS blocklists) and from
//! the Bayes probability.

use super::hash;
use super::verdict::Symbol;

/// What the caller knows about a message from outside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// SPF result for the envelope sender: `pass`, `fail`, `softfail`, `neutral`, `none`,
    /// `permerror`, `temperror`.
    pub spf: Option<String>,
    /// DKIM result: `pass`, `fail`, `none`, ...
    pub dkim: Option<String>,
    /// DMARC result: `pass`, `fail`, or the failing policy (`reject`, `quarantine`).
    pub dmarc: Option<String>,
    /// DNS blocklist zones that listed the connecting client.
    pub dnsbl: Vec<String>,
    /// Body domains (from [`url_domains`](super::url_domains)) that a URI blocklist listed.
    pub uribl: Vec<String>,
    /// The message was submitted by an authenticated user: the client-based checks (SPF,
    /// DKIM, DMARC, DNS blocklists) are skipped.
    pub authenticated: bool,
}

/// Adds the symbols for the caller's inputs.
pub(crate) fn check(inputs: &Inputs, out: &mut Vec<Symbol>) {
    let mut hit = |name: &'static str, score: f64| out.push(Symbol { name, score });
    if !inputs.uribl.is_empty() {
        hit("URIBL_LISTED", listed_score(inputs.uribl.len(), 4.0, 1.0, 6.0));
    }
    if inputs.authenticated {
        return;
    }
    let result = |value: &Option<String>| value.as_deref().map(|v| v.trim().to_ascii_lowercase()).unwrap_or_default();
    match result(&inputs.spf).as_str() {
        "pass" => hit("R_SPF_ALLOW", -0.1),
        "fail" => hit("R_SPF_FAIL", 1.0),
        "softfail" => hit("R_SPF_SOFTFAIL", 0.5),
        "permerror" => hit("R_SPF_PERMFAIL", 0.3),
        _ => {}
    }
    match result(&inputs.dkim).as_str() {
        "pass" => hit("R_DKIM_ALLOW", -0.1),
        "fail" => hit("R_DKIM_REJECT", 1.0),
        _ => {}
    }
    match result(&inputs.dmarc).as_str() {
        "pass" => hit("DMARC_POLICY_ALLOW", -0.1),
        "reject" => hit("DMARC_POLICY_REJECT", 2.0),
        "quarantine" => hit("DMARC_POLICY_QUARANTINE", 1.5),
        "fail" => hit("DMARC_FAIL", 1.5),
        _ => {}
    }
    if !inputs.dnsbl.is_empty() {
        hit("RBL_LISTED", listed_score(inputs.dnsbl.len(), 3.0, 1.0, 5.0));
    }
}

/// `first` for one listing, `more` for each further one, at most `cap`.
fn listed_score(listings: usize, first: f64, more: f64, cap: f64) -> f64 {
    (first + more * listings.saturating_sub(1) as f64).min(cap)
}

/// The inputs as features of the linear layer (`in:spf:fail`, `in:dnsbl`, ...), so that what
/// they say can be learned rather than only scored by hand.
pub(crate) fn features(inputs: &Inputs) -> Vec<u64> {
    let mut out = Vec::new();
    let mut add =
        |name: &str, value: &str| out.push(hash::token(name.as_bytes(), value.trim().to_ascii_lowercase().as_bytes()));
    if inputs.authenticated {
        add("in:", "authenticated");
    }
    for (name, value) in [("in:spf:", &inputs.spf), ("in:dkim:", &inputs.dkim), ("in:dmarc:", &inputs.dmarc)] {
        if let Some(value) = value {
            add(name, value);
        }
    }
    for (name, listed) in [("in:dnsbl:", &inputs.dnsbl), ("in:uribl:", &inputs.uribl)] {
        if !listed.is_empty() {
            add(name, super::tokenize::bucket(listed.len()));
        }
    }
    out
}

/// Adds `LEARNED_SPAM` or `LEARNED_HAM` for what the linear layer adds (nothing when it
/// adds less than 0.05 points either way).
pub(crate) fn learned(score: f64, out: &mut Vec<Symbol>) {
    if score.is_finite() && score.abs() >= 0.05 {
        out.push(Symbol { name: if score > 0.0 { "LEARNED_SPAM" } else { "LEARNED_HAM" }, score });
    }
}

/// Adds `BAYES_SPAM` or `BAYES_HAM` for a Bayes probability, scaled by how sure it is. From
/// 0.9 (SpamBayes's own spam cutoff) Bayes alone files a message in Junk, even with every
/// authentication check passed (those symbols are kept small for that reason).
pub(crate) fn bayes(probability: Option<f64>, out: &mut Vec<Symbol>) {
    let Some(p) = probability.filter(|p| p.is_finite()) else {
        return;
    };
    let (name, score) = match p {
        p if p >= 0.99 => ("BAYES_SPAM", 6.5),
        p if p >= 0.90 => ("BAYES_SPAM", 6.0),
        p if p >= 0.80 => ("BAYES_SPAM", 3.0),
        p if p >= 0.60 => ("BAYES_SPAM", 1.5),
        p if p <= 0.01 => ("BAYES_HAM", -3.0),
        p if p <= 0.05 => ("BAYES_HAM", -2.0),
        p if p <= 0.20 => ("BAYES_HAM", -1.0),
        _ => return,
    };
    out.push(Symbol { name, score });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(inputs: &Inputs) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        check(inputs, &mut out);
        out.iter().map(|s| (s.name, s.score)).collect()
    }

    #[test]
    fn inputs_map_to_symbols() {
        assert!(names(&Inputs::default()).is_empty());
        let bad = Inputs {
            spf: Some("Fail".into()),
            dkim: Some("fail".into()),
            dmarc: Some("reject".into()),
            dnsbl: vec!["zen.example".into(), "bl.example".into()],
            uribl: vec!["evil.example".into()],
            authenticated: false,
        };
        assert_eq!(
            names(&bad),
            [
                ("URIBL_LISTED", 4.0),
                ("R_SPF_FAIL", 1.0),
                ("R_DKIM_REJECT", 1.0),
                ("DMARC_POLICY_REJECT", 2.0),
                ("RBL_LISTED", 4.0)
            ]
        );
        assert_eq!(names(&Inputs { authenticated: true, ..bad }), [("URIBL_LISTED", 4.0)]);
    }

    #[test]
    fn bayes_scales() {
        let score = |p| {
            let mut out = Vec::new();
            bayes(p, &mut out);
            out.first().map(|s| s.score)
        };
        assert_eq!(score(None), None);
        assert_eq!(score(Some(0.5)), None);
        assert_eq!(score(Some(f64::NAN)), None);
        assert_eq!(score(Some(1.0)), Some(6.5));
        assert_eq!(score(Some(0.95)), Some(6.0));
        assert_eq!(score(Some(0.0)), Some(-3.0));
    }
}
