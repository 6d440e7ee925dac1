//! Tag=value lists (RFC 6376 section 3.2), the syntax of both the DKIM-Signature header field
//! and the key record published in DNS.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR            ; %x21-3A / %x3C-7E, and UTF-8 (RFC 8616)
//! ```
//!
//! The parser is strict: an empty tag-spec (`a=1;;b=2`), a tag without `=`, a malformed name,
//! a control character or a repeated tag is an error. Only a single trailing `;` is allowed.
//! Names are case-sensitive. Whitespace is SP, HTAB, CR and LF: folding has already been
//! checked by whoever split the header field, and a DNS record has none.

use std::ops::Range;

/// Why a tag list could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// A `;` with nothing but whitespace before it (`a=1;;b=2`, or a leading `;`).
    #[error("empty tag-spec at byte {0}")]
    EmptySpec(usize),
    /// A tag-spec without `=`.
    #[error("tag-spec without '=' at byte {0}")]
    MissingEquals(usize),
    /// A tag name that is not `ALPHA *(ALPHA / DIGIT / "_")`.
    #[error("invalid tag name {0:?}")]
    InvalidName(String),
    /// A value holding a control character or a `;`-less break in the syntax.
    #[error("invalid character in the value of tag {0:?}")]
    InvalidValue(String),
    /// The same tag twice.
    #[error("duplicate tag {0:?}")]
    Duplicate(String),
}

/// One `name=value` pair of a tag list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The tag name, case preserved.
    pub name: &'a str,
    /// The value without the whitespace around it; whitespace inside is kept as written.
    pub value: &'a str,
    /// Where the value sits in the parsed text: from just after `=` to just before the `;` that
    /// ends it (or the end), surrounding whitespace included. Deleting this range is how the
    /// `b=` value is emptied for hashing (RFC 6376 section 3.7).
    pub span: Range<usize>,
}

/// A parsed tag list, in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagList<'a> {
    tags: Vec<Tag<'a>>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// VALCHAR of RFC 6376 plus the UTF-8 bytes RFC 8616 admits; never `;` or a control.
fn is_valchar(b: u8) -> bool {
    matches!(b, 0x21..=0x3a | 0x3c..=0x7e | 0x80..=0xff)
}

fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic()) && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl<'a> TagList<'a> {
    /// Parses `text` as a tag list.
    pub fn parse(text: &'a str) -> Result<Self, TagError> {
        let bytes = text.as_bytes();
        let mut tags: Vec<Tag<'a>> = Vec::new();
        let mut start = 0;
        loop {
            let end = memchr::memchr(b';', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let spec = &text[start..end];
            if spec.bytes().all(is_ws) {
                // Only a trailing `;` may leave an empty spec (or a list that is empty outright).
                if end == bytes.len() && (start > 0 || tags.is_empty()) {
                    break;
                }
                return Err(TagError::EmptySpec(start));
            }
            let eq = spec.find('=').ok_or(TagError::MissingEquals(start))?;
            let name = spec[..eq].trim_matches(|c: char| c.is_ascii() && is_ws(c as u8));
            if !valid_name(name) {
                return Err(TagError::InvalidName(name.to_owned()));
            }
            let raw_value = &spec[eq + 1..];
            if !raw_value.bytes().all(|b| is_valchar(b) || is_ws(b)) {
                return Err(TagError::InvalidValue(name.to_owned()));
            }
            let value = raw_value.trim_matches(|c: char| c.is_ascii() && is_ws(c as u8));
            if tags.iter().any(|t| t.name == name) {
                return Err(TagError::Duplicate(name.to_owned()));
            }
            tags.push(Tag { name, value, span: start + eq + 1..end });
            if end == bytes.len() {
                break;
            }
            start = end + 1;
        }
        Ok(TagList { tags })
    }

    /// The tag named `name` (case-sensitive), if present.
    pub fn get(&self, name: &str) -> Option<&Tag<'a>> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The value of the tag named `name`, if present.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).map(|t| t.value)
    }

    /// The tags in the order written.
    pub fn iter(&self) -> impl Iterator<Item = &Tag<'a>> {
        self.tags.iter()
    }

    /// How many tags there are.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether the list has no tags.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// `s` with every SP, HTAB, CR and LF removed: how `b=`, `bh=` and `p=` values are read, since
/// FWS may appear anywhere inside base64 (RFC 6376 section 2.4).
pub(crate) fn strip_ws(s: &str) -> String {
    s.chars().filter(|&c| !(c.is_ascii() && is_ws(c as u8))).collect()
}

/// Splits a colon-separated value (`h=`, `q=`, the key record's `h=`, `s=` and `t=`) into its
/// entries, each trimmed of whitespace.
pub(crate) fn colon_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(':').map(|e| e.trim_matches(|c: char| c.is_ascii() && is_ws(c as u8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_spans() {
        let text = "v=1; a=rsa-sha256;\r\n\tb=abc\r\n def ;";
        let list = TagList::parse(text).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list.value("a"), Some("rsa-sha256"));
        assert_eq!(list.value("b"), Some("abc\r\n def"));
        let b = list.get("b").unwrap();
        assert_eq!(&text[b.span.clone()], "abc\r\n def ");
        assert_eq!(strip_ws(b.value), "abcdef");
    }

    #[test]
    fn empty_values_and_trailing_semicolon() {
        let list = TagList::parse(" p= ; n=;").unwrap();
        assert_eq!(list.value("p"), Some(""));
        assert_eq!(list.value("n"), Some(""));
        assert!(TagList::parse("").unwrap().is_empty());
        assert!(TagList::parse("  ").unwrap().is_empty());
    }

    #[test]
    fn rejects_malformed_lists() {
        assert_eq!(TagList::parse("a=1;;b=2"), Err(TagError::EmptySpec(4)));
        assert_eq!(TagList::parse(";a=1"), Err(TagError::EmptySpec(0)));
        assert_eq!(TagList::parse("a=1;;"), Err(TagError::EmptySpec(4)));
        assert_eq!(TagList::parse("a=1; b"), Err(TagError::MissingEquals(4)));
        assert!(matches!(TagList::parse("1a=1"), Err(TagError::InvalidName(_))));
        assert!(matches!(TagList::parse("=1"), Err(TagError::InvalidName(_))));
        assert!(matches!(TagList::parse("a b=1"), Err(TagError::InvalidName(_))));
        assert!(matches!(TagList::parse("a=1\x00"), Err(TagError::InvalidValue(_))));
        assert_eq!(TagList::parse("a=1; a=2"), Err(TagError::Duplicate("a".into())));
    }

    #[test]
    fn names_are_case_sensitive_and_values_may_hold_equals() {
        let list = TagList::parse("A=1; a=x=y:z").unwrap();
        assert_eq!(list.value("A"), Some("1"));
        assert_eq!(list.value("a"), Some("x=y:z"));
        assert_eq!(colon_list(" from : to:\r\n subject").collect::<Vec<_>>(), ["from", "to", "subject"]);
    }
}
