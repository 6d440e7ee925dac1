//! Validated host names of the client (RFC 7208 section 5.5), for the `ptr` mechanism and the
//! `%{p}` macro: the names its PTR records give whose own addresses include the client.

use std::net::IpAddr;

use super::domain;
use crate::lookup::Lookup;

/// At most this many PTR names are looked at (section 4.6.4).
const MAX_PTR_NAMES: usize = 10;

/// What the PTR lookup of the client gave.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValidatedNames {
    /// The PTR query answered, with no names: a void lookup.
    pub void: bool,
    /// The validated names, in the order the PTR answer gave them.
    pub names: Vec<String>,
}

/// Looks up the client's PTR names and keeps the first 10 whose A or AAAA records (by the
/// client's address family) include the client. A failed PTR query gives no names; a failed
/// address lookup skips that name (section 5.5).
pub(crate) async fn validated_names<L: Lookup>(lookup: &L, ip: IpAddr) -> ValidatedNames {
    let Ok(answer) = lookup.ptr(ip).await else {
        return ValidatedNames::default();
    };
    let mut out = ValidatedNames { void: answer.is_empty(), names: Vec::new() };
    for name in answer.iter().take(MAX_PTR_NAMES) {
        let name = domain::trim_dot(name);
        if domain::is_queryable(name) && resolves_to(lookup, name, ip).await {
            out.names.push(name.to_string());
        }
    }
    out
}

/// Whether `name` has `ip` among its addresses; a lookup error counts as no.
async fn resolves_to<L: Lookup>(lookup: &L, name: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => lookup.a(name).await.is_ok_and(|addrs| addrs.contains(&v4)),
        IpAddr::V6(v6) => lookup.aaaa(name).await.is_ok_and(|addrs| addrs.contains(&v6)),
    }
}

/// The name `%{p}` expands to when checking `domain` (section 7.3): `domain` itself if
/// validated, else a validated subdomain of it, else any validated name; `None` for none.
pub(crate) fn macro_name<'a>(names: &'a [String], domain: &str) -> Option<&'a str> {
    let exact = names.iter().find(|n| n.eq_ignore_ascii_case(domain::trim_dot(domain)));
    let within = || names.iter().find(|n| domain::is_within(n, domain));
    exact.or_else(within).or_else(|| names.first()).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_name_prefers_the_domain_then_subdomains() {
        let names: Vec<String> = ["mx.example.com", "mx.e7.example.com", "e7.example.com"].map(String::from).to_vec();
        assert_eq!(macro_name(&names, "e7.example.com"), Some("e7.example.com"));
        assert_eq!(macro_name(&names[..2], "E7.example.com"), Some("mx.e7.example.com"));
        assert_eq!(macro_name(&names[..1], "other.example"), Some("mx.example.com"));
        assert_eq!(macro_name(&[], "example.com"), None);
    }
}
