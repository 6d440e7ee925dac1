//! Header blocks: where a header ends, its fields one by one, and unfolding of field values.

use std::borrow::Cow;
use std::ops::Range;

/// The bytes of `range` in `message`, or nothing when the range does not fit.
pub(crate) fn slice<'a>(message: &'a [u8], range: &Range<usize>) -> &'a [u8] {
    message.get(range.clone()).unwrap_or_default()
}

/// One header field: its name (possibly empty for a line without a colon), its raw value (folded,
/// without the final line break) and the raw field with its line break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

impl Field<'_> {
    /// Whether the field's name is `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The fields of a header block, up to its blank line.
pub(crate) fn fields(header: &[u8]) -> Fields<'_> {
    Fields { header, pos: 0 }
}

/// Iterator over the fields of a header block.
pub(crate) struct Fields<'a> {
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
pub(crate) fn first<'a>(header: &'a [u8], name: &str) -> Option<Field<'a>> {
    fields(header).find(|f| f.is(name))
}

/// A field value unfolded (line breaks removed) and trimmed of surrounding white space.
pub(crate) fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    let value = trim(value);
    if memchr::memchr2(b'\r', b'\n', value).is_none() {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect())
}

/// `bytes` without leading and trailing spaces, tabs and line breaks.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = bytes.iter().position(|b| !ws(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ws(b)).map_or(start, |e| e + 1);
    &bytes[start..end]
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
}
