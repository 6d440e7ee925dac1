//! The DATA phase reader (RFC 5321 section 4.1.1.4 and 4.5.2) with SMTP-smuggling defences.
//!
//! One pass with `memchr3` over CR, LF and NUL finds every line end; unmodified runs of input are
//! split off the read buffer as [`Bytes`] without copying. The reader:
//! - ends the message only at a literal `<CRLF>.<CRLF>`: `\n.\r\n`, `\r\n.\n` and `\r.\r` are
//!   message content, so a message can never smuggle a second one past us or a peer;
//! - rewrites bare LF and bare CR to CRLF, so what we store and relay is clean CRLF text;
//! - removes the dot-stuffing dot at the start of a line;
//! - counts octets and stops keeping content past the size limit, while still reading to the
//!   end marker so the session can answer `552` and stay in sync;
//! - notes NUL bytes, which RFC 5322 forbids in messages.

use bytes::{Buf, Bytes, BytesMut};

const CRLF: Bytes = Bytes::from_static(b"\r\n");
const END_MARKER: &[u8] = b".\r\n";

/// What preceded the current position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Inside a line.
    MidLine,
    /// At a line start after a real CRLF (a `.\r\n` here ends the message).
    AfterCrlf,
    /// At a line start after a bare CR or LF that we rewrote (a `.\r\n` here is content).
    AfterBareEnding,
}

/// Result of feeding bytes to a [`DataReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum DataStep {
    /// The end marker has not been seen yet: read more and feed again.
    NeedMore,
    /// The end marker was consumed; call [`DataReader::finish`].
    Done,
}

/// A received message as a list of zero-copy segments.
#[derive(Debug, Default, Clone)]
pub struct MessageBody {
    /// Content in order; their concatenation is the message.
    pub segments: Vec<Bytes>,
    /// Total octets in `segments`.
    pub size: usize,
}

impl MessageBody {
    /// Appends a segment.
    pub fn push(&mut self, segment: Bytes) {
        if !segment.is_empty() {
            self.size += segment.len();
            self.segments.push(segment);
        }
    }

    /// Copies the message into one contiguous buffer (tests, small messages).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size);
        for s in &self.segments {
            out.extend_from_slice(s);
        }
        out
    }
}

/// Why a completed DATA transfer cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// More octets than the configured maximum.
    #[error("message exceeds the size limit")]
    TooLarge,
    /// The message contains a NUL byte.
    #[error("message contains NUL bytes")]
    Nul,
}

/// Incremental reader for the DATA phase; see the module documentation.
#[derive(Debug)]
pub struct DataReader {
    body: MessageBody,
    limit: usize,
    /// Octets seen, including any past the limit.
    seen: usize,
    position: Position,
    nul: bool,
    bare_line_endings: usize,
}

impl DataReader {
    /// A reader for a message of at most `limit` octets, positioned just after `DATA<CRLF>`.
    pub fn new(limit: usize) -> DataReader {
        DataReader {
            body: MessageBody::default(),
            limit,
            seen: 0,
            position: Position::AfterCrlf,
            nul: false,
            bare_line_endings: 0,
        }
    }

    /// How many bare CR or LF line endings were rewritten to CRLF.
    pub fn bare_line_endings(&self) -> usize {
        self.bare_line_endings
    }

    /// Consumes message bytes from the front of `input`, leaving anything after the end marker
    /// (pipelined commands) in place. A trailing partial line ending or end marker stays in
    /// `input` until more bytes arrive.
    pub fn feed(&mut self, input: &mut BytesMut) -> DataStep {
        let mut pos = 0;
        loop {
            if self.position != Position::MidLine {
                let rest = &input[pos..];
                if rest.is_empty() {
                    self.emit(input, pos);
                    return DataStep::NeedMore;
                }
                if rest[0] == b'.' {
                    if self.position == Position::AfterCrlf {
                        if rest.len() >= END_MARKER.len() && rest.starts_with(END_MARKER) {
                            self.emit(input, pos);
                            input.advance(END_MARKER.len());
                            return DataStep::Done;
                        }
                        if rest.len() < END_MARKER.len() && END_MARKER.starts_with(rest) {
                            self.emit(input, pos);
                            return DataStep::NeedMore;
                        }
                    }
                    // Dot-stuffing: drop the leading dot, keep the rest of the line.
                    self.emit(input, pos);
                    input.advance(1);
                    pos = 0;
                }
                self.position = Position::MidLine;
            }
            let Some(found) = memchr::memchr3(b'\r', b'\n', 0, &input[pos..]) else {
                self.emit(input, input.len());
                return DataStep::NeedMore;
            };
            let at = pos + found;
            match input[at] {
                0 => {
                    self.nul = true;
                    pos = at + 1;
                }
                b'\r' if at + 1 == input.len() => {
                    // Keep the CR until we know whether an LF follows.
                    self.emit(input, at);
                    return DataStep::NeedMore;
                }
                b'\r' if input[at + 1] == b'\n' => {
                    pos = at + 2;
                    self.position = Position::AfterCrlf;
                }
                _ => {
                    // A bare CR or LF: store a CRLF in its place.
                    self.emit(input, at);
                    input.advance(1);
                    self.push(CRLF);
                    self.bare_line_endings += 1;
                    pos = 0;
                    self.position = Position::AfterBareEnding;
                }
            }
        }
    }

    /// The message received so far (segments are only ever appended).
    pub fn body(&self) -> &MessageBody {
        &self.body
    }

    /// Takes the content received so far, to keep elsewhere (a large message goes to the
    /// store in parts while it arrives); the reader goes on with what follows, and still counts
    /// what it gave away against its limit. [`DataReader::finish`] returns the rest.
    pub fn take_body(&mut self) -> MessageBody {
        std::mem::take(&mut self.body)
    }

    /// Returns the message once [`DataStep::Done`] was reached.
    pub fn finish(self) -> Result<MessageBody, DataError> {
        if self.seen > self.limit {
            Err(DataError::TooLarge)
        } else if self.nul {
            Err(DataError::Nul)
        } else {
            Ok(self.body)
        }
    }

    /// Splits the first `len` bytes off `input` as one segment.
    fn emit(&mut self, input: &mut BytesMut, len: usize) {
        if len > 0 {
            let segment = input.split_to(len).freeze();
            self.push(segment);
        }
    }

    fn push(&mut self, segment: Bytes) {
        self.seen += segment.len();
        if self.seen <= self.limit {
            self.body.push(segment);
        } else if !self.body.segments.is_empty() {
            // Over the limit: keep counting, stop keeping.
            self.body = MessageBody::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` in chunks of `chunk` bytes; returns the message, leftover input and whether
    /// the end marker was seen.
    fn read(wire: &[u8], chunk: usize, limit: usize) -> (Result<Vec<u8>, DataError>, Vec<u8>, bool) {
        let mut reader = DataReader::new(limit);
        let mut input = BytesMut::new();
        for (i, piece) in wire.chunks(chunk.max(1)).enumerate() {
            input.extend_from_slice(piece);
            if reader.feed(&mut input) == DataStep::Done {
                let mut rest = input.to_vec();
                rest.extend_from_slice(&wire[((i + 1) * chunk.max(1)).min(wire.len())..]);
                return (reader.finish().map(|b| b.to_vec()), rest, true);
            }
        }
        (reader.finish().map(|b| b.to_vec()), input.to_vec(), false)
    }

    /// Every chunk size from one byte to the whole input gives the same answer.
    fn read_all_fragmentations(wire: &[u8]) -> (Result<Vec<u8>, DataError>, Vec<u8>, bool) {
        let whole = read(wire, wire.len(), 1 << 20);
        for chunk in 1..wire.len() {
            assert_eq!(read(wire, chunk, 1 << 20), whole, "chunk size {chunk}");
        }
        whole
    }

    #[test]
    fn plain_message_and_pipelined_rest() {
        let (msg, rest, done) = read_all_fragmentations(b"Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assert!(done);
        assert_eq!(msg.unwrap(), b"Subject: hi\r\n\r\nbody\r\n");
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn empty_message() {
        let (msg, rest, done) = read_all_fragmentations(b".\r\n");
        assert!(done);
        assert_eq!(msg.unwrap(), b"");
        assert!(rest.is_empty());
    }

    #[test]
    fn dot_stuffing_is_removed() {
        let (msg, _, done) = read_all_fragmentations(b"..leading\r\n...\r\n.x\r\nend\r\n.\r\n");
        assert!(done);
        assert_eq!(msg.unwrap(), b".leading\r\n..\r\nx\r\nend\r\n");
    }

    /// Inputs from the SMTP smuggling research (2023): none of these may end the message.
    #[test]
    fn smuggling_end_markers_are_content() {
        let table: &[(&str, &[u8], &[u8])] = &[
            ("LF.CRLF", b"a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n", b"a\r\n\r\nMAIL FROM:<x@y>\r\n"),
            ("CRLF.LF", b"a\r\n.\nRCPT\r\n.\r\n", b"a\r\n\r\nRCPT\r\n"),
            ("LF.LF", b"a\n.\nb\r\n.\r\n", b"a\r\n\r\nb\r\n"),
            ("CR.CR", b"a\r.\rb\r\n.\r\n", b"a\r\n\r\nb\r\n"),
            ("CRLF.CR", b"a\r\n.\rb\r\n.\r\n", b"a\r\n\r\nb\r\n"),
            ("CR.CRLF", b"a\r.\r\nb\r\n.\r\n", b"a\r\n\r\nb\r\n"),
            ("CRLF.NULCRLF", b"a\r\n.\0\r\nb\r\n.\r\n", b""),
        ];
        for (name, wire, want) in table {
            let (msg, rest, done) = read_all_fragmentations(wire);
            assert!(done, "{name}: the real end marker must end the message");
            assert!(rest.is_empty(), "{name}: nothing may be left as commands");
            match msg {
                Ok(m) => assert_eq!(&m, want, "{name}"),
                Err(e) => assert_eq!(e, DataError::Nul, "{name}"),
            }
        }
    }

    #[test]
    fn content_taken_on_the_way_plus_the_rest_is_the_message_and_counts_for_the_limit() {
        let wire = b"Subject: hi\r\n\r\n..one\r\ntwo\r\n.\r\n";
        for chunk in 1..wire.len() {
            let mut reader = DataReader::new(1000);
            let (mut taken, mut input) = (Vec::new(), BytesMut::new());
            for piece in wire.chunks(chunk) {
                input.extend_from_slice(piece);
                let step = reader.feed(&mut input);
                taken.extend(reader.take_body().to_vec());
                if step == DataStep::Done {
                    break;
                }
            }
            taken.extend(reader.finish().unwrap().to_vec());
            assert_eq!(taken, b"Subject: hi\r\n\r\n.one\r\ntwo\r\n", "chunk size {chunk}");
        }
        let mut reader = DataReader::new(15);
        let mut input = BytesMut::from(&b"0123456789\r\n"[..]);
        reader.feed(&mut input);
        assert_eq!(reader.take_body().size, 12);
        input.extend_from_slice(b"abcd\r\n.\r\n");
        assert_eq!(reader.feed(&mut input), DataStep::Done);
        assert_eq!(reader.finish().unwrap_err(), DataError::TooLarge, "what was taken still counts");
    }

    #[test]
    fn bare_line_endings_are_counted_and_normalised() {
        let mut reader = DataReader::new(1000);
        let mut input = BytesMut::from(&b"one\ntwo\rthree\r\n.\r\n"[..]);
        assert_eq!(reader.feed(&mut input), DataStep::Done);
        assert_eq!(reader.bare_line_endings(), 2);
        assert_eq!(reader.finish().unwrap().to_vec(), b"one\r\ntwo\r\nthree\r\n");
    }

    #[test]
    fn over_the_limit_reads_to_the_end_then_fails() {
        let wire = b"0123456789\r\n0123456789\r\n.\r\nNOOP\r\n";
        for chunk in 1..wire.len() {
            let (msg, rest, done) = read(wire, chunk, 15);
            assert!(done);
            assert_eq!(msg, Err(DataError::TooLarge));
            assert_eq!(rest, b"NOOP\r\n");
        }
        let (msg, _, _) = read(wire, wire.len(), 24);
        assert_eq!(msg.unwrap().len(), 24);
    }

    #[test]
    fn nul_is_reported() {
        let (msg, _, done) = read_all_fragmentations(b"a\0b\r\n.\r\n");
        assert!(done);
        assert_eq!(msg, Err(DataError::Nul));
    }

    #[test]
    fn segments_share_the_read_buffer() {
        let mut reader = DataReader::new(1 << 20);
        let mut input = BytesMut::from(&b"line one\r\nline two\r\n.\r\n"[..]);
        let base = input.as_ptr();
        assert_eq!(reader.feed(&mut input), DataStep::Done);
        let body = reader.finish().unwrap();
        assert_eq!(body.segments.len(), 1, "no modification means one zero-copy segment");
        assert_eq!(body.segments[0].as_ptr(), base);
    }
}
