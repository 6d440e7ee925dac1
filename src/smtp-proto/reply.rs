//! SMTP replies (RFC 5321 section 4.2) with enhanced status codes (RFC 2034, RFC 3463).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

/// An enhanced mail system status code such as `5.1.1` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u8, pub u16, pub u16);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// One SMTP reply: a three-digit code, an optional enhanced status and text.
///
/// Text containing `\n` becomes a multi-line reply (`250-...` continuation lines); the enhanced
/// status, when present, is repeated on every line as RFC 2034 asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The basic reply code, 200..=599.
    pub code: u16,
    /// The enhanced status code; `None` for greetings and EHLO replies.
    pub status: Option<Status>,
    /// Human-readable text; `\n` separates lines.
    pub text: Cow<'static, str>,
}

impl Reply {
    /// A reply with an enhanced status code.
    pub fn new(code: u16, status: Status, text: impl Into<Cow<'static, str>>) -> Reply {
        Reply { code, status: Some(status), text: text.into() }
    }

    /// A reply without an enhanced status code (greeting, EHLO, HELO).
    pub fn plain(code: u16, text: impl Into<Cow<'static, str>>) -> Reply {
        Reply { code, status: None, text: text.into() }
    }

    /// True for 2xx and 3xx replies.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// Appends the wire form, CRLF-terminated, to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        let mut lines = self.text.split('\n').peekable();
        while let Some(line) = lines.next() {
            let separator = if lines.peek().is_some() { '-' } else { ' ' };
            out.put_slice(self.code.to_string().as_bytes());
            out.put_u8(separator as u8);
            if let Some(status) = self.status {
                out.put_slice(status.to_string().as_bytes());
                out.put_u8(b' ');
            }
            out.put_slice(line.trim_end_matches('\r').as_bytes());
            out.put_slice(b"\r\n");
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = BytesMut::new();
        self.write_to(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_with_status() {
        let r = Reply::new(550, Status(5, 1, 1), "No such user");
        assert_eq!(r.to_string(), "550 5.1.1 No such user\r\n");
    }

    #[test]
    fn multi_line_repeats_status_and_marks_continuations() {
        let r = Reply::plain(250, "mx.example\nPIPELINING\nSIZE 1000");
        assert_eq!(r.to_string(), "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
        let r = Reply::new(451, Status(4, 3, 0), "a\nb");
        assert_eq!(r.to_string(), "451-4.3.0 a\r\n451 4.3.0 b\r\n");
    }
}
