//! The ARC-Authentication-Results header field (RFC 8617 section 4.1.1): `i=N;` followed by
//! what an `Authentication-Results` field holds (RFC 8601), starting with the authserv-id.
//!
//! ```text
//! arc-authres-header = "ARC-Authentication-Results:" [CFWS] arc-info
//! arc-info           = instance [CFWS] ";" authres-payload
//! instance           = [FWS] "i" [FWS] "=" [FWS] 1*2DIGIT
//! ```
//!
//! Only the prefix is checked: the results are opaque to the chain, which signs them as written.
//! Comments before the `;` are not accepted.

use super::instance::{ArcHeaderError, parse_instance};

/// A parsed ARC-Authentication-Results field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcAuthenticationResults {
    /// `i=`: the instance of the set it belongs to.
    pub instance: u32,
    /// The authserv-id: the host that made the checks.
    pub authserv_id: String,
    /// Everything after `i=N;`, the authserv-id included, trimmed, folding kept as written.
    pub payload: String,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

impl ArcAuthenticationResults {
    /// Parses the value of the field (what follows the colon, folding included).
    pub fn parse(value: &str) -> Result<Self, ArcHeaderError> {
        let rest = value.trim_start_matches(is_ws);
        let rest = rest.strip_prefix('i').ok_or(ArcHeaderError::AuthResults)?;
        let rest = rest.trim_start_matches(is_ws).strip_prefix('=').ok_or(ArcHeaderError::AuthResults)?;
        let rest = rest.trim_start_matches(is_ws);
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (digits, rest) = rest.split_at(digits_end);
        if digits.is_empty() {
            // `i=;` and `i=squanch;` say which instance is meant no better than a bad number.
            let shown = rest.split(';').next().unwrap_or_default().trim_matches(is_ws);
            return Err(ArcHeaderError::Instance(shown.to_owned()));
        }
        let instance = parse_instance(digits)?;
        let payload = rest.trim_start_matches(is_ws).strip_prefix(';').ok_or(ArcHeaderError::AuthResults)?;
        let payload = payload.trim_matches(is_ws);
        let id_end = payload.find(|c: char| is_ws(c) || c == ';' || c == '(').unwrap_or(payload.len());
        let authserv_id = &payload[..id_end];
        if authserv_id.is_empty() || authserv_id.chars().any(|c| c.is_control()) {
            return Err(ArcHeaderError::AuthResults);
        }
        Ok(ArcAuthenticationResults { instance, authserv_id: authserv_id.to_owned(), payload: payload.to_owned() })
    }

    /// Like [`ArcAuthenticationResults::parse`] for raw bytes.
    pub fn parse_bytes(value: &[u8]) -> Result<Self, ArcHeaderError> {
        Self::parse(std::str::from_utf8(value).map_err(|_| ArcHeaderError::NotUtf8)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_instance_authserv_id_and_payload() {
        let aar = ArcAuthenticationResults::parse(
            " i=1; lists.example.org;\r\n    spf=pass smtp.mfrom=jqd@d1.example;\r\n    dmarc=pass",
        )
        .unwrap();
        assert_eq!(aar.instance, 1);
        assert_eq!(aar.authserv_id, "lists.example.org");
        assert_eq!(aar.payload, "lists.example.org;\r\n    spf=pass smtp.mfrom=jqd@d1.example;\r\n    dmarc=pass");

        let aar = ArcAuthenticationResults::parse("i = 12 ;mx.example.net 1; none").unwrap();
        assert_eq!((aar.instance, aar.authserv_id.as_str()), (12, "mx.example.net"));
        let aar = ArcAuthenticationResults::parse("i=2; mx(comment); none").unwrap();
        assert_eq!(aar.authserv_id, "mx");
    }

    /// The malformed prefixes of the ValiMail suite's AAR scenarios, and some more.
    #[test]
    fn rejects_bad_prefixes() {
        use ArcHeaderError as E;
        let parse = ArcAuthenticationResults::parse;
        assert_eq!(parse(" lists.example.org; spf=pass"), Err(E::AuthResults), "no i=");
        assert_eq!(parse(" lists.example.org; i=1; spf=pass"), Err(E::AuthResults), "i= not first");
        assert_eq!(parse(" i=1 lists.example.org; spf=pass"), Err(E::AuthResults), "no semicolon");
        assert_eq!(parse(" i=; lists.example.org"), Err(E::Instance("".into())));
        assert_eq!(parse(" i=squanch; lists.example.org"), Err(E::Instance("squanch".into())));
        assert_eq!(parse(" i=0; lists.example.org"), Err(E::Instance("0".into())));
        assert_eq!(parse(" i=51; lists.example.org"), Err(E::Instance("51".into())));
        assert_eq!(parse(" i=1;"), Err(E::AuthResults), "no authserv-id");
        assert_eq!(parse(" i=1; ; spf=pass"), Err(E::AuthResults));
        assert_eq!(parse(" I=1; mx"), Err(E::AuthResults));
        assert_eq!(parse(""), Err(E::AuthResults));
        assert_eq!(ArcAuthenticationResults::parse_bytes(b"i=1; \xff"), Err(E::NotUtf8));
    }
}
