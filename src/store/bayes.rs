//! Token counts of the spam filter's Bayesian classifier: what training added on top of the
//! model shipped with the binary, per scope (`""` for everyone, or an account). Counts are
//! merge-added, so learning (`journal/bayes.rs`) reads nothing first and untraining is a
//! negative merge.

use super::{Store, StoreError, cf, keys};

/// Spam and ham counts, as stored: two little-endian i32.
pub(crate) fn encode(spam: i32, ham: i32) -> [u8; 8] {
    let mut out = [0; 8];
    out[..4].copy_from_slice(&spam.to_le_bytes());
    out[4..].copy_from_slice(&ham.to_le_bytes());
    out
}

/// Reads a stored pair; anything malformed counts as nothing.
fn decode(bytes: &[u8]) -> (i32, i32) {
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

impl Store {
    /// The learned (spam, ham) counts of `tokens` in a scope, in order.
    pub fn bayes_counts(&self, scope: &str, tokens: &[u64]) -> Result<Vec<(i32, i32)>, StoreError> {
        let cf = self.cf(cf::BAYES);
        let keys: Vec<_> = tokens.iter().map(|&t| (cf, keys::bayes_token(scope, t))).collect();
        self.db().multi_get_cf(keys).into_iter().map(|value| Ok(value?.as_deref().map_or((0, 0), decode))).collect()
    }

    /// Messages learned in a scope: (spam, ham).
    pub fn bayes_totals(&self, scope: &str) -> Result<(i32, i32), StoreError> {
        let value = self.db().get_pinned_cf(self.cf(cf::BAYES), keys::bayes_totals(scope))?;
        Ok(value.as_deref().map_or((0, 0), decode))
    }
}
