//! Multi-line POP3 responses (RFC 1939 section 3): whole messages for RETR, and the header
//! section plus the first lines of the body for TOP, dot-stuffed.

use bytes::BytesMut;
use memchr::memmem;

use message::dot_stuffing::write_terminated;

/// Appends `message` byte-stuffed, then the terminating `.CRLF`.
pub fn write_message(out: &mut BytesMut, message: &[u8]) {
    write_terminated(out, message);
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
    write_terminated(out, &message[..end]);
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut whole = BytesMut::new();
        write_message(&mut whole, m);
        assert_eq!(top(99), whole.to_vec());
    }
}
