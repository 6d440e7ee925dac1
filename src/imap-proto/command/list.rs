//! Mailbox listing and status: LIST with RFC 5258 selection and return options (RFC 6154
//! SPECIAL-USE, RFC 5819 STATUS), LSUB, and STATUS.

use super::error::Result;
use super::lexer::{Lexer, upper};
use super::types::{Command, ListReturn, ListSelect, StatusItem};

/// `LIST` after its name and SP: `[(select-opts) SP] reference SP (pattern / (patterns))
/// [SP RETURN SP (return-opts)]`.
pub(super) fn list(lx: &mut Lexer<'_>) -> Result<Command> {
    let mut select = ListSelect::default();
    if lx.peek() == Some(b'(') {
        lx.list(true, |lx| lx.select_option(&mut select))?;
        if select.recursive_match && !(select.subscribed || select.special_use) {
            return Err("RECURSIVEMATCH needs another selection option");
        }
        lx.sp()?;
    }
    let reference = lx.astring()?;
    lx.sp()?;
    let mut patterns = Vec::new();
    if lx.peek() == Some(b'(') {
        lx.list(false, |lx| lx.list_mailbox().map(|p| patterns.push(p)))?;
    } else {
        patterns.push(lx.list_mailbox()?);
    }
    let mut returns = ListReturn::default();
    if lx.eat(b' ') {
        if !lx.keyword("RETURN") {
            return Err("expected RETURN");
        }
        lx.sp()?;
        lx.list(true, |lx| lx.return_option(&mut returns))?;
    }
    lx.end()?;
    Ok(Command::List { reference, patterns, select, returns })
}

/// `LSUB` after its name and SP: `reference SP pattern`.
pub(super) fn lsub(lx: &mut Lexer<'_>) -> Result<Command> {
    let reference = lx.astring()?;
    lx.sp()?;
    let pattern = lx.list_mailbox()?;
    lx.end()?;
    Ok(Command::Lsub { reference, pattern })
}

/// `STATUS` after its name and SP: `mailbox SP (items)`.
pub(super) fn status(lx: &mut Lexer<'_>) -> Result<Command> {
    let mailbox = lx.mailbox()?;
    lx.sp()?;
    let items = lx.status_items()?;
    lx.end()?;
    Ok(Command::Status { mailbox, items })
}

impl Lexer<'_> {
    /// One LIST selection option, recorded in `select`.
    fn select_option(&mut self, select: &mut ListSelect) -> Result<()> {
        let mut buf = [0; 24];
        let option = match upper(self.atom()?, &mut buf) {
            b"SUBSCRIBED" => &mut select.subscribed,
            b"REMOTE" => &mut select.remote,
            b"RECURSIVEMATCH" => &mut select.recursive_match,
            b"SPECIAL-USE" => &mut select.special_use,
            _ => return Err("unknown LIST selection option"),
        };
        *option = true;
        Ok(())
    }

    /// One LIST return option, recorded in `returns`.
    fn return_option(&mut self, returns: &mut ListReturn) -> Result<()> {
        let mut buf = [0; 24];
        let option = match upper(self.atom()?, &mut buf) {
            b"SUBSCRIBED" => &mut returns.subscribed,
            b"CHILDREN" => &mut returns.children,
            b"SPECIAL-USE" => &mut returns.special_use,
            b"STATUS" => {
                self.sp()?;
                returns.status = Some(self.status_items()?);
                return Ok(());
            }
            _ => return Err("unknown LIST return option"),
        };
        *option = true;
        Ok(())
    }

    /// `"(" status-att *(SP status-att) ")"`.
    fn status_items(&mut self) -> Result<Vec<StatusItem>> {
        let mut items = Vec::new();
        self.list(false, |lx| {
            let mut buf = [0; 24];
            let item = match upper(lx.atom()?, &mut buf) {
                b"MESSAGES" => StatusItem::Messages,
                b"RECENT" => StatusItem::Recent,
                b"UIDNEXT" => StatusItem::UidNext,
                b"UIDVALIDITY" => StatusItem::UidValidity,
                b"UNSEEN" => StatusItem::Unseen,
                b"DELETED" => StatusItem::Deleted,
                b"SIZE" => StatusItem::Size,
                b"HIGHESTMODSEQ" => StatusItem::HighestModSeq,
                b"MAILBOXID" => StatusItem::MailboxId,
                _ => return Err("unknown STATUS item"),
            };
            items.push(item);
            Ok(())
        })?;
        Ok(items)
    }
}
