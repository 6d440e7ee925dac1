//! SMTP command lines (RFC 5321 section 4.1) parsed into [`Command`] values.
//!
//! The parser takes one line without its line ending. It never allocates more than the line
//! itself and rejects NUL bytes, invalid UTF-8 and malformed paths with a typed error that the
//! server maps to a reply in one place.

use super::address::{AddressError, Mailbox};
use super::dsn::{self, Notify, Ret};

/// A parsed SMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain`: extended hello.
    Ehlo(String),
    /// `HELO domain`: basic hello.
    Helo(String),
    /// `MAIL FROM:<path> [params]`; `from` is `None` for the null sender `<>`.
    Mail {
        /// Reverse path; `None` for `<>` (bounces).
        from: Option<Mailbox>,
        /// ESMTP parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> [params]`.
    Rcpt {
        /// Forward path.
        to: Mailbox,
        /// ESMTP parameters.
        params: RcptParams,
    },
    /// `DATA`.
    Data,
    /// `BDAT size [LAST]` (CHUNKING, RFC 3030).
    Bdat {
        /// Octets in this chunk.
        size: u64,
        /// True for the final chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `VRFY` (answered 252: we never confirm addresses).
    Vrfy,
    /// `HELP`.
    Help,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The SASL mechanism name as sent.
        mechanism: String,
        /// The base64 initial response, if the client sent one (`=` for empty).
        initial: Option<String>,
    },
}

/// `BODY=` parameter of MAIL (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Body {
    /// 7-bit content (the default).
    #[default]
    SevenBit,
    /// 8BITMIME.
    EightBitMime,
    /// BINARYMIME (only valid with BDAT).
    BinaryMime,
}

/// Parameters of a MAIL command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailParams {
    /// Declared message size (`SIZE=`, RFC 1870).
    pub size: Option<u64>,
    /// Body type (`BODY=`).
    pub body: Body,
    /// The client asked for SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461): what a failure report returns.
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), decoded: the sender's id for this transaction.
    pub envid: Option<String>,
}

/// Parameters of a RCPT command (RFC 3461).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcptParams {
    /// `NOTIFY=`.
    pub notify: Notify,
    /// `ORCPT=`, decoded, as `type;address`.
    pub orcpt: Option<String>,
}

/// Why a command line was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The verb is not one we know.
    #[error("command not recognized")]
    Unknown,
    /// The line contains a NUL byte or is not UTF-8.
    #[error("invalid characters in command")]
    BadCharacters,
    /// The arguments do not follow the grammar; the text says what was expected.
    #[error("syntax error: {0}")]
    Syntax(&'static str),
    /// The address inside the path is malformed.
    #[error("bad address: {0}")]
    Address(#[from] AddressError),
    /// An ESMTP parameter we do not offer.
    #[error("unsupported parameter {0}")]
    UnsupportedParam(String),
    /// An ESMTP parameter we offer, with a bad value.
    #[error("bad value for parameter {0}")]
    BadParamValue(&'static str),
}

/// The white space allowed around arguments. Not `char::is_whitespace`: a bare CR (or a
/// vertical tab, or a Unicode space) in a command line is not a separator.
const SPACE: [char; 2] = [' ', '\t'];

impl Command {
    /// Parses one command line (without CRLF).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        if memchr::memchr(0, line).is_some() {
            return Err(CommandError::BadCharacters);
        }
        let line = std::str::from_utf8(line).map_err(|_| CommandError::BadCharacters)?;
        let line = line.trim_end_matches(SPACE);
        let (verb, rest) = match line.find(' ') {
            Some(i) => (&line[..i], line[i + 1..].trim_start_matches(SPACE)),
            None => (line, ""),
        };
        let no_args = |cmd: Command| {
            if rest.is_empty() { Ok(cmd) } else { Err(CommandError::Syntax("no arguments allowed")) }
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => hello_domain(rest).map(Command::Ehlo),
            "HELO" => hello_domain(rest).map(Command::Helo),
            "MAIL" => parse_mail(rest),
            "RCPT" => parse_rcpt(rest),
            "DATA" => no_args(Command::Data),
            "BDAT" => parse_bdat(rest),
            "RSET" => no_args(Command::Rset),
            "NOOP" => Ok(Command::Noop),
            "QUIT" => no_args(Command::Quit),
            "VRFY" => Ok(Command::Vrfy),
            "HELP" => Ok(Command::Help),
            "STARTTLS" => no_args(Command::StartTls),
            "AUTH" => parse_auth(rest),
            _ => Err(CommandError::Unknown),
        }
    }
}

fn hello_domain(rest: &str) -> Result<String, CommandError> {
    let domain = rest.split(' ').next().unwrap_or_default();
    if domain.is_empty() {
        return Err(CommandError::Syntax("a domain name or address literal is required"));
    }
    Ok(domain.to_string())
}

/// Strips a case-insensitive keyword such as `FROM:` and optional spaces after it.
fn strip_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let head = rest.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword).then(|| rest[keyword.len()..].trim_start_matches(SPACE))
}

/// Splits `<path> params` into the text inside the brackets and the parameter string.
fn split_path(rest: &str) -> Result<(&str, &str), CommandError> {
    let inner = rest.strip_prefix('<').ok_or(CommandError::Syntax("path must be in <>"))?;
    // The closing bracket is the first `>` outside a quoted local part.
    let bytes = inner.as_bytes();
    let (mut i, mut quoted) = (0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'>' if !quoted => {
                let params = &inner[i + 1..];
                if !params.is_empty() && !params.starts_with(' ') {
                    return Err(CommandError::Syntax("space required after path"));
                }
                return Ok((&inner[..i], params.trim_start_matches(SPACE)));
            }
            _ => {}
        }
        i += 1;
    }
    Err(CommandError::Syntax("path must be in <>"))
}

/// Drops an obsolete source route `@a,@b:` (RFC 5321 section 4.1.2 and C).
fn strip_source_route(path: &str) -> &str {
    if path.starts_with('@') {
        match path.find(':') {
            Some(i) => &path[i + 1..],
            None => path,
        }
    } else {
        path
    }
}

fn parse_mail(rest: &str) -> Result<Command, CommandError> {
    let rest = strip_keyword(rest, "FROM:").ok_or(CommandError::Syntax("MAIL FROM:<address>"))?;
    let (path, params) = split_path(rest)?;
    let from = match strip_source_route(path) {
        "" => None,
        addr => Some(Mailbox::parse(addr)?),
    };
    let mut parsed = MailParams::default();
    for param in params.split(' ').filter(|p| !p.is_empty()) {
        let (key, value) = match param.find('=') {
            Some(i) => (&param[..i], Some(&param[i + 1..])),
            None => (param, None),
        };
        match (key.to_ascii_uppercase().as_str(), value) {
            ("SIZE", Some(v)) => {
                let size = digits(v).ok_or(CommandError::BadParamValue("SIZE"))?;
                parsed.size = Some(size);
            }
            // RFC 4954 section 5: accepted and ignored; we trust only our own AUTH.
            ("AUTH", Some(_)) => {}
            ("BODY", Some(v)) => {
                parsed.body = match v.to_ascii_uppercase().as_str() {
                    "7BIT" => Body::SevenBit,
                    "8BITMIME" => Body::EightBitMime,
                    "BINARYMIME" => Body::BinaryMime,
                    _ => return Err(CommandError::BadParamValue("BODY")),
                }
            }
            ("SMTPUTF8", None) => parsed.smtputf8 = true,
            ("RET", Some(v)) => parsed.ret = Some(Ret::parse(v).ok_or(CommandError::BadParamValue("RET"))?),
            ("ENVID", Some(v)) => {
                parsed.envid = Some(dsn::xtext_decode(v).ok_or(CommandError::BadParamValue("ENVID"))?);
            }
            _ => return Err(CommandError::UnsupportedParam(key.to_string())),
        }
    }
    Ok(Command::Mail { from, params: parsed })
}

fn parse_rcpt(rest: &str) -> Result<Command, CommandError> {
    let rest = strip_keyword(rest, "TO:").ok_or(CommandError::Syntax("RCPT TO:<address>"))?;
    let (path, params) = split_path(rest)?;
    let mut parsed = RcptParams::default();
    for param in params.split(' ').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').map_or((param, None), |(k, v)| (k, Some(v)));
        match (key.to_ascii_uppercase().as_str(), value) {
            ("NOTIFY", Some(v)) => parsed.notify = Notify::parse(v).ok_or(CommandError::BadParamValue("NOTIFY"))?,
            ("ORCPT", Some(v)) => parsed.orcpt = Some(dsn::parse_orcpt(v).ok_or(CommandError::BadParamValue("ORCPT"))?),
            _ => return Err(CommandError::UnsupportedParam(key.to_string())),
        }
    }
    let path = strip_source_route(path);
    let to = if path.eq_ignore_ascii_case("postmaster") { Mailbox::postmaster() } else { Mailbox::parse(path)? };
    Ok(Command::Rcpt { to, params: parsed })
}

fn parse_auth(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.split(' ').filter(|w| !w.is_empty());
    let mechanism = words.next().ok_or(CommandError::Syntax("AUTH mechanism [initial-response]"))?;
    let initial = words.next().map(str::to_string);
    if words.next().is_some() {
        return Err(CommandError::Syntax("AUTH mechanism [initial-response]"));
    }
    Ok(Command::Auth { mechanism: mechanism.to_string(), initial })
}

/// A number written as `1*DIGIT` (RFC 3030's chunk-size, RFC 1870's size-value): `str::parse`
/// alone would also take a leading `+`.
fn digits(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

fn parse_bdat(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.split(' ').filter(|w| !w.is_empty());
    let size = words.next().and_then(digits).ok_or(CommandError::Syntax("BDAT chunk-size [LAST]"))?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(CommandError::Syntax("BDAT chunk-size [LAST]")),
    };
    if words.next().is_some() {
        return Err(CommandError::Syntax("BDAT chunk-size [LAST]"));
    }
    Ok(Command::Bdat { size, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn parses_every_verb() {
        let cases: &[(&str, Command)] = &[
            ("EHLO client.example", Command::Ehlo("client.example".into())),
            ("helo [192.0.2.1]", Command::Helo("[192.0.2.1]".into())),
            ("DATA", Command::Data),
            ("BDAT 100", Command::Bdat { size: 100, last: false }),
            ("bdat 0 LAST", Command::Bdat { size: 0, last: true }),
            ("RSET", Command::Rset),
            ("NOOP anything", Command::Noop),
            ("QUIT", Command::Quit),
            ("VRFY bob", Command::Vrfy),
            ("HELP", Command::Help),
            ("StartTLS", Command::StartTls),
            ("AUTH PLAIN", Command::Auth { mechanism: "PLAIN".into(), initial: None }),
            ("auth login dXNlcg==", Command::Auth { mechanism: "login".into(), initial: Some("dXNlcg==".into()) }),
            ("RCPT TO:<Postmaster>", Command::Rcpt { to: Mailbox::postmaster(), params: RcptParams::default() }),
            (
                "RCPT TO:<@relay.example:bob@example.com>",
                Command::Rcpt { to: mb("bob@example.com"), params: RcptParams::default() },
            ),
        ];
        for (line, want) in cases {
            assert_eq!(Command::parse(line.as_bytes()).as_ref(), Ok(want), "{line}");
        }
    }

    #[test]
    fn mail_with_parameters() {
        let cmd = Command::parse(b"MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME SMTPUTF8").unwrap();
        let params = MailParams { size: Some(1000), body: Body::EightBitMime, smtputf8: true, ..Default::default() };
        assert_eq!(cmd, Command::Mail { from: Some(mb("a@example.com")), params });
        let cmd = Command::parse(b"MAIL FROM:<a@example.com> RET=hdrs ENVID=QQ+2B1").unwrap();
        let params = MailParams { ret: Some(Ret::Headers), envid: Some("QQ+1".into()), ..Default::default() };
        assert_eq!(cmd, Command::Mail { from: Some(mb("a@example.com")), params });
        let null = Command::parse(b"mail from: <>").unwrap();
        assert_eq!(null, Command::Mail { from: None, params: MailParams::default() });
    }

    #[test]
    fn quoted_local_part_may_contain_brackets() {
        let cmd = Command::parse(b"RCPT TO:<\"a>b\"@example.com>").unwrap();
        assert_eq!(cmd, Command::Rcpt { to: mb("\"a>b\"@example.com"), params: RcptParams::default() });
    }

    #[test]
    fn rcpt_with_dsn_parameters() {
        let cmd = Command::parse(b"RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.com");
        let params = RcptParams {
            notify: Notify::parse("SUCCESS,FAILURE").unwrap(),
            orcpt: Some("rfc822;b+x@example.com".into()),
        };
        assert_eq!(cmd.unwrap(), Command::Rcpt { to: mb("b@example.com"), params });
    }

    #[test]
    fn errors_are_typed() {
        use CommandError::*;
        let cases: &[(&[u8], CommandError)] = &[
            (b"XYZZY", Unknown),
            (b"MAIL FROM:a@example.com", Syntax("path must be in <>")),
            (b"MAIL TO:<a@example.com>", Syntax("MAIL FROM:<address>")),
            (b"MAIL FROM:<a@example.com>SIZE=1", Syntax("space required after path")),
            (b"MAIL FROM:<a@example.com> SIZE=big", BadParamValue("SIZE")),
            (b"MAIL FROM:<a@example.com> RET=BODY", BadParamValue("RET")),
            (b"MAIL FROM:<a@example.com> ENVID=a+zz", BadParamValue("ENVID")),
            (b"MAIL FROM:<a@example.com> MT-PRIORITY=3", UnsupportedParam("MT-PRIORITY".into())),
            (b"RCPT TO:<b@example.com> NOTIFY=NEVER,DELAY", BadParamValue("NOTIFY")),
            (b"RCPT TO:<b@example.com> ORCPT=b@example.com", BadParamValue("ORCPT")),
            (b"RCPT TO:<b@example.com> FOO=1", UnsupportedParam("FOO".into())),
            (b"RCPT TO:<no-domain>", Address(AddressError::MissingDomain)),
            (b"DATA now", Syntax("no arguments allowed")),
            (b"EHLO", Syntax("a domain name or address literal is required")),
            (b"NOOP \0", BadCharacters),
            (b"NOOP \xff", BadCharacters),
            (b"BDAT -1", Syntax("BDAT chunk-size [LAST]")),
            (b"BDAT 1 LAST x", Syntax("BDAT chunk-size [LAST]")),
        ];
        for (line, want) in cases {
            assert_eq!(&Command::parse(line).unwrap_err(), want, "{}", String::from_utf8_lossy(line));
        }
    }

    /// Found by the `bdat_framing` fuzz target: `str::parse` took a sign, so `BDAT +5` read a
    /// chunk that RFC 3030's `chunk-size = 1*DIGIT` does not allow (and `SIZE=+5` likewise).
    #[test]
    fn sizes_are_digits_only() {
        use CommandError::*;
        let cases: &[(&[u8], CommandError)] = &[
            (b"BDAT +5", Syntax("BDAT chunk-size [LAST]")),
            (b"BDAT +0 LAST", Syntax("BDAT chunk-size [LAST]")),
            (b"BDAT 18446744073709551616", Syntax("BDAT chunk-size [LAST]")),
            (b"MAIL FROM:<a@example.com> SIZE=+100", BadParamValue("SIZE")),
            (b"MAIL FROM:<a@example.com> SIZE=", BadParamValue("SIZE")),
        ];
        for (line, want) in cases {
            assert_eq!(&Command::parse(line).unwrap_err(), want, "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(Command::parse(b"BDAT 007 LAST"), Ok(Command::Bdat { size: 7, last: true }));
    }

    /// Found by the `bdat_framing` fuzz target: `str::trim_start` took a bare CR for white
    /// space, so `BDAT \r3` read a 3-octet chunk (and `MAIL FROM:\r<..>` a sender).
    #[test]
    fn a_bare_cr_is_not_white_space() {
        for line in
            [&b"BDAT \r3"[..], b"BDAT \x0b3 LAST", b"MAIL FROM:\r<a@example.com>", b"RCPT TO:<a@example.com>\rSIZE=1"]
        {
            assert!(Command::parse(line).is_err(), "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(Command::parse(b"BDAT \t 3 \t"), Ok(Command::Bdat { size: 3, last: false }));
        assert!(matches!(Command::parse(b"MAIL FROM: <a@example.com>  SIZE=1"), Ok(Command::Mail { .. })));
    }
}
