//! The spam filter on arbitrary bytes: tokenizing, checking and listing URL domains must never
//! panic, tokens must come out sorted and distinct, and scores must be finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use message::Parsed;
use spam::{Inputs, Model, check, tokenize, url_domains};

fuzz_target!(|data: &[u8]| {
    let tokens = tokenize(data);
    assert!(tokens.windows(2).all(|w| w[0] < w[1]));
    let mut model = Model::new();
    for _ in 0..20 {
        model.train(&tokens, true);
        model.train(&tokens[..tokens.len() / 2], false);
    }
    let verdict = check(&Parsed::new(data), &Inputs::default(), &model);
    assert!(verdict.score.is_finite());
    let headers = verdict.headers(6.0);
    assert!(headers.ends_with("\r\n"));
    let domains = url_domains(data);
    assert!(domains.len() <= 20);
});
