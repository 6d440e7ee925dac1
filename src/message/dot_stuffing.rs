//! Dot-stuffing for the multi-line transfers of SMTP DATA (RFC 5321 section 4.5.2) and POP3
//! (RFC 1939 section 3): a line that starts with `.` gets one more, and `.CRLF` ends the text.
//! Messages are stored with CRLF line endings, so only the dots need care; `memchr::memmem`
//! finds every line start that has one.

use bytes::BytesMut;
use memchr::memmem;

/// Appends `text` dot-stuffed and terminated: a CRLF first if it does not end with one, then
/// `.CRLF`.
pub fn write_terminated(out: &mut BytesMut, text: &[u8]) {
    out.reserve(text.len() + 5);
    let mut start = 0;
    if text.first() == Some(&b'.') {
        out.extend_from_slice(b".");
    }
    for at in memmem::find_iter(text, b"\n.") {
        out.extend_from_slice(&text[start..=at]);
        out.extend_from_slice(b".");
        start = at + 1;
    }
    out.extend_from_slice(&text[start..]);
    if !text.is_empty() && !text.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuffed(text: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_terminated(&mut out, text);
        out.to_vec()
    }

    #[test]
    fn dots_at_line_starts_are_doubled() {
        assert_eq!(stuffed(b".a\r\nb\r\n..c\r\n.\r\n"), b"..a\r\nb\r\n...c\r\n..\r\n.\r\n");
        assert_eq!(stuffed(b"a.b\r\n"), b"a.b\r\n.\r\n");
        assert_eq!(stuffed(b""), b".\r\n");
        assert_eq!(stuffed(b"no final newline"), b"no final newline\r\n.\r\n");
    }
}
