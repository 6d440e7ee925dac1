//! Serialized Bayes models from arbitrary bytes: refused or read, never a panic; whatever is
//! read writes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spam::Model;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_bytes(data) {
        assert_eq!(model.to_bytes(), data);
    }
});
