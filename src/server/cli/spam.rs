//! `ringmail spam train|test|stats`: reads messages from files (one message per file, or mbox
//! files, whose `From ` lines are skipped) and hands them to the server in batches small
//! enough for the admin socket.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Subcommand;

use crate::admin::Request;
use crate::admin::spam::SpamRequest;

/// Token hashes sent in one training request (the admin socket takes 1 MiB a request).
const TRAIN_BATCH_TOKENS: usize = 25_000;
/// Largest message `spam test` sends (its first octets when longer).
const MAX_TEST_MESSAGE: usize = 700 * 1024;
/// Base64 octets of messages sent in one test request.
const MAX_TEST_BATCH: usize = 900 * 1024;

/// `ringmail spam ...`.
#[derive(Debug, Subcommand)]
pub enum SpamCommand {
    /// Teach the filter: files or folders of raw messages (or mbox files).
    Train {
        /// Spam: files or folders.
        #[arg(long, num_args = 1..)]
        spam: Vec<PathBuf>,
        /// Ham (good mail): files or folders.
        #[arg(long, num_args = 1..)]
        ham: Vec<PathBuf>,
        /// Teach this account's filter too.
        #[arg(long)]
        account: Option<String>,
    },
    /// Score messages: one line per file with its score, verdict and heaviest symbols.
    Test {
        /// Message files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// How much the filter has learned.
    Stats,
}

/// Runs the command, sending each request through `send`.
pub fn run(command: SpamCommand, send: &mut dyn FnMut(Request) -> anyhow::Result<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    match command {
        SpamCommand::Train { spam, ham, account } => {
            let mut out = Vec::new();
            for (paths, is_spam) in [(spam, true), (ham, false)] {
                let mut batch: Vec<Vec<u64>> = Vec::new();
                let mut batched = 0;
                for message in messages(&paths)? {
                    let tokens = spam::tokenize(&message);
                    batched += tokens.len();
                    batch.push(tokens);
                    if batched >= TRAIN_BATCH_TOKENS {
                        let messages = std::mem::take(&mut batch);
                        out.extend(send(train(is_spam, &account, messages))?);
                        batched = 0;
                    }
                }
                if !batch.is_empty() {
                    out.extend(send(train(is_spam, &account, batch))?);
                }
            }
            Ok(out)
        }
        SpamCommand::Test { files } => {
            let mut out = Vec::new();
            let mut batch = Vec::new();
            let mut batched = 0;
            for file in files {
                let message = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let encoded = STANDARD.encode(&message[..message.len().min(MAX_TEST_MESSAGE)]);
                if batched + encoded.len() > MAX_TEST_BATCH && !batch.is_empty() {
                    let messages = std::mem::take(&mut batch);
                    out.extend(send(Request::Spam { request: SpamRequest::Test { messages } })?);
                    batched = 0;
                }
                batched += encoded.len();
                batch.push((file.display().to_string(), encoded));
            }
            if !batch.is_empty() {
                out.extend(send(Request::Spam { request: SpamRequest::Test { messages: batch } })?);
            }
            Ok(out)
        }
        SpamCommand::Stats => send(Request::Spam { request: SpamRequest::Stats }),
    }
}

fn train(spam: bool, account: &Option<String>, messages: Vec<Vec<u64>>) -> Request {
    Request::Spam { request: SpamRequest::Train { spam, account: account.clone(), messages } }
}

/// Every message in `paths`: files, the files of folders, messages of mbox files.
fn messages(paths: &[PathBuf]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            for file in entries {
                read_into(&file, &mut out)?;
            }
        } else {
            read_into(path, &mut out)?;
        }
    }
    Ok(out)
}

fn read_into(file: &Path, out: &mut Vec<Vec<u8>>) -> anyhow::Result<()> {
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mbox = spam::split_mbox(&data);
    if mbox.len() > 1 {
        out.extend(mbox.into_iter().map(|m| m.message));
    } else {
        // One message; a leading mbox `From ` line is not part of it.
        let start = if data.starts_with(b"From ") { memchr::memchr(b'\n', &data).map_or(0, |i| i + 1) } else { 0 };
        out.push(data[start..].to_vec());
    }
    Ok(())
}
