//! SASL messages as SMTP AUTH carries them (RFC 4954): base64 lines, the PLAIN mechanism
//! (RFC 4616) and the LOGIN mechanism. Pure functions over bytes from the network.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A SASL mechanism we offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// `PLAIN`: authzid NUL authcid NUL password, in one message.
    Plain,
    /// `LOGIN`: user name and password in two messages.
    Login,
}

/// Mechanisms in the order EHLO advertises them.
pub const OFFERED: &str = "PLAIN LOGIN";

impl Mechanism {
    /// Parses a mechanism name (case-insensitive).
    pub fn parse(name: &str) -> Option<Mechanism> {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            _ => None,
        }
    }
}

/// A user name and password taken from a SASL exchange.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authentication identity (an account address).
    pub username: String,
    /// The password, in clear text; never logged.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Why a SASL message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The client sent `*`.
    #[error("authentication cancelled")]
    Cancelled,
    /// Not valid base64.
    #[error("invalid base64")]
    BadBase64,
    /// Decoded, but not what the mechanism expects; the text says what.
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// Decodes one client line of an exchange: base64, `=` for an empty message, `*` to cancel.
pub fn decode_line(line: &[u8]) -> Result<Vec<u8>, SaslError> {
    let line = line.trim_ascii();
    match line {
        b"*" => Err(SaslError::Cancelled),
        b"=" => Ok(Vec::new()),
        _ => STANDARD.decode(line).map_err(|_| SaslError::BadBase64),
    }
}

/// Encodes a server challenge.
pub fn encode(challenge: &[u8]) -> String {
    STANDARD.encode(challenge)
}

/// Parses a decoded PLAIN message. An authorization identity other than the user itself
/// (acting for someone else) is refused.
pub fn parse_plain(message: &[u8]) -> Result<Credentials, SaslError> {
    let mut parts = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed("expected authzid NUL authcid NUL passwd"));
    };
    let username = utf8(authcid)?;
    let password = utf8(password)?;
    if username.is_empty() || password.is_empty() {
        return Err(SaslError::Malformed("empty user name or password"));
    }
    if !authzid.is_empty() && !utf8(authzid)?.eq_ignore_ascii_case(&username) {
        return Err(SaslError::Malformed("acting as another user is not supported"));
    }
    Ok(Credentials { username, password })
}

/// Parses one decoded LOGIN message (the user name or the password).
pub fn parse_login_field(message: &[u8]) -> Result<String, SaslError> {
    let field = utf8(message)?;
    if field.is_empty() || field.contains('\0') {
        return Err(SaslError::Malformed("empty field or NUL"));
    }
    Ok(field)
}

fn utf8(bytes: &[u8]) -> Result<String, SaslError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| SaslError::Malformed("not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_with_and_without_authzid() {
        let m = decode_line(b"AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==").unwrap();
        assert_eq!(
            parse_plain(&m).unwrap(),
            Credentials { username: "alice@example.com".into(), password: "secret".into() }
        );
        let m = decode_line(encode(b"alice@example.com\0alice@example.com\0pw").as_bytes()).unwrap();
        assert_eq!(parse_plain(&m).unwrap().password, "pw");
    }

    #[test]
    fn plain_refuses_malformed_messages() {
        for (message, why) in [
            (&b"alice\0pw"[..], "two parts"),
            (b"\0\0pw", "empty user"),
            (b"\0alice\0", "empty password"),
            (b"\0alice\0pw\0extra", "four parts"),
            (b"bob\0alice\0pw", "proxy authorization"),
            (b"\0\xff\0pw", "not UTF-8"),
        ] {
            assert!(matches!(parse_plain(message), Err(SaslError::Malformed(_))), "{why}");
        }
    }

    #[test]
    fn lines_cancel_decode_or_fail() {
        assert_eq!(decode_line(b"*"), Err(SaslError::Cancelled));
        assert_eq!(decode_line(b"="), Ok(Vec::new()));
        assert_eq!(decode_line(b"not base64!"), Err(SaslError::BadBase64));
        assert_eq!(decode_line(b"dXNlcg=="), Ok(b"user".to_vec()));
        assert_eq!(Mechanism::parse("login"), Some(Mechanism::Login));
        assert_eq!(Mechanism::parse("CRAM-MD5"), None);
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = Credentials { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
