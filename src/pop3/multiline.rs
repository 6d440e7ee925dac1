//! Multi-line POP3 responses (RFC 1939 section 3): lines starting with `.` get one more, and
//! `.CRLF` ends the response. Messages are stored with CRLF line endings, so only the dots
//! need care; `memchr::memmem` finds every line start that has one.

use bytes::BytesMut;
use memchr::memmem;

/// Appends `message` byte-stuffed, then the terminating `.CRLF`.
pub fn write_message(out: &mut BytesMut, message: &[u8]) {
    write_stuffed(out, message);
    finish(out, message);
}

/// Appends the header section of `message`, the blank line, and at most `body_lines` lines of
/// its body, byte-stuffed and terminated (the TOP command).
pub fn write_top(out: &mut BytesMut, message: &[u8], body_lines: u32) {
    let header_end = memmem::find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 4);
    let mut end = header_end;
    for _ in 0..body_lines {
        if end >= message.len() {
            break;
        }
        end = memmem::find(&message[end..], b"\r\n").map_or(message.len(), |i| end + i + 2);
    }
    write_stuffed(out, &message[..end]);
    finish(out, &message[..end]);
}

/// Copies `text`, doubling a `.` at the start of every line.
fn write_stuffed(out: &mut BytesMut, text: &[u8]) {
    out.reserve(text.len() + 3);
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
}

/// Ends the response, adding a CRLF first when the text did not end with one.
fn finish(out: &mut BytesMut, text: &[u8]) {
    if !text.is_empty() && !text.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_message(&mut out, text);
        out.to_vec()
    }

    #[test]
    fn dots_at_line_starts_are_doubled() {
        assert_eq!(message(b".a\r\nb\r\n..c\r\n.\r\n"), b"..a\r\nb\r\n...c\r\n..\r\n.\r\n");
        assert_eq!(message(b"a.b\r\n"), b"a.b\r\n.\r\n");
        assert_eq!(message(b""), b".\r\n");
        assert_eq!(message(b"no final newline"), b"no final newline\r\n.\r\n");
    }

    #[test]
    fn top_sends_headers_and_n_body_lines() {
        let m = b"Subject: x\r\nFrom: y\r\n\r\none\r\n.two\r\nthree\r\n";
        let top = |n| {
            let mut out = BytesMut::new();
            write_top(&mut out, m, n);
            out.to_vec()
        };
        assert_eq!(top(0), b"Subject: x\r\nFrom: y\r\n\r\n.\r\n");
        assert_eq!(top(2), b"Subject: x\r\nFrom: y\r\n\r\none\r\n..two\r\n.\r\n");
        assert_eq!(top(99), message(m));
    }
}
