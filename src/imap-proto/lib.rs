//! The IMAP4rev1/IMAP4rev2 protocol without any I/O (RFC 3501, RFC 9051 and the extensions
//! ringmail offers): command lines into typed values, the strings and literals of responses,
//! section specifiers, and ENVELOPE/BODYSTRUCTURE/section output over the message model.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod command;
pub mod mime;
pub mod section;
pub mod wire;
