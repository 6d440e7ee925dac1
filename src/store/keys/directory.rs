//! Keys of what is set per domain or address: domains, accounts, aliases, DKIM keys and the
//! allow and block lists.

use super::{SEP, joined};

/// `domain` key of a local domain.
pub fn domain(domain: &str) -> &[u8] {
    domain.as_bytes()
}

/// `account` key of a lower-case address.
pub fn account(address: &str) -> &[u8] {
    address.as_bytes()
}

/// `alias` key of an address, or of `@domain` for a catch-all.
pub fn alias(address: &str) -> &[u8] {
    address.as_bytes()
}

/// The domain, address or alias that a `domain`, `account`, `alias` or `suppression` key names.
pub fn name_of(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// `dkim_key` key: `domain \0 selector`, so that a domain's keys sort together.
pub fn dkim_key(domain: &str, selector: &str) -> Vec<u8> {
    joined(domain.to_ascii_lowercase().as_bytes(), selector.as_bytes())
}

/// Prefix of every `dkim_key` key of a domain.
pub fn dkim_domain(domain: &str) -> Vec<u8> {
    dkim_key(domain, "")
}

/// The domain and selector a `dkim_key` key stands for.
pub fn dkim_key_parts(key: &[u8]) -> Option<(String, String)> {
    let split = key.iter().position(|&b| b == SEP)?;
    Some((name_of(&key[..split]), name_of(&key[split + 1..])))
}

/// `access` key: `list \0 entry`.
pub fn access(list: &str, entry: &str) -> Vec<u8> {
    joined(list.as_bytes(), entry.as_bytes())
}

/// Prefix of every `access` key of a list.
pub fn access_list(list: &str) -> Vec<u8> {
    access(list, "")
}

/// The entry of an `access` key, when the key starts with `prefix` (an [`access_list`]).
pub fn access_entry(prefix: &[u8], key: &[u8]) -> Option<String> {
    key.strip_prefix(prefix).map(name_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dkim_keys_of_a_domain_sort_together_and_split_back() {
        let key = dkim_key("Example.COM", "s1");
        assert_eq!(key, b"example.com\0s1");
        assert!(key.starts_with(&dkim_domain("example.com")));
        assert!(!dkim_key("example.community", "s1").starts_with(&dkim_domain("example.com")));
        assert_eq!(dkim_key_parts(&key), Some(("example.com".into(), "s1".into())));
        assert_eq!(dkim_key_parts(b"no separator"), None);
    }

    #[test]
    fn access_lists_are_kept_apart() {
        let block = access_list("block");
        assert_eq!(access_entry(&block, &access("block", "192.0.2.0/24")).as_deref(), Some("192.0.2.0/24"));
        assert_eq!(access_entry(&block, &access("allow", "192.0.2.0/24")), None);
        assert_eq!(
            (domain("example.com"), name_of(alias("@example.com")).as_str()),
            (&b"example.com"[..], "@example.com")
        );
        assert_eq!(account("bob@example.com"), b"bob@example.com");
    }
}
