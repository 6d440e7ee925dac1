//! Flags (RFC 9051 2.3.2) and the STORE command that sets them.

use super::error::Result;
use super::lexer::Lexer;
use super::types::{Command, Flag, StoreAction};

impl Lexer<'_> {
    /// `flag`: a system flag (any case) or a keyword atom; any other `\Name` fails.
    pub(super) fn flag(&mut self) -> Result<Flag> {
        if !self.eat(b'\\') {
            return self.atom_string().map(Flag::Keyword).map_err(|_| "expected a flag");
        }
        let name = self.atom().map_err(|_| "expected a flag")?;
        let system = [
            ("Seen", Flag::Seen),
            ("Answered", Flag::Answered),
            ("Flagged", Flag::Flagged),
            ("Deleted", Flag::Deleted),
            ("Draft", Flag::Draft),
            ("Recent", Flag::Recent),
        ];
        let found = system.into_iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name));
        found.map(|(_, flag)| flag).ok_or("unknown system flag")
    }

    /// `flag-list`: `"(" [flag *(SP flag)] ")"`.
    pub(super) fn flag_list(&mut self) -> Result<Vec<Flag>> {
        let mut flags = Vec::new();
        self.list(true, |lx| lx.flag().map(|f| flags.push(f)))?;
        Ok(flags)
    }
}

/// `STORE` after its name and SP: `set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags`, where
/// the flags are a list or SP-separated bare flags.
pub(super) fn store(lx: &mut Lexer<'_>, uid: bool) -> Result<Command> {
    let set = lx.sequence_set()?;
    lx.sp()?;
    let mut unchanged_since = None;
    if lx.peek() == Some(b'(') {
        lx.list(false, |lx| {
            if unchanged_since.is_some() || !lx.keyword("UNCHANGEDSINCE") {
                return Err("bad STORE modifier");
            }
            lx.sp()?;
            unchanged_since = Some(lx.number64()?);
            Ok(())
        })?;
        lx.sp()?;
    }
    let action = match lx.peek() {
        Some(b'+') => StoreAction::Add,
        Some(b'-') => StoreAction::Remove,
        _ => StoreAction::Replace,
    };
    lx.pos += usize::from(action != StoreAction::Replace);
    let silent = if lx.keyword("FLAGS") {
        false
    } else if lx.keyword("FLAGS.SILENT") {
        true
    } else {
        return Err("expected FLAGS");
    };
    lx.sp()?;
    let flags = if lx.peek() == Some(b'(') {
        lx.flag_list()?
    } else {
        let mut flags = vec![lx.flag()?];
        while lx.eat(b' ') {
            flags.push(lx.flag()?);
        }
        flags
    };
    lx.end()?;
    Ok(Command::Store { uid, set, action, silent, flags, unchanged_since })
}
