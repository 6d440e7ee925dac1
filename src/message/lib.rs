//! The one model of an Internet message (RFC 5322, MIME: RFC 2045-2049, RFC 2047, RFC 2231)
//! that every other crate reads messages through: header fields, addresses, dates, encoded
//! words, the MIME part tree, transfer decoding, 7-bit conversion and SMTP dot-stuffing;
//! [`compose`] builds messages from parts.
//! [`Parsed`] is a message parsed once, for the filters that read it. Bytes in, values out:
//! no I/O.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compose;
pub mod date;
pub mod dot_stuffing;
pub mod headers;
pub mod mime;
pub mod parsed;
pub mod received;
pub mod seven_bit;

pub use parsed::Parsed;
