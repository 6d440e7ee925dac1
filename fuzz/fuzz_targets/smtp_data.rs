//! The DATA reader: any byte stream, cut at any points, must give the same result as reading
//! it whole, and the stored message must never contain a line ending other than CRLF.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use smtp_proto::{DataReader, DataStep};

fn read(data: &[u8], cut: usize) -> (Option<Vec<u8>>, Vec<u8>) {
    let mut reader = DataReader::new(1 << 16);
    let mut input = BytesMut::new();
    let cut = cut.max(1);
    for (i, piece) in data.chunks(cut).enumerate() {
        input.extend_from_slice(piece);
        if reader.feed(&mut input) == DataStep::Done {
            // What follows the message is left for the next command, fed or not.
            input.extend_from_slice(&data[((i + 1) * cut).min(data.len())..]);
            return (reader.finish().ok().map(|b| b.to_vec()), input.to_vec());
        }
    }
    (None, input.to_vec())
}

fuzz_target!(|input: (u8, &[u8])| {
    let (cut, data) = input;
    let whole = read(data, data.len());
    assert_eq!(read(data, cut as usize), whole);
    if let (Some(message), _) = whole {
        for (i, &b) in message.iter().enumerate() {
            match b {
                b'\r' => assert_eq!(message.get(i + 1), Some(&b'\n')),
                b'\n' => assert_eq!(message[i - 1], b'\r'),
                _ => {}
            }
        }
    }
});
