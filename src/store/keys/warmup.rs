//! Keys of the `warmup` column family: `s\0ADDRESS` for an address's state, and
//! `u\0ADDRESS\0DAY(u64 BE)SITE` for the messages it sent to a site on a day.

/// The state key of a source address.
pub fn warmup_state(address: &str) -> Vec<u8> {
    [b"s\0", address.as_bytes()].concat()
}

/// The usage key of a source address at a site on a day.
pub fn warmup_use(address: &str, day: u64, site: &str) -> Vec<u8> {
    [&warmup_use_prefix(address)[..], &day.to_be_bytes(), site.as_bytes()].concat()
}

/// Where the usage keys of an address start.
pub fn warmup_use_prefix(address: &str) -> Vec<u8> {
    [b"u\0", address.as_bytes(), b"\0"].concat()
}

/// The address of a state key.
pub fn warmup_state_address(key: &[u8]) -> Option<String> {
    key.strip_prefix(b"s\0").map(|a| String::from_utf8_lossy(a).into_owned())
}

/// The address, day and site of a usage key.
pub fn warmup_use_parts(key: &[u8]) -> Option<(String, u64, String)> {
    let rest = key.strip_prefix(b"u\0")?;
    let nul = rest.iter().position(|&b| b == 0)?;
    let (address, rest) = (&rest[..nul], &rest[nul + 1..]);
    let day = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Some((text(address), day, text(&rest[8..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_give_their_parts_back_and_sort_by_day() {
        let key = warmup_use("192.0.2.1", 20_000, "*.google.com");
        assert_eq!(warmup_use_parts(&key), Some(("192.0.2.1".into(), 20_000, "*.google.com".into())));
        assert!(key.starts_with(&warmup_use_prefix("192.0.2.1")));
        assert!(warmup_use("192.0.2.1", 1, "z") < warmup_use("192.0.2.1", 2, "a"));
        assert_eq!(warmup_state_address(&warmup_state("192.0.2.1")).as_deref(), Some("192.0.2.1"));
        assert_eq!(warmup_use_parts(&warmup_state("x")), None);
    }
}
