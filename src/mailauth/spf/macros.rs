//! Macro strings (RFC 7208 section 7): parsed once with the record, expanded for each check.
//!
//! A macro string mixes literal text with expansions such as `%{ir}` (the client address,
//! reversed) or `%{l1r-}` (the local part, split on `-`, reversed, last part kept). Parsing checks
//! the syntax and which letters the context allows; expansion is a pure function of [`Vars`], so
//! the `%{p}` name (which needs DNS) is found by the caller beforehand, when
//! [`MacroString::uses_validated_name`] says it is needed.

use std::fmt::{self, Write};
use std::net::IpAddr;

use super::domain;

/// Where a macro string appears, which decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A `domain-spec` (a mechanism's target, `redirect=`, `exp=`): letters `s l o d i p h v`
    /// only, no spaces, not empty, and it must end in a macro or in `.` and a valid top label.
    Domain,
    /// An explanation string (the TXT record `exp=` names): every letter, spaces allowed.
    Explanation,
    /// The value of an unknown modifier: every letter, no spaces.
    Modifier,
}

/// Why a macro string is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacroError {
    /// A byte outside printable ASCII (or a space where none is allowed).
    #[error("character {0:?} is not allowed in a macro string")]
    BadCharacter(char),
    /// `%` followed by something other than `{`, `%`, `_` or `-`.
    #[error("'%' must be followed by '{{', '%', '_' or '-'")]
    BadPercent,
    /// `%{` without its closing `}`.
    #[error("macro without a closing '}}'")]
    Unterminated,
    /// A letter that is no macro letter.
    #[error("unknown macro letter {0:?}")]
    UnknownLetter(char),
    /// `c`, `r` or `t` outside an explanation.
    #[error("macro letter {0:?} is allowed only in explanations")]
    ExplanationOnly(char),
    /// A digit transformer of zero.
    #[error("a macro's digit transformer must not be zero")]
    ZeroDigits,
    /// Something other than digits, `r` and delimiters between the letter and `}`.
    #[error("invalid transformer or delimiter {0:?}")]
    BadTransformer(char),
    /// An empty `domain-spec`.
    #[error("empty domain-spec")]
    Empty,
    /// A `domain-spec` that ends neither in a macro nor in a valid top label.
    #[error("domain-spec must end in a macro or a valid top label")]
    BadDomainEnd,
}

/// A macro letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Letter {
    /// `s`: the sender, `local-part@domain`.
    Sender,
    /// `l`: the sender's local part.
    LocalPart,
    /// `o`: the sender's domain.
    SenderDomain,
    /// `d`: the domain being checked (changes with `include` and `redirect`).
    Domain,
    /// `i`: the client address, dotted (IPv4) or as dotted nibbles (IPv6).
    Ip,
    /// `p`: the client's validated host name, or `unknown`.
    ValidatedName,
    /// `v`: `in-addr` for IPv4, `ip6` for IPv6.
    IpVersion,
    /// `h`: the HELO/EHLO name.
    Helo,
    /// `c`: the client address in its usual text form (explanations only).
    ClientIp,
    /// `r`: the name of the receiving host (explanations only).
    Receiver,
    /// `t`: the current time in seconds since the epoch (explanations only).
    Timestamp,
}

impl Letter {
    fn from_ascii(c: u8) -> Option<Letter> {
        Some(match c.to_ascii_lowercase() {
            b's' => Letter::Sender,
            b'l' => Letter::LocalPart,
            b'o' => Letter::SenderDomain,
            b'd' => Letter::Domain,
            b'i' => Letter::Ip,
            b'p' => Letter::ValidatedName,
            b'v' => Letter::IpVersion,
            b'h' => Letter::Helo,
            b'c' => Letter::ClientIp,
            b'r' => Letter::Receiver,
            b't' => Letter::Timestamp,
            _ => return None,
        })
    }

    fn explanation_only(self) -> bool {
        matches!(self, Letter::ClientIp | Letter::Receiver | Letter::Timestamp)
    }
}

/// One `%{...}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    /// What it expands.
    pub letter: Letter,
    /// Keep this many parts from the right (after reversal); `None` keeps all.
    pub digits: Option<u32>,
    /// Reverse the parts (`r`).
    pub reverse: bool,
    /// Split on these characters (`.` when none are given).
    pub delimiters: Vec<u8>,
    /// The letter was upper case: URL-escape the result.
    pub escape: bool,
}

/// A piece of a parsed macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied as is (with `%%`, `%_` and `%-` already turned into `%`, space and `%20`).
    Literal(String),
    /// A macro to expand.
    Macro(Macro),
}

/// A parsed macro string; it prints back as the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroString {
    source: String,
    segments: Vec<Segment>,
}

/// What the macros expand to, for one check.
#[derive(Debug, Clone, Copy)]
pub struct Vars<'a> {
    /// `s`: the sender, `local-part@domain` (with `postmaster` for an empty local part).
    pub sender: &'a str,
    /// `l`: the sender's local part.
    pub local_part: &'a str,
    /// `o`: the sender's domain.
    pub sender_domain: &'a str,
    /// `d`: the domain being checked.
    pub domain: &'a str,
    /// `i`, `c`, `v`: the client address (an IPv4-mapped IPv6 address should be given as IPv4).
    pub ip: IpAddr,
    /// `h`: the HELO/EHLO name.
    pub helo: &'a str,
    /// `r`: the receiving host's name (`unknown` when empty).
    pub receiver: &'a str,
    /// `t`: seconds since the Unix epoch.
    pub now: u64,
    /// `p`: the validated host name; `None` expands to `unknown`.
    pub validated_name: Option<&'a str>,
}

impl MacroString {
    /// Parses `text` as a macro string for `context`.
    pub fn parse(text: &str, context: Context) -> Result<MacroString, MacroError> {
        let bytes = text.as_bytes();
        let mut segments = Vec::new();
        let mut literal = String::new();
        // Where the literal text after the last expansion starts, for the domain-end check.
        let mut tail_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b'%' {
                let allowed = b.is_ascii_graphic() || (b == b' ' && context == Context::Explanation);
                if !allowed {
                    let c = text.get(i..).and_then(|t| t.chars().next()).unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Err(MacroError::BadCharacter(c));
                }
                literal.push(char::from(b));
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                Some(b'%') => literal.push('%'),
                Some(b'_') => literal.push(' '),
                Some(b'-') => literal.push_str("%20"),
                Some(b'{') => {
                    let close = memchr::memchr(b'}', &bytes[i + 2..]).ok_or(MacroError::Unterminated)?;
                    let body = &bytes[i + 2..i + 2 + close];
                    let parsed = parse_macro(body, context)?;
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Macro(parsed));
                    i += close + 3;
                    tail_start = i;
                    continue;
                }
                _ => return Err(MacroError::BadPercent),
            }
            i += 2;
            tail_start = i;
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        if context == Context::Domain {
            if text.is_empty() {
                return Err(MacroError::Empty);
            }
            // A trailing dot directly after a macro (`%{d}.`) is read like the one a top label may have.
            let tail = &text[tail_start..];
            if !tail.is_empty() && tail != "." && !valid_domain_end(tail) {
                return Err(MacroError::BadDomainEnd);
            }
        }
        Ok(MacroString { source: text.to_string(), segments })
    }

    /// The parsed pieces.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether expanding needs the validated host name (`%{p}`), which costs DNS lookups.
    pub fn uses_validated_name(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Macro(m) if m.letter == Letter::ValidatedName))
    }

    /// Expands the string, for an explanation or any other text.
    pub fn expand(&self, vars: &Vars<'_>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Macro(m) => expand_macro(m, vars, &mut out),
            }
        }
        out
    }

    /// Expands a `domain-spec` into a name to look up: without its trailing dot, and cut to 253
    /// characters by dropping labels from the left (RFC 7208 section 7.3).
    pub fn expand_domain(&self, vars: &Vars<'_>) -> String {
        let expanded = self.expand(vars);
        domain::truncate(domain::trim_dot(&expanded)).to_string()
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Parses what stands between `%{` and `}`.
fn parse_macro(body: &[u8], context: Context) -> Result<Macro, MacroError> {
    let (&first, rest) = body.split_first().ok_or(MacroError::UnknownLetter('}'))?;
    let letter = Letter::from_ascii(first).ok_or(MacroError::UnknownLetter(char::from(first)))?;
    if context == Context::Domain && letter.explanation_only() {
        return Err(MacroError::ExplanationOnly(char::from(first)));
    }
    let digit_count = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = if digit_count == 0 {
        None
    } else {
        let n = rest[..digit_count].iter().fold(0u32, |n, &d| n.saturating_mul(10).saturating_add(u32::from(d - b'0')));
        if n == 0 {
            return Err(MacroError::ZeroDigits);
        }
        Some(n)
    };
    let mut rest = &rest[digit_count..];
    let reverse = matches!(rest.first(), Some(b'r' | b'R'));
    if reverse {
        rest = &rest[1..];
    }
    if let Some(&bad) = rest.iter().find(|b| !b".-+,/_=".contains(b)) {
        return Err(MacroError::BadTransformer(char::from(bad)));
    }
    Ok(Macro { letter, digits, reverse, delimiters: rest.to_vec(), escape: first.is_ascii_uppercase() })
}

/// `domain-end` for the literal text after the last expansion: `"." toplabel ["."]`.
fn valid_domain_end(tail: &str) -> bool {
    let tail = tail.strip_suffix('.').unwrap_or(tail);
    match tail.rsplit_once('.') {
        Some((_, top)) => domain::is_toplabel(top),
        None => false,
    }
}

fn expand_macro(m: &Macro, vars: &Vars<'_>, out: &mut String) {
    let mut owned = String::new();
    let value: &str = match m.letter {
        Letter::Sender => vars.sender,
        Letter::LocalPart => vars.local_part,
        Letter::SenderDomain => vars.sender_domain,
        Letter::Domain => vars.domain,
        Letter::Helo => vars.helo,
        Letter::ValidatedName => vars.validated_name.unwrap_or("unknown"),
        Letter::Receiver if vars.receiver.is_empty() => "unknown",
        Letter::Receiver => vars.receiver,
        Letter::IpVersion => match vars.ip {
            IpAddr::V4(_) => "in-addr",
            IpAddr::V6(_) => "ip6",
        },
        Letter::Ip => {
            dotted(vars.ip, &mut owned);
            &owned
        }
        Letter::ClientIp => {
            let _ = write!(owned, "{}", vars.ip);
            &owned
        }
        Letter::Timestamp => {
            let _ = write!(owned, "{}", vars.now);
            &owned
        }
    };
    let transformed = transform(value, m);
    if m.escape {
        url_escape(&transformed, out);
    } else {
        out.push_str(&transformed);
    }
}

/// `%{i}`: dotted quad for IPv4, 32 dot-separated lower-case nibbles for IPv6.
fn dotted(ip: IpAddr, out: &mut String) {
    match ip {
        IpAddr::V4(v4) => {
            let _ = write!(out, "{v4}");
        }
        IpAddr::V6(v6) => {
            for (i, byte) in v6.octets().iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                let _ = write!(out, "{:x}.{:x}", byte >> 4, byte & 0xf);
            }
        }
    }
}

/// Splits on the delimiters, reverses if asked, keeps the rightmost parts, joins with dots.
fn transform(value: &str, m: &Macro) -> String {
    if m.digits.is_none() && !m.reverse && m.delimiters.iter().all(|&d| d == b'.') {
        return value.to_string();
    }
    let delimiters: &[u8] = if m.delimiters.is_empty() { b"." } else { &m.delimiters };
    let mut parts: Vec<&str> = value.split(|c: char| c.is_ascii() && delimiters.contains(&(c as u8))).collect();
    if m.reverse {
        parts.reverse();
    }
    let keep = m.digits.map_or(parts.len(), |n| (n as usize).min(parts.len()));
    parts[parts.len() - keep..].join(".")
}

/// URL-escapes everything but the unreserved characters (RFC 3986): `A-Z a-z 0-9 - . _ ~`.
fn url_escape(value: &str, out: &mut String) {
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn vars(ip: IpAddr) -> Vars<'static> {
        Vars {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip,
            helo: "mx.example.org",
            receiver: "mx.example.net",
            now: 1_700_000_000,
            validated_name: Some("mx.example.org"),
        }
    }

    fn v4() -> Vars<'static> {
        vars(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3)))
    }

    fn expand(text: &str, vars: &Vars<'_>) -> String {
        match MacroString::parse(text, Context::Explanation) {
            Ok(m) => m.expand(vars),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// The examples of RFC 7208 section 7.4.
    #[test]
    fn rfc7208_section_7_4_examples() {
        let v = v4();
        for (macro_text, expected) in [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
            ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
            ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ] {
            assert_eq!(expand(macro_text, &v), expected, "{macro_text}");
        }
        let v6 = vars(IpAddr::V6("2001:db8::cb01".parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED)));
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", &v6),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn explanation_letters_and_escapes() {
        let v = v4();
        assert_eq!(expand("%{c} %{r} %{t} %{p}", &v), "192.0.2.3 mx.example.net 1700000000 mx.example.org");
        assert_eq!(expand("100%% %_ %-", &v), "100%   %20");
        let v6 = vars(IpAddr::V6(Ipv6Addr::new(0xcafe, 0xbabe, 0, 0, 0, 0, 0, 1)));
        assert_eq!(expand("%{c} %{v}", &v6), "cafe:babe::1 ip6");
        let unknown = Vars { validated_name: None, receiver: "", ..v };
        assert_eq!(expand("%{p} %{r}", &unknown), "unknown unknown");
    }

    #[test]
    fn upper_case_letters_are_url_escaped() {
        let v = Vars { local_part: "~jack&jill=up-a_b3.c", ..v4() };
        assert_eq!(expand("%{L}", &v), "~jack%26jill%3Dup-a_b3.c");
        assert_eq!(expand("%{S}", &v4()), "strong-bad%40email.example.com");
    }

    #[test]
    fn multiple_delimiters_and_large_digits() {
        let v = Vars { local_part: "foo-bar+zip+quux", ..v4() };
        assert_eq!(expand("%{l2r+-}", &v), "bar.foo");
        assert_eq!(expand("%{d99999999999999}", &v), "email.example.com");
        assert_eq!(expand("%{l=}", &v), "foo-bar+zip+quux");
    }

    #[test]
    fn syntax_errors() {
        let domain = |s: &str| MacroString::parse(s, Context::Domain).err();
        assert_eq!(domain("%(ir).sbl.example.com"), Some(MacroError::BadPercent));
        assert_eq!(domain("foo%.sbl.example.com"), Some(MacroError::BadPercent));
        assert_eq!(domain("%{ir.example.com"), Some(MacroError::Unterminated));
        assert_eq!(domain("%{a}.example.com"), Some(MacroError::UnknownLetter('a')));
        assert_eq!(domain("%{r}.example.com"), Some(MacroError::ExplanationOnly('r')));
        assert_eq!(domain("%{d0}.example.com"), Some(MacroError::ZeroDigits));
        assert_eq!(domain("%{d2x}.example.com"), Some(MacroError::BadTransformer('x')));
        assert_eq!(domain(""), Some(MacroError::Empty));
        assert_eq!(domain("a b.example.com"), Some(MacroError::BadCharacter(' ')));
        assert_eq!(domain("foo.example.com\0"), Some(MacroError::BadCharacter('\0')));
        assert!(MacroString::parse("The %{x}-files.", Context::Explanation).is_err());
        assert!(MacroString::parse("foo %{c}", Context::Modifier).is_err());
    }

    #[test]
    fn domain_end() {
        let ok = |s: &str| MacroString::parse(s, Context::Domain).is_ok();
        for good in [
            "example.com",
            "example.com.",
            "%{d}",
            "%{d}.",
            "%{d}.com",
            "x.%{h}",
            "foo:bar/baz.example.com",
            "a.xn--zckzah",
            "%%",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in
            ["foo-bar", "museum", "museum.", "abc.123", "111.222.33.44", "example.-com", "example.com:8080", "%{d}com"]
        {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn domain_expansion_trims_and_truncates() {
        let v = v4();
        let trailing = MacroString::parse("%{d}.", Context::Domain).map(|m| m.expand_domain(&v));
        assert_eq!(trailing.as_deref(), Ok("email.example.com"));
        let long = MacroString::parse(
            "foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.x",
            Context::Domain,
        );
        let name = long.map(|m| m.expand_domain(&v)).unwrap_or_default();
        assert!(name.len() <= 253 && name.starts_with("email.") && name.ends_with(".com.x"), "{name}");
    }

    #[test]
    fn prints_back_its_source() {
        let text = "%{ir}.%{v}._spf.%{d2}";
        assert_eq!(MacroString::parse(text, Context::Domain).map(|m| m.to_string()).as_deref(), Ok(text));
    }
}
