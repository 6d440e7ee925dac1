//! Domain name checks: which names may start a check (RFC 7208 section 4.3), which may be asked
//! of DNS, and the top-label rule of `domain-spec` (section 7.1).

/// The longest name DNS can carry, in characters, without the trailing dot.
const MAX_NAME: usize = 253;
/// The longest label.
const MAX_LABEL: usize = 63;

/// `name` without one trailing dot.
pub(crate) fn trim_dot(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// Whether a query can be composed for `name` (given without its trailing dot): labels of 1 to
/// 63 bytes, at most 253 bytes in all.
pub(crate) fn is_queryable(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && name.split('.').all(|l| !l.is_empty() && l.len() <= MAX_LABEL)
}

/// Whether `check_host()` may start at `domain` (without its trailing dot): it can be queried,
/// has at least two labels, and ends in a valid top label, so that neither a bare host name nor
/// an address literal such as `[192.0.2.1]` is looked up.
pub(crate) fn is_valid_domain(domain: &str) -> bool {
    is_queryable(domain) && domain.rsplit_once('.').is_some_and(|(_, top)| is_toplabel(top))
}

/// `toplabel` of RFC 7208 section 7.1: letters, digits and inner hyphens, not all digits.
pub(crate) fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
        && b.iter().any(|c| !c.is_ascii_digit())
}

/// Cuts an expanded name to 253 characters by dropping labels from the left (section 7.3).
pub(crate) fn truncate(name: &str) -> &str {
    let mut name = name;
    while name.len() > MAX_NAME {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    name
}

/// Whether `name` is `domain` or one of its subdomains, ignoring case.
pub(crate) fn is_within(name: &str, domain: &str) -> bool {
    let (name, domain) = (trim_dot(name), trim_dot(domain));
    if name.len() == domain.len() {
        return name.eq_ignore_ascii_case(domain);
    }
    name.len() > domain.len()
        && name.is_char_boundary(name.len() - domain.len())
        && name[name.len() - domain.len()..].eq_ignore_ascii_case(domain)
        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_domains() {
        assert!(is_valid_domain("example.com"));
        assert!(is_valid_domain("a.example.xn--zckzah"));
        let long_label = format!("{}.example.com", "a".repeat(64));
        for bad in ["", "com", "a..example.com", ".example.com", "[1.2.3.5]", "example.123", long_label.as_str()] {
            assert!(!is_valid_domain(bad), "{bad}");
        }
        assert!(is_queryable(&format!("{}.example.com", "a".repeat(63))));
    }

    #[test]
    fn toplabels() {
        for good in ["com", "xn--zckzah", "1-2", "a1"] {
            assert!(is_toplabel(good), "{good}");
        }
        for bad in ["", "123", "-com", "com-", "co:m", "com/24"] {
            assert!(!is_toplabel(bad), "{bad}");
        }
    }

    #[test]
    fn truncation_drops_left_labels() {
        let name = format!("{}.{}.example.com", "a".repeat(60), "b".repeat(200));
        assert_eq!(truncate(&name), format!("{}.example.com", "b".repeat(200)));
        assert_eq!(truncate("example.com"), "example.com");
    }

    #[test]
    fn within() {
        assert!(is_within("mail.Example.com", "example.COM"));
        assert!(is_within("example.com.", "example.com"));
        assert!(!is_within("badexample.com", "example.com"));
        assert!(!is_within("com", "example.com"));
        assert!(!is_within("é.example.com", "xexample.com"));
    }
}
