//! Strings (RFC 3501 4.3, RFC 9051 4.3): quoted strings, literals and the astring, nstring,
//! mailbox and list-mailbox forms built on them.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::error::Result;
use super::lexer::{Lexer, is_astring_char, is_list_char};

/// Turns string octets into a `String`, failing on invalid UTF-8.
fn utf8(octets: Cow<'_, [u8]>) -> Result<String> {
    String::from_utf8(octets.into_owned()).map_err(|_| "string is not valid UTF-8")
}

impl<'a> Lexer<'a> {
    /// A quoted string's content, with `\"` and `\\` unescaped; no CR, LF or NUL inside.
    pub(super) fn quoted(&mut self) -> Result<Cow<'a, [u8]>> {
        self.expect(b'"', "expected '\"'")?;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let rest = &self.input[self.pos..];
            let Some(i) = memchr2(b'"', b'\\', rest) else {
                return Err("unterminated quoted string");
            };
            let chunk = &rest[..i];
            if chunk.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')) {
                return Err("CR, LF or NUL in quoted string");
            }
            self.pos += i + 1;
            if rest[i] == b'"' {
                return Ok(match owned {
                    None => Cow::Borrowed(chunk),
                    Some(mut v) => {
                        v.extend_from_slice(chunk);
                        Cow::Owned(v)
                    }
                });
            }
            let v = owned.get_or_insert_with(Vec::new);
            v.extend_from_slice(chunk);
            match self.peek() {
                Some(b @ (b'"' | b'\\')) => {
                    v.push(b);
                    self.pos += 1;
                }
                _ => return Err("bad escape in quoted string"),
            }
        }
    }

    /// A literal's octets: `{N}` or `{N+}`, CRLF, then N octets; `~{N}` too when `binary_ok`
    /// (RFC 3516). Only a binary literal may hold NUL.
    pub(super) fn literal(&mut self, binary_ok: bool) -> Result<&'a [u8]> {
        let binary = binary_ok && self.eat(b'~');
        self.expect(b'{', "expected a literal")?;
        let len = self.digits(u64::MAX)?;
        self.eat(b'+');
        self.expect(b'}', "bad literal length")?;
        if !self.input[self.pos..].starts_with(b"\r\n") {
            return Err("expected CRLF after literal length");
        }
        self.pos += 2;
        let rest = &self.input[self.pos..];
        let len = usize::try_from(len).ok().filter(|&l| l <= rest.len()).ok_or("literal shorter than declared")?;
        let octets = &rest[..len];
        self.pos += len;
        if !binary && memchr(0, octets).is_some() {
            return Err("NUL in literal");
        }
        Ok(octets)
    }

    /// `string`: quoted or literal.
    pub(super) fn string(&mut self) -> Result<String> {
        match self.peek() {
            Some(b'"') => utf8(self.quoted()?),
            Some(b'{') => utf8(Cow::Borrowed(self.literal(false)?)),
            _ => Err("expected a string"),
        }
    }

    /// `nstring`: `NIL` or a string.
    pub(super) fn nstring(&mut self) -> Result<Option<String>> {
        if self.keyword("NIL") { Ok(None) } else { self.string().map(Some) }
    }

    /// `astring`: one or more ASTRING-CHARs, or a string.
    pub(super) fn astring(&mut self) -> Result<String> {
        self.string_or(is_astring_char)
    }

    /// `list-mailbox`: one or more list-chars (wildcards allowed), or a string.
    pub(super) fn list_mailbox(&mut self) -> Result<String> {
        self.string_or(is_list_char)
    }

    /// A string, or else a nonempty run of octets accepted by `unquoted`.
    fn string_or(&mut self, unquoted: fn(u8) -> bool) -> Result<String> {
        if matches!(self.peek(), Some(b'"' | b'{')) {
            return self.string();
        }
        match self.take_while(unquoted) {
            [] => Err("expected a string"),
            run => utf8(Cow::Borrowed(run)),
        }
    }

    /// `mailbox`: an astring, with any case of `INBOX` made `INBOX`.
    pub(super) fn mailbox(&mut self) -> Result<String> {
        let name = self.astring()?;
        Ok(if name.eq_ignore_ascii_case("INBOX") { "INBOX".to_owned() } else { name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn astring(input: &[u8]) -> Result<String> {
        Lexer::new(input).astring()
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(astring(br#""a \"b\" \\c""#), Ok(r#"a "b" \c"#.to_owned()));
        assert_eq!(astring(b"\"\""), Ok(String::new()));
        assert_eq!(astring("\"gr\u{fc}n\"".as_bytes()), Ok("gr\u{fc}n".to_owned()));
        assert!(astring(b"\"abc").is_err());
        assert!(astring(b"\"a\\b\"").is_err());
        assert!(astring(b"\"a\r\nb\"").is_err());
        assert!(astring(b"\"a\0b\"").is_err());
        assert!(astring(b"\"\xff\xfe\"").is_err());
    }

    #[test]
    fn literals() {
        assert_eq!(astring(b"{3}\r\nabc"), Ok("abc".to_owned()));
        assert_eq!(astring(b"{3+}\r\nabc"), Ok("abc".to_owned()));
        assert_eq!(astring(b"{0}\r\n"), Ok(String::new()));
        assert!(astring(b"{4}\r\nabc").is_err());
        assert!(astring(b"{3}abc").is_err());
        assert!(astring(b"{3}\r\na\0c").is_err());
        assert!(Lexer::new(b"~{3}\r\nabc").literal(false).is_err());
        assert!(astring(b"{99999999999999999999999}\r\n").is_err());
        let mut lx = Lexer::new(b"~{3}\r\na\0c");
        assert_eq!(lx.literal(true), Ok(&b"a\0c"[..]));
    }

    #[test]
    fn atoms_and_mailboxes() {
        assert_eq!(astring(b"foo]bar baz"), Ok("foo]bar".to_owned()));
        assert!(astring(b"%").is_err());
        assert!(astring(b"").is_err());
        assert_eq!(Lexer::new(b"inBox").mailbox(), Ok("INBOX".to_owned()));
        assert_eq!(Lexer::new(b"\"inbox\"").mailbox(), Ok("INBOX".to_owned()));
        assert_eq!(Lexer::new(b"inbox/x").mailbox(), Ok("inbox/x".to_owned()));
        assert_eq!(Lexer::new(b"Sent*%").list_mailbox(), Ok("Sent*%".to_owned()));
        assert_eq!(Lexer::new(b"NIL").nstring(), Ok(None));
        assert!(Lexer::new(b"foo").nstring().is_err());
    }
}
