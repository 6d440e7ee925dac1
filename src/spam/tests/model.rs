//! Builds `src/spam/default_model.bin`: trains a Bayes model on the whole packed SpamAssassin
//! 2002 corpus, drops the tokens seen in fewer than two messages, and writes it. Run it after
//! changing the tokenizer or the token hash:
//!
//! `cargo test --release -p spam --test model -- --ignored`

mod spam_corpus;

use spam::{Model, tokenize_content};

/// Tokens seen in fewer messages than this are left out.
const MIN_TOTAL: u32 = 2;

#[test]
#[ignore = "writes src/spam/default_model.bin"]
fn build_default_model() {
    let corpus = spam_corpus::load();
    let mut model = Model::new();
    for message in &corpus.ham {
        model.train(&tokenize_content(message), false);
    }
    for message in &corpus.spam {
        model.train(&tokenize_content(message), true);
    }
    let trained = model.len();
    model.prune(MIN_TOTAL);
    let bytes = model.to_bytes();
    let path = format!("{}/default_model.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(&path, &bytes).unwrap();
    println!(
        "{path}: {} ham + {} spam messages, {trained} tokens, {} kept, {} bytes",
        corpus.ham.len(),
        corpus.spam.len(),
        model.len(),
        bytes.len()
    );
}
