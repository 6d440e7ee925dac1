//! Domains, accounts and aliases: the reads the SMTP server routes with. Every change goes
//! through the journal (`journal/directory.rs`, and account creation and deletion).

use rocksdb::{IteratorMode, WriteBatch};

use super::records::{Account, Alias, MailEntry, decode};
use super::{MessageId, Store, StoreError, cf, keys};

impl Store {
    /// True when `domain` is a local domain (added with `DirectoryOp::DomainAdd`).
    pub fn is_domain(&self, domain: &str) -> Result<bool, StoreError> {
        Ok(self.db().get_pinned_cf(self.cf(cf::DOMAIN), keys::domain(domain))?.is_some())
    }

    /// All local domains, sorted.
    pub fn domains(&self) -> Result<Vec<String>, StoreError> {
        self.names_in(cf::DOMAIN)
    }

    /// The account for a lower-case address.
    pub fn account(&self, address: &str) -> Result<Option<Account>, StoreError> {
        self.get(cf::ACCOUNT, keys::account(address))
    }

    /// All account addresses, sorted.
    pub fn accounts(&self) -> Result<Vec<String>, StoreError> {
        self.names_in(cf::ACCOUNT)
    }

    /// The alias for an address (or `@domain` catch-all).
    pub fn alias(&self, address: &str) -> Result<Option<Alias>, StoreError> {
        self.get(cf::ALIAS, keys::alias(address))
    }

    /// All aliases with their targets, sorted by address.
    pub fn aliases(&self) -> Result<Vec<(String, Alias)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::ALIAS), IteratorMode::Start) {
            let (k, v) = item?;
            out.push((keys::name_of(&k), decode(&v)?));
        }
        Ok(out)
    }

    /// Adds to `batch` the deletion of everything an account holds: its mailboxes, its mail,
    /// its subscriptions (the journal deletes the account record itself).
    pub(crate) fn delete_account_data(&self, batch: &mut WriteBatch, address: &str) {
        let prefix = keys::account_prefix(address);
        let end = keys::prefix_end(&prefix);
        batch.delete_range_cf(self.cf(cf::MAILBOX), &prefix, &end);
        batch.delete_range_cf(self.cf(cf::MAIL), &prefix, &end);
        batch.delete_range_cf(self.cf(cf::SUBSCRIPTION), &prefix, &end);
        batch.delete_range_cf(self.cf(cf::VANISHED), &prefix, &end);
        batch.delete_cf(self.cf(cf::QUOTA), keys::account(address));
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
            let entry: MailEntry = decode(&value)?;
            ids.push(MessageId(entry.message_id));
        }
        Ok(ids)
    }

    /// The names (domains, addresses) that key a column family, sorted.
    fn names_in(&self, cf_name: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf_name), IteratorMode::Start) {
            let (k, _) = item?;
            out.push(keys::name_of(&k));
        }
        Ok(out)
    }
}

/// The domain part of a lower-case address.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}
