//! An in-memory model (Bayes counts and the linear layer) and its compact serialized form.
//!
//! Format (version 2), all integers LEB128 varints, signed ones zigzag-encoded first:
//! `b"RMBAYES"`, version byte `2`, spam total, ham total, token count, then per token in
//! increasing hash order: the hash's difference from the previous one (the first from 0; later
//! ones at least 1), its spam count, its ham count. Then the linear layer: its quantized bias
//! (signed), weight count, and per weight in increasing feature order the feature's difference
//! from the previous one (as for tokens) and the quantized weight (signed, never 0). Varints
//! must be in their shortest form and nothing may follow, so each model has exactly one
//! encoding. Version 1 (Bayes counts only, ending after the tokens) is still read.

use std::collections::HashMap;

use super::bayes::TokenCounts;
use super::linear::Linear;

const MAGIC: &[u8] = b"RMBAYES";
const VERSION: u8 = 2;
/// The format without the linear layer.
const VERSION_COUNTS_ONLY: u8 = 1;

/// Why serialized model bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The bytes do not start with the model magic.
    #[error("not a ringmail Bayes model")]
    BadMagic,
    /// A format version this build cannot read.
    #[error("unsupported Bayes model version {0}")]
    Version(u8),
    /// The bytes end in the middle of the model.
    #[error("truncated Bayes model")]
    Truncated,
    /// A number is out of range, or tokens are out of order.
    #[error("corrupt Bayes model")]
    Corrupt,
}

/// Token counts held in memory (what training saw, per token hash), and the linear layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    tokens: HashMap<u64, (u32, u32)>,
    spam: u32,
    ham: u32,
    /// The linear layer ([`Model::build`] fits it).
    pub(crate) linear: Linear,
}

impl TokenCounts for Model {
    fn counts(&self, tokens: &[u64]) -> Vec<(u32, u32)> {
        tokens.iter().map(|t| self.tokens.get(t).copied().unwrap_or_default()).collect()
    }

    fn totals(&self) -> (u32, u32) {
        (self.spam, self.ham)
    }

    fn linear(&self) -> &Linear {
        &self.linear
    }
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one message with these distinct `tokens` as spam or ham.
    pub fn train(&mut self, tokens: &[u64], is_spam: bool) {
        let total = if is_spam { &mut self.spam } else { &mut self.ham };
        *total = total.saturating_add(1);
        for &token in tokens {
            let (spam, ham) = self.tokens.entry(token).or_default();
            let count = if is_spam { spam } else { ham };
            *count = count.saturating_add(1);
        }
    }

    /// Takes back an earlier [`train`](Self::train) of the same tokens and class.
    pub fn untrain(&mut self, tokens: &[u64], was_spam: bool) {
        let total = if was_spam { &mut self.spam } else { &mut self.ham };
        *total = total.saturating_sub(1);
        for token in tokens {
            if let Some((spam, ham)) = self.tokens.get_mut(token) {
                let count = if was_spam { &mut *spam } else { &mut *ham };
                *count = count.saturating_sub(1);
                if (*spam, *ham) == (0, 0) {
                    self.tokens.remove(token);
                }
            }
        }
    }

    /// Drops the tokens seen in fewer than `min_total` messages overall.
    pub fn prune(&mut self, min_total: u32) {
        self.tokens.retain(|_, (spam, ham)| spam.saturating_add(*ham) >= min_total);
    }

    /// How many distinct tokens the model holds.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the model holds no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The compact serialized form (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut entries: Vec<(u64, (u32, u32))> = self.tokens.iter().map(|(&t, &c)| (t, c)).collect();
        entries.sort_unstable_by_key(|&(token, _)| token);
        let mut out = Vec::with_capacity(16 + entries.len() * 10);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        for n in [u64::from(self.spam), u64::from(self.ham), entries.len() as u64] {
            put_varint(&mut out, n);
        }
        let mut previous = 0;
        for (token, (spam, ham)) in entries {
            put_varint(&mut out, token - previous);
            put_varint(&mut out, u64::from(spam));
            put_varint(&mut out, u64::from(ham));
            previous = token;
        }
        let mut weights: Vec<(u64, i32)> = self.linear.weights.iter().map(|(&f, &w)| (f, w)).collect();
        weights.sort_unstable_by_key(|&(feature, _)| feature);
        put_varint(&mut out, zigzag(self.linear.bias));
        put_varint(&mut out, weights.len() as u64);
        let mut previous = 0;
        for (feature, weight) in weights {
            put_varint(&mut out, feature - previous);
            put_varint(&mut out, zigzag(weight));
            previous = feature;
        }
        out
    }

    /// Reads the form written by [`to_bytes`](Self::to_bytes); any other input is refused
    /// with an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ModelError::BadMagic)?;
        let (&version, mut rest) = rest.split_first().ok_or(ModelError::Truncated)?;
        if version != VERSION && version != VERSION_COUNTS_ONLY {
            return Err(ModelError::Version(version));
        }
        let spam = read_u32(&mut rest)?;
        let ham = read_u32(&mut rest)?;
        let count = read_varint(&mut rest)?;
        // Each entry takes at least three bytes: a claimed count can't make us over-allocate.
        if count > (rest.len() / 3) as u64 {
            return Err(ModelError::Truncated);
        }
        let mut tokens = HashMap::with_capacity(count as usize);
        let mut previous: Option<u64> = None;
        for _ in 0..count {
            let token = next_key(&mut rest, &mut previous)?;
            tokens.insert(token, (read_u32(&mut rest)?, read_u32(&mut rest)?));
        }
        let mut linear = Linear::default();
        if version == VERSION {
            linear.bias = read_i32(&mut rest)?;
            let count = read_varint(&mut rest)?;
            // Each weight takes at least two bytes.
            if count > (rest.len() / 2) as u64 {
                return Err(ModelError::Truncated);
            }
            linear.weights.reserve(count as usize);
            let mut previous = None;
            for _ in 0..count {
                let feature = next_key(&mut rest, &mut previous)?;
                match read_i32(&mut rest)? {
                    0 => return Err(ModelError::Corrupt),
                    weight => linear.weights.insert(feature, weight),
                };
            }
        }
        if !rest.is_empty() {
            return Err(ModelError::Corrupt);
        }
        Ok(Self { tokens, spam, ham, linear })
    }
}

/// Reads the next key of an increasing sequence, stored as its difference from `previous`.
fn next_key(bytes: &mut &[u8], previous: &mut Option<u64>) -> Result<u64, ModelError> {
    let delta = read_varint(bytes)?;
    let key = match *previous {
        None => delta,
        Some(_) if delta == 0 => return Err(ModelError::Corrupt),
        Some(p) => p.checked_add(delta).ok_or(ModelError::Corrupt)?,
    };
    *previous = Some(key);
    Ok(key)
}

fn zigzag(n: i32) -> u64 {
    u64::from(((n << 1) ^ (n >> 31)) as u32)
}

fn read_i32(bytes: &mut &[u8]) -> Result<i32, ModelError> {
    let n = read_u32(bytes)?;
    Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Result<u64, ModelError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or(ModelError::Truncated)?;
        *bytes = rest;
        let bits = u64::from(byte & 0x7F);
        // Only the shortest form is valid, so a model has exactly one encoding.
        if shift == 63 && bits > 1 || shift > 0 && byte == 0 {
            return Err(ModelError::Corrupt);
        }
        n |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(ModelError::Corrupt)
}

fn read_u32(bytes: &mut &[u8]) -> Result<u32, ModelError> {
    u32::try_from(read_varint(bytes)?).map_err(|_| ModelError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_train_untrain_prune() {
        let mut model = Model::new();
        model.train(&[1, 5, u64::MAX], true);
        model.train(&[5, 7], false);
        assert_eq!(model.counts(&[5, 1, 9]), [(1, 1), (1, 0), (0, 0)]);
        assert_eq!(Model::from_bytes(&model.to_bytes()), Ok(model.clone()));
        model.untrain(&[5, 7], false);
        assert_eq!(model.totals(), (1, 0));
        assert_eq!(model.counts(&[7]), [(0, 0)]);
        model.prune(1);
        assert_eq!(model.len(), 3);
        model.train(&[1], true);
        model.prune(2);
        assert_eq!(model.len(), 1);
        assert_eq!(Model::from_bytes(&Model::new().to_bytes()), Ok(Model::new()));
        model.linear.bias = -3;
        model.linear.weights.extend([(5, 7), (9, i32::MIN), (u64::MAX, i32::MAX)]);
        assert_eq!(Model::from_bytes(&model.to_bytes()), Ok(model.clone()));
    }

    #[test]
    fn reads_version_1() {
        let v1 = [MAGIC, &[1, 1, 0, 1, 3, 1, 0]].concat();
        let model = Model::from_bytes(&v1).unwrap();
        assert_eq!((model.totals(), model.counts(&[3]), model.linear.is_empty()), ((1, 0), vec![(1, 0)], true));
        let zero_weight = [MAGIC, &[2, 0, 0, 0, 0, 1, 4, 0]].concat();
        assert_eq!(Model::from_bytes(&zero_weight), Err(ModelError::Corrupt));
    }

    #[test]
    fn refuses_bad_bytes() {
        let mut model = Model::new();
        model.train(&[3, 4], true);
        model.linear.weights.insert(8, -2);
        let good = model.to_bytes();
        assert_eq!(Model::from_bytes(b"nope"), Err(ModelError::BadMagic));
        for cut in 0..good.len() {
            assert!(Model::from_bytes(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(Model::from_bytes(&trailing), Err(ModelError::Corrupt));
        let mut version = good.clone();
        version[MAGIC.len()] = 9;
        assert_eq!(Model::from_bytes(&version), Err(ModelError::Version(9)));
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
        assert_eq!(Model::from_bytes(&huge), Err(ModelError::Truncated));
        let overlong = [MAGIC, &[2], &[0xFF; 11][..]].concat();
        assert_eq!(Model::from_bytes(&overlong), Err(ModelError::Corrupt));
        let padded = [MAGIC, &[2, 0x80, 0x00, 0, 0, 0, 0]].concat();
        assert_eq!(Model::from_bytes(&padded), Err(ModelError::Corrupt));
    }
}
