//! MTA-STS (RFC 8461): the `_mta-sts` TXT record that announces a policy and its id, the
//! HTTPS response that carries the policy file, the policy, and which MX hosts it allows.

use std::fmt;

/// Longest policy file read, in octets (RFC 8461 3.3: senders may refuse larger ones).
pub const MAX_POLICY_SIZE: usize = 64 * 1024;
/// Longest HTTP response head read before a policy, in octets.
pub const MAX_RESPONSE_HEAD: usize = 16 * 1024;
/// Largest `max_age` a policy may give, in seconds (RFC 8461 3.2: about one year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

/// The id of a domain's policy from its `_mta-sts.<domain>` TXT records: `None` when there is
/// no valid announcement (no record starting with `v=STSv1`, more than one, or a broken one),
/// which RFC 8461 3.1 treats as no policy.
pub fn policy_id<S: AsRef<str>>(records: &[S]) -> Option<String> {
    let mut announcing = records.iter().map(AsRef::as_ref).filter(|r| starts_with_version(r));
    let record = announcing.next()?;
    if announcing.next().is_some() {
        return None;
    }
    let mut id = None;
    for (n, field) in record.split(';').map(str::trim).enumerate() {
        if field.is_empty() {
            continue;
        }
        let (key, value) = field.split_once('=')?;
        match (n, key.trim(), value.trim()) {
            (0, "v", "STSv1") => {}
            (0, _, _) => return None,
            (_, "id", value) if is_id(value) => id = Some(value.to_string()),
            (_, "id", _) => return None,
            // Other fields are extensions: ignored (RFC 8461 3.1).
            _ => {}
        }
    }
    id
}

/// Whether a TXT record starts with the MTA-STS version field.
fn starts_with_version(record: &str) -> bool {
    record.strip_prefix("v=STSv1").is_some_and(|rest| rest.trim_start().starts_with(';') || rest.trim().is_empty())
}

/// `sts-id`: 1 to 32 letters and digits.
fn is_id(value: &str) -> bool {
    (1..=32).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// What a policy asks of senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deliver only to an allowed MX over TLS with a valid certificate.
    Enforce,
    /// Deliver as before; report what would have failed.
    Testing,
    /// The domain withdraws its policy.
    None,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        })
    }
}

/// A policy file (RFC 8461 3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its mode.
    pub mode: Mode,
    /// The MX patterns: host names, or `*.` and a domain for any one label in front of it.
    pub mx: Vec<String>,
    /// Seconds it may be cached, at most [`MAX_AGE_LIMIT`].
    pub max_age: u64,
}

/// Why a policy file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Larger than [`MAX_POLICY_SIZE`].
    #[error("the policy is larger than {MAX_POLICY_SIZE} octets")]
    TooLarge,
    /// Not UTF-8.
    #[error("the policy is not UTF-8 text")]
    NotText,
    /// A required field is missing or wrong.
    #[error("the policy has {0}")]
    Invalid(&'static str),
}

impl Policy {
    /// Parses a policy file: `key: value` lines ended by CRLF or LF; unknown keys are ignored.
    pub fn parse(text: &[u8]) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_SIZE {
            return Err(PolicyError::TooLarge);
        }
        let text = std::str::from_utf8(text).map_err(|_| PolicyError::NotText)?;
        let (mut version, mut mode, mut max_age, mut mx) = (None, None, None, Vec::new());
        for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim_matches([' ', '\t']);
            match key.trim_matches([' ', '\t']) {
                "version" if version.is_none() => version = Some(value == "STSv1"),
                "mode" if mode.is_none() => {
                    mode = Some(match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        _ => return Err(PolicyError::Invalid("an unknown mode")),
                    })
                }
                "max_age" if max_age.is_none() => {
                    let valid = !value.is_empty() && value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit());
                    let age: u64 = value.parse().ok().filter(|_| valid).ok_or(PolicyError::Invalid("a bad max_age"))?;
                    max_age = Some(age.min(MAX_AGE_LIMIT));
                }
                "mx" => match valid_pattern(value) {
                    Some(pattern) => mx.push(pattern),
                    None => return Err(PolicyError::Invalid("a bad mx pattern")),
                },
                _ => {}
            }
        }
        if version != Some(true) {
            return Err(PolicyError::Invalid("no version: STSv1"));
        }
        let mode = mode.ok_or(PolicyError::Invalid("no mode"))?;
        let max_age = max_age.ok_or(PolicyError::Invalid("no max_age"))?;
        if mx.is_empty() && mode != Mode::None {
            return Err(PolicyError::Invalid("no mx"));
        }
        Ok(Policy { mode, mx, max_age })
    }

    /// Whether `host` (an MX host name) is one the policy allows (RFC 8461 4.1): equal to a
    /// pattern, or one label in front of a `*.` pattern's domain, ignoring case and a final dot.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|pattern| match pattern.strip_prefix("*.") {
            Some(domain) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == domain),
            None => host == *pattern,
        })
    }
}

/// An `mx` value, lower-cased without a final dot; `None` unless it is a host name with at
/// least two labels, or `*.` before one.
fn valid_pattern(value: &str) -> Option<String> {
    let pattern = value.trim_end_matches('.').to_ascii_lowercase();
    let name = pattern.strip_prefix("*.").unwrap_or(&pattern);
    let labels_ok = name.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    (labels_ok && name.contains('.') && name.len() <= 253).then_some(pattern)
}

/// The policy file in an HTTP/1.x response to its GET (RFC 8461 3.3): the body of a `200` with
/// `text/plain` content, without a transfer coding, at most [`MAX_POLICY_SIZE`] octets.
pub fn policy_from_response(response: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(response) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err("the response ended in its head".into()),
        Err(e) => return Err(format!("not an HTTP response: {e}")),
    };
    if head_len > MAX_RESPONSE_HEAD {
        return Err("the response head is too large".into());
    }
    match parsed.code {
        Some(200) => {}
        Some(code) => return Err(format!("the policy server answered {code}")),
        None => return Err("no status".into()),
    }
    let header = |name: &str| {
        parsed.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value))
    };
    let media = header("content-type").unwrap_or_default();
    if !media.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/plain") {
        return Err(format!("the policy is served as `{media}`, not text/plain"));
    }
    if header("transfer-encoding").is_some() {
        return Err("the policy is sent with a transfer coding (HTTP/1.0 was asked)".into());
    }
    let mut body = response[head_len..].to_vec();
    if let Some(length) = header("content-length") {
        let length: usize = length.trim().parse().map_err(|_| "a bad Content-Length".to_string())?;
        if body.len() < length {
            return Err("the policy ended early".into());
        }
        body.truncate(length);
    }
    if body.len() > MAX_POLICY_SIZE {
        return Err(format!("the policy is larger than {MAX_POLICY_SIZE} octets"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_record_gives_its_id_and_broken_or_several_records_give_none() {
        assert_eq!(policy_id(&["v=STSv1; id=20160831085700Z;"]).as_deref(), Some("20160831085700Z"));
        assert_eq!(policy_id(&["v=STSv1;id=abc123", "other record"]).as_deref(), Some("abc123"));
        assert_eq!(policy_id(&["v=STSv1; id=abc; ext=1"]).as_deref(), Some("abc"), "extensions are ignored");
        assert_eq!(policy_id(&["v=STSv1; id=a", "v=STSv1; id=b"]), None, "two announcements");
        assert_eq!(policy_id(&["v=STSv1; id=bad-id"]), None, "not alphanumeric");
        assert_eq!(policy_id(&["v=STSv1; id=0123456789abcdef0123456789abcdef0"]), None, "33 characters");
        assert_eq!(policy_id(&["v=STSv1;"]), None, "no id");
        assert_eq!(policy_id(&["id=abc; v=STSv1"]), None, "the version must come first");
        assert_eq!(policy_id(&["v=STSv10; id=abc"]), None);
        assert_eq!(policy_id::<&str>(&[]), None);
    }

    #[test]
    fn the_rfc_example_policy_parses_and_its_patterns_match_one_label() {
        let text = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
        let policy = Policy::parse(text).unwrap();
        assert_eq!((policy.mode, policy.max_age, policy.mx.len()), (Mode::Enforce, 604_800, 3));
        assert!(policy.allows("mail.example.com") && policy.allows("MAIL.Example.COM."));
        assert!(policy.allows("mx1.example.net"), "one label under the wildcard");
        assert!(!policy.allows("example.net"), "the wildcard needs a label");
        assert!(!policy.allows("a.b.example.net"), "and only one");
        assert!(!policy.allows("mail.example.org") && !policy.allows("evilmail.example.com"));
    }

    #[test]
    fn policies_without_what_they_need_are_refused_and_extensions_ignored() {
        let lf = b"version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\nfuture: x\n";
        assert_eq!(Policy::parse(lf).unwrap().mode, Mode::Testing, "LF line ends and unknown keys");
        let none = Policy::parse(b"version: STSv1\nmode: none\nmax_age: 86400\n").unwrap();
        assert_eq!((none.mode, none.mx.len()), (Mode::None, 0), "mode none needs no mx");
        let huge_age = Policy::parse(b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n").unwrap();
        assert_eq!(huge_age.max_age, MAX_AGE_LIMIT);
        for (text, why) in [
            (&b"mode: enforce\nmx: a.example\nmax_age: 1\n"[..], "no version"),
            (b"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "another version"),
            (b"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "an unknown mode"),
            (b"version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx"),
            (b"version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age"),
            (b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "a negative max_age"),
            (b"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n", "two wildcards"),
            (b"version: STSv1\nmode: enforce\nmx: localhost\nmax_age: 1\n", "one label"),
            (b"version: STSv1\nmode: enforce\nmx: \xff.example\nmax_age: 1\n", "not UTF-8"),
        ] {
            assert!(Policy::parse(text).is_err(), "{why}");
        }
        assert_eq!(Policy::parse(&vec![b'a'; MAX_POLICY_SIZE + 1]), Err(PolicyError::TooLarge));
    }

    #[test]
    fn only_a_complete_plain_text_200_is_a_policy() {
        let ok =
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello and more";
        assert_eq!(policy_from_response(ok).unwrap(), b"hello");
        let without_length = b"HTTP/1.1 200 OK\r\ncontent-type: TEXT/PLAIN\r\n\r\nall of it";
        assert_eq!(policy_from_response(without_length).unwrap(), b"all of it");
        for (response, why) in [
            (&b"HTTP/1.0 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Type: text/plain\r\n\r\n"[..], "301"),
            (b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", "404"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nx", "text/html"),
            (b"HTTP/1.0 200 OK\r\n\r\nx", "no content type"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nshort", "ended early"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n", "head not ended"),
            (b"SMTP 220 hello\r\n\r\n", "not HTTP"),
        ] {
            assert!(policy_from_response(response).is_err(), "{why}");
        }
    }
}
