//! The local allow and block lists, in the `access` column family: key `list \0 entry`,
//! value the time it was added. Small; read whole by each shard now and then.

use rocksdb::{Direction, IteratorMode};

use super::{Store, StoreError, cf, unix_now};

fn key(list: &str, entry: &str) -> Vec<u8> {
    let mut k = list.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(entry.as_bytes());
    k
}

impl Store {
    /// Adds `entry` to `list` (`allow` or `block`).
    pub fn access_add(&self, list: &str, entry: &str) -> Result<(), StoreError> {
        Ok(self.db().put_cf(self.cf(cf::ACCESS), key(list, entry), unix_now().to_be_bytes())?)
    }

    /// Removes `entry` from `list`.
    pub fn access_del(&self, list: &str, entry: &str) -> Result<(), StoreError> {
        let k = key(list, entry);
        if self.db().get_cf(self.cf(cf::ACCESS), &k)?.is_none() {
            return Err(StoreError::NotFound(format!("{entry} in the {list} list")));
        }
        Ok(self.db().delete_cf(self.cf(cf::ACCESS), k)?)
    }

    /// The entries of `list`, sorted.
    pub fn access_entries(&self, list: &str) -> Result<Vec<String>, StoreError> {
        let prefix = key(list, "");
        let mut out = Vec::new();
        for item in self.db().iterator_cf(self.cf(cf::ACCESS), IteratorMode::From(&prefix, Direction::Forward)) {
            let (k, _) = item?;
            let Some(entry) = k.strip_prefix(prefix.as_slice()) else { break };
            out.push(String::from_utf8_lossy(entry).into_owned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.access_add("block", "192.0.2.0/24").unwrap();
        store.access_add("block", "spam.example").unwrap();
        store.access_add("allow", "198.51.100.7").unwrap();
        assert_eq!(store.access_entries("block").unwrap(), ["192.0.2.0/24", "spam.example"]);
        assert_eq!(store.access_entries("allow").unwrap(), ["198.51.100.7"]);
        store.access_del("block", "spam.example").unwrap();
        assert!(store.access_del("block", "spam.example").is_err());
        assert_eq!(store.access_entries("block").unwrap(), ["192.0.2.0/24"]);
    }
}
