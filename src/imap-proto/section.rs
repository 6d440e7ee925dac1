//! What a `BODY[section]` or `BINARY[part]` names (RFC 3501 6.4.5, RFC 9051 6.4.5): shared by
//! the command parser, which reads it, and the MIME code, which finds its bytes.

/// A section of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Part numbers from the top, e.g. `[2, 1]` for `2.1`; empty for the whole message.
    pub part: Vec<u32>,
    /// What of that part; `None` for the part's whole content.
    pub text: Option<SectionText>,
}

/// The text specifier after the part numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// `HEADER`: the header block including the blank line after it.
    Header,
    /// `HEADER.FIELDS (..)`, or `HEADER.FIELDS.NOT (..)` when `not`; names as given.
    HeaderFields {
        /// True for `HEADER.FIELDS.NOT`.
        not: bool,
        /// Field names.
        fields: Vec<String>,
    },
    /// `TEXT`: the body after the header block.
    Text,
    /// `MIME`: the MIME header of a body part.
    Mime,
}
