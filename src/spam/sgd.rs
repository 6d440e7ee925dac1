//! Fitting the linear layer: logistic regression by stochastic gradient descent, in an order
//! shuffled by a seeded generator (so a build is reproducible), each example's fixed score
//! taken as an offset (the layer learns what the fixed symbols miss).

use std::collections::HashMap;

use super::linear::{Linear, norm, quantize};

/// Passes over the examples.
const EPOCHS: usize = 12;
/// Step size at the start (it falls as 1/sqrt of the pass).
const LEARNING_RATE: f64 = 0.5;
/// L2 shrinkage of the weights a step touches, per step.
const L2: f64 = 1e-4;
/// The bias and the shape features' weights, shared by many messages and worth 1 in each,
/// move this much slower than the tokens' (chosen on the time-ordered validation split: at
/// 0.05 the tokens that every message has took the bias's place, and short messages that Bayes
/// knew nothing of were pushed toward Junk).
const SHARED: f64 = 0.3;
/// The symbols' weights (how far to trust the hand-set scores) move slower still.
const TRUST: f64 = 0.05;
/// A ham counts this many times a spam: mistakes on ham cost more (chosen by the margin it
/// leaves on the time-ordered validation split: at 3, a kind of ham new to the layer, news
/// feed items, sat just under the Junk threshold).
const HAM_WEIGHT: f64 = 6.0;

/// One training example.
pub(crate) struct Example {
    /// Its distinct features.
    pub features: Vec<u64>,
    /// Its shape features (each worth 1).
    pub shape: Vec<u64>,
    /// Its fixed symbols, as (feature, score).
    pub symbols: Vec<(u64, f64)>,
    /// The fixed symbols' score less the Junk threshold (the log-odds before the layer).
    pub offset: f64,
    /// Spam or ham.
    pub spam: bool,
}

/// Fits the weights of the features and shape features in `keep`, the symbols' and a bias to
/// `examples`.
pub(crate) fn fit(examples: &[Example], keep: &dyn Fn(u64) -> bool, seed: u64) -> Linear {
    let mut weights: HashMap<u64, f64> = HashMap::new();
    let mut bias = 0.0;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix(seed);
    for epoch in 0..EPOCHS {
        shuffle(&mut order, &mut rng);
        let rate = LEARNING_RATE / ((epoch + 1) as f64).sqrt();
        for &i in &order {
            let example = &examples[i];
            let value = norm(example.features.len());
            let kept = || example.features.iter().copied().filter(|&f| keep(f));
            let weight_of = |f: &u64| weights.get(f).copied().unwrap_or(0.0);
            let tokens = kept().map(|f| weight_of(&f)).sum::<f64>() * value;
            let shape: f64 = example.shape.iter().filter(|&&f| keep(f)).map(weight_of).sum();
            let trust: f64 = example.symbols.iter().map(|(f, score)| weight_of(f) * score).sum();
            let z = example.offset + bias + tokens + shape + trust;
            let p = 1.0 / (1.0 + (-z).exp());
            let (target, weight) = if example.spam { (1.0, 1.0) } else { (0.0, HAM_WEIGHT) };
            let gradient = (p - target) * weight;
            bias -= rate * SHARED * gradient;
            for f in kept() {
                let w = weights.entry(f).or_insert(0.0);
                *w -= rate * (gradient * value + L2 * *w);
            }
            for &f in example.shape.iter().filter(|&&f| keep(f)) {
                let w = weights.entry(f).or_insert(0.0);
                *w -= rate * SHARED * (gradient + L2 * *w);
            }
            for &(f, score) in &example.symbols {
                let w = weights.entry(f).or_insert(0.0);
                *w -= rate * TRUST * (gradient * score + L2 * *w);
            }
        }
    }
    let weights = weights.into_iter().map(|(f, w)| (f, quantize(w))).filter(|&(_, q)| q != 0).collect();
    Linear { weights, bias: quantize(bias) }
}

/// Fisher-Yates with the given generator.
fn shuffle(items: &mut [usize], rng: &mut SplitMix) {
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The SplitMix64 generator: small, fast, and the same everywhere.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_feature_reproducibly() {
        let examples: Vec<Example> = (0..40)
            .map(|i| Example {
                features: vec![i % 2, 100 + i],
                shape: vec![50 + i % 2, 200 + i],
                symbols: Vec::new(),
                offset: 0.0,
                spam: i % 2 == 1,
            })
            .collect();
        let linear = fit(&examples, &|f| f < 100, 7);
        assert!(linear.score(&[1, 1000], &[], &[]) > 1.0 && linear.score(&[0, 1000], &[], &[]) < -1.0);
        assert!(linear.score(&[], &[51], &[]) > 1.0 && linear.score(&[], &[50], &[]) < -1.0);
        assert!(
            !linear.weights.contains_key(&150) && !linear.weights.contains_key(&210),
            "only kept features get weights"
        );
        assert_eq!(fit(&examples, &|f| f < 100, 7), linear);
    }
}
