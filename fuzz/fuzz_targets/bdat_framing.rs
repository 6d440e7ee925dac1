//! SMTP CHUNKING (RFC 3030) framing: any byte stream is read the way the session reads it, a
//! command line (`Command::parse`), then for `BDAT <size> [LAST]` exactly `size` octets
//! gathered into a `MessageBody`, for `DATA` the dot-terminated text (`DataReader`), then the
//! next command. Nothing panics; a BDAT size is only ever read from decimal digits and prints
//! back to a line that parses the same; the chunks of a message add up, octet for octet, to
//! what was read for them; and every octet of the stream is taken exactly once.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use smtp_proto::{Command, DataReader, DataStep, MessageBody};

/// Checks a line that parsed as BDAT against the grammar `"BDAT" SP 1*DIGIT [SP "LAST"]`.
fn check_bdat(line: &[u8], size: u64, last: bool) {
    let text = std::str::from_utf8(line).expect("a parsed command is UTF-8");
    let mut words = text.split([' ', '\t']).filter(|w| !w.is_empty());
    assert!(words.next().is_some_and(|verb| verb.eq_ignore_ascii_case("BDAT")));
    let digits = words.next().expect("a size");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "BDAT size {digits:?} accepted as {size}");
    assert_eq!(digits.trim_start_matches('0').parse::<u64>().unwrap_or(0), size);
    let again = format!("BDAT {size}{}", if last { " LAST" } else { "" });
    assert_eq!(Command::parse(again.as_bytes()), Ok(Command::Bdat { size, last }));
}

fuzz_target!(|data: &[u8]| {
    // An even first byte starts the stream with a BDAT command, so most inputs frame chunks.
    let stream = match data.split_first() {
        Some((first, rest)) if first % 2 == 0 => Bytes::from([b"BDAT ", rest].concat()),
        _ => Bytes::copy_from_slice(data),
    };
    let mut input = BytesMut::from(&stream[..]);
    let mut taken = 0usize;
    let mut chunks = MessageBody::default();
    let mut expected = Vec::new();
    while !input.is_empty() {
        let end = memchr::memchr(b'\n', &input).unwrap_or(input.len());
        let line = input.split_to((end + 1).min(input.len()));
        taken += line.len();
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match Command::parse(line) {
            Ok(Command::Bdat { size, last }) => {
                check_bdat(line, size, last);
                let take = usize::try_from(size).unwrap_or(usize::MAX).min(input.len());
                let segment = input.split_to(take).freeze();
                taken += segment.len();
                expected.extend_from_slice(&segment);
                chunks.push(segment);
                assert_eq!(chunks.size, expected.len());
                if last {
                    assert_eq!(chunks.to_vec(), expected);
                    chunks = MessageBody::default();
                    expected.clear();
                }
            }
            Ok(Command::Data) => {
                let mut reader = DataReader::new(1 << 16);
                let before = input.len();
                let done = reader.feed(&mut input) == DataStep::Done;
                taken += before - input.len();
                if !done {
                    // The stream ended inside DATA; a partial end marker may be left unread.
                    taken += input.len();
                    break;
                }
                let _ = reader.finish();
            }
            Ok(Command::Rset) => {
                chunks = MessageBody::default();
                expected.clear();
            }
            _ => {}
        }
    }
    assert_eq!(taken, stream.len(), "octets lost or read twice");
});
