//! Feedback reports (RFC 5965) mailed to the feedback addresses: any bytes, as a whole message,
//! give a report or nothing and never panic; a report has a lower-case Feedback-Type and its
//! values stay within their limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::arf;
use message::Parsed;

fuzz_target!(|bytes: &[u8]| {
    if let Some(report) = arf::parse(&Parsed::new(bytes)) {
        assert!(!report.feedback_type.is_empty());
        assert_eq!(report.feedback_type, report.feedback_type.to_ascii_lowercase());
        assert!(report.original_rcpt_to.len() <= 100);
        assert!(report.original_header.len() <= bytes.len());
    }
});
