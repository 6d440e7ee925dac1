//! The MIME structure of stored messages for IMAP FETCH (ENVELOPE, BODYSTRUCTURE, BODY[section],
//! BINARY) and SEARCH: one memchr-assisted pass finds the parts as offsets into the message, the
//! writers and extractors then read those ranges. Nothing here fails or panics on broken input:
//! every message gives a valid tree and valid IMAP syntax.

mod address;
mod bodystructure;
mod charset;
mod content;
mod date;
mod decode;
mod encoded_words;
mod envelope;
mod header;
mod params;
mod search_text;
mod section;
mod structure;

pub use bodystructure::write_body_structure;
pub use date::sent_date;
pub use envelope::write_envelope;
pub use search_text::{body_text, contains_ignore_case, header_values};
pub use section::{UnknownEncoding, binary, section};
pub use structure::{Disposition, MAX_DEPTH, MAX_PARTS, Part, parse};
