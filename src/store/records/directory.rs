//! Records of the directory: accounts and aliases.

use serde::{Deserialize, Serialize};

use super::Record;

/// A mail account (`account` column family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds when it was created.
    pub created: u64,
    /// Next mailbox id to hand out.
    pub next_mailbox_id: u32,
    /// May use any envelope sender when submitting mail (e.g. a mailing-list robot).
    pub send_as_anyone: bool,
}

impl Record for Account {
    const VERSION: u8 = 1;
}

/// An alias: where mail for an address (or `@domain` catch-all) goes instead (`alias` column
/// family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// Target addresses: local accounts, other aliases, or remote addresses.
    pub targets: Vec<String>,
}

impl Record for Alias {
    const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::golden;

    #[test]
    fn account_version_1_decodes() {
        let account =
            Account { password_hash: "$argon2id$x".into(), created: 300, next_mailbox_id: 7, send_as_anyone: true };
        golden::check(ACCOUNT_V1, &account);
    }

    #[test]
    fn alias_version_1_decodes() {
        golden::check(ALIAS_V1, &Alias { targets: vec!["bob@example.com".into(), "x@far.example".into()] });
    }

    /// Written by version 1; kept as it is forever.
    const ACCOUNT_V1: &[u8] = b"\x01\x0b$argon2id$x\xac\x02\x07\x01";
    /// Written by version 1; kept as it is forever.
    const ALIAS_V1: &[u8] = b"\x01\x02\x0fbob@example.com\x0dx@far.example";
}
