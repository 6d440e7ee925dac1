//! 8BITMIME downgrade: any bytes either cannot be downgraded or come out as 7-bit; a 7-bit
//! message comes out unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use message::seven_bit::to_seven_bit;

fuzz_target!(|data: &[u8]| {
    match to_seven_bit(data) {
        Some(out) => {
            assert!(out.is_ascii());
            if data.is_ascii() {
                assert_eq!(out, data);
            }
        }
        None => assert!(!data.is_ascii()),
    }
});
