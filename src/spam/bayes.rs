//! The Bayesian classifier: Robinson's per-token probabilities with an unknown-word prior,
//! combined with Fisher's chi-square method (as in SpamBayes and bogofilter) over the most
//! significant tokens of a message.

use super::linear::Linear;

/// Token counts from some store (in memory, RocksDB, or a layered default+learned view).
pub trait TokenCounts {
    /// (spam, ham) counts for each token, in order.
    fn counts(&self, tokens: &[u64]) -> Vec<(u32, u32)>;
    /// Messages trained: (spam, ham).
    fn totals(&self) -> (u32, u32);
    /// The linear layer to score with. A [`Model`](crate::Model) has its own (empty unless
    /// built by [`Model::build`](crate::Model::build)); other stores, such as the shipped
    /// model with learned counts layered over it, use the shipped model's, as they use the
    /// shipped rules.
    fn linear(&self) -> &Linear {
        crate::shipped_linear()
    }
}

/// Fewest messages of each class trained before the classifier says anything.
pub const MIN_TRAINED: u32 = 20;
/// Robinson's s: how strongly the prior holds against few observations.
const UNKNOWN_WORD_STRENGTH: f64 = 0.45;
/// Robinson's x: the probability assumed for a token never seen.
const UNKNOWN_WORD_PROB: f64 = 0.5;
/// Tokens closer to 0.5 than this are ignored.
const MIN_PROB_STRENGTH: f64 = 0.1;
/// Under a learned linear layer, tokens closer to 0.5 than this are ignored: on mail newer
/// than the counts, the many weak clues of common words (a little more frequent in the
/// mailing lists than in spam) add up to a sure "ham" for new spam, and the layer weighs the
/// words itself (chosen on the time-ordered validation split; Bayes alone, in the
/// cross-validation, does better with weak clues).
pub(crate) const LAYERED_MIN_PROB_STRENGTH: f64 = 0.25;
/// Most tokens combined per message.
const MAX_DISCRIMINATORS: usize = 150;

/// The spam probability (0 = ham, 1 = spam; near 0.5 = unsure) of a message with these
/// distinct `tokens`, or `None` while fewer than [`MIN_TRAINED`] spam or ham messages have
/// been trained.
pub fn probability(tokens: &[u64], counts: &dyn TokenCounts) -> Option<f64> {
    probability_at(tokens, counts, MIN_PROB_STRENGTH)
}

/// [`probability`] over the tokens at least `strength` away from 0.5.
pub(crate) fn probability_at(tokens: &[u64], counts: &dyn TokenCounts, strength: f64) -> Option<f64> {
    let (spam_total, ham_total) = counts.totals();
    if spam_total < MIN_TRAINED || ham_total < MIN_TRAINED {
        return None;
    }
    let mut clues: Vec<f64> = counts
        .counts(tokens)
        .into_iter()
        .map(|(spam, ham)| token_probability(spam, ham, spam_total, ham_total))
        .filter(|p| (p - 0.5).abs() >= strength)
        .collect();
    if clues.len() > MAX_DISCRIMINATORS {
        let strongest = |a: &f64, b: &f64| (b - 0.5).abs().total_cmp(&(a - 0.5).abs());
        clues.select_nth_unstable_by(MAX_DISCRIMINATORS - 1, strongest);
        clues.truncate(MAX_DISCRIMINATORS);
    }
    Some(chi_combine(&clues))
}

/// Robinson's f(w): the token's spam ratio shrunk toward the prior by how rarely it was seen.
fn token_probability(spam: u32, ham: u32, spam_total: u32, ham_total: u32) -> f64 {
    let spam_ratio = (f64::from(spam) / f64::from(spam_total)).min(1.0);
    let ham_ratio = (f64::from(ham) / f64::from(ham_total)).min(1.0);
    if spam_ratio + ham_ratio == 0.0 {
        return UNKNOWN_WORD_PROB;
    }
    let p = spam_ratio / (spam_ratio + ham_ratio);
    let n = f64::from(spam) + f64::from(ham);
    (UNKNOWN_WORD_STRENGTH * UNKNOWN_WORD_PROB + n * p) / (UNKNOWN_WORD_STRENGTH + n)
}

/// Fisher's combining: how unlikely the clues are as random under "ham" and under "spam",
/// folded into one indicator in [0, 1].
fn chi_combine(clues: &[f64]) -> f64 {
    if clues.is_empty() {
        return 0.5;
    }
    let clamp = |p: f64| p.clamp(1e-9, 1.0 - 1e-9);
    let ln_ham: f64 = clues.iter().map(|&p| clamp(p).ln()).sum();
    let ln_spam: f64 = clues.iter().map(|&p| (1.0 - clamp(p)).ln()).sum();
    let freedom = 2 * clues.len();
    let spam = 1.0 - chi2_q(-2.0 * ln_spam, freedom);
    let ham = 1.0 - chi2_q(-2.0 * ln_ham, freedom);
    ((spam - ham + 1.0) / 2.0).clamp(0.0, 1.0)
}

/// The chi-square survival function for an even number of degrees of freedom.
fn chi2_q(x2: f64, freedom: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..freedom / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<(u32, u32)>, (u32, u32));

    impl TokenCounts for Fixed {
        fn counts(&self, tokens: &[u64]) -> Vec<(u32, u32)> {
            tokens.iter().map(|&t| self.0.get(t as usize).copied().unwrap_or_default()).collect()
        }
        fn totals(&self) -> (u32, u32) {
            self.1
        }
    }

    #[test]
    fn needs_training() {
        assert_eq!(probability(&[0], &Fixed(vec![(5, 0)], (19, 100))), None);
    }

    #[test]
    fn leans_with_the_evidence() {
        let counts = Fixed(vec![(90, 1), (1, 90), (50, 50), (0, 0)], (100, 100));
        assert!(probability(&[0], &counts).unwrap() > 0.9);
        assert!(probability(&[1], &counts).unwrap() < 0.1);
        assert_eq!(probability(&[2, 3], &counts), Some(0.5));
        let mixed = probability(&[0, 1], &counts).unwrap();
        assert!((mixed - 0.5).abs() < 0.01, "{mixed}");
        let weak = Fixed([(90, 10)].into_iter().chain([(35, 65); 6]).collect(), (100, 100));
        let tokens: Vec<u64> = (0..7).collect();
        assert!(probability(&tokens, &weak).unwrap() < 0.4, "six weak ham clues outweigh a strong spam one");
        assert!(probability_at(&tokens, &weak, LAYERED_MIN_PROB_STRENGTH).unwrap() > 0.85, "only strong clues");
    }

    #[test]
    fn many_clues_stay_finite() {
        let counts = Fixed(vec![(1000, 0); 1000], (1000, 1000));
        let tokens: Vec<u64> = (0..1000).collect();
        assert_eq!(probability(&tokens, &counts), Some(1.0));
        assert!((chi2_q(0.0, 4) - 1.0).abs() < 1e-12);
    }
}
