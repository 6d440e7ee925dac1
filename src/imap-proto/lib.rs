//! The IMAP4rev1/IMAP4rev2 protocol without any I/O (RFC 3501, RFC 9051 and the extensions
//! ringmail offers): command lines into typed values, the strings and literals of responses,
//! section specifiers, ENVELOPE/BODYSTRUCTURE/section output over the message model, and the
//! base subjects and THREAD algorithms of RFC 5256.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod base_subject;
pub mod command;
pub mod imap_url;
pub mod mime;
pub mod mutf7;
pub mod section;
pub mod thread;
pub mod wire;
