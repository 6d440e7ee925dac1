//! The built-in spam filter: named rules (rspamd/SpamAssassin-style symbols with scores) plus
//! a Bayesian classifier, summed into one score.
//!
//! [`check`] reads a message parsed once ([`Parsed`]: the `message` crate's part tree,
//! transfer decoding and charsets), tokenizes it ([`tokenize`]), asks the Bayes store for the
//! tokens' counts ([`probability`]), runs the rules and adds the caller's [`Inputs`]
//! (SPF/DKIM/DMARC results, DNS and URI blocklist hits; see [`url_domains`] for what to look
//! up). The server files a message in Junk at a score of 6 and rejects it at 15; GTUBE alone
//! scores 1000.
//!
//! Work per message is bounded: parts beyond its first 16 MiB are skipped, attached messages
//! are followed three levels down, and at most 1 MiB of decoded text (4 MiB of HTML per part)
//! and 65,536 tokens are looked at.
//!
//! # The default model
//!
//! [`default_model`] is trained on the Apache SpamAssassin public corpus (2002: 2,500 easy ham,
//! 500 spam; `tests/data/spam/`) by `cargo test --release -p spam --test model -- --ignored`:
//! every message trained once with [`tokenize_content`] (what messages say, not their 2002-era
//! MIME, HTML and header form, which would mislead on today's mail), then tokens seen in fewer
//! than two messages dropped. About 24,900 tokens, 236 KB. Its ham is mostly technical mailing
//! lists of 2002: sites should train on their own mail (a store layered over it).
//!
//! # Accuracy
//!
//! `tests/accuracy.rs` runs 10-fold cross-validation on that corpus (Bayes trained on nine
//! folds with full [`tokenize`] tokens, the tenth scored by [`check`] with no network inputs):
//! 95.6% of spam reach the Junk threshold, 0.04% of ham (1 of 2,500) do, none reach rejection.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bayes;
mod body;
mod hash;
mod header_tokens;
mod html;
mod inputs;
mod mbox;
mod model;
mod rules;
mod tokenize;
mod urls;
mod verdict;

use message::Parsed;

pub use bayes::{MIN_TRAINED, TokenCounts, probability};
pub use inputs::Inputs;
pub use mbox::{MboxMessage, split_mbox};
pub use model::{Model, ModelError};
pub use tokenize::{tokenize, tokenize_content};
pub use urls::url_domains;
pub use verdict::{Symbol, Verdict};

/// Score at and above which the server files a message in Junk.
pub const JUNK_THRESHOLD: f64 = 6.0;
/// Score at and above which the server rejects a message.
pub const REJECT_THRESHOLD: f64 = 15.0;

/// The serialized default model (see the module docs).
static DEFAULT_MODEL: &[u8] = include_bytes!("default_model.bin");

/// Scores a parsed message with the rules, the caller's `inputs`, and Bayes on `counts` (the
/// message's [`tokenize`] tokens). Never panics, whatever the bytes.
pub fn check(message: &Parsed<'_>, inputs: &Inputs, counts: &dyn TokenCounts) -> Verdict {
    let body = body::Body::new(message);
    let mut symbols = Vec::new();
    rules::check(message, &body, inputs.authenticated, &mut symbols);
    inputs::check(inputs, &mut symbols);
    inputs::bayes(probability(&tokenize::tokens(message, &body, false), counts), &mut symbols);
    Verdict::from_symbols(symbols)
}

/// The model shipped with ringmail (decoded on each call: keep the result).
pub fn default_model() -> Model {
    Model::from_bytes(DEFAULT_MODEL).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_loads() {
        let model = Model::from_bytes(DEFAULT_MODEL).unwrap();
        let (spam, ham) = model.totals();
        assert!(spam >= MIN_TRAINED && ham >= MIN_TRAINED);
    }

    #[test]
    fn gtube_rejects() {
        let raw = b"Subject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
        let verdict = check(&Parsed::new(raw), &Inputs::default(), &Model::new());
        assert!(verdict.score >= REJECT_THRESHOLD);
        assert_eq!(verdict.symbols[0].name, "GTUBE");
    }
}
