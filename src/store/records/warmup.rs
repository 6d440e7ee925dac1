//! Where one source address is in its IP warm-up schedule.

use serde::{Deserialize, Serialize};

use super::Record;

/// A source address's progress through its pool's warm-up schedule (`warmup` column family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmupState {
    /// The schedule's name.
    pub schedule: String,
    /// The schedule's step the address is on (0: its first day).
    pub step: u32,
    /// The day (Unix seconds / 86,400, UTC) the step belongs to.
    pub day: u64,
    /// The last day a shaping rule throttled the address: that day does not count.
    pub throttled: Option<u64>,
}

impl Record for WarmupState {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn warmup_version_1_decodes() {
        let state = WarmupState { schedule: "std".into(), step: 3, day: 20_000, throttled: Some(19_999) };
        golden::check(WARMUP_V1, &state);
    }

    /// Written by version 1; kept as it is forever.
    const WARMUP_V1: &[u8] = b"\x01\x03std\x03\xa0\x9c\x01\x01\x9f\x9c\x01";
}
