//! Command names and the commands whose arguments need no module of their own.

use super::error::Result;
use super::lexer::{Lexer, upper};
use super::select::select;
use super::types::{AppendData, AppendMessage, CatPart, Command};
use super::{fetch, flag, list, search, sort};

/// Most messages, and CATENATE parts of them, one APPEND may carry.
pub const MAX_APPEND_PARTS: usize = 100;

/// A parser for a command's arguments, called after the name and its SP.
type Arguments = fn(&mut Lexer<'_>) -> Result<Command>;

/// The command after the tag and its SP.
pub(super) fn command(lx: &mut Lexer<'_>) -> Result<Command> {
    let mut buf = [0; 24];
    let name = upper(lx.atom().map_err(|_| "expected a command name")?, &mut buf);
    let bare = match name {
        b"CAPABILITY" => Command::Capability,
        b"NOOP" => Command::Noop,
        b"LOGOUT" => Command::Logout,
        b"STARTTLS" => Command::StartTls,
        b"CHECK" => Command::Check,
        b"CLOSE" => Command::Close,
        b"UNSELECT" => Command::Unselect,
        b"EXPUNGE" => Command::Expunge,
        b"IDLE" => Command::Idle,
        b"NAMESPACE" => Command::Namespace,
        _ => {
            let arguments = with_arguments(name).ok_or("unknown command")?;
            lx.sp()?;
            return arguments(lx);
        }
    };
    lx.end()?;
    Ok(bare)
}

/// The argument parser of the command called `name` (upper-cased), if it takes arguments.
fn with_arguments(name: &[u8]) -> Option<Arguments> {
    Some(match name {
        b"AUTHENTICATE" => authenticate,
        b"LOGIN" => login,
        b"ENABLE" => enable,
        b"SELECT" => |lx| select(lx).map(|(mailbox, params)| Command::Select { mailbox, params }),
        b"EXAMINE" => |lx| select(lx).map(|(mailbox, params)| Command::Examine { mailbox, params }),
        b"CREATE" => |lx| mailbox(lx).map(|mailbox| Command::Create { mailbox }),
        b"DELETE" => |lx| mailbox(lx).map(|mailbox| Command::Delete { mailbox }),
        b"SUBSCRIBE" => |lx| mailbox(lx).map(|mailbox| Command::Subscribe { mailbox }),
        b"UNSUBSCRIBE" => |lx| mailbox(lx).map(|mailbox| Command::Unsubscribe { mailbox }),
        b"RENAME" => rename,
        b"LIST" => list::list,
        b"LSUB" => list::lsub,
        b"STATUS" => list::status,
        b"APPEND" => append,
        b"UID" => uid,
        b"SEARCH" => |lx| search::search(lx, false),
        b"SORT" => |lx| sort::sort(lx, false),
        b"THREAD" => |lx| sort::thread(lx, false),
        b"FETCH" => |lx| fetch::fetch(lx, false),
        b"STORE" => |lx| flag::store(lx, false),
        b"COPY" => |lx| copy_move(lx, false, false),
        b"MOVE" => |lx| copy_move(lx, false, true),
        b"ID" => id,
        b"GETQUOTA" => |lx| {
            let root = lx.astring()?;
            lx.end()?;
            Ok(Command::GetQuota { root })
        },
        b"GETQUOTAROOT" => |lx| mailbox(lx).map(|mailbox| Command::GetQuotaRoot { mailbox }),
        b"SETQUOTA" => set_quota,
        b"COMPRESS" => |lx| {
            let mechanism = String::from_utf8_lossy(lx.atom()?).into_owned();
            lx.end()?;
            Ok(Command::Compress { mechanism })
        },
        _ => return None,
    })
}

/// Whether `s` is SASL-IR's initial response: base64 with padding, or `=` for empty.
fn is_base64(s: &[u8]) -> bool {
    let body = s.strip_suffix(b"==").or_else(|| s.strip_suffix(b"=")).unwrap_or(s);
    s == b"="
        || (!s.is_empty()
            && s.len() % 4 == 0
            && body.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'))
}

/// `AUTHENTICATE mechanism [SP initial-response]`.
fn authenticate(lx: &mut Lexer<'_>) -> Result<Command> {
    let mechanism = lx.atom_string()?.to_ascii_uppercase();
    let mut initial = None;
    if lx.eat(b' ') {
        let response = lx.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if !is_base64(response) {
            return Err("bad initial response");
        }
        initial = Some(response.iter().map(|&b| char::from(b)).collect());
    }
    lx.end()?;
    Ok(Command::Authenticate { mechanism, initial })
}

/// `LOGIN user SP password`.
fn login(lx: &mut Lexer<'_>) -> Result<Command> {
    let user = lx.astring()?;
    lx.sp()?;
    let password = lx.astring()?;
    lx.end()?;
    Ok(Command::Login { user, password })
}

/// `ENABLE capability *(SP capability)`, names upper-cased.
fn enable(lx: &mut Lexer<'_>) -> Result<Command> {
    let mut names = vec![lx.atom_string()?.to_ascii_uppercase()];
    while lx.eat(b' ') {
        names.push(lx.atom_string()?.to_ascii_uppercase());
    }
    lx.end()?;
    Ok(Command::Enable(names))
}

/// A lone mailbox argument.
fn mailbox(lx: &mut Lexer<'_>) -> Result<String> {
    let mailbox = lx.mailbox()?;
    lx.end()?;
    Ok(mailbox)
}

/// `SETQUOTA root SP "(" [resource SP number *(SP resource SP number)] ")"`.
fn set_quota(lx: &mut Lexer<'_>) -> Result<Command> {
    let root = lx.astring()?;
    lx.sp()?;
    lx.list(true, |lx| {
        lx.atom()?;
        lx.sp()?;
        lx.number64().map(drop)
    })?;
    lx.end()?;
    Ok(Command::SetQuota { root })
}

/// `RENAME from SP to`.
fn rename(lx: &mut Lexer<'_>) -> Result<Command> {
    let from = lx.mailbox()?;
    lx.sp()?;
    let to = lx.mailbox()?;
    lx.end()?;
    Ok(Command::Rename { from, to })
}

/// `APPEND mailbox 1*(SP [flag-list SP] [date-time SP] (literal / literal8 / "UTF8" SP "("
/// literal8 ")"))`: one message, or several (MULTIAPPEND, RFC 3502; UTF8, RFC 6855).
fn append(lx: &mut Lexer<'_>) -> Result<Command> {
    let mailbox = lx.mailbox()?;
    let mut messages: Vec<AppendMessage> = Vec::new();
    while messages.is_empty() || !lx.at_end() {
        let parts: usize = messages
            .iter()
            .map(|m| match &m.data {
                AppendData::Catenate(parts) => parts.len(),
                AppendData::Literal(_) => 1,
            })
            .sum();
        if parts >= MAX_APPEND_PARTS {
            return Err("too many messages or parts in one APPEND");
        }
        lx.sp()?;
        let mut flags = Vec::new();
        if lx.peek() == Some(b'(') {
            flags = lx.flag_list()?;
            lx.sp()?;
        }
        let mut date = None;
        if lx.peek() == Some(b'"') {
            date = Some(lx.date_time()?);
            lx.sp()?;
        }
        // RFC 6855 4: `UTF8 (literal8)`, a message with UTF-8 header fields.
        let data = if lx.keyword("UTF8") {
            lx.sp()?;
            lx.expect(b'(', "expected '(' after UTF8")?;
            let message = lx.literal(true)?.to_vec();
            lx.expect(b')', "expected ')' after the UTF8 literal")?;
            AppendData::Literal(message)
        } else if lx.keyword("CATENATE") {
            lx.sp()?;
            AppendData::Catenate(catenate(lx)?)
        } else {
            AppendData::Literal(lx.literal(true)?.to_vec())
        };
        messages.push(AppendMessage { flags, date, data });
    }
    lx.end()?;
    Ok(Command::Append { mailbox, messages })
}

/// `"(" cat-part *(SP cat-part) ")"` (RFC 4469): `TEXT literal` and `URL astring` parts.
fn catenate(lx: &mut Lexer<'_>) -> Result<Vec<CatPart>> {
    let mut parts = Vec::new();
    lx.list(false, |lx| {
        if parts.len() >= MAX_APPEND_PARTS {
            return Err("too many parts in one CATENATE");
        }
        let part = if lx.keyword("TEXT") {
            lx.sp()?;
            CatPart::Text(lx.literal(false)?.to_vec())
        } else if lx.keyword("URL") {
            lx.sp()?;
            CatPart::Url(lx.astring()?)
        } else {
            return Err("expected TEXT or URL");
        };
        parts.push(part);
        Ok(())
    })?;
    Ok(parts)
}

/// `UID` followed by FETCH, STORE, COPY, MOVE, SEARCH, SORT, THREAD or EXPUNGE.
fn uid(lx: &mut Lexer<'_>) -> Result<Command> {
    let mut buf = [0; 24];
    let name = upper(lx.atom()?, &mut buf);
    let arguments: Arguments = match name {
        b"FETCH" => |lx| fetch::fetch(lx, true),
        b"STORE" => |lx| flag::store(lx, true),
        b"SEARCH" => |lx| search::search(lx, true),
        b"SORT" => |lx| sort::sort(lx, true),
        b"THREAD" => |lx| sort::thread(lx, true),
        b"COPY" => |lx| copy_move(lx, true, false),
        b"MOVE" => |lx| copy_move(lx, true, true),
        b"EXPUNGE" => |lx| {
            let set = lx.sequence_set()?;
            lx.end()?;
            Ok(Command::UidExpunge(set))
        },
        _ => return Err("unknown UID command"),
    };
    lx.sp()?;
    arguments(lx)
}

/// COPY/MOVE: `set SP mailbox`.
fn copy_move(lx: &mut Lexer<'_>, uid: bool, is_move: bool) -> Result<Command> {
    let set = lx.sequence_set()?;
    lx.sp()?;
    let mailbox = lx.mailbox()?;
    lx.end()?;
    Ok(if is_move { Command::Move { uid, set, mailbox } } else { Command::Copy { uid, set, mailbox } })
}

/// `ID ("field" value ...)` or `ID NIL` (RFC 2971).
fn id(lx: &mut Lexer<'_>) -> Result<Command> {
    let mut fields = Vec::new();
    if !lx.keyword("NIL") {
        lx.list(true, |lx| {
            let name = lx.string()?;
            lx.sp()?;
            fields.push((name, lx.nstring()?));
            Ok(())
        })?;
    }
    lx.end()?;
    Ok(Command::Id(fields))
}
