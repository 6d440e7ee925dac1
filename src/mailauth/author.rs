//! The author domain: the domain of the one address in the `From:` header (RFC 7489 section
//! 3.1), which DMARC protects.

use message::headers::{fields, header_block, unfold};
use message::mime::address;

/// The lower-case domain of the `From:` address, or `None` when the header has no `From:`
/// field or several (a name with white space before the colon counts), the field holds no
/// mailbox or several, or its one address has a route or no valid domain.
pub fn author_domain(message: &[u8]) -> Option<String> {
    let mut from = fields(header_block(message)).filter(|f| f.is("From"));
    let (Some(field), None) = (from.next(), from.next()) else { return None };
    let addresses = address::parse(&unfold(field.value));
    let [one] = addresses.as_slice() else { return None };
    if one.adl.is_some() || one.mailbox.is_none() {
        return None;
    }
    let host = one.host.as_deref()?;
    let domain = host.strip_suffix(b".").unwrap_or(host);
    let valid = !domain.is_empty() && domain.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then(|| String::from_utf8_lossy(domain).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(from: &str) -> Option<String> {
        author_domain(format!("Subject: x\r\nFrom: {from}\r\n\r\nbody\r\n").as_bytes())
    }

    #[test]
    fn the_one_from_address() {
        assert_eq!(of("alice@Example.ORG").as_deref(), Some("example.org"));
        assert_eq!(of("\"Smith, Alice\" <alice@example.org>").as_deref(), Some("example.org"));
        assert_eq!(of("Alice (at work, really) <alice@mail.example.org>").as_deref(), Some("mail.example.org"));
        assert_eq!(of("alice@example.org (Alice)").as_deref(), Some("example.org"));
        assert_eq!(of("a@one.example, b@two.example"), None, "several authors");
        assert_eq!(of("undisclosed"), None);
        assert_eq!(author_domain(b"Subject: no from\r\n\r\n"), None);
    }

    #[test]
    fn several_from_fields_have_no_author() {
        assert_eq!(author_domain(b"From: a@good.example\r\nFrom: b@evil.example\r\n\r\n"), None);
        assert_eq!(author_domain(b"From : a@evil.example\r\nFrom: b@good.example\r\n\r\n"), None);
        assert_eq!(author_domain(b"From\r\n : a@evil.example\r\n\r\n").as_deref(), Some("evil.example"));
        assert_eq!(of("<@relay.example:user@victim.example>"), None, "a route");
    }
}
