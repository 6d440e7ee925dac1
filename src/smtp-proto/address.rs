//! Mailbox addresses as SMTP carries them (RFC 5321 section 4.1.2, UTF-8 per RFC 6531).

use std::fmt;

/// Longest local part RFC 5321 section 4.5.3.1.1 allows.
const MAX_LOCAL_PART: usize = 64;
/// Longest domain RFC 5321 section 4.5.3.1.2 allows.
const MAX_DOMAIN: usize = 255;

/// Why an address failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The local part is not a dot-string or quoted-string.
    #[error("bad local part")]
    LocalPart,
    /// The domain is neither a host name nor an address literal.
    #[error("bad domain")]
    Domain,
    /// There is no `@`.
    #[error("missing @domain")]
    MissingDomain,
    /// A part is longer than RFC 5321 allows.
    #[error("address too long")]
    TooLong,
}

/// An envelope address `local@domain`.
///
/// The local part keeps its original spelling (quotes included) so it can be relayed unchanged;
/// the domain is lower-cased because domains compare case-insensitively. A bare `postmaster`
/// (RCPT TO:<postmaster>, RFC 5321 section 4.1.1.3) has an empty domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// Local part as sent, e.g. `john.doe` or `"john doe"`.
    pub local: String,
    /// Domain, lower-cased; an address literal keeps its brackets.
    pub domain: String,
}

impl Mailbox {
    /// Parses `local@domain` (no angle brackets).
    pub fn parse(s: &str) -> Result<Mailbox, AddressError> {
        let at = split_at_domain(s).ok_or(AddressError::MissingDomain)?;
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.len() > MAX_LOCAL_PART || domain.len() > MAX_DOMAIN {
            return Err(AddressError::TooLong);
        }
        if !is_valid_local_part(local) {
            return Err(AddressError::LocalPart);
        }
        if !is_valid_domain(domain) {
            return Err(AddressError::Domain);
        }
        Ok(Mailbox { local: local.to_string(), domain: domain.to_ascii_lowercase() })
    }

    /// The bare `postmaster` recipient that every SMTP server must accept.
    pub fn postmaster() -> Mailbox {
        Mailbox { local: "postmaster".into(), domain: String::new() }
    }

    /// True when the address contains non-ASCII characters (needs SMTPUTF8).
    pub fn is_utf8(&self) -> bool {
        !self.local.is_ascii() || !self.domain.is_ascii()
    }

    /// The lower-cased `local@domain` form used as a directory key.
    pub fn key(&self) -> String {
        format!("{}@{}", self.local.to_lowercase(), self.domain)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.domain.is_empty() { f.write_str(&self.local) } else { write!(f, "{}@{}", self.local, self.domain) }
    }
}

/// Finds the `@` that separates local part and domain: the last one outside a quoted string.
fn split_at_domain(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'"') {
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return (bytes.get(i + 1) == Some(&b'@')).then_some(i + 1),
                _ => i += 1,
            }
        }
        None
    } else {
        memchr::memrchr(b'@', bytes)
    }
}

/// `atext` of RFC 5322 plus UTF-8 (RFC 6531).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_valid_local_part(local: &str) -> bool {
    if let Some(inner) = local.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else { return false };
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(q) if (' '..='~').contains(&q) => {}
                    _ => return false,
                },
                '"' => return false,
                c if (' '..='~').contains(&c) || !c.is_ascii() => {}
                _ => return false,
            }
        }
        true
    } else {
        !local.is_empty() && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
    }
}

fn is_valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        let Some(literal) = literal.strip_suffix(']') else { return false };
        // The tag is case-insensitive (RFC 5234 2.3): a domain, lower-cased, still parses.
        return match literal.get(..5).filter(|tag| tag.eq_ignore_ascii_case("IPv6:")) {
            Some(_) => literal[5..].parse::<std::net::Ipv6Addr>().is_ok(),
            None => literal.parse::<std::net::Ipv4Addr>().is_ok(),
        };
    }
    !domain.is_empty()
        && domain.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc_forms() {
        for ok in [
            "user@example.com",
            "first.last+tag@sub.example.org",
            "\"john doe\"@example.com",
            "\"a\\\"b\"@example.com",
            "user@[192.0.2.1]",
            "user@[IPv6:2001:db8::1]",
            "用户@例子.广告",
        ] {
            assert!(Mailbox::parse(ok).is_ok(), "{ok} should parse");
        }
    }

    #[test]
    fn an_address_literal_prints_back_as_itself() {
        // Found by the smtp_command fuzz target: the lower-cased `ipv6:` tag did not parse.
        let mailbox = Mailbox::parse("u@[IPv6:2001:db8::1]").unwrap();
        assert_eq!(mailbox.domain, "[ipv6:2001:db8::1]");
        assert_eq!(Mailbox::parse(&mailbox.to_string()), Ok(mailbox));
        assert!(Mailbox::parse("u@[ipv6x2001:db8::1]").is_err(), "control: not a tag");
    }

    #[test]
    fn rejects_malformed() {
        for (bad, why) in [
            ("userexample.com", AddressError::MissingDomain),
            (".user@example.com", AddressError::LocalPart),
            ("us..er@example.com", AddressError::LocalPart),
            ("us er@example.com", AddressError::LocalPart),
            ("user@-example.com", AddressError::Domain),
            ("user@exa_mple.com", AddressError::Domain),
            ("user@", AddressError::Domain),
            ("user@[999.1.1.1]", AddressError::Domain),
        ] {
            assert_eq!(Mailbox::parse(bad), Err(why), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert_eq!(Mailbox::parse(&long), Err(AddressError::TooLong));
    }

    #[test]
    fn domain_is_lowercased_local_part_kept() {
        let m = Mailbox::parse("John@Example.COM").unwrap();
        assert_eq!(m.to_string(), "John@example.com");
        assert_eq!(m.key(), "john@example.com");
    }
}
