//! SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 7162 MODSEQ): return
//! options, charset and the search-key tree.

use super::date::Day;
use super::error::Result;
use super::lexer::{Lexer, upper};
use super::sequence::SequenceSet;
use super::types::Command;

/// Deepest nesting of `NOT`, `OR` and parentheses accepted.
pub(super) const MAX_DEPTH: usize = 64;

/// A search criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `NEW`: recent and unseen.
    New,
    /// `OLD`: not recent.
    Old,
    /// `RECENT`.
    Recent,
    /// `SEEN`.
    Seen,
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNSEEN`.
    Unseen,
    /// `KEYWORD flag`.
    Keyword(String),
    /// `UNKEYWORD flag`.
    Unkeyword(String),
    /// `BCC string`.
    Bcc(String),
    /// `CC string`.
    Cc(String),
    /// `FROM string`.
    From(String),
    /// `TO string`.
    To(String),
    /// `SUBJECT string`.
    Subject(String),
    /// `BODY string`.
    Body(String),
    /// `TEXT string`: header or body.
    Text(String),
    /// `HEADER field-name string`.
    Header(String, String),
    /// `BEFORE date`: internal date.
    Before(Day),
    /// `ON date`: internal date.
    On(Day),
    /// `SINCE date`: internal date.
    Since(Day),
    /// `SENTBEFORE date`: Date header.
    SentBefore(Day),
    /// `SENTON date`: Date header.
    SentOn(Day),
    /// `SENTSINCE date`: Date header.
    SentSince(Day),
    /// `SAVEDBEFORE date`: save date (RFC 8514).
    SavedBefore(Day),
    /// `SAVEDON date`: save date.
    SavedOn(Day),
    /// `SAVEDSINCE date`: save date.
    SavedSince(Day),
    /// `SAVEDATESUPPORTED`: every message, in a mailbox that keeps save dates.
    SaveDateSupported,
    /// `LARGER n` octets.
    Larger(u64),
    /// `SMALLER n` octets.
    Smaller(u64),
    /// `EMAILID id` (RFC 8474).
    EmailId(String),
    /// `THREADID id` (RFC 8474).
    ThreadId(String),
    /// `OLDER n` (RFC 5032): an internal date more than `n` seconds ago.
    Older(u32),
    /// `YOUNGER n` (RFC 5032): an internal date at most `n` seconds ago.
    Younger(u32),
    /// `UID set`.
    Uid(SequenceSet),
    /// A bare sequence set of message numbers.
    Sequence(SequenceSet),
    /// `MODSEQ [entry type] n`: mod-sequence at least `n`.
    ModSeq(u64),
    /// `NOT key`.
    Not(Box<SearchKey>),
    /// `OR key key`.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// All of the keys: a parenthesized list, or several top-level keys.
    And(Vec<SearchKey>),
}

/// An ESEARCH return option (RFC 4731).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReturn {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (RFC 5182): keep the result for `$`.
    Save,
}

/// `SEARCH` after its name and SP: `[RETURN (opts) SP] [CHARSET x SP] key *(SP key)`.
pub(super) fn search(lx: &mut Lexer<'_>, uid: bool) -> Result<Command> {
    let returns = search_return_options(lx)?;
    let mut charset = None;
    if lx.keyword("CHARSET") {
        lx.sp()?;
        charset = Some(if lx.peek() == Some(b'"') { lx.string()? } else { lx.atom_string()? });
        lx.sp()?;
    }
    let key = search_keys(lx)?;
    Ok(Command::Search { uid, charset, key, returns })
}

/// `RETURN (options) SP`, if it comes next (ESEARCH, and ESORT for SORT): `Some(vec![])` for
/// `RETURN ()`.
pub(super) fn search_return_options(lx: &mut Lexer<'_>) -> Result<Option<Vec<SearchReturn>>> {
    if !lx.keyword("RETURN") {
        return Ok(None);
    }
    lx.sp()?;
    let mut options = Vec::new();
    lx.list(true, |lx| lx.search_return().map(|r| options.push(r)))?;
    lx.sp()?;
    Ok(Some(options))
}

/// `search-key *(SP search-key)` to the end of the command; several make one
/// [`SearchKey::And`]. (SORT and THREAD end with them too.)
pub(super) fn search_keys(lx: &mut Lexer<'_>) -> Result<SearchKey> {
    let mut keys = vec![lx.search_key(0)?];
    while lx.eat(b' ') {
        keys.push(lx.search_key(0)?);
    }
    lx.end()?;
    Ok(match keys.pop() {
        Some(key) if keys.is_empty() => key,
        last => SearchKey::And(keys.into_iter().chain(last).collect()),
    })
}

impl Lexer<'_> {
    /// One ESEARCH return option.
    fn search_return(&mut self) -> Result<SearchReturn> {
        let mut buf = [0; 24];
        match upper(self.atom()?, &mut buf) {
            b"MIN" => Ok(SearchReturn::Min),
            b"MAX" => Ok(SearchReturn::Max),
            b"ALL" => Ok(SearchReturn::All),
            b"COUNT" => Ok(SearchReturn::Count),
            b"SAVE" => Ok(SearchReturn::Save),
            _ => Err("unknown SEARCH return option"),
        }
    }

    /// SP, then `value`.
    fn arg<T>(&mut self, value: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.sp()?;
        value(self)
    }

    /// One `search-key` at nesting `depth`.
    fn search_key(&mut self, depth: usize) -> Result<SearchKey> {
        use SearchKey as K;
        if depth >= MAX_DEPTH {
            return Err("search keys nested too deeply");
        }
        match self.peek() {
            Some(b'(') => {
                let mut keys = Vec::new();
                self.list(false, |lx| lx.search_key(depth + 1).map(|k| keys.push(k)))?;
                return Ok(K::And(keys));
            }
            Some(b'*' | b'$' | b'0'..=b'9') => return self.sequence_set().map(K::Sequence),
            _ => {}
        }
        let mut buf = [0; 24];
        let key = match upper(self.atom()?, &mut buf) {
            b"ALL" => K::All,
            b"ANSWERED" => K::Answered,
            b"DELETED" => K::Deleted,
            b"DRAFT" => K::Draft,
            b"FLAGGED" => K::Flagged,
            b"NEW" => K::New,
            b"OLD" => K::Old,
            b"RECENT" => K::Recent,
            b"SEEN" => K::Seen,
            b"UNANSWERED" => K::Unanswered,
            b"UNDELETED" => K::Undeleted,
            b"UNDRAFT" => K::Undraft,
            b"UNFLAGGED" => K::Unflagged,
            b"UNSEEN" => K::Unseen,
            b"KEYWORD" => K::Keyword(self.arg(Self::atom_string)?),
            b"UNKEYWORD" => K::Unkeyword(self.arg(Self::atom_string)?),
            b"BCC" => K::Bcc(self.arg(Self::astring)?),
            b"CC" => K::Cc(self.arg(Self::astring)?),
            b"FROM" => K::From(self.arg(Self::astring)?),
            b"TO" => K::To(self.arg(Self::astring)?),
            b"SUBJECT" => K::Subject(self.arg(Self::astring)?),
            b"BODY" => K::Body(self.arg(Self::astring)?),
            b"TEXT" => K::Text(self.arg(Self::astring)?),
            b"HEADER" => K::Header(self.arg(Self::astring)?, self.arg(Self::astring)?),
            b"BEFORE" => K::Before(self.arg(Self::date)?),
            b"ON" => K::On(self.arg(Self::date)?),
            b"SINCE" => K::Since(self.arg(Self::date)?),
            b"SENTBEFORE" => K::SentBefore(self.arg(Self::date)?),
            b"SENTON" => K::SentOn(self.arg(Self::date)?),
            b"SENTSINCE" => K::SentSince(self.arg(Self::date)?),
            b"SAVEDBEFORE" => K::SavedBefore(self.arg(Self::date)?),
            b"SAVEDON" => K::SavedOn(self.arg(Self::date)?),
            b"SAVEDSINCE" => K::SavedSince(self.arg(Self::date)?),
            b"SAVEDATESUPPORTED" => K::SaveDateSupported,
            b"LARGER" => K::Larger(self.arg(Self::number64)?),
            b"SMALLER" => K::Smaller(self.arg(Self::number64)?),
            b"OLDER" => K::Older(self.arg(Self::nz_number)?),
            b"EMAILID" => K::EmailId(self.arg(Self::object_id)?),
            b"THREADID" => K::ThreadId(self.arg(Self::object_id)?),
            b"YOUNGER" => K::Younger(self.arg(Self::nz_number)?),
            b"UID" => K::Uid(self.arg(Self::sequence_set)?),
            b"MODSEQ" => K::ModSeq(self.arg(Self::modseq_criterion)?),
            b"NOT" => K::Not(Box::new(self.arg(|lx| lx.search_key(depth + 1))?)),
            b"OR" => {
                let a = self.arg(|lx| lx.search_key(depth + 1))?;
                K::Or(Box::new(a), Box::new(self.arg(|lx| lx.search_key(depth + 1))?))
            }
            _ => return Err("unknown search key"),
        };
        Ok(key)
    }

    /// An `objectid` (RFC 8474): 1 to 255 letters, digits, `_` and `-`.
    fn object_id(&mut self) -> Result<String> {
        let id = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match id.len() {
            1..=255 => Ok(id.iter().map(|&b| char::from(b)).collect()),
            _ => Err("expected an object id"),
        }
    }

    /// The rest of `MODSEQ`: `[entry-name SP entry-type-req SP] mod-sequence-valzer`; the
    /// entry is skipped.
    fn modseq_criterion(&mut self) -> Result<u64> {
        if self.peek() == Some(b'"') {
            self.quoted()?;
            self.sp()?;
            if !(self.keyword("PRIV") || self.keyword("SHARED") || self.keyword("ALL")) {
                return Err("bad MODSEQ entry type");
            }
            self.sp()?;
        }
        self.number64()
    }
}
