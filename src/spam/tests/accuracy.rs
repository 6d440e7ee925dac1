//! 10-fold cross-validation of the spam filter on the SpamAssassin 2002 corpus: train Bayes on
//! nine folds, score the tenth with `check()` (no network inputs), at the Junk threshold.

mod spam_corpus;

use message::Parsed;
use spam::{Inputs, JUNK_THRESHOLD, Model, REJECT_THRESHOLD, check, tokenize};

const FOLDS: usize = 10;

#[test]
fn cross_validation_meets_floors() {
    let corpus = spam_corpus::load();
    assert_eq!((corpus.ham.len(), corpus.spam.len()), (2500, 500));
    let messages: Vec<(&[u8], bool)> =
        corpus.ham.iter().map(|m| (&m[..], false)).chain(corpus.spam.iter().map(|m| (&m[..], true))).collect();
    let tokens: Vec<Vec<u64>> = messages.iter().map(|(m, _)| tokenize(m)).collect();
    let fold_of = |i: usize| if i < corpus.ham.len() { i % FOLDS } else { (i - corpus.ham.len()) % FOLDS };

    let (mut caught, mut missed, mut junk_ham, mut rejected_ham, mut rejected_spam) = (0, 0, 0, 0, 0);
    for fold in 0..FOLDS {
        let mut model = Model::new();
        for (i, (_, is_spam)) in messages.iter().enumerate().filter(|(i, _)| fold_of(*i) != fold) {
            model.train(&tokens[i], *is_spam);
        }
        for (message, is_spam) in messages.iter().enumerate().filter(|(i, _)| fold_of(*i) == fold).map(|(_, m)| m) {
            let score = check(&Parsed::new(message), &Inputs::default(), &model).score;
            match (is_spam, score >= JUNK_THRESHOLD, score >= REJECT_THRESHOLD) {
                (true, true, reject) => {
                    caught += 1;
                    rejected_spam += usize::from(reject);
                }
                (true, false, _) => missed += 1,
                (false, true, false) => junk_ham += 1,
                (false, true, true) => rejected_ham += 1,
                (false, false, _) => {}
            }
        }
    }
    let recall = caught as f64 / (caught + missed) as f64;
    let fp_rate = (junk_ham + rejected_ham) as f64 / corpus.ham.len() as f64;
    println!(
        "10-fold CV: recall {:.2}% ({caught}/{}; {rejected_spam} at >= 15), false positives {:.2}% \
         ({} of {} ham: {junk_ham} in 6..15, {rejected_ham} at >= 15)",
        recall * 100.0,
        caught + missed,
        fp_rate * 100.0,
        junk_ham + rejected_ham,
        corpus.ham.len(),
    );
    assert!(recall >= 0.95, "recall {recall}");
    assert!(fp_rate <= 0.005, "false-positive rate {fp_rate}");
}
