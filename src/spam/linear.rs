//! The learned linear layer: a logistic regression over a message's hashed features (its
//! tokens and what the caller found out, its shape features) and the fixed symbols (rules,
//! inputs, Bayes), so that the total score is `JUNK_THRESHOLD` plus the log-odds that the
//! message is spam. Tokens share one unit of length between them; a shape feature counts 1
//! whatever the message's length. A fixed symbol's feature is its score, and its weight says
//! how much more (or less) to trust it than its hand-set score: the layer adds
//! `weight * score`. Weights are stored quantized, so a model compares and serializes exactly.

use std::collections::HashMap;

use super::hash;
use super::verdict::Symbol;

/// Weights are stored as multiples of this (in log-odds).
pub(crate) const QUANTUM: f64 = 1.0 / 1024.0;
/// Most the linear layer adds or takes away, in points.
const LIMIT: f64 = 12.0;

/// Learned weights per feature hash, plus a bias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Linear {
    /// Quantized weight per feature (never 0).
    pub(crate) weights: HashMap<u64, i32>,
    /// Quantized bias.
    pub(crate) bias: i32,
}

impl Linear {
    /// Whether nothing was learned (the layer then adds nothing).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty() && self.bias == 0
    }

    /// How many features carry a weight.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// What the layer adds to the score of a message with these distinct `features`, `shape`
    /// features and fixed `symbols`: the bias, the features' weights over the square root of
    /// how many there are, the shape features' weights, and each symbol's weight times its
    /// score; at most 12 points either way.
    pub fn score(&self, features: &[u64], shape: &[u64], symbols: &[Symbol]) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let weight = |f: &u64| self.weights.get(f).map_or(0.0, |&w| f64::from(w) * QUANTUM);
        let tokens: f64 = features.iter().map(weight).sum::<f64>() * norm(features.len());
        let shape: f64 = shape.iter().map(weight).sum();
        let trust: f64 = symbols.iter().map(|s| weight(&symbol_feature(s.name)) * s.score).sum();
        (f64::from(self.bias) * QUANTUM + tokens + shape + trust).clamp(-LIMIT, LIMIT)
    }
}

/// The feature of a fixed symbol.
pub(crate) fn symbol_feature(name: &str) -> u64 {
    hash::token(b"sym:", name.as_bytes())
}

/// The value of each of `n` features: they sum to a vector of length 1.
pub(crate) fn norm(n: usize) -> f64 {
    1.0 / (n.max(1) as f64).sqrt()
}

/// Rounds a weight to its stored form.
pub(crate) fn quantize(w: f64) -> i32 {
    (w / QUANTUM).round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_bias_normalized_weights_shape_and_trust() {
        let mut linear = Linear::default();
        assert_eq!(linear.score(&[1, 2], &[], &[]), 0.0);
        linear.bias = quantize(-1.0);
        linear.weights.insert(1, quantize(4.0));
        linear.weights.insert(2, quantize(2.0));
        assert!((linear.score(&[1, 2, 3, 4], &[], &[]) - 2.0).abs() < 1e-9);
        assert!((linear.score(&[3, 4], &[1], &[]) - 3.0).abs() < 1e-9, "shape features count in full");
        linear.weights.insert(symbol_feature("BAYES_HAM"), quantize(-0.5));
        let bayes_ham = Symbol { name: "BAYES_HAM", score: -3.0 };
        assert!((linear.score(&[1, 2, 3, 4], &[], &[bayes_ham]) - 3.5).abs() < 1e-9);
        linear.weights.insert(3, quantize(1e6));
        assert_eq!(linear.score(&[3], &[], &[]), LIMIT);
    }
}
