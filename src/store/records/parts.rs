//! The record of a message stored in parts.

use serde::{Deserialize, Serialize};

use super::Record;

/// A message whose content went to the store in parts as it arrived (`parts` column family,
/// keyed by the message id); its parts are `blob` keys `0..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    /// The number of the last part written.
    pub last: u32,
    /// Stored: the delivery that committed the message wrote part 0 (what goes before the
    /// received content). Until then the parts belong to a message still arriving, and are
    /// removed if the server starts again before it is stored.
    pub complete: bool,
}

impl Record for Parts {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn parts_version_1_decodes() {
        golden::check(PARTS_V1, &Parts { last: 300, complete: true });
    }

    /// Written by version 1; kept as it is forever.
    const PARTS_V1: &[u8] = b"\x01\xac\x02\x01";
}
