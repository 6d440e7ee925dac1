//! The IMAP command parser (RFC 9051 9, RFC 3501 9, and the extensions the server offers).
//!
//! The session reads a line, asks [`line_end`] whether a literal follows, reads the literal's
//! octets and the next line, and so on; then hands the whole command to [`parse`]. Parsing
//! never panics, allocates only what the result holds, and bounds the nesting of search keys.

mod date;
mod dispatch;
pub use dispatch::MAX_APPEND_PARTS;
mod error;
mod fetch;
mod flag;
mod lexer;
mod line_end;
mod list;
mod search;
mod select;
mod sequence;
mod sort;
mod string;
mod types;

#[cfg(test)]
mod tests;

pub use date::Day;
pub use error::ParseError;
pub use fetch::{FetchAttribute, parse_section};
pub use line_end::{LineEnd, line_end};
pub use search::{SearchKey, SearchReturn};
pub use select::{Qresync, SelectParams};
pub use sequence::{SeqNum, SeqRange, SequenceSet};
pub use sort::{SortCriterion, SortKey, ThreadAlgorithm};
pub use types::{
    AppendData, AppendMessage, CatPart, Command, Flag, ListReturn, ListSelect, StatusItem, StoreAction, Tagged,
};

use lexer::{Lexer, is_astring_char};

/// Parses one whole command: its lines joined with CRLF, each announced literal's octets
/// inline right after the CRLF of the line that announced it, final CRLF optional.
pub fn parse(input: &[u8]) -> Result<Tagged, ParseError> {
    let mut lx = Lexer::new(input);
    if lx.at_end() {
        return Err(ParseError { tag: None, message: "empty command".to_owned() });
    }
    // A tag's octets are ASCII ASTRING-CHARs, so each is one char.
    let tag: String = lx.take_while(|b| is_astring_char(b) && b != b'+').iter().map(|&b| char::from(b)).collect();
    if tag.is_empty() || !(lx.eat(b' ') || lx.at_end()) {
        return Err(ParseError { tag: None, message: "bad tag".to_owned() });
    }
    let command = if lx.at_end() { Err("missing command") } else { dispatch::command(&mut lx) };
    match command {
        Ok(command) => Ok(Tagged { tag, command }),
        Err(message) => Err(ParseError { tag: Some(tag), message: message.to_owned() }),
    }
}
