//! The MIME structure of a message: one memchr-assisted pass finds the parts as offsets into
//! the message; header fields, addresses, encoded words, parameters, dates and transfer
//! decoding then read those ranges. Nothing here fails or panics on broken input: every
//! message gives a valid tree.

pub mod address;
pub(crate) mod charset;
mod content;
mod date;
pub mod decode;
pub(crate) mod encoded_words;
pub(crate) mod params;
mod preview;
mod search_text;
mod structure;
mod utf7;

pub use date::{parse_date, sent_date, sent_day};
pub use encoded_words::decode as decode_encoded_words;
pub use preview::{PREVIEW_CHARS, preview};
pub use search_text::{address_values, body_text, contains_ignore_case, header_values};
pub use structure::{Disposition, MAX_DEPTH, MAX_PARTS, Part, parse};
