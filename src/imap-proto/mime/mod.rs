//! IMAP's views of a parsed message (RFC 3501 7.4.2, RFC 9051 7.5.2): ENVELOPE and
//! BODYSTRUCTURE written from the part tree of [`message::mime`], and the bytes a
//! `BODY[section]` or `BINARY[part]` names. Valid IMAP syntax for every message, broken or not.

mod bodystructure;
mod envelope;
mod section;

pub use bodystructure::write_body_structure;
pub use envelope::write_envelope;
pub use section::{UnknownEncoding, binary, section};
