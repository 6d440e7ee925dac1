//! Lenient RFC 5322 address lists (mailboxes, route-addrs, groups, obsolete forms) read into the
//! four fields of an IMAP envelope address (RFC 3501 7.4.2). Encoded words are kept as they are.

/// One entry of an ENVELOPE address list: `(name adl mailbox host)`. A group start is
/// `(NIL NIL "group" NIL)`, a group end `(NIL NIL NIL NIL)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// The display name (phrase), raw.
    pub name: Option<Vec<u8>>,
    /// The source route (obsolete `@a,@b:`), if any.
    pub adl: Option<Vec<u8>>,
    /// The local part, or the group name at a group start.
    pub mailbox: Option<Vec<u8>>,
    /// The domain.
    pub host: Option<Vec<u8>>,
}

/// The addresses of an (unfolded) address-list field value, groups marked as IMAP wants.
pub fn parse(value: &[u8]) -> Vec<Address> {
    list(value, true)
}

/// The mailboxes of an (unfolded) address-list field value, those inside groups included,
/// without the group start and end entries of [`parse`].
pub fn mailboxes(value: &[u8]) -> Vec<Address> {
    list(value, false)
}

/// The entries of an address list, with the group markers when `groups`.
fn list(value: &[u8], groups: bool) -> Vec<Address> {
    let tokens = tokenize(value);
    let mut out = Vec::new();
    let mut current = Pending::default();
    let mut in_group = false;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        match token.kind {
            Kind::Special(b',') => current.flush(&mut out),
            Kind::Special(b';') => {
                current.flush(&mut out);
                if in_group {
                    if groups {
                        out.push(Address::default());
                    }
                    in_group = false;
                }
            }
            Kind::Special(b':') if !in_group && current.angle.is_none() => {
                let name = phrase(&current.words);
                if groups {
                    out.push(Address { mailbox: Some(name), ..Address::default() });
                }
                current = Pending::default();
                in_group = true;
            }
            Kind::Special(b'<') if current.angle.is_none() => {
                let end =
                    tokens[i..].iter().position(|t| t.kind == Kind::Special(b'>')).map_or(tokens.len(), |p| i + p);
                current.angle = Some(angle_addr(&tokens[i..end]));
                i = end + 1;
            }
            Kind::Comment => current.comment = Some(token.text.clone()),
            Kind::Special(b':' | b'<' | b'>') => {}
            _ if current.angle.is_none() => current.words.push(token.clone()),
            _ => {}
        }
    }
    current.flush(&mut out);
    if in_group && groups {
        out.push(Address::default());
    }
    out
}

/// What has been read of the address being parsed.
#[derive(Default)]
struct Pending {
    words: Vec<Token>,
    angle: Option<(Option<Vec<u8>>, Vec<Token>)>,
    comment: Option<Vec<u8>>,
}

impl Pending {
    /// Ends the current address (at `,`, `;` or the end) and adds it unless it is empty.
    fn flush(&mut self, out: &mut Vec<Address>) {
        let pending = std::mem::take(self);
        let comment = pending.comment.filter(|c| !c.is_empty());
        let address = match pending.angle {
            Some((adl, spec)) => {
                let name = Some(phrase(&pending.words)).filter(|n| !n.is_empty()).or(comment);
                let (mailbox, host) = addr_spec(&spec);
                Address { name, adl, mailbox, host }
            }
            None if pending.words.is_empty() => return,
            None => {
                let (mailbox, host) = addr_spec(&pending.words);
                Address { name: comment, adl: None, mailbox, host }
            }
        };
        if address.name.is_some() || address.mailbox.is_some() || address.host.is_some() {
            out.push(address);
        }
    }
}

/// The inside of `<...>`: an optional obsolete route (`@a,@b:`) and the addr-spec tokens.
fn angle_addr(tokens: &[Token]) -> (Option<Vec<u8>>, Vec<Token>) {
    let tokens: Vec<Token> = tokens.iter().filter(|t| t.kind != Kind::Comment).cloned().collect();
    let colon = tokens.iter().position(|t| t.kind == Kind::Special(b':'));
    match (tokens.first().map(|t| t.kind), colon) {
        (Some(Kind::Special(b'@')), Some(colon)) => (Some(joined(&tokens[..colon])), tokens[colon + 1..].to_vec()),
        _ => (None, tokens),
    }
}

/// Mailbox and host of an addr-spec (`local@domain`); without `@` the words are the mailbox
/// and the host is NIL.
fn addr_spec(tokens: &[Token]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let non_empty = |v: Vec<u8>| Some(v).filter(|v| !v.is_empty());
    match tokens.iter().position(|t| t.kind == Kind::Special(b'@')) {
        Some(at) => (non_empty(joined(&tokens[..at])), non_empty(joined(&tokens[at + 1..]))),
        None => (non_empty(phrase(tokens)), None),
    }
}

/// Tokens joined with nothing between them (local parts, domains, routes).
fn joined(tokens: &[Token]) -> Vec<u8> {
    tokens.iter().flat_map(|t| t.text.iter().copied()).collect()
}

/// Tokens joined with single spaces where the source had white space (display names).
fn phrase(tokens: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for token in tokens {
        if token.space_before && !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(&token.text);
    }
    out
}

/// A lexical token of an address field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: Kind,
    /// The atom, the quoted string's content, the domain literal with brackets, the special
    /// octet, or the comment's content.
    text: Vec<u8>,
    space_before: bool,
}

/// Kinds of [`Token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Atom,
    Quoted,
    Literal,
    Special(u8),
    Comment,
}

/// Splits an address field into tokens; unterminated quotes, comments and literals run to the
/// end.
fn tokenize(value: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut space_before = false;
    while let Some(&b) = value.get(i) {
        let (kind, text, next) = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                space_before = true;
                i += 1;
                continue;
            }
            b'"' => {
                let (text, next) = quoted(value, i + 1);
                (Kind::Quoted, text, next)
            }
            b'(' => {
                let (text, next) = comment(value, i + 1);
                (Kind::Comment, text, next)
            }
            b'[' => {
                let next = memchr::memchr(b']', &value[i..]).map_or(value.len(), |p| i + p + 1);
                (Kind::Literal, value[i..next].to_vec(), next)
            }
            b'<' | b'>' | b'@' | b',' | b';' | b':' | b'.' | b'\\' | b']' | b')' => (Kind::Special(b), vec![b], i + 1),
            _ => {
                let len =
                    value[i..].iter().position(|c| b" \t\r\n\"()[]<>@,;:.\\".contains(c)).unwrap_or(value.len() - i);
                (Kind::Atom, value[i..i + len].to_vec(), i + len)
            }
        };
        if !matches!(kind, Kind::Special(b')' | b']' | b'\\')) {
            tokens.push(Token { kind, text, space_before });
        }
        space_before = false;
        i = next;
    }
    tokens
}

/// The content of a quoted string starting after its `"`, escapes undone, and where it ends.
fn quoted(value: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut text = Vec::new();
    while let Some(&b) = value.get(i) {
        i += 1;
        match b {
            b'"' => break,
            b'\\' => {
                text.extend(value.get(i));
                i += 1;
            }
            b'\r' | b'\n' => {}
            _ => text.push(b),
        }
    }
    (text, i.min(value.len()))
}

/// The content of a (nested) comment starting after its `(`, trimmed, and where it ends.
fn comment(value: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let start = i;
    let mut depth = 1;
    while let Some(&b) = value.get(i) {
        i += 1;
        match b {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    let text = crate::headers::trim(&value[start..i - 1]).to_vec();
                    return (text, i);
                }
            }
            _ => {}
        }
    }
    (crate::headers::trim(value.get(start..).unwrap_or_default()).to_vec(), value.len())
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
