//! MTA-STS policy files and the HTTP responses that carry them (from servers anyone can run),
//! and `_mta-sts` TXT records: any bytes give a policy or a typed error, never a panic; a
//! policy taken from a response is no larger than the limit; a parsed policy keeps
//! `max_age` within the RFC's limit, has MX patterns unless its mode is `none`, and allows a
//! host that each of its patterns names; a record's id is 1 to 32 letters and digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailauth::mta_sts::{MAX_AGE_LIMIT, MAX_POLICY_SIZE, Mode, Policy, policy_from_response, policy_id};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(policy) = Policy::parse(bytes) {
        assert!(policy.max_age <= MAX_AGE_LIMIT);
        assert!(policy.mode == Mode::None || !policy.mx.is_empty());
        for pattern in &policy.mx {
            let host = pattern.strip_prefix("*.").map_or_else(|| pattern.clone(), |domain| format!("mx.{domain}"));
            assert!(policy.allows(&host), "{pattern} covers {host}");
        }
    }
    if let Ok(policy) = policy_from_response(bytes) {
        assert!(policy.len() <= MAX_POLICY_SIZE);
    }
    let text = String::from_utf8_lossy(bytes);
    let records: Vec<&str> = text.split('\n').collect();
    if let Some(id) = policy_id(&records) {
        assert!((1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
});
