//! Messages as text: header fields and dates (RFC 5322), dot-stuffing for transfer, and the
//! 8BITMIME downgrade.

pub mod date;
pub mod dot_stuffing;
pub mod headers;
pub mod seven_bit;
