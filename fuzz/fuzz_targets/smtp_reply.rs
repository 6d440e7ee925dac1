//! SMTP replies read by the outbound client: any lines must give a reply or a typed error,
//! never panic, and a reply's code is always a valid SMTP code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_proto::reply_reader::ReplyReader;

fuzz_target!(|bytes: &[u8]| {
    let mut reader = ReplyReader::default();
    for line in bytes.split(|&b| b == b'\n') {
        match reader.line(line.strip_suffix(b"\r").unwrap_or(line)) {
            Ok(Some(reply)) => assert!((200..600).contains(&reply.code)),
            Ok(None) => {}
            Err(_) => reader = ReplyReader::default(),
        }
    }
});
