//! URLs in message bodies: finding them in text, taking their hosts apart, and the domains a
//! caller looks up in URI blocklists.

use memchr::memmem;

/// Most URLs kept from one message.
pub(crate) const MAX_URLS: usize = 256;
/// Longest URL taken from text (longer ones are cut).
const MAX_URL_LEN: usize = 2048;
/// Most domains [`url_domains`] returns.
const MAX_DOMAINS: usize = 20;

/// Distinct registrable domains (`www.shop.example.co.uk` gives `example.co.uk`) of the URLs in
/// the body of `message`, in order of first appearance, at most 20; numeric hosts are left out.
/// The caller looks them up in URI blocklists and passes the listed ones in
/// [`Inputs::uribl`](super::Inputs::uribl).
pub fn url_domains(message: &[u8]) -> Vec<String> {
    let body = super::body::Body::new(&message::Parsed::new(message));
    let mut domains: Vec<String> = Vec::new();
    for url in &body.urls {
        if domains.len() == MAX_DOMAINS {
            break;
        }
        if let Some(domain) = host(url).as_deref().and_then(registrable)
            && !domains.iter().any(|d| d == domain)
        {
            domains.push(domain.to_string());
        }
    }
    domains
}

/// Appends the URLs written out in `text` (`http://`, `https://`, or starting `www.`) to `out`.
pub(crate) fn find_in_text(text: &str, out: &mut Vec<String>) {
    let bytes = text.as_bytes();
    for needle in [&b"://"[..], b"www."] {
        for at in memmem::find_iter(bytes, needle) {
            if out.len() >= MAX_URLS {
                return;
            }
            let start = if needle == b"://" {
                let scheme = bytes[..at].iter().rev().take(6).take_while(|b| b.is_ascii_alphabetic()).count();
                let scheme_text = &bytes[at - scheme..at];
                if !(scheme_text.eq_ignore_ascii_case(b"http") || scheme_text.eq_ignore_ascii_case(b"https")) {
                    continue;
                }
                at - scheme
            } else {
                // "www." not already inside a URL found above.
                let prev = at.checked_sub(1).map(|p| bytes[p]);
                if prev.is_some_and(|b| b == b'/' || b == b'.' || b.is_ascii_alphanumeric()) {
                    continue;
                }
                at
            };
            let rest = &bytes[start..bytes.len().min(start + MAX_URL_LEN)];
            let len = rest.iter().position(|&b| ends_url(b)).unwrap_or(rest.len());
            let url = text[start..start + len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']);
            out.push(url.to_string());
        }
    }
}

fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'|' | b'^') || b >= 0x80
}

/// The lower-cased host of a URL (`http://user@Host:80/x` gives `host`), or of a bare
/// `www.host/...`; `None` for `mailto:` and other non-web URLs and for hosts with odd characters.
pub(crate) fn host(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(at) => {
            let scheme = &url[..at];
            if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
                return None;
            }
            &url[at + 3..]
        }
        None if url.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www.")) => url,
        None => return None,
    };
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    let host = match hostport.rfind(':') {
        Some(colon) if hostport[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => &hostport[..colon],
        _ => hostport,
    };
    let host = host.trim_end_matches('.');
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    valid.then(|| host.to_ascii_lowercase())
}

/// Whether the URL's authority has a `user@` part (`http://bank.example@evil.example/`).
pub(crate) fn has_userinfo(url: &str) -> bool {
    url.find("://").is_some_and(|at| {
        let rest = &url[at + 3..];
        rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())].contains('@')
    })
}

/// Whether a host is a number rather than a name: dotted IPv4 (also in hex or octal) or one
/// decimal or hex number.
pub(crate) fn is_numeric(host: &str) -> bool {
    host.split('.').count() <= 4
        && host.split('.').all(|label| match label.strip_prefix("0x") {
            Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
        })
}

/// The registrable domain of a host by the public suffix list (`None` for a bare suffix or a
/// numeric host).
pub(crate) fn registrable(host: &str) -> Option<&str> {
    if is_numeric(host) {
        return None;
    }
    psl::domain_str(host).filter(|d| d.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_urls_in_text() {
        let mut out = Vec::new();
        find_in_text("see http://A.example/x, or www.b.example. and HTTPS://c.example:8080/y) ftp://no", &mut out);
        assert_eq!(out, ["http://A.example/x", "HTTPS://c.example:8080/y", "www.b.example"]);
    }

    #[test]
    fn hosts() {
        assert_eq!(host("http://user:pw@Shop.Example.co.uk:80/path").as_deref(), Some("shop.example.co.uk"));
        assert_eq!(host("www.example.com/a").as_deref(), Some("www.example.com"));
        assert_eq!(host("mailto:a@b.example"), None);
        assert_eq!(host("http://"), None);
        assert!(has_userinfo("http://bank.example@evil.example/"));
        assert!(!has_userinfo("http://evil.example/a@b"));
    }

    #[test]
    fn numeric_hosts() {
        for numeric in ["192.0.2.1", "3232235777", "0xc0.0xa8.0x1.0x1"] {
            assert!(is_numeric(numeric), "{numeric}");
        }
        for name in ["example.com", "cafe.example", "a1.example", "deadbeef", "1.2.3.4.5", ""] {
            assert!(!is_numeric(name), "{name}");
        }
        assert_eq!(registrable("www.shop.example.co.uk"), Some("example.co.uk"));
        assert_eq!(registrable("192.0.2.1"), None);
        assert_eq!(registrable("co.uk"), None);
    }
}
