//! Received trace fields (RFC 5321 4.4) read leniently: the host a hop came from, its address,
//! and when the hop took the message.

use std::net::IpAddr;

use crate::mime::parse_date;

/// What one Received field says about its hop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The name the sending host gave after `from`, lower case (absent when it gave an address
    /// literal).
    pub from: Option<String>,
    /// The sending host's address: the literal in brackets in the `from` clause (the last one,
    /// as in `from a.example (b.example [192.0.2.1])`), else the first address in its comment,
    /// else the `from` host itself when it is an address literal.
    pub from_ip: Option<IpAddr>,
    /// When the hop took the message, as unix seconds: the date after the `;`.
    pub date: Option<i64>,
}

/// Reads a Received field value (unfolded or not); never fails, unknown clauses are skipped.
pub fn parse(value: &[u8]) -> Received {
    let mut received = Received::default();
    let (mut in_from, mut want_host) = (false, false);
    let (mut host_ip, mut bracketed, mut commented) = (None, None, None);
    let mut scan = Scanner { value, at: 0, comments: 0, brackets: 0 };
    while let Some(token) = scan.token() {
        match token {
            Token::Semicolon => {
                received.date = parse_date(&value[scan.at..]);
                break;
            }
            Token::Word(word) if scan.comments == 0 && scan.brackets == 0 && is_clause(word) => {
                let from =
                    word.eq_ignore_ascii_case(b"from") && !in_from && received.from.is_none() && host_ip.is_none();
                in_from = from;
                want_host = from;
            }
            Token::Word(word) if want_host => {
                want_host = false;
                match ip(word) {
                    Some(address) => host_ip = Some(address),
                    None => received.from = Some(String::from_utf8_lossy(word).to_ascii_lowercase()),
                }
            }
            Token::Word(word) if in_from => match ip(word) {
                Some(address) if scan.brackets > 0 => bracketed = Some(address),
                Some(address) if scan.comments > 0 => commented = commented.or(Some(address)),
                _ => {}
            },
            Token::Word(_) => {}
        }
    }
    received.from_ip = bracketed.or(commented).or(host_ip);
    received
}

/// The words that open a clause of a Received field.
fn is_clause(word: &[u8]) -> bool {
    ["from", "by", "via", "with", "id", "for"].iter().any(|k| word.eq_ignore_ascii_case(k.as_bytes()))
}

/// An IPv4 or IPv6 address (`IPv6:` prefix allowed).
fn ip(word: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(word).ok()?;
    let text = text.get(..5).filter(|p| p.eq_ignore_ascii_case("ipv6:")).map_or(text, |_| &text[5..]);
    text.parse().ok()
}

/// A token of a Received field.
enum Token<'a> {
    /// A run of octets other than white space and `()[]<>;=,"`.
    Word(&'a [u8]),
    /// A `;` outside comments and brackets: the date follows.
    Semicolon,
}

/// Splits a Received field into words, tracking comment and bracket depth (the depth at the
/// word just returned).
struct Scanner<'a> {
    value: &'a [u8],
    at: usize,
    comments: usize,
    brackets: usize,
}

impl<'a> Scanner<'a> {
    /// The next word or top-level `;`.
    fn token(&mut self) -> Option<Token<'a>> {
        while let Some(&b) = self.value.get(self.at) {
            self.at += 1;
            match b {
                b'(' => self.comments += 1,
                b')' => self.comments = self.comments.saturating_sub(1),
                b'[' => self.brackets += 1,
                b']' => self.brackets = self.brackets.saturating_sub(1),
                b'\\' if self.comments > 0 => self.at += 1,
                b';' if self.comments == 0 && self.brackets == 0 => return Some(Token::Semicolon),
                _ if is_separator(b) => {}
                _ => {
                    let start = self.at - 1;
                    let len = self.value[self.at..].iter().position(|&c| is_separator(c) || b"()[]\\".contains(&c));
                    self.at = len.map_or(self.value.len(), |len| self.at + len);
                    return Some(Token::Word(&self.value[start..self.at]));
                }
            }
        }
        None
    }
}

/// White space and the specials that separate words (brackets and parentheses aside).
fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b"<>;=,\"".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_from_clause_and_date() {
        let r = parse(
            b"from mail.Example.org (mail.example.org [192.0.2.1])\r\n\tby mx.example.net (Postfix) with ESMTPS id 4A\r\n\t\
              for <u@example.net>; Mon, 1 Jan 2024 10:00:05 +0000 (UTC)",
        );
        assert_eq!(r.from.as_deref(), Some("mail.example.org"));
        assert_eq!(r.from_ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(r.date, parse_date(b"Mon, 1 Jan 2024 10:00:05 +0000"));
        let r = parse(b"from [IPv6:2001:db8::1] (helo=x) by y; 1 Jan 2024 00:00:00 +0000");
        assert_eq!((r.from, r.from_ip), (None, Some("2001:db8::1".parse().unwrap())));
        let r = parse(b"from x (HELO y) (198.51.100.7) by z");
        assert_eq!((r.from.as_deref(), r.from_ip, r.date), (Some("x"), Some("198.51.100.7".parse().unwrap()), None));
    }

    #[test]
    fn other_clauses_and_comments_do_not_count() {
        let r = parse(b"(qmail 123 invoked from network); 1 Jan 2024 00:00:00 -0000");
        assert_eq!((r.from, r.from_ip), (None, None));
        assert!(r.date.is_some());
        let r = parse(b"by mx (envelope-from <a@b> [203.0.113.9]) id 1");
        assert_eq!(r, Received::default());
        assert_eq!(parse(b""), Received::default());
        assert_eq!(parse(b"from ((((( [[[[ \\"), Received::default());
        assert_eq!(parse(b"\\from\\ x\\;"), Received::default());
    }
}
