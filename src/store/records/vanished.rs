//! Expunge tombstones for QRESYNC (RFC 7162 3.2): which UIDs one expunge removed.

use serde::{Deserialize, Serialize};

use super::Record;

/// The UIDs one change removed from a mailbox (`vanished` column family, keyed by the mailbox
/// and the change's modseq), so that a client resynchronising from an older modseq learns of
/// them with `VANISHED (EARLIER)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vanished {
    /// Unix seconds of the expunge; tombstones older than `[imap] keep_vanished_days` go.
    pub at: u64,
    /// The UIDs removed, ascending.
    pub uids: Vec<u32>,
}

impl Record for Vanished {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn vanished_version_1_decodes() {
        golden::check(VANISHED_V1, &Vanished { at: 1_700_000_000, uids: vec![3, 300] });
    }

    /// Written by version 1; kept as it is forever.
    const VANISHED_V1: &[u8] = b"\x01\x80\xe2\xcf\xaa\x06\x02\x03\xac\x02";
}
