//! Building a whole model from labelled messages: Bayes counts of what the messages say, then
//! the linear layer fitted over every feature, each message's fixed score taken from Bayes
//! counts that did not see it (out-of-fold, combining strong clues only, as under the layer),
//! as new mail meets counts that never saw it.

use std::collections::HashMap;

use message::Parsed;

use super::body::Body;
use super::linear::symbol_feature;
use super::model::Model;
use super::sgd::{self, Example};
use super::{Inputs, JUNK_THRESHOLD, features, fixed_symbols, tokenize_content};

/// Folds for the out-of-fold Bayes scores.
const FOLDS: usize = 5;
/// Bayes tokens seen in fewer messages than this are dropped.
const MIN_TOKEN_MESSAGES: u32 = 2;
/// Features seen in fewer messages than this get no weight.
const MIN_FEATURE_MESSAGES: u32 = 3;

impl Model {
    /// Builds a model from `messages` (raw, spam or not): Bayes counts of their
    /// [`tokenize_content`] tokens (those in fewer than two messages dropped) and the linear
    /// layer, by seeded SGD over the features seen in three messages or more. The same
    /// messages in the same order and the same `seed` give the same model.
    pub fn build(messages: &[(&[u8], bool)], seed: u64) -> Model {
        let content: Vec<Vec<u64>> = messages.iter().map(|(raw, _)| tokenize_content(raw)).collect();
        let mut fixed = vec![(Vec::new(), Vec::new(), Vec::new()); messages.len()];
        for fold in 0..FOLDS {
            let mut bayes = Model::new();
            for (i, (_, spam)) in messages.iter().enumerate().filter(|(i, _)| i % FOLDS != fold) {
                bayes.train(&content[i], *spam);
            }
            bayes.prune(MIN_TOKEN_MESSAGES);
            for (i, (raw, _)) in messages.iter().enumerate().filter(|(i, _)| i % FOLDS == fold) {
                let message = Parsed::new(raw);
                fixed[i] = fixed_symbols(&message, &Body::new(&message), &Inputs::default(), &bayes, true);
            }
        }
        let mut examples = Vec::with_capacity(messages.len());
        let mut seen: HashMap<u64, u32> = HashMap::new();
        for ((_, spam), (symbols, tokens, shape)) in messages.iter().zip(fixed) {
            let features = features(tokens, &Inputs::default());
            for &f in features.iter().chain(&shape) {
                *seen.entry(f).or_default() += 1;
            }
            let offset = symbols.iter().map(|s| s.score).sum::<f64>() - JUNK_THRESHOLD;
            let symbols = symbols.iter().map(|s| (symbol_feature(s.name), s.score)).collect();
            examples.push(Example { features, shape, symbols, offset, spam: *spam });
        }
        let keep = |f: u64| seen.get(&f).is_some_and(|&n| n >= MIN_FEATURE_MESSAGES);
        let mut model = Model::new();
        for ((_, spam), tokens) in messages.iter().zip(&content) {
            model.train(tokens, *spam);
        }
        model.prune(MIN_TOKEN_MESSAGES);
        model.linear = sgd::fit(&examples, &keep, seed);
        model
    }
}
