//! The author domain: the domain of the one address in the `From:` header (RFC 7489 section
//! 3.1), which DMARC protects.

use crate::message::headers::field;

/// The lower-case domain of the `From:` address, or `None` when there is no `From:`, it holds
/// several addresses, or its address has no domain.
pub fn author_domain(message: &[u8]) -> Option<String> {
    let value = field(message, "From")?;
    let mut addresses = Vec::new();
    let mut quoted = false;
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                addresses.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    addresses.push(&value[start..]);
    let addresses: Vec<&str> = addresses.into_iter().map(str::trim).filter(|a| !a.is_empty()).collect();
    let [address] = addresses.as_slice() else { return None };
    let spec = match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address.split('(').next().unwrap_or(address),
    };
    let domain = spec.rsplit_once('@')?.1.trim().trim_end_matches('.');
    let valid = !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then(|| domain.to_ascii_lowercase())
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
}
