//! The spam filter's training and testing: `ringmail spam train|test|stats`. The command line
//! reads the files and tokenizes them (so only token hashes travel to the server); tests send
//! the messages themselves, scored with what the server has learned.

use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{AdminContext, AdminError};
use crate::filter::learned::{self, GLOBAL, Learned};
use spam::{self, Inputs};

pub use admin_proto::SpamRequest;

/// Runs a spam filter request.
pub fn execute(ctx: &AdminContext, request: SpamRequest) -> Result<Vec<u8>, AdminError> {
    let store = &ctx.store;
    let mut out = String::new();
    match request {
        SpamRequest::Train { spam, account, messages } => {
            let account = account.map(|a| a.to_lowercase());
            let count = messages.len();
            ctx.journal.submit_blocking(learned::lesson(account.as_deref(), messages, spam))?;
            let _ = writeln!(out, "learned {count} messages as {}", if spam { "spam" } else { "ham" });
        }
        SpamRequest::Test { messages } => {
            let model = if ctx.config.spam.shipped_model { spam::default_model() } else { spam::Model::new() };
            let counts = Learned { base: &model, store, scopes: vec![GLOBAL] };
            let config = &ctx.config.spam;
            for (name, encoded) in messages {
                let Ok(message) = STANDARD.decode(&encoded) else {
                    let _ = writeln!(out, "{name}\terror\tnot base64");
                    continue;
                };
                let verdict = spam::check(&::message::Parsed::new(&message), &Inputs::default(), &counts);
                let class = match verdict.score {
                    s if s >= config.reject_score => "reject",
                    s if s >= config.junk_score => "junk",
                    _ => "ham",
                };
                let top: Vec<String> =
                    verdict.heaviest(4).iter().map(|s| format!("{}({:.2})", s.name, s.score)).collect();
                // `+ 0.0` turns the -0.0 of an empty sum into 0.0.
                let _ = writeln!(out, "{name}\t{:.2}\t{class}\t{}", verdict.score + 0.0, top.join(" "));
            }
        }
        SpamRequest::Stats => {
            let model = spam::default_model();
            let (spam, ham) = store.bayes_totals(GLOBAL)?;
            let (base_spam, base_ham) = spam::TokenCounts::totals(&model);
            let _ = writeln!(out, "shipped model: {base_spam} spam, {base_ham} ham, {} tokens", model.len());
            let _ = writeln!(out, "learned here: {spam} spam, {ham} ham");
        }
    }
    Ok(out.into_bytes())
}
