//! RETR and TOP replies made piece by piece: the message is byte-stuffed (RFC 1939 section 3)
//! a slice at a time, so a large one is sent in bounded writes that await the client instead
//! of being stuffed whole into the output buffer first.

use bytes::{BufMut, BytesMut};
use memchr::memmem;

/// Octets of the message stuffed into the output at a time.
pub(super) const PIECE: usize = 64 * 1024;

/// Byte-stuffs a message given in consecutive pieces, then terminates it; the output is the
/// same as `pop3_proto::multiline::write_message` makes of the whole message.
#[derive(Debug, Default)]
pub(super) struct Stuffer {
    /// The last two octets written so far (the last one second), if any.
    tail: [Option<u8>; 2],
}

impl Stuffer {
    /// Appends `piece`, the next octets of the message, stuffed: a `.` that starts a line
    /// (also one that starts the piece after a line ending in the previous one) is doubled.
    pub(super) fn write(&mut self, out: &mut BytesMut, piece: &[u8]) {
        let Some(&last) = piece.last() else { return };
        out.reserve(piece.len() + 16);
        let at_line_start = matches!(self.tail[1], None | Some(b'\n'));
        if at_line_start && piece[0] == b'.' {
            out.put_u8(b'.');
        }
        let mut start = 0;
        for at in memmem::find_iter(piece, b"\n.") {
            out.put_slice(&piece[start..=at]);
            out.put_u8(b'.');
            start = at + 1;
        }
        out.put_slice(&piece[start..]);
        let before_last = if piece.len() >= 2 { Some(piece[piece.len() - 2]) } else { self.tail[1] };
        self.tail = [before_last, Some(last)];
    }

    /// Ends the message: a CRLF when it is not empty and does not end with one, then `.CRLF`.
    pub(super) fn finish(self, out: &mut BytesMut) {
        if self.tail[1].is_some() && self.tail != [Some(b'\r'), Some(b'\n')] {
            out.put_slice(b"\r\n");
        }
        out.put_slice(b".\r\n");
    }
}

/// Where TOP's text ends in `message`: after the header section, its blank line and at most
/// `body_lines` lines of the body (as `pop3_proto::multiline::write_top` cuts it).
pub(super) fn top_end(message: &[u8], body_lines: u32) -> usize {
    let mut end = memmem::find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 4);
    for _ in 0..body_lines {
        if end >= message.len() {
            break;
        }
        end = memmem::find(&message[end..], b"\r\n").map_or(message.len(), |i| end + i + 2);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use pop3_proto::multiline;

    fn stuffed_in_pieces(message: &[u8], piece: usize) -> Vec<u8> {
        let mut out = BytesMut::new();
        let mut stuffer = Stuffer::default();
        for slice in message.chunks(piece) {
            stuffer.write(&mut out, slice);
        }
        stuffer.finish(&mut out);
        out.to_vec()
    }

    const MESSAGES: &[&[u8]] = &[
        b"",
        b".",
        b"\n",
        b"\r\n",
        b"..\r\n.\r\n",
        b".a\r\nb\r\n..c\r\n.\r\n",
        b"Subject: x\r\n\r\n.one\r\n\n.two\r\n.\r\n..\r\nend",
        b"no final newline",
        b"bare\nlf\n.dot\n",
        b"ends with cr\r",
    ];

    /// Every piece size, one octet included, stuffs exactly as the whole message is stuffed.
    #[test]
    fn pieces_of_every_size_stuff_like_the_whole_message() {
        for message in MESSAGES {
            let mut whole = BytesMut::new();
            multiline::write_message(&mut whole, message);
            for piece in 1..=message.len().max(1) {
                assert_eq!(stuffed_in_pieces(message, piece), whole.to_vec(), "{message:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn top_cuts_where_the_whole_message_top_does() {
        let message = b"Subject: x\r\nFrom: y\r\n\r\none\r\n.two\r\nthree\r\n";
        for lines in 0..6 {
            let mut expected = BytesMut::new();
            multiline::write_top(&mut expected, message, lines);
            let end = top_end(message, lines);
            assert_eq!(stuffed_in_pieces(&message[..end], 3), expected.to_vec(), "TOP with {lines} lines");
        }
    }
}
