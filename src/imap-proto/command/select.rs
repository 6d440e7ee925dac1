//! SELECT and EXAMINE parameters: CONDSTORE (RFC 7162 3.1.8) and QRESYNC (RFC 7162 3.2.5).

use super::error::Result;
use super::lexer::Lexer;
use super::sequence::SequenceSet;

/// The QRESYNC parameter: what the client knew of the mailbox when it last had it open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qresync {
    /// The UIDVALIDITY it knew; nothing is resynchronised when it is not the mailbox's.
    pub uid_validity: u32,
    /// The HIGHESTMODSEQ it knew: changes after it are reported.
    pub modseq: u64,
    /// The UIDs it knows of; expunges and flag changes are reported only for those.
    pub known_uids: Option<SequenceSet>,
    /// Message numbers and the UIDs they had (`seq-match-data`), a hint for servers that lost
    /// track of expunges.
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// What a SELECT or EXAMINE asked for beyond the mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectParams {
    /// `CONDSTORE` was given.
    pub condstore: bool,
    /// `QRESYNC (...)` was given.
    pub qresync: Option<Qresync>,
}

/// SELECT/EXAMINE after the name and SP: `mailbox [SP "(" param *(SP param) ")"]`.
pub(super) fn select(lx: &mut Lexer<'_>) -> Result<(String, SelectParams)> {
    let mailbox = lx.mailbox()?;
    let mut params = SelectParams::default();
    if lx.eat(b' ') {
        lx.list(false, |lx| {
            if lx.keyword("CONDSTORE") && !params.condstore {
                params.condstore = true;
                Ok(())
            } else if params.qresync.is_none() && lx.keyword("QRESYNC") {
                lx.sp()?;
                params.qresync = Some(qresync(lx)?);
                Ok(())
            } else {
                Err("unknown SELECT parameter")
            }
        })?;
    }
    lx.end()?;
    Ok((mailbox, params))
}

/// `"(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"`.
fn qresync(lx: &mut Lexer<'_>) -> Result<Qresync> {
    lx.expect(b'(', "expected '('")?;
    let uid_validity = lx.nz_number()?;
    lx.sp()?;
    let modseq = lx.mod_sequence()?;
    let mut known_uids = None;
    let mut seq_match = None;
    if lx.eat(b' ') {
        if lx.peek() != Some(b'(') {
            known_uids = Some(lx.sequence_set()?);
            if lx.eat(b' ') && lx.peek() != Some(b'(') {
                return Err("expected seq-match-data");
            }
        }
        if lx.eat(b'(') {
            let numbers = lx.sequence_set()?;
            lx.sp()?;
            let uids = lx.sequence_set()?;
            lx.expect(b')', "expected ')'")?;
            seq_match = Some((numbers, uids));
        }
    }
    lx.expect(b')', "expected ')'")?;
    Ok(Qresync { uid_validity, modseq, known_uids, seq_match })
}
