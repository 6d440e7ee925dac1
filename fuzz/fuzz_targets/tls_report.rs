//! TLS reports other senders mail us (RFC 8460): any bytes, as the report's JSON and as a whole
//! message whose `application/tlsrpt+gzip` part is decompressed, give a report or nothing and
//! never panic; decompression stops at the size limit; a parsed report has a policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::tlsrpt::received::{MAX_REPORT, parse_report, report_json};
use message::Parsed;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(report) = parse_report(bytes) {
        assert!(!report.policies.is_empty());
    }
    if let Some(json) = report_json(&Parsed::new(bytes)) {
        assert!(json.len() as u64 <= MAX_REPORT);
        let _ = parse_report(&json);
    }
});
