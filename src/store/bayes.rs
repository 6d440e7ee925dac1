//! Token counts of the spam filter's Bayesian classifier: what training added on top of the
//! model shipped with the binary, per scope (`""` for everyone, or an account). Counts are
//! merge-added, so training from any thread needs no coordination and untraining is a
//! negative merge.

use rocksdb::WriteBatch;

use super::{Store, StoreError, cf};

/// Suffix of the key holding a scope's message totals (token keys have 8 octets there).
const TOTALS: &[u8] = b"T";

/// Spam and ham counts, as stored: two little-endian i32.
fn encode(spam: i32, ham: i32) -> [u8; 8] {
    let mut out = [0; 8];
    out[..4].copy_from_slice(&spam.to_le_bytes());
    out[4..].copy_from_slice(&ham.to_le_bytes());
    out
}

/// Reads a stored pair; anything malformed counts as nothing.
pub(super) fn decode(bytes: &[u8]) -> (i32, i32) {
    match (bytes.get(..4), bytes.get(4..8)) {
        (Some(s), Some(h)) => {
            (i32::from_le_bytes(s.try_into().expect("4 octets")), i32::from_le_bytes(h.try_into().expect("4 octets")))
        }
        _ => (0, 0),
    }
}

/// Merge operator of the `bayes` column family: adds pairs.
pub(super) fn add_pairs(_key: &[u8], existing: Option<&[u8]>, operands: &rocksdb::MergeOperands) -> Option<Vec<u8>> {
    let (mut spam, mut ham) = existing.map_or((0, 0), decode);
    for op in operands {
        let (s, h) = decode(op);
        spam = spam.saturating_add(s);
        ham = ham.saturating_add(h);
    }
    Some(encode(spam, ham).to_vec())
}

fn key(scope: &str, suffix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(scope.len() + 1 + suffix.len());
    k.extend_from_slice(scope.as_bytes());
    k.push(0);
    k.extend_from_slice(suffix);
    k
}

impl Store {
    /// Adds (or with `weight` -1, removes) one message's tokens to a scope's counts.
    pub fn bayes_learn(&self, scope: &str, tokens: &[u64], spam: bool, weight: i32) -> Result<(), StoreError> {
        let delta = if spam { encode(weight, 0) } else { encode(0, weight) };
        let mut batch = WriteBatch::default();
        let cf = self.cf(cf::BAYES);
        for token in tokens {
            batch.merge_cf(cf, key(scope, &token.to_be_bytes()), delta);
        }
        batch.merge_cf(cf, key(scope, TOTALS), delta);
        Ok(self.db().write(batch)?)
    }

    /// The learned (spam, ham) counts of `tokens` in a scope, in order.
    pub fn bayes_counts(&self, scope: &str, tokens: &[u64]) -> Result<Vec<(i32, i32)>, StoreError> {
        let cf = self.cf(cf::BAYES);
        let keys: Vec<_> = tokens.iter().map(|t| (cf, key(scope, &t.to_be_bytes()))).collect();
        self.db().multi_get_cf(keys).into_iter().map(|value| Ok(value?.as_deref().map_or((0, 0), decode))).collect()
    }

    /// Messages learned in a scope: (spam, ham).
    pub fn bayes_totals(&self, scope: &str) -> Result<(i32, i32), StoreError> {
        let value = self.db().get_pinned_cf(self.cf(cf::BAYES), key(scope, TOTALS))?;
        Ok(value.as_deref().map_or((0, 0), decode))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn learning_adds_per_scope_and_unlearning_takes_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::Store::open(dir.path()).unwrap();
        store.bayes_learn("", &[1, 2], true, 1).unwrap();
        store.bayes_learn("", &[2, 3], false, 1).unwrap();
        store.bayes_learn("bob@x", &[2], true, 1).unwrap();
        assert_eq!(store.bayes_counts("", &[1, 2, 3, 4]).unwrap(), vec![(1, 0), (1, 1), (0, 1), (0, 0)]);
        assert_eq!(store.bayes_totals("").unwrap(), (1, 1));
        store.bayes_learn("", &[1, 2], true, -1).unwrap();
        assert_eq!(store.bayes_counts("", &[1, 2]).unwrap(), vec![(0, 0), (0, 1)]);
        assert_eq!(store.bayes_totals("bob@x").unwrap(), (1, 0));
    }
}
