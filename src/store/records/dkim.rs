//! The record of a DKIM signing key.

use serde::{Deserialize, Serialize};

use super::Record;

/// A DKIM signing key (`dkim_key` column family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimKey {
    /// `rsa-sha256` or `ed25519-sha256`.
    pub algorithm: String,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// Unix seconds when it was made.
    pub created: u64,
}

impl Record for DkimKey {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn dkim_key_version_1_decodes() {
        let key = DkimKey { algorithm: "ed25519-sha256".into(), pkcs8: vec![0x30, 0x2e, 0x02], created: 1_700_000_000 };
        golden::check(DKIM_KEY_V1, &key);
    }

    /// Written by version 1; kept as it is forever.
    const DKIM_KEY_V1: &[u8] = b"\x01\x0eed25519-sha256\x030.\x02\x80\xe2\xcf\xaa\x06";
}
