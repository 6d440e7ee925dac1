//! DMARC records from DNS (TXT records anyone can publish) and `From:` headers from the
//! network: parsing any text gives a record or a typed error and never panics; a parsed record
//! keeps `pct` within 0..=100 and only `mailto:` report addresses with an `@`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::author::author_domain;
use mailauth::dmarc::Record;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(record) = Record::parse(&String::from_utf8_lossy(bytes)) {
        assert!(record.percent <= 100);
        assert!(record.aggregate_reports.iter().all(|a| a.contains('@')));
    }
    let mut message = b"From: ".to_vec();
    message.extend_from_slice(bytes);
    message.extend_from_slice(b"\r\n\r\nbody\r\n");
    if let Some(domain) = author_domain(&message) {
        assert!(!domain.is_empty() && domain == domain.to_ascii_lowercase());
    }
});
