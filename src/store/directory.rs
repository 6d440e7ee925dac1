//! Domains, accounts and aliases: the reads the SMTP server routes with, and the writes that do
//! not touch mailbox counters (account creation and deletion go through the journal).

use rocksdb::{IteratorMode, WriteBatch};

use super::records::{Account, Alias, decode, encode};
use super::{MessageId, Store, StoreError, cf, keys};

impl Store {
    /// Adds a local domain.
    pub fn domain_add(&self, domain: &str) -> Result<(), StoreError> {
        if self.is_domain(domain)? {
            return Err(StoreError::Exists(format!("domain {domain}")));
        }
        self.db().put_cf(self.cf(cf::DOMAIN), domain.as_bytes(), b"")?;
        Ok(())
    }

    /// Removes a local domain that no account uses any more.
    pub fn domain_del(&self, domain: &str) -> Result<(), StoreError> {
        if !self.is_domain(domain)? {
            return Err(StoreError::NotFound(format!("domain {domain}")));
        }
        if let Some(user) = self.accounts()?.into_iter().find(|a| domain_of(a) == domain) {
            return Err(StoreError::Refused(format!("domain {domain} still has account {user}")));
        }
        self.db().delete_cf(self.cf(cf::DOMAIN), domain.as_bytes())?;
        Ok(())
    }

    /// True when `domain` was added with [`Store::domain_add`].
    pub fn is_domain(&self, domain: &str) -> Result<bool, StoreError> {
        Ok(self.db().get_pinned_cf(self.cf(cf::DOMAIN), domain.as_bytes())?.is_some())
    }

    /// All local domains, sorted.
    pub fn domains(&self) -> Result<Vec<String>, StoreError> {
        self.keys_of(cf::DOMAIN)
    }

    /// The account for a lower-case address.
    pub fn account(&self, address: &str) -> Result<Option<Account>, StoreError> {
        self.get(cf::ACCOUNT, address.as_bytes())
    }

    /// All account addresses, sorted.
    pub fn accounts(&self) -> Result<Vec<String>, StoreError> {
        self.keys_of(cf::ACCOUNT)
    }

    /// Replaces an account's password hash.
    pub fn set_password_hash(&self, address: &str, hash: String) -> Result<(), StoreError> {
        let mut account = self.account(address)?.ok_or_else(|| StoreError::NotFound(format!("account {address}")))?;
        account.password_hash = hash;
        self.db().put_cf(self.cf(cf::ACCOUNT), address.as_bytes(), encode(&account))?;
        Ok(())
    }

    /// The alias for an address (or `@domain` catch-all).
    pub fn alias(&self, address: &str) -> Result<Option<Alias>, StoreError> {
        self.get(cf::ALIAS, address.as_bytes())
    }

    /// Adds targets to an alias, creating it if needed.
    pub fn alias_add(&self, address: &str, targets: &[String]) -> Result<Alias, StoreError> {
        let mut alias = self.alias(address)?.unwrap_or(Alias { targets: Vec::new() });
        for t in targets {
            if !alias.targets.contains(t) {
                alias.targets.push(t.clone());
            }
        }
        self.db().put_cf(self.cf(cf::ALIAS), address.as_bytes(), encode(&alias))?;
        Ok(alias)
    }

    /// Deletes an alias.
    pub fn alias_del(&self, address: &str) -> Result<(), StoreError> {
        if self.alias(address)?.is_none() {
            return Err(StoreError::NotFound(format!("alias {address}")));
        }
        self.db().delete_cf(self.cf(cf::ALIAS), address.as_bytes())?;
        Ok(())
    }

    /// All aliases with their targets, sorted by address.
    pub fn aliases(&self) -> Result<Vec<(String, Alias)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::ALIAS), IteratorMode::Start) {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).into_owned(), decode(&v)?));
        }
        Ok(out)
    }

    /// Writes an account record and its mailboxes' records into `batch` (used by the journal).
    pub(crate) fn put_account(&self, batch: &mut WriteBatch, address: &str, account: &Account) {
        batch.put_cf(self.cf(cf::ACCOUNT), address.as_bytes(), encode(account));
    }

    /// Removes every key of an account from `batch`'s view: the account, its mailboxes, its mail.
    pub(crate) fn delete_account(&self, batch: &mut WriteBatch, address: &str) {
        let prefix = keys::account_prefix(address);
        let end = keys::prefix_end(&prefix);
        batch.delete_cf(self.cf(cf::ACCOUNT), address.as_bytes());
        batch.delete_range_cf(self.cf(cf::MAILBOX), &prefix, &end);
        batch.delete_range_cf(self.cf(cf::MAIL), &prefix, &end);
        batch.delete_range_cf(self.cf(cf::SUBSCRIPTION), &prefix, &end);
    }

    /// The message ids of every mail entry of an account, in all its mailboxes.
    pub(crate) fn message_ids_of(&self, address: &str) -> Result<Vec<MessageId>, StoreError> {
        let prefix = keys::account_prefix(address);
        let mut ids = Vec::new();
        for item in self.db().prefix_iterator_cf(self.cf(cf::MAIL), &prefix) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let entry: super::records::MailEntry = decode(&value)?;
            ids.push(MessageId(entry.message_id));
        }
        Ok(ids)
    }

    fn keys_of(&self, cf_name: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf_name), IteratorMode::Start) {
            let (k, _) = item?;
            out.push(String::from_utf8_lossy(&k).into_owned());
        }
        Ok(out)
    }
}

/// The domain part of a lower-case address.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}
