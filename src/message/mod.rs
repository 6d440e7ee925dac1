//! Reading and writing message headers (RFC 5322).

pub mod date;
pub mod headers;
