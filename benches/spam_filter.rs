//! Spam filter throughput: tokenize, and a full `check()` with the default model, on corpus
//! messages of about 4 KiB and 100 KiB.

#[path = "../src/spam/tests/spam_corpus/mod.rs"]
mod spam_corpus;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use message::Parsed;
use spam::{Inputs, check, default_model, tokenize};

/// The corpus message whose size is closest to `size`.
fn closest(messages: &[Vec<u8>], size: usize) -> &[u8] {
    messages.iter().min_by_key(|m| m.len().abs_diff(size)).map(|m| &m[..]).unwrap_or_default()
}

fn spam_filter(c: &mut Criterion) {
    let corpus = spam_corpus::load();
    let all: Vec<Vec<u8>> = corpus.ham.into_iter().chain(corpus.spam).collect();
    let model = default_model();
    let inputs = Inputs::default();
    let mut group = c.benchmark_group("spam_filter");
    for (name, size) in [("4KiB", 4 << 10), ("100KiB", 100 << 10)] {
        let message = closest(&all, size);
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function(format!("tokenize/{name}"), |b| b.iter(|| tokenize(message)));
        group.bench_function(format!("check/{name}"), |b| b.iter(|| check(&Parsed::new(message), &inputs, &model)));
    }
    group.finish();
}

criterion_group!(benches, spam_filter);
criterion_main!(benches);
