//! DNS responses from the network: any bytes must parse into a response to our question or a
//! typed error, never panic, and a parsed response must be for exactly that question.
#![no_main]

use std::str::FromStr;

use dns_proto::wire;
use hickory_proto::rr::{Name, RecordType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let name = Name::from_str("example.com.").unwrap();
    let id = bytes.first().map_or(0, |&b| u16::from(b));
    let _ = wire::response(bytes, id, &name, RecordType::MX);
});
