//! Delivery status notification parameters (RFC 3461): `RET` and `ENVID` on MAIL, `NOTIFY` and
//! `ORCPT` on RCPT, and the xtext encoding their values travel in.

use serde::{Deserialize, Serialize};

/// `NOTIFY=`: when the sender wants a report about a recipient. Empty when not given; the
/// server then reports failures and delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notify(u8);

impl Notify {
    const SUCCESS: u8 = 1;
    const FAILURE: u8 = 1 << 1;
    const DELAY: u8 = 1 << 2;
    const NEVER: u8 = 1 << 3;

    /// Parses `NEVER` or a comma list of `SUCCESS`, `FAILURE`, `DELAY`.
    pub fn parse(value: &str) -> Option<Notify> {
        let mut bits = 0;
        for word in value.split(',') {
            bits |= match word.to_ascii_uppercase().as_str() {
                "SUCCESS" => Notify::SUCCESS,
                "FAILURE" => Notify::FAILURE,
                "DELAY" => Notify::DELAY,
                "NEVER" => Notify::NEVER,
                _ => return None,
            };
        }
        // NEVER must stand alone (RFC 3461 section 4.1).
        (bits & Notify::NEVER == 0 || bits == Notify::NEVER).then_some(Notify(bits))
    }

    /// Whether NOTIFY was given at all.
    pub fn is_given(self) -> bool {
        self.0 != 0
    }

    /// Report a successful delivery (or a relay to a server that cannot report it).
    pub fn success(self) -> bool {
        self.0 & Notify::SUCCESS != 0
    }

    /// Report a permanent failure.
    pub fn failure(self) -> bool {
        !self.is_given() || self.0 & Notify::FAILURE != 0
    }

    /// Report a delay.
    pub fn delay(self) -> bool {
        !self.is_given() || self.0 & Notify::DELAY != 0
    }

    /// The value to pass on to the next server, if one was given.
    pub fn param(self) -> Option<String> {
        if !self.is_given() {
            return None;
        }
        if self.0 == Notify::NEVER {
            return Some("NEVER".into());
        }
        let words = [(Notify::SUCCESS, "SUCCESS"), (Notify::FAILURE, "FAILURE"), (Notify::DELAY, "DELAY")];
        Some(words.iter().filter(|(bit, _)| self.0 & bit != 0).map(|(_, w)| *w).collect::<Vec<_>>().join(","))
    }
}

/// `RET=`: how much of the message a failure report returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ret {
    /// The whole message.
    Full,
    /// Only its headers.
    Headers,
}

impl Ret {
    /// Parses `FULL` or `HDRS`.
    pub fn parse(value: &str) -> Option<Ret> {
        match value.to_ascii_uppercase().as_str() {
            "FULL" => Some(Ret::Full),
            "HDRS" => Some(Ret::Headers),
            _ => None,
        }
    }

    /// The parameter value.
    pub fn param(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Headers => "HDRS",
        }
    }
}

/// Longest ENVID (RFC 3461 section 4.4: 100 characters) and ORCPT we take, decoded.
pub const MAX_XTEXT: usize = 500;

/// Decodes xtext (`+XX` hex escapes; RFC 3461 section 4): printable ASCII other than `+` and `=`.
pub fn xtext_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                let hex = text.get(i + 1..i + 3)?;
                if !hex.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b @ b'!'..=b'~' if b != b'=' => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    if out.len() > MAX_XTEXT {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Encodes text as xtext.
pub fn xtext_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// `ORCPT=addr-type;xtext`: the original recipient, decoded, as `rfc822;bob@example.org`.
pub fn parse_orcpt(value: &str) -> Option<String> {
    let (kind, address) = value.split_once(';')?;
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let address = xtext_decode(address)?;
    (!address.is_empty()).then(|| format!("{kind};{address}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_lists_and_never() {
        let n = Notify::parse("success,Delay").unwrap();
        assert!(n.success() && n.delay() && !n.failure());
        assert_eq!(n.param().unwrap(), "SUCCESS,DELAY");
        let never = Notify::parse("NEVER").unwrap();
        assert!(!never.success() && !never.failure() && !never.delay());
        assert_eq!(never.param().unwrap(), "NEVER");
        assert!(Notify::parse("NEVER,FAILURE").is_none());
        assert!(Notify::parse("SOMETIMES").is_none());
        assert!(Notify::parse("").is_none());
        let unset = Notify::default();
        assert!(unset.failure() && unset.delay() && !unset.success() && unset.param().is_none());
    }

    #[test]
    fn xtext_round_trips_and_rejects_bad_escapes() {
        assert_eq!(xtext_decode("a+2Bb+3Dc").unwrap(), "a+b=c");
        assert_eq!(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext_decode(&xtext_encode("id 1+2=3")).unwrap(), "id 1+2=3");
        assert!(xtext_decode("a+2").is_none());
        assert!(xtext_decode("a+zz").is_none());
        assert!(xtext_decode("a+2b").is_none(), "hex digits are upper case");
        assert!(xtext_decode("a=b").is_none());
        assert!(xtext_decode(&"x".repeat(MAX_XTEXT + 1)).is_none());
    }

    #[test]
    fn orcpt_keeps_its_type() {
        assert_eq!(parse_orcpt("rfc822;bob+2Bx@example.org").unwrap(), "rfc822;bob+x@example.org");
        assert!(parse_orcpt("bob@example.org").is_none());
        assert!(parse_orcpt("rfc822;").is_none());
    }
}
