//! ringmail: a mail server appliance for dedicated Linux hosts.
//!
//! Shard-per-core glommio executors accept SMTP; messages are committed to RocksDB through one
//! group-committing journal before `250`; local recipients get them in their mailboxes.
//! See `docs/ARCHITECTURE.md` for the map of the code.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dkim_signers;
pub mod dns;
pub mod events;
pub mod filter;
pub mod http;
pub mod imap;
pub mod metrics;
pub mod net;
pub mod pop3;
pub mod queue;
pub mod reporting;
pub mod routing;
pub mod runtime;
pub mod smtp;
pub mod tls;
pub mod tls_reporting;
pub mod unsubscribe;
