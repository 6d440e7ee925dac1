//! Server replies as the client reads them: `ddd-text` continuation lines, then `ddd text`.

use std::fmt;

/// Most lines one reply may have (an EHLO reply has a dozen or two).
const MAX_LINES: usize = 128;

/// A complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    /// The three-digit code.
    pub code: u16,
    /// The text lines without code and separator.
    pub lines: Vec<String>,
}

impl ServerReply {
    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// Whether an EHLO reply lists `keyword` (case-insensitive, first word of a line).
    pub fn has_extension(&self, keyword: &str) -> bool {
        self.lines.iter().skip(1).any(|l| l.split_whitespace().next().is_some_and(|k| k.eq_ignore_ascii_case(keyword)))
    }
}

impl fmt::Display for ServerReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

/// Collects reply lines; call [`ReplyReader::line`] for each until it returns the reply.
#[derive(Debug, Default)]
pub struct ReplyReader {
    lines: Vec<String>,
}

impl ReplyReader {
    /// Adds one line (without CRLF). `Ok(Some(reply))` after the last line, `Err` for a line
    /// that is not a reply line, or whose code differs from the first line's.
    pub fn line(&mut self, line: &[u8]) -> Result<Option<ServerReply>, String> {
        let text = String::from_utf8_lossy(line);
        let code = text.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
        let Some(code) = code.and_then(|c| c.parse::<u16>().ok()).filter(|c| (200..600).contains(c)) else {
            return Err(format!("not an SMTP reply: {text:?}"));
        };
        let separator = text.as_bytes().get(3).copied();
        if !matches!(separator, None | Some(b' ') | Some(b'-')) {
            return Err(format!("not an SMTP reply: {text:?}"));
        }
        self.lines.push(text.get(4..).unwrap_or("").to_string());
        if separator == Some(b'-') {
            if self.lines.len() >= MAX_LINES {
                self.lines.clear();
                return Err(format!("reply longer than {MAX_LINES} lines"));
            }
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        Ok(Some(ServerReply { code, lines }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_replies_and_extensions() {
        let mut r = ReplyReader::default();
        assert_eq!(r.line(b"250-mx.example greets you"), Ok(None));
        assert_eq!(r.line(b"250-STARTTLS"), Ok(None));
        let reply = r.line(b"250 SIZE 1000").unwrap().unwrap();
        assert_eq!(reply.code, 250);
        assert!(reply.has_extension("starttls") && reply.has_extension("SIZE") && !reply.has_extension("mx.example"));
        assert!(reply.is_positive());
        let reply = r.line(b"550").unwrap().unwrap();
        assert!(reply.is_permanent() && reply.lines == vec![String::new()]);
        assert!(r.line(b"hello").is_err());
        assert!(r.line(b"999 no").is_err());
        assert!(r.line(b"250x").is_err());
    }
}
