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
    /// May use any envelope sender and author when submitting mail (e.g. a mailing-list robot).
    pub send_as_anyone: bool,
    /// Other addresses (`user@domain`) and whole domains (`@domain`) it may send as, granted
    /// by the administrator.
    pub send_as: Vec<String>,
}

impl Account {
    /// Whether a grant covers `address` (lower-case domain): the address itself or its domain.
    pub fn granted(&self, address: &str) -> bool {
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        self.send_as.iter().any(|g| g.eq_ignore_ascii_case(address) || g.strip_prefix('@') == Some(domain))
    }
}

/// Version 1 of [`Account`], before grants.
#[derive(Deserialize)]
struct AccountV1 {
    password_hash: String,
    created: u64,
    next_mailbox_id: u32,
    send_as_anyone: bool,
}

impl Record for Account {
    const VERSION: u8 = 2;

    fn upgrade(version: u8, body: &[u8]) -> Result<Account, crate::StoreError> {
        match version {
            1 => {
                let v1: AccountV1 = super::postcard_body(body)?;
                let AccountV1 { password_hash, created, next_mailbox_id, send_as_anyone } = v1;
                Ok(Account { password_hash, created, next_mailbox_id, send_as_anyone, send_as: Vec::new() })
            }
            other => Err(super::unknown_version(other)),
        }
    }
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

    fn account(send_as: &[&str]) -> Account {
        let send_as = send_as.iter().map(|s| s.to_string()).collect();
        Account { password_hash: "$argon2id$x".into(), created: 300, next_mailbox_id: 7, send_as_anyone: true, send_as }
    }

    #[test]
    fn account_version_1_decodes() {
        golden::check(ACCOUNT_V1, &account(&[]));
    }

    #[test]
    fn account_version_2_decodes() {
        golden::check(ACCOUNT_V2, &account(&["boss@example.com", "@news.example"]));
    }

    #[test]
    fn grants_cover_an_address_or_a_whole_domain() {
        let a = account(&["boss@example.com", "@news.example"]);
        assert!(a.granted("boss@example.com") && a.granted("Boss@example.com") && a.granted("x@news.example"));
        assert!(!a.granted("other@example.com") && !a.granted("x@sub.news.example"), "control");
    }

    #[test]
    fn alias_version_1_decodes() {
        golden::check(ALIAS_V1, &Alias { targets: vec!["bob@example.com".into(), "x@far.example".into()] });
    }

    /// Written by version 1; kept as it is forever.
    const ACCOUNT_V1: &[u8] = b"\x01\x0b$argon2id$x\xac\x02\x07\x01";
    /// Written by version 2; kept as it is forever.
    const ACCOUNT_V2: &[u8] = b"\x02\x0b$argon2id$x\xac\x02\x07\x01\x02\x10boss@example.com\x0d@news.example";
    /// Written by version 1; kept as it is forever.
    const ALIAS_V1: &[u8] = b"\x01\x02\x0fbob@example.com\x0dx@far.example";
}
