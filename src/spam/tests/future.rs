//! How the filter does on mail newer than what it learned from: the SpamAssassin 2002 corpus
//! in arrival order, a model built (as the shipped one is, by `Model::build`) from the oldest
//! 70% of each class, the newest 30% scored by `check()` with no network inputs, at the
//! default Junk threshold. Bulk ham (newsletters, commercial mail) is counted apart. The same
//! is done inside the older part (its oldest 70% against the rest): that validation split is
//! the one to choose settings by, never the test split. A rolling origin is printed too: for
//! each cut at 50%, 60%, 70%, 80% and 90% of each class, a model built from the mail before it
//! scores the next tenth, and the five are summed (one split's luck counts for less).

mod spam_corpus;
mod time_split;

use message::Parsed;
use spam::{Inputs, JUNK_THRESHOLD, Model, check};
use time_split::Labelled;

/// The builder's seed (the shipped model's too).
const SEED: u64 = 2002;
/// Upper bounds of the score histogram's buckets, in points.
const BUCKETS: [f64; 10] = [-5.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, f64::INFINITY];
/// Columns: spam, easy ham, bulk ham.
const COLUMNS: usize = 3;
/// The rolling origin's cuts, as shares of each class; each scores the next [`STEP`].
const ORIGINS: [f64; 5] = [0.5, 0.6, 0.7, 0.8, 0.9];
/// What each rolling-origin model scores.
const STEP: f64 = 0.1;

/// What scoring the newer messages gave, per column.
#[derive(Default)]
struct Report {
    seen: [usize; COLUMNS],
    junk: [usize; COLUMNS],
    histogram: [[usize; BUCKETS.len()]; COLUMNS],
}

impl Report {
    /// The share of a column at or above the Junk threshold.
    fn rate(&self, column: usize) -> f64 {
        self.junk[column] as f64 / self.seen[column].max(1) as f64
    }

    fn summary(&self, name: &str) {
        let column = |c: usize| format!("{:.2}% ({}/{})", self.rate(c) * 100.0, self.junk[c], self.seen[c]);
        println!("{name}: recall {}, false positives on easy ham {}, on bulk ham {}", column(0), column(1), column(2));
    }

    fn print(&self, name: &str) {
        self.summary(name);
        println!("  score below   spam   easy   bulk");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let [s, e, b] = [0, 1, 2].map(|c| self.histogram[c][i]);
            println!("  {bound:>11} {s:>6} {e:>6} {b:>6}");
        }
    }
}

/// Builds a model from `train` and scores `test` with it.
fn evaluate(train: &[&Labelled], test: &[&Labelled]) -> Report {
    let training: Vec<(&[u8], bool)> = train.iter().map(|m| (&m.raw[..], m.spam)).collect();
    let model = Model::build(&training, SEED);
    let mut report = Report::default();
    for message in test {
        let score = check(&Parsed::new(&message.raw), &Inputs::default(), &model).score;
        let column = if message.spam {
            0
        } else if message.bulk {
            2
        } else {
            1
        };
        report.seen[column] += 1;
        report.junk[column] += usize::from(score >= JUNK_THRESHOLD);
        report.histogram[column][BUCKETS.iter().position(|&b| score < b).unwrap_or(BUCKETS.len() - 1)] += 1;
    }
    report
}

#[test]
fn newer_mail_meets_floors() {
    let corpus = spam_corpus::load();
    let messages = time_split::in_time_order(corpus);
    let all: Vec<&Labelled> = messages.iter().collect();
    let (older, newer) = time_split::older_newer(&all);
    let (fit, validate) = time_split::older_newer(&older);
    evaluate(&fit, &validate).print("validation (oldest 49% -> next 21%)");
    let test = evaluate(&older, &newer);
    test.print("test (oldest 70% -> newest 30%)");
    let mut rolling = Report::default();
    for origin in ORIGINS {
        let report = evaluate(&time_split::window(&all, 0.0, origin), &time_split::window(&all, origin, origin + STEP));
        report.summary(&format!("  rolling origin {:.0}% -> next {:.0}%", origin * 100.0, STEP * 100.0));
        for c in 0..COLUMNS {
            rolling.seen[c] += report.seen[c];
            rolling.junk[c] += report.junk[c];
        }
    }
    rolling.summary("rolling origin, all five");
    assert!(test.rate(0) >= 0.95, "recall {}", test.rate(0));
    assert!(test.rate(1) <= 0.002, "false positives on easy ham {}", test.rate(1));
    assert!(test.rate(2) <= 0.10, "false positives on bulk ham {}", test.rate(2));
}
