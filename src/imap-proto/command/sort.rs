//! SORT (RFC 5256 3, with RFC 5957's DISPLAYFROM and DISPLAYTO, and RFC 5267's ESORT return
//! options) and THREAD (RFC 5256 3): `SORT [RETURN (options)] (criteria) charset key *(SP
//! key)` and `THREAD algorithm charset key *(SP key)`.

use super::error::Result;
use super::lexer::{Lexer, upper};
use super::search::{search_keys, search_return_options};
use super::types::Command;

/// One SORT criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The internal date and time.
    Arrival,
    /// The first Cc address's mailbox (local part).
    Cc,
    /// The sent date (the internal date when there is none).
    Date,
    /// The first From address's mailbox.
    From,
    /// The size.
    Size,
    /// The base subject (RFC 5256 2.1).
    Subject,
    /// The first To address's mailbox.
    To,
    /// The first From address's display name, else its address (RFC 5957).
    DisplayFrom,
    /// The first To address's display name, else its address (RFC 5957).
    DisplayTo,
}

/// A criterion and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortCriterion {
    /// What is compared.
    pub key: SortKey,
    /// `REVERSE`: descending.
    pub reverse: bool,
}

/// A THREAD algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT`: by base subject, then sent date.
    OrderedSubject,
    /// `REFERENCES`: by the References and In-Reply-To fields.
    References,
}

/// `SORT` after its name and SP.
pub(super) fn sort(lx: &mut Lexer<'_>, uid: bool) -> Result<Command> {
    let returns = search_return_options(lx)?;
    let mut criteria = Vec::new();
    lx.list(false, |lx| {
        let mut buf = [0; 24];
        let mut name = upper(lx.atom()?, &mut buf);
        let reverse = name == b"REVERSE";
        if reverse {
            lx.sp()?;
            name = upper(lx.atom()?, &mut buf);
        }
        criteria.push(SortCriterion { key: sort_key(name)?, reverse });
        Ok(())
    })?;
    lx.sp()?;
    let charset = lx.astring()?;
    lx.sp()?;
    let key = search_keys(lx)?;
    Ok(Command::Sort { uid, criteria, charset, key, returns })
}

/// `THREAD` after its name and SP.
pub(super) fn thread(lx: &mut Lexer<'_>, uid: bool) -> Result<Command> {
    let mut buf = [0; 24];
    let algorithm = match upper(lx.atom()?, &mut buf) {
        b"ORDEREDSUBJECT" => ThreadAlgorithm::OrderedSubject,
        b"REFERENCES" => ThreadAlgorithm::References,
        _ => return Err("unknown THREAD algorithm"),
    };
    lx.sp()?;
    let charset = lx.astring()?;
    lx.sp()?;
    let key = search_keys(lx)?;
    Ok(Command::Thread { uid, algorithm, charset, key })
}

fn sort_key(name: &[u8]) -> Result<SortKey> {
    Ok(match name {
        b"ARRIVAL" => SortKey::Arrival,
        b"CC" => SortKey::Cc,
        b"DATE" => SortKey::Date,
        b"FROM" => SortKey::From,
        b"SIZE" => SortKey::Size,
        b"SUBJECT" => SortKey::Subject,
        b"TO" => SortKey::To,
        b"DISPLAYFROM" => SortKey::DisplayFrom,
        b"DISPLAYTO" => SortKey::DisplayTo,
        _ => return Err("unknown SORT criterion"),
    })
}
