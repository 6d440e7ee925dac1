//! Structured MIME header values (`value; attr=val; ...`, RFC 2045 5.1) with comments and quoted
//! strings, RFC 2231 continuations and charsets, and RFC 2047 words inside quoted values.

use super::charset::to_utf8;
use super::decode::hex;
use super::encoded_words;
use std::collections::HashMap;

/// A parameter: lower-case attribute name and its value decoded to UTF-8.
pub(crate) type Param = (String, String);

/// Splits a structured value into its leading value (comments and white space removed) and its
/// parameters, in order of first appearance, continuations joined.
pub(crate) fn parse(value: &[u8]) -> (Vec<u8>, Vec<Param>) {
    let mut segments = split_top_level(value).into_iter();
    let first = strip_comments(segments.next().unwrap_or_default());
    // `type/subtype attr=value` with the `;` missing (seen in folded headers): the attribute
    // starts after the last white space before the first `=`.
    let split = memchr::memchr(b'=', &first)
        .and_then(|eq| first[..eq].trim_ascii_end().iter().rposition(u8::is_ascii_whitespace))
        .unwrap_or(first.len());
    let mut main = first[..split].to_vec();
    main.retain(|b| !b.is_ascii_whitespace());
    let raws: Vec<Raw> = std::iter::once(&first[split..]).chain(segments).filter_map(Raw::parse).collect();
    // Group the appearances of each name, in order of first appearance (linear in their count).
    let mut groups: Vec<Vec<&Raw>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for raw in &raws {
        let i = *index.entry(raw.name.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(raw);
    }
    let params = groups
        .iter()
        // A boundary is matched octet for octet: never read encoded words in it.
        .map(|same| (same[0].name.clone(), join(same, same[0].name != "boundary")))
        .collect();
    (main, params)
}

/// One `attr=value` as written: base name, RFC 2231 section number and `*` flag.
struct Raw {
    name: String,
    section: Option<u16>,
    extended: bool,
    value: Vec<u8>,
}

impl Raw {
    fn parse(segment: &[u8]) -> Option<Raw> {
        let eq = memchr::memchr(b'=', segment)?;
        let mut attr = strip_comments(&segment[..eq]);
        attr.retain(|b| !b.is_ascii_whitespace());
        let attr = String::from_utf8_lossy(&attr).to_ascii_lowercase();
        let value = read_value(&segment[eq + 1..]);
        let (name, section, extended) = match attr.split_once('*') {
            Some((base, "")) => (base, None, true),
            Some((base, rest)) => {
                let (digits, extended) = rest.strip_suffix('*').map_or((rest, false), |d| (d, true));
                match digits.parse::<u16>() {
                    Ok(n) if digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                        (base, Some(n), extended)
                    }
                    _ => (attr.as_str(), None, false),
                }
            }
            None => (attr.as_str(), None, false),
        };
        (!name.is_empty()).then(|| Raw { name: name.to_string(), section, extended, value })
    }

    fn rfc2231(&self) -> bool {
        self.section.is_some() || self.extended
    }
}

/// The value of one parameter from all its appearances: RFC 2231 sections when there are any
/// (in section order, the first charset given applies), else the first plain value.
fn join(same: &[&Raw], decode_words: bool) -> String {
    let mut sections: Vec<&Raw> = same.iter().copied().filter(|r| r.rfc2231()).collect();
    if sections.is_empty() {
        let value = &same[0].value;
        return if decode_words && memchr::memmem::find(value, b"=?").is_some() {
            encoded_words::decode(value)
        } else {
            String::from_utf8_lossy(value).into_owned()
        };
    }
    sections.sort_by_key(|r| r.section.unwrap_or(0));
    sections.dedup_by_key(|r| r.section.unwrap_or(0));
    let mut charset: &[u8] = b"";
    let mut bytes = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if !s.extended {
            bytes.extend_from_slice(&s.value);
            continue;
        }
        let mut value = &s.value[..];
        // `charset'language'` belongs in the first section; mailers put it in later ones too.
        let mut quotes = memchr::memchr_iter(b'\'', value);
        if let (Some(first), Some(second)) = (quotes.next(), quotes.next()) {
            let name = &value[..first];
            if i == 0
                || charset.is_empty()
                    && !name.is_empty()
                    && name.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
            {
                charset = name;
                value = &value[second + 1..];
            }
        }
        percent_decode(value, &mut bytes);
    }
    if decode_words && charset.is_empty() && memchr::memmem::find(&bytes, b"=?").is_some() {
        return encoded_words::decode(&bytes);
    }
    to_utf8(&bytes, charset).into_owned()
}

/// Appends `value` with `%XX` escapes decoded; a stray `%` stays.
fn percent_decode(value: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        let escaped = (b == b'%').then(|| Some(hex(*value.get(i + 1)?)? << 4 | hex(*value.get(i + 2)?)?)).flatten();
        match escaped {
            Some(octet) => {
                out.push(octet);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// A parameter value: a quoted string (escapes undone), else the text up to the end with
/// comments removed, trimmed (lenient: unquoted values with spaces are kept whole).
fn read_value(text: &[u8]) -> Vec<u8> {
    let text = crate::headers::trim(text);
    let Some(quoted) = text.strip_prefix(b"\"") else {
        return crate::headers::trim(&strip_comments(text)).to_vec();
    };
    let mut out = Vec::with_capacity(quoted.len());
    let mut bytes = quoted.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'"' => break,
            b'\\' => out.extend(bytes.next()),
            b'\r' | b'\n' => {}
            _ => out.push(b),
        }
    }
    out
}

/// Splits at `;` outside quoted strings and comments.
fn split_top_level(value: &[u8]) -> Vec<&[u8]> {
    let mut segments = Vec::new();
    let mut scan = Scanner::default();
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        if scan.step(b) == Class::Plain && b == b';' {
            segments.push(&value[start..i]);
            start = i + 1;
        }
    }
    segments.push(&value[start..]);
    segments
}

/// `text` without its comments (quoted strings kept as they are).
fn strip_comments(text: &[u8]) -> Vec<u8> {
    let mut scan = Scanner::default();
    text.iter().copied().filter(|&b| scan.step(b) != Class::Comment).collect()
}

/// Where an octet of a structured value stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Plain,
    Quoted,
    Comment,
}

/// Tracks quoted strings, (nested) comments and escapes over a structured value.
#[derive(Default)]
struct Scanner {
    quoted: bool,
    comment_depth: usize,
    escaped: bool,
}

impl Scanner {
    /// Classifies the next octet; quotes and parentheses belong to what they delimit.
    fn step(&mut self, b: u8) -> Class {
        if self.comment_depth > 0 || self.quoted {
            let class = if self.quoted { Class::Quoted } else { Class::Comment };
            if self.escaped {
                self.escaped = false;
            } else {
                match b {
                    b'\\' => self.escaped = true,
                    b'"' if self.quoted => self.quoted = false,
                    b'(' if !self.quoted => self.comment_depth += 1,
                    b')' if !self.quoted => self.comment_depth -= 1,
                    _ => {}
                }
            }
            return class;
        }
        match b {
            b'(' => {
                self.comment_depth = 1;
                Class::Comment
            }
            b'"' => {
                self.quoted = true;
                Class::Quoted
            }
            _ => Class::Plain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &str) -> (String, Vec<(String, String)>) {
        let (main, params) = parse(v.as_bytes());
        (String::from_utf8(main).unwrap(), params)
    }

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn parses_values_quotes_and_comments() {
        assert_eq!(
            p("text/plain; charset=us-ascii (Plain text)"),
            ("text/plain".into(), params(&[("charset", "us-ascii")]))
        );
        assert_eq!(
            p(r#" multipart/mixed (a (nested) comment) ; BOUNDARY="a;b\"c" ; x = y z"#),
            ("multipart/mixed".into(), params(&[("boundary", "a;b\"c"), ("x", "y z")]))
        );
        assert_eq!(p("text / html;;=x; junk; a=1; A=2"), ("text/html".into(), params(&[("a", "1")])));
        assert_eq!(p(""), (String::new(), vec![]));
        assert_eq!(p("multipart/mixed\r\n\tboundary=\"b\""), ("multipart/mixed".into(), params(&[("boundary", "b")])));
        assert_eq!(
            p("text/plain charset = utf-8; format=flowed"),
            ("text/plain".into(), params(&[("charset", "utf-8"), ("format", "flowed")]))
        );
        assert_eq!(p("a/b; name=\"unterminated"), ("a/b".into(), params(&[("name", "unterminated")])));
        assert_eq!(p("a/b; x=a\"b;c\"(d;e)f"), ("a/b".into(), params(&[("x", "a\"b;c\"f")])));
    }

    #[test]
    fn joins_rfc2231_sections() {
        assert_eq!(
            p("image/gif; name*1=\"about \"; name*0=\"Book \";\r\n name*2*=utf-8''%e2%98%95 tables.gif"),
            ("image/gif".into(), params(&[("name", "Book about ☕ tables.gif")]))
        );
        assert_eq!(
            p("a/b; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"),
            ("a/b".into(), params(&[("title", "This is ***fun***")]))
        );
        assert_eq!(p("a/b; name=\"fallback\"; name*=iso-8859-1''caf%E9"), ("a/b".into(), params(&[("name", "café")])));
        assert_eq!(
            p("a/b; n*0*=''%41; n*1*=%42%; n*99999=x"),
            ("a/b".into(), params(&[("n", "AB%"), ("n*99999", "x")]))
        );
    }

    #[test]
    fn decodes_encoded_words_in_values() {
        assert_eq!(p("a/b; name=\"=?UTF-8?B?4pi6LnR4dA==?=\""), ("a/b".into(), params(&[("name", "☺.txt")])));
        assert_eq!(p("a/b; name*0=\"=?utf-8?q?a?=\""), ("a/b".into(), params(&[("name", "a")])));
        assert_eq!(
            p("multipart/mixed; boundary=\"=?a?q?b?=\""),
            ("multipart/mixed".into(), params(&[("boundary", "=?a?q?b?=")]))
        );
    }
}
