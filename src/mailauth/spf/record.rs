//! SPF records (RFC 7208 sections 4.5, 4.6, 5 and 6): `v=spf1` and its terms, parsed into
//! qualified mechanisms and the `redirect=` and `exp=` modifiers, with typed errors.
//!
//! The whole record is parsed before anything is evaluated, so a syntax error anywhere, even
//! after a matching mechanism, makes the result `permerror` (section 4.6).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::SpfResult;
use super::macros::{Context, MacroError, MacroString};

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The mechanisms with their qualifiers, in order.
    pub directives: Vec<Directive>,
    /// `redirect=`, used when no mechanism matches.
    pub redirect: Option<MacroString>,
    /// `exp=`, the name of the explanation given with a `fail`.
    pub explanation: Option<MacroString>,
}

/// A mechanism with its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// What a match means.
    pub qualifier: Qualifier,
    /// What to match.
    pub mechanism: Mechanism,
}

/// The result a matching mechanism gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `+` (the default).
    Pass,
    /// `-`.
    Fail,
    /// `~`.
    SoftFail,
    /// `?`.
    Neutral,
}

/// A mechanism (section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`: always matches.
    All,
    /// `include:domain`: matches when the other domain's check passes.
    Include(MacroString),
    /// `a[:domain][/len][//len6]`: the client is one of the domain's addresses.
    A {
        /// The domain; the current one when absent.
        domain: Option<MacroString>,
        /// The prefix lengths to compare with.
        cidr: DualCidr,
    },
    /// `mx[:domain][/len][//len6]`: the client is an address of one of the domain's MX hosts.
    Mx {
        /// The domain; the current one when absent.
        domain: Option<MacroString>,
        /// The prefix lengths to compare with.
        cidr: DualCidr,
    },
    /// `ptr[:domain]`: a validated host name of the client is within the domain.
    Ptr(Option<MacroString>),
    /// `ip4:network[/len]`.
    Ip4 {
        /// The network address.
        network: Ipv4Addr,
        /// Its prefix length, 0 to 32.
        prefix: u8,
    },
    /// `ip6:network[/len]`.
    Ip6 {
        /// The network address.
        network: Ipv6Addr,
        /// Its prefix length, 0 to 128.
        prefix: u8,
    },
    /// `exists:domain`: the domain has an A record.
    Exists(MacroString),
}

/// The prefix lengths of `a` and `mx`: `/len` for IPv4, `//len` for IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DualCidr {
    /// IPv4 prefix length, 32 when not given.
    pub v4: u8,
    /// IPv6 prefix length, 128 when not given.
    pub v6: u8,
}

impl Default for DualCidr {
    fn default() -> DualCidr {
        DualCidr { v4: 32, v6: 128 }
    }
}

/// Why a record is malformed; each makes the check's result `permerror`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The text does not start with `v=spf1` followed by a space or its end.
    #[error("not an SPF record")]
    NotSpf,
    /// A byte outside ASCII (section 3.1).
    #[error("non-ASCII character in record")]
    NonAscii,
    /// A control character; terms are separated by spaces only.
    #[error("control character {0:?} in record")]
    ControlCharacter(char),
    /// A mechanism name that RFC 7208 does not define.
    #[error("unknown mechanism {0:?}")]
    UnknownMechanism(String),
    /// A mechanism with an argument it does not take, or without one it needs.
    #[error("malformed mechanism {0:?}")]
    BadMechanism(String),
    /// A prefix length out of range or written with leading zeros.
    #[error("invalid prefix length in {0:?}")]
    BadCidr(String),
    /// An `ip4:` or `ip6:` argument that is no address.
    #[error("invalid address in {0:?}")]
    BadAddress(String),
    /// `redirect=` or `exp=` given twice (section 6).
    #[error("modifier {0}= appears twice")]
    DuplicateModifier(&'static str),
    /// A macro string that does not parse.
    #[error("{term:?}: {error}")]
    Macro {
        /// The term it is in.
        term: String,
        /// What is wrong.
        error: MacroError,
    },
}

/// Whether a TXT record is an SPF record: `v=spf1` (any case) followed by a space or its end.
pub fn is_spf_record(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && matches!(b.get(6), None | Some(b' '))
}

impl Record {
    /// Parses a whole record, `v=spf1` included.
    pub fn parse(text: &str) -> Result<Record, RecordError> {
        if !is_spf_record(text) {
            return Err(RecordError::NotSpf);
        }
        if !text.is_ascii() {
            return Err(RecordError::NonAscii);
        }
        if let Some(c) = text.chars().find(|c| c.is_ascii_control()) {
            return Err(RecordError::ControlCharacter(c));
        }
        let mut record = Record { directives: Vec::new(), redirect: None, explanation: None };
        for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
            match modifier_name(term) {
                Some((name, value)) => record.add_modifier(term, name, value)?,
                None => record.directives.push(Directive::parse(term)?),
            }
        }
        Ok(record)
    }

    fn add_modifier(&mut self, term: &str, name: &str, value: &str) -> Result<(), RecordError> {
        let (slot, label) = if name.eq_ignore_ascii_case("redirect") {
            (&mut self.redirect, "redirect")
        } else if name.eq_ignore_ascii_case("exp") {
            (&mut self.explanation, "exp")
        } else {
            // Unknown modifiers are ignored, but must still be valid macro strings (section 6).
            MacroString::parse(value, Context::Modifier).map_err(|e| macro_error(term, e))?;
            return Ok(());
        };
        if slot.is_some() {
            return Err(RecordError::DuplicateModifier(label));
        }
        *slot = Some(domain_spec(term, value)?);
        Ok(())
    }
}

/// Splits `name=value` when `term` is a modifier: `name = ALPHA *( ALPHA / DIGIT / "-" / "_" /
/// "." )` directly followed by `=`. Anything else is read as a mechanism.
fn modifier_name(term: &str) -> Option<(&str, &str)> {
    let name_len = term.bytes().take_while(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b)).count();
    let starts_alpha = term.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if starts_alpha && term.as_bytes().get(name_len) == Some(&b'=') {
        Some((&term[..name_len], &term[name_len + 1..]))
    } else {
        None
    }
}

impl Directive {
    /// Parses one mechanism term, qualifier included.
    pub fn parse(term: &str) -> Result<Directive, RecordError> {
        let (qualifier, rest) = match term.as_bytes().first() {
            Some(b'+') => (Qualifier::Pass, &term[1..]),
            Some(b'-') => (Qualifier::Fail, &term[1..]),
            Some(b'~') => (Qualifier::SoftFail, &term[1..]),
            Some(b'?') => (Qualifier::Neutral, &term[1..]),
            _ => (Qualifier::Pass, term),
        };
        let name_end = rest.find([':', '/']).unwrap_or(rest.len());
        let (name, arg) = rest.split_at(name_end);
        let bad = || RecordError::BadMechanism(term.to_string());
        let mechanism = match name.to_ascii_lowercase().as_str() {
            "all" if arg.is_empty() => Mechanism::All,
            "include" => Mechanism::Include(domain_spec(term, arg.strip_prefix(':').ok_or_else(bad)?)?),
            "exists" => Mechanism::Exists(domain_spec(term, arg.strip_prefix(':').ok_or_else(bad)?)?),
            "ptr" if arg.is_empty() => Mechanism::Ptr(None),
            "ptr" => Mechanism::Ptr(Some(domain_spec(term, arg.strip_prefix(':').ok_or_else(bad)?)?)),
            "a" => {
                let (domain, cidr) = domain_and_cidr(term, arg)?;
                Mechanism::A { domain, cidr }
            }
            "mx" => {
                let (domain, cidr) = domain_and_cidr(term, arg)?;
                Mechanism::Mx { domain, cidr }
            }
            "ip4" => {
                let (addr, prefix) = network(term, arg, 32)?;
                Mechanism::Ip4 { network: addr.parse().map_err(|_| RecordError::BadAddress(term.to_string()))?, prefix }
            }
            "ip6" => {
                let (addr, prefix) = network(term, arg, 128)?;
                Mechanism::Ip6 { network: addr.parse().map_err(|_| RecordError::BadAddress(term.to_string()))?, prefix }
            }
            "all" => return Err(bad()),
            _ => return Err(RecordError::UnknownMechanism(term.to_string())),
        };
        Ok(Directive { qualifier, mechanism })
    }
}

impl Mechanism {
    /// Whether evaluating it queries DNS, and so counts against the limit of 10 (section 4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

impl Qualifier {
    /// The result a match gives.
    pub fn result(self) -> SpfResult {
        match self {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// A `domain-spec` argument.
fn domain_spec(term: &str, text: &str) -> Result<MacroString, RecordError> {
    MacroString::parse(text, Context::Domain).map_err(|e| macro_error(term, e))
}

fn macro_error(term: &str, error: MacroError) -> RecordError {
    RecordError::Macro { term: term.to_string(), error }
}

/// The argument of `a` and `mx`: `[":" domain-spec] [dual-cidr-length]`. The lengths are taken
/// from the end, since a domain-spec may itself contain `/`.
fn domain_and_cidr(term: &str, arg: &str) -> Result<(Option<MacroString>, DualCidr), RecordError> {
    let mut rest = arg;
    let mut cidr = DualCidr::default();
    if let Some((before, digits)) = rest.rsplit_once("//") {
        if is_digits(digits) {
            cidr.v6 = prefix_length(term, digits, 128)?;
            rest = before;
        }
    }
    if let Some((before, digits)) = rest.rsplit_once('/') {
        if is_digits(digits) {
            cidr.v4 = prefix_length(term, digits, 32)?;
            rest = before;
        }
    }
    let domain = match rest.strip_prefix(':') {
        Some(spec) => Some(domain_spec(term, spec)?),
        None if rest.is_empty() => None,
        None => return Err(RecordError::BadMechanism(term.to_string())),
    };
    Ok((domain, cidr))
}

/// The argument of `ip4` and `ip6`: `":" network ["/" length]`; returns the address text.
fn network<'a>(term: &str, arg: &'a str, max: u8) -> Result<(&'a str, u8), RecordError> {
    let network = arg.strip_prefix(':').ok_or_else(|| RecordError::BadMechanism(term.to_string()))?;
    match network.split_once('/') {
        Some((addr, digits)) => Ok((addr, prefix_length(term, digits, max)?)),
        None => Ok((network, max)),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A prefix length: digits without leading zeros, at most `max`.
fn prefix_length(term: &str, digits: &str, max: u8) -> Result<u8, RecordError> {
    let bad = || RecordError::BadCidr(term.to_string());
    if !is_digits(digits) || (digits.len() > 1 && digits.starts_with('0')) {
        return Err(bad());
    }
    match digits.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(bad()),
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Qualifier::Pass => "+",
            Qualifier::Fail => "-",
            Qualifier::SoftFail => "~",
            Qualifier::Neutral => "?",
        })
    }
}

impl fmt::Display for DualCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v4 != 32 {
            write!(f, "/{}", self.v4)?;
        }
        if self.v6 != 128 {
            write!(f, "//{}", self.v6)?;
        }
        Ok(())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = |d: &Option<MacroString>| d.as_ref().map(|d| format!(":{d}")).unwrap_or_default();
        match self {
            Mechanism::All => f.write_str("all"),
            Mechanism::Include(d) => write!(f, "include:{d}"),
            Mechanism::A { domain, cidr } => write!(f, "a{}{cidr}", target(domain)),
            Mechanism::Mx { domain, cidr } => write!(f, "mx{}{cidr}", target(domain)),
            Mechanism::Ptr(domain) => write!(f, "ptr{}", target(domain)),
            Mechanism::Ip4 { network, prefix } => write!(f, "ip4:{network}/{prefix}"),
            Mechanism::Ip6 { network, prefix } => write!(f, "ip6:{network}/{prefix}"),
            Mechanism::Exists(d) => write!(f, "exists:{d}"),
        }
    }
}

/// Prints `v=spf1`, the mechanisms, then `redirect=` and `exp=`; unknown modifiers, which
/// evaluation ignores, are not kept.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for directive in &self.directives {
            write!(f, " {directive}")?;
        }
        if let Some(redirect) = &self.redirect {
            write!(f, " redirect={redirect}")?;
        }
        if let Some(explanation) = &self.explanation {
            write!(f, " exp={explanation}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier != Qualifier::Pass {
            write!(f, "{}", self.qualifier)?;
        }
        write!(f, "{}", self.mechanism)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Record, RecordError> {
        Record::parse(text)
    }

    fn mechanisms(text: &str) -> Vec<Mechanism> {
        match parse(text) {
            Ok(r) => r.directives.into_iter().map(|d| d.mechanism).collect(),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn selects_spf_records() {
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SpF1 -all"));
        assert!(!is_spf_record("v=spf10"));
        assert!(!is_spf_record("v=spf1\t-all"));
        assert!(!is_spf_record("spf2.0/pra"));
        assert_eq!(parse("v=spf10"), Err(RecordError::NotSpf));
    }

    #[test]
    fn parses_a_typical_record() {
        let r =
            parse("v=spf1 include:_spf.example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mx.example.org/24//64 ~all")
                .unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<String> = r.directives.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "include:_spf.example.net",
                "ip4:192.0.2.0/24",
                "ip6:2001:db8::/32",
                "a",
                "mx:mx.example.org/24//64",
                "~all"
            ]
        );
        assert_eq!(r.directives[5].qualifier, Qualifier::SoftFail);
        assert_eq!(r.directives.iter().filter(|d| d.mechanism.queries_dns()).count(), 3);
        assert!(r.redirect.is_none() && r.explanation.is_none());
    }

    #[test]
    fn qualifiers_names_and_spaces() {
        let r = parse("v=spf1  +ALL   -Ip4:1.2.3.4 ?a ~mx ").unwrap_or_else(|e| panic!("{e}"));
        let q: Vec<Qualifier> = r.directives.iter().map(|d| d.qualifier).collect();
        assert_eq!(q, [Qualifier::Pass, Qualifier::Fail, Qualifier::Neutral, Qualifier::SoftFail]);
        assert_eq!(parse("v=spf1").map(|r| r.directives.len()), Ok(0));
    }

    #[test]
    fn dual_cidr_lengths() {
        let cidr = |text: &str| match mechanisms(text).pop() {
            Some(Mechanism::A { cidr, .. } | Mechanism::Mx { cidr, .. }) => cidr,
            other => panic!("{other:?}"),
        };
        assert_eq!(cidr("v=spf1 a/24//64"), DualCidr { v4: 24, v6: 64 });
        assert_eq!(cidr("v=spf1 a//0"), DualCidr { v4: 32, v6: 0 });
        assert_eq!(cidr("v=spf1 mx:foo.example.com/24"), DualCidr { v4: 24, v6: 128 });
        assert!(matches!(
            mechanisms("v=spf1 a:foo:bar/baz.example.com").pop(),
            Some(Mechanism::A { domain: Some(d), cidr }) if d.to_string() == "foo:bar/baz.example.com" && cidr == DualCidr::default()
        ));
        for bad in ["a/33", "a//129", "a/24/64", "a/032", "mx//33/24", "a:example.com/99999999999"] {
            assert!(parse(&format!("v=spf1 {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_networks() {
        assert_eq!(
            mechanisms("v=spf1 ip4:1.1.1.1/0 ip6:::FFFF:1.2.3.4 ip6:Cafe:Babe:8000::/33"),
            [
                Mechanism::Ip4 { network: Ipv4Addr::new(1, 1, 1, 1), prefix: 0 },
                Mechanism::Ip6 { network: Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304), prefix: 128 },
                Mechanism::Ip6 { network: Ipv6Addr::new(0xcafe, 0xbabe, 0x8000, 0, 0, 0, 0, 0), prefix: 33 },
            ]
        );
        for bad in [
            "ip4",
            "ip4:1.2.3",
            "ip4:1.2.3.4:8080",
            "ip4:1.2.3.4/33",
            "ip4:1.2.3.4/032",
            "ip4:1.2.3.4//32",
            "ip4:01.2.3.4",
            "ip6",
            "ip6::CAFE::BABE",
            "ip6:::1.1.1.1/129",
            "ip6:::1.1.1.1//33",
        ] {
            assert!(parse(&format!("v=spf1 {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn mechanism_syntax_errors() {
        for bad in [
            "-all.",
            "-all:foobar",
            "-all/8",
            "ptr/0",
            "ptr:",
            "a:",
            "mx:",
            "include",
            "include:",
            "include:ip5.example.com/24",
            "exists",
            "exists:",
            "exists:mail.example.com/24",
            "a:foo-bar",
            "a:museum.",
            "a:111.222.33.44",
            "a:example.com:8080",
            "moo",
            "redirect:t2.example.com",
            "1up=foo",
            "=all",
            "moo.cow/far_out=man:dog/cat",
            "moo.cow:far_out=man:dog/cat",
            "-exists:%(ir).sbl.example.com",
        ] {
            assert!(parse(&format!("v=spf1 {bad}")).is_err(), "{bad}");
        }
        assert!(matches!(parse("v=spf1 ip4:1.2.3.4 -all moo"), Err(RecordError::UnknownMechanism(m)) if m == "moo"));
    }

    #[test]
    fn characters() {
        assert_eq!(parse("v=spf1 a:ctrl.example.com\rptr -all"), Err(RecordError::ControlCharacter('\r')));
        assert_eq!(parse("v=spf1 ip4:192.0.2.5\n include:x.example.com"), Err(RecordError::ControlCharacter('\n')));
        assert_eq!(parse("v=spf1 \u{80}a:example.net -all"), Err(RecordError::NonAscii));
    }

    #[test]
    fn prints_back_as_an_equal_record() {
        let text = "v=spf1 +A:%{d}/24//64 -mx//0 ?ptr ~ip4:192.0.2.1 ip6:2001:DB8::/32 exists:%{ir}.x.example \
                    include:a.example foo=bar redirect=%{d}.example exp=e.%{d2}";
        let record = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let printed = record.to_string();
        assert_eq!(
            printed,
            "v=spf1 a:%{d}/24//64 -mx//0 ?ptr ~ip4:192.0.2.1/32 ip6:2001:db8::/32 exists:%{ir}.x.example \
             include:a.example redirect=%{d}.example exp=e.%{d2}"
        );
        assert_eq!(parse(&printed), Ok(record));
    }

    #[test]
    fn modifiers() {
        let r = parse("v=spf1 exp=explain.%{d} -all moo.cow-far_out=man:dog/cat default=+ REDIRECT=_spf.example.com")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.explanation.map(|m| m.to_string()).as_deref(), Some("explain.%{d}"));
        assert_eq!(r.redirect.map(|m| m.to_string()).as_deref(), Some("_spf.example.com"));
        assert_eq!(parse("v=spf1 exp=a.example.com exp=b.example.com"), Err(RecordError::DuplicateModifier("exp")));
        assert_eq!(
            parse("v=spf1 redirect=a.example.com redirect=a.example.com"),
            Err(RecordError::DuplicateModifier("redirect"))
        );
        for bad in ["exp=", "redirect=", "exp=-all", "redirect=-all", "foo=%abc", "exp=%{r}.example.com"] {
            assert!(parse(&format!("v=spf1 {bad}")).is_err(), "{bad}");
        }
    }
}
