//! Messages as text: header fields and dates (RFC 5322), and dot-stuffing for transfer.

pub mod date;
pub mod dot_stuffing;
pub mod headers;
