//! Builds `src/spam/default_model.bin` with [`Model::build`] on the whole packed SpamAssassin
//! 2002 corpus (ham, then spam, in corpus order; seed 2002) and writes it. Run it after
//! changing the tokenizer, the features, the token hash or the training:
//!
//! `cargo test --release -p spam --test model -- --ignored`

mod spam_corpus;

use spam::{Model, TokenCounts};

/// The builder's seed.
const SEED: u64 = 2002;

#[test]
#[ignore = "writes src/spam/default_model.bin"]
fn build_default_model() {
    let corpus = spam_corpus::load();
    let messages: Vec<(&[u8], bool)> =
        corpus.ham.iter().map(|m| (&m[..], false)).chain(corpus.spam.iter().map(|m| (&m[..], true))).collect();
    let model = Model::build(&messages, SEED);
    let bytes = model.to_bytes();
    let path = format!("{}/default_model.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(&path, &bytes).unwrap();
    let started = std::time::Instant::now();
    let decoded = Model::from_bytes(&bytes).unwrap();
    let load = started.elapsed();
    println!(
        "{path}: {} ham + {} spam messages, {} Bayes tokens, {} weights, {} bytes, decoded in {load:?}",
        corpus.ham.len(),
        corpus.spam.len(),
        decoded.len(),
        decoded.linear().len(),
        bytes.len()
    );
}
