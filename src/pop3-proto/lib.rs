//! The POP3 protocol without any I/O (RFC 1939, RFC 2449, RFC 2595, RFC 5034): command lines
//! into [`command::Command`], and multi-line responses (RETR, TOP) byte-stuffed.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod command;
pub mod multiline;
