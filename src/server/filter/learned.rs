//! The classifier's counts as the server uses them: the model shipped with the binary plus
//! what was learned since (`ringmail spam train`, users moving mail in and out of Junk), kept
//! in RocksDB per scope: everyone's (`""`) and one account's.

use spam::{Model, TokenCounts};
use store::Store;
use store::journal::{JournalOp, Lesson};

/// The scope of what everyone taught the filter.
pub const GLOBAL: &str = "";

/// The shipped model with learned counts layered on top.
pub struct Learned<'a> {
    /// The shipped model.
    pub base: &'a Model,
    /// Where learned counts live.
    pub store: &'a Store,
    /// Scopes whose counts are added: [`GLOBAL`], and an account's own.
    pub scopes: Vec<&'a str>,
}

impl TokenCounts for Learned<'_> {
    fn counts(&self, tokens: &[u64]) -> Vec<(u32, u32)> {
        let mut counts = self.base.counts(tokens);
        for scope in &self.scopes {
            // A store that cannot answer leaves the shipped model to decide.
            let Ok(learned) = self.store.bayes_counts(scope, tokens) else { continue };
            for ((spam, ham), (s, h)) in counts.iter_mut().zip(learned) {
                *spam = spam.saturating_add_signed(s);
                *ham = ham.saturating_add_signed(h);
            }
        }
        counts
    }

    fn totals(&self) -> (u32, u32) {
        let (mut spam, mut ham) = self.base.totals();
        for scope in &self.scopes {
            let (s, h) = self.store.bayes_totals(scope).unwrap_or_default();
            spam = spam.saturating_add_signed(s);
            ham = ham.saturating_add_signed(h);
        }
        (spam, ham)
    }
}

/// What teaches the filter that `messages` (their tokens, from [`spam::tokenize`]) are spam
/// (or ham), for everyone and, when given, for `account` alone too: submit it to the journal.
pub fn lesson(account: Option<&str>, messages: Vec<Vec<u64>>, spam: bool) -> JournalOp {
    let mut scopes = vec![GLOBAL.to_string()];
    scopes.extend(account.map(str::to_string));
    JournalOp::Learn(Lesson { scopes, messages, spam, weight: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learned_counts_add_to_the_shipped_model_per_scope() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut base = Model::new();
        base.train(&[1, 2], true);
        let message = b"Subject: cheap pills\r\n\r\nbuy cheap pills now\r\n";
        let tokens = spam::tokenize(message);
        let journal = store::Journal::start(store.clone());
        journal.handle().submit_blocking(lesson(Some("bob@x"), vec![tokens.clone()], true)).unwrap();
        journal.stop();
        let global = Learned { base: &base, store: &store, scopes: vec![GLOBAL] };
        assert_eq!(global.totals(), (2, 0));
        assert!(global.counts(&tokens).iter().all(|&(spam, ham)| spam == 1 && ham == 0));
        assert_eq!(global.counts(&[1]), vec![(1, 0)]);
        let bob = Learned { base: &base, store: &store, scopes: vec![GLOBAL, "bob@x"] };
        assert_eq!(bob.totals(), (3, 0));
        let eve = Learned { base: &base, store: &store, scopes: vec![GLOBAL, "eve@x"] };
        assert_eq!(eve.totals(), (2, 0));
    }
}
