//! The local allow and block lists, in the `access` column family: key `list \0 entry`,
//! value the time it was added. Small; read whole by each shard now and then. Changed through
//! the journal (`journal/access.rs`).

use rocksdb::{Direction, IteratorMode};

use super::{Store, StoreError, cf, keys};

impl Store {
    /// The entries of `list` (`allow` or `block`), sorted.
    pub fn access_entries(&self, list: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::access_list(list);
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::ACCESS), IteratorMode::From(&prefix, Direction::Forward)) {
            let (k, _) = item?;
            let Some(entry) = keys::access_entry(&prefix, &k) else { break };
            out.push(entry);
        }
        Ok(out)
    }
}
