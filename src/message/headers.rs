//! Header fields of a raw message, found with `memchr`: where the header ends, its fields one
//! by one (a name written with white space before the colon, `From :`, is still `From`), and
//! unfolding of field values. Every reader of header fields in ringmail goes through here.

use std::borrow::Cow;
use std::ops::Range;

/// The bytes of `range` in `message`, or nothing when the range does not fit.
pub fn slice<'a>(message: &'a [u8], range: &Range<usize>) -> &'a [u8] {
    message.get(range.clone()).unwrap_or_default()
}

/// One header field: its name (possibly empty for a line without a colon), its raw value (folded,
/// without the final line break) and the raw field with its line break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field name as written.
    pub name: &'a [u8],
    /// The raw value after the colon.
    pub value: &'a [u8],
    /// The whole field, line break included.
    pub raw: &'a [u8],
}

impl Field<'_> {
    /// Whether the field's name is `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The fields of a header block, up to its blank line.
pub fn fields(header: &[u8]) -> Fields<'_> {
    Fields { header, pos: 0 }
}

/// Iterator over the fields of a header block.
pub struct Fields<'a> {
    header: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let rest = self.header.get(self.pos..)?;
        if rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
            return None;
        }
        // The field ends at the first line break not followed by folding white space.
        let mut end = rest.len();
        for nl in memchr::memchr_iter(b'\n', rest) {
            if !matches!(rest.get(nl + 1), Some(b' ' | b'\t')) {
                end = nl + 1;
                break;
            }
        }
        let raw = &rest[..end];
        self.pos += end;
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(match memchr::memchr(b':', line) {
            Some(colon) => Field { name: trim(&line[..colon]), value: &line[colon + 1..], raw },
            None => Field { name: b"", value: line, raw },
        })
    }
}

/// The first field named `name` in `header`.
pub fn first<'a>(header: &'a [u8], name: &str) -> Option<Field<'a>> {
    fields(header).find(|f| f.is(name))
}

/// A field value unfolded (line breaks removed) and trimmed of surrounding white space.
pub fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    let value = trim(value);
    if memchr::memchr2(b'\r', b'\n', value).is_none() {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect())
}

/// `bytes` without leading and trailing spaces, tabs and line breaks.
pub fn trim(bytes: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = bytes.iter().position(|b| !ws(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ws(b)).map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// The header block: everything before the first empty line (or the whole message).
pub fn header_block(message: &[u8]) -> &[u8] {
    let end = fields(message).map(|f| f.raw.len()).sum();
    &message[..end]
}

/// The message without the header fields for which `remove` returns true when given the field's
/// name and its value unfolded, white space collapsed; `None` when none matched.
pub fn without_fields(message: &[u8], remove: impl Fn(&str, &str) -> bool) -> Option<Vec<u8>> {
    let mut kept = Vec::with_capacity(message.len());
    let mut removed = false;
    let mut end = 0;
    for field in fields(message) {
        end += field.raw.len();
        let drop = !field.name.is_empty() && remove(&String::from_utf8_lossy(field.name), &collapsed(field.value));
        if drop {
            removed = true;
        } else {
            kept.extend_from_slice(field.raw);
        }
    }
    kept.extend_from_slice(&message[end..]);
    removed.then_some(kept)
}

/// The value of the first field called `name` (case-insensitive) in `message`, unfolded, each
/// line trimmed and joined by one space.
pub fn field(message: &[u8], name: &str) -> Option<String> {
    first(message, name).map(|f| {
        let text = String::from_utf8_lossy(f.value);
        text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
    })
}

/// A value with its folding undone and every run of white space made one space.
fn collapsed(value: &[u8]) -> String {
    String::from_utf8_lossy(value).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_folded_fields() {
        let h = b"Subject: a\r\n b\r\nX-Bad line\r\nTo : c\n\r\nignored: x\r\n";
        let f: Vec<_> = fields(h).collect();
        assert_eq!(f.len(), 3);
        assert_eq!(
            (f[0].name, f[0].value, f[0].raw),
            (&b"Subject"[..], &b" a\r\n b"[..], &b"Subject: a\r\n b\r\n"[..])
        );
        assert_eq!((f[1].name, f[1].value), (&b""[..], &b"X-Bad line"[..]));
        assert_eq!((f[2].name, f[2].value), (&b"To"[..], &b" c"[..]));
        assert!(f[2].is("to"));
        assert_eq!(fields(b"Last: v").next().map(|f| f.raw), Some(&b"Last: v"[..]));
        assert_eq!(first(h, "TO").map(|f| f.value), Some(&b" c"[..]));
    }

    #[test]
    fn unfolds_and_trims() {
        assert_eq!(unfold(b"  a\r\n\tb \r\n c  "), &b"a\tb  c"[..]);
        assert_eq!(unfold(b" plain "), &b"plain"[..]);
        assert_eq!(trim(b" \t "), b"");
    }

    #[test]
    fn finds_folded_fields_and_ignores_the_body() {
        let msg = b"From: a@b\r\nsubject: Hello\r\n  world\r\nX: y\r\n\r\nSubject: not me\r\n";
        assert_eq!(field(msg, "Subject").as_deref(), Some("Hello world"));
        assert_eq!(field(msg, "x").as_deref(), Some("y"));
        assert_eq!(field(msg, "Date"), None);
        assert_eq!(field(b"Subject:\r\n\r\n", "Subject").as_deref(), Some(""));
    }

    #[test]
    fn removes_whole_folded_fields_and_keeps_the_body() {
        let msg = b"A: 1\r\nX-Drop: two\r\n\tlines\r\nB: 2\r\n\r\nX-Drop: in the body\r\n";
        let out = without_fields(msg, |name, value| name.eq_ignore_ascii_case("x-drop") && value == "two lines");
        assert_eq!(out.unwrap(), b"A: 1\r\nB: 2\r\n\r\nX-Drop: in the body\r\n");
        assert_eq!(without_fields(msg, |_, _| false), None);
    }

    #[test]
    fn a_name_with_white_space_before_the_colon_is_that_name() {
        let msg = b"From : a@evil.example\r\nFrom\r\n : b@evil.example\r\n\r\nbody";
        assert_eq!(field(msg, "From").as_deref(), Some("a@evil.example"));
        assert_eq!(fields(msg).filter(|f| f.is("from")).count(), 2);
        assert_eq!(without_fields(msg, |name, _| name.eq_ignore_ascii_case("from")).unwrap(), b"\r\nbody");
    }
}
