//! The admin socket's request line: any bytes, cut where the server cuts them (the first line,
//! at most `MAX_REQUEST` bytes), must parse into a request or a typed error, never panic.
//! A parsed request writes back as exactly one line that parses to the same request.
#![no_main]

use admin_proto::{MAX_REQUEST, parse_request, request_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(MAX_REQUEST as usize)];
    let line = match memchr::memchr(b'\n', data) {
        Some(end) => &data[..=end],
        None => data,
    };
    if let Ok(request) = parse_request(line) {
        let again = request_line(&request);
        assert_eq!(memchr::memchr(b'\n', &again), Some(again.len() - 1), "one line");
        assert_eq!(parse_request(&again).ok(), Some(request));
    }
});
