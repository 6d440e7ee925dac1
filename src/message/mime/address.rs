//! Lenient RFC 5322 address lists (mailboxes, route-addrs, groups, obsolete forms) read into the
//! four fields of an IMAP envelope address (RFC 3501 7.4.2). Encoded words are kept as they are.
//! [`parse_checked`] also says what the parser had to repair or guess, for readers (DMARC's
//! author) that must not act on a field that mail clients may read in another way.

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

/// What the lenient parser had to repair, or guess at, to read an address field: each is a
/// field that is not RFC 5322 as written, or one that mail clients are known to read in
/// different ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// A quoted string, comment, domain literal, `<` or group that does not end.
    Unterminated,
    /// A `>`, `)`, `]`, `\`, `;` or `:` where nothing opened it, or a second `<`.
    StrayDelimiter,
    /// An obsolete source route, `<@a.example,@b.example:user@c.example>`.
    Route,
    /// Text after the `>` of an address, `<a@x.example>b@y.example`.
    TrailingText,
    /// An unquoted `@` or other special in a display name, `a@x.example <b@y.example>`.
    SpecialInName,
    /// A comment inside the address, `user(x)@host` or `<user@(x)host>`.
    CommentInAddress,
    /// An encoded word (`=?charset?q?...?=`) inside the address.
    EncodedWordInAddress,
    /// A quoted pair (backslash escape) inside the address.
    QuotedPairInAddress,
    /// White space inside the address: obsolete `user @ host`, or a name without `<>`.
    SpaceInAddress,
    /// More than one `@` in the address.
    ExtraAt,
}

impl Repair {
    /// A few words saying what was repaired.
    pub fn describe(self) -> &'static str {
        match self {
            Repair::Unterminated => "an unterminated quote, comment, bracket or group",
            Repair::StrayDelimiter => "an unbalanced bracket or delimiter",
            Repair::Route => "an obsolete source route",
            Repair::TrailingText => "text after the address",
            Repair::SpecialInName => "an unquoted special in the display name",
            Repair::CommentInAddress => "a comment inside the address",
            Repair::EncodedWordInAddress => "an encoded word inside the address",
            Repair::QuotedPairInAddress => "a quoted pair inside the address",
            Repair::SpaceInAddress => "white space inside the address",
            Repair::ExtraAt => "several @ in the address",
        }
    }
}

/// The addresses of an (unfolded) address-list field value, groups marked as IMAP wants.
pub fn parse(value: &[u8]) -> Vec<Address> {
    list(value, true, &mut Vec::new())
}

/// The mailboxes of an (unfolded) address-list field value, those inside groups included,
/// without the group start and end entries of [`parse`].
pub fn mailboxes(value: &[u8]) -> Vec<Address> {
    list(value, false, &mut Vec::new())
}

/// What [`parse`] reads, with the repairs it made on the way (none for a field that is RFC
/// 5322 as written).
pub fn parse_checked(value: &[u8]) -> (Vec<Address>, Vec<Repair>) {
    let mut repairs = Vec::new();
    let addresses = list(value, true, &mut repairs);
    (addresses, repairs)
}

/// The entries of an address list, with the group markers when `groups`.
fn list(value: &[u8], groups: bool, repairs: &mut Vec<Repair>) -> Vec<Address> {
    let tokens = tokenize(value, repairs);
    let mut out = Vec::new();
    let mut current = Pending::default();
    let mut in_group = false;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        match token.kind {
            Kind::Special(b',') => current.flush(&mut out, repairs),
            Kind::Special(b';') => {
                current.flush(&mut out, repairs);
                if in_group {
                    if groups {
                        out.push(Address::default());
                    }
                    in_group = false;
                } else {
                    repairs.push(Repair::StrayDelimiter);
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
                let close = tokens[i..].iter().position(|t| t.kind == Kind::Special(b'>'));
                if close.is_none() {
                    repairs.push(Repair::Unterminated);
                }
                let end = close.map_or(tokens.len(), |p| i + p);
                current.angle = Some(angle_addr(&tokens[i..end], repairs));
                i = end + 1;
            }
            Kind::Comment => {
                current.comment_after_words |= !current.words.is_empty();
                current.comment = Some(token.text.clone());
            }
            Kind::Special(b':' | b'<' | b'>') => repairs.push(Repair::StrayDelimiter),
            _ if current.angle.is_none() => {
                if current.comment_after_words {
                    current.comment_inside = true;
                }
                current.words.push(token.clone());
            }
            _ => repairs.push(Repair::TrailingText),
        }
    }
    current.flush(&mut out, repairs);
    if in_group {
        repairs.push(Repair::Unterminated);
        if groups {
            out.push(Address::default());
        }
    }
    out
}

/// What has been read of the address being parsed.
#[derive(Default)]
struct Pending {
    words: Vec<Token>,
    angle: Option<(Option<Vec<u8>>, Vec<Token>)>,
    comment: Option<Vec<u8>>,
    /// A comment came after some words.
    comment_after_words: bool,
    /// Words came after such a comment: the comment sits inside a bare address.
    comment_inside: bool,
}

impl Pending {
    /// Ends the current address (at `,`, `;` or the end) and adds it unless it is empty.
    fn flush(&mut self, out: &mut Vec<Address>, repairs: &mut Vec<Repair>) {
        let pending = std::mem::take(self);
        let comment = pending.comment.filter(|c| !c.is_empty());
        let address = match pending.angle {
            Some((adl, spec)) => {
                if pending.words.iter().any(|t| matches!(t.kind, Kind::Special(b) if b != b'.')) {
                    repairs.push(Repair::SpecialInName);
                }
                let name = Some(phrase(&pending.words)).filter(|n| !n.is_empty()).or(comment);
                let (mailbox, host) = addr_spec(&spec, repairs);
                Address { name, adl, mailbox, host }
            }
            None if pending.words.is_empty() => return,
            None => {
                if pending.comment_inside {
                    repairs.push(Repair::CommentInAddress);
                }
                let (mailbox, host) = addr_spec(&pending.words, repairs);
                Address { name: comment, adl: None, mailbox, host }
            }
        };
        if address.name.is_some() || address.mailbox.is_some() || address.host.is_some() {
            out.push(address);
        }
    }
}

/// The inside of `<...>`: an optional obsolete route (`@a,@b:`) and the addr-spec tokens.
fn angle_addr(tokens: &[Token], repairs: &mut Vec<Repair>) -> (Option<Vec<u8>>, Vec<Token>) {
    if tokens.iter().any(|t| t.kind == Kind::Comment) {
        repairs.push(Repair::CommentInAddress);
    }
    let tokens: Vec<Token> = tokens.iter().filter(|t| t.kind != Kind::Comment).cloned().collect();
    let colon = tokens.iter().position(|t| t.kind == Kind::Special(b':'));
    match (tokens.first().map(|t| t.kind), colon) {
        (Some(Kind::Special(b'@')), Some(colon)) => {
            repairs.push(Repair::Route);
            (Some(joined(&tokens[..colon])), tokens[colon + 1..].to_vec())
        }
        (_, Some(_)) => {
            repairs.push(Repair::StrayDelimiter);
            (None, tokens)
        }
        _ => (None, tokens),
    }
}

/// Mailbox and host of an addr-spec (`local@domain`); without `@` the words are the mailbox
/// and the host is NIL.
fn addr_spec(tokens: &[Token], repairs: &mut Vec<Repair>) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    // White space before the first token is the space after `<` or the field's colon.
    if tokens.iter().skip(1).any(|t| t.space_before) {
        repairs.push(Repair::SpaceInAddress);
    }
    if tokens.iter().any(|t| t.escaped) {
        repairs.push(Repair::QuotedPairInAddress);
    }
    if tokens.iter().any(|t| memchr::memmem::find(&t.text, b"=?").is_some()) {
        repairs.push(Repair::EncodedWordInAddress);
    }
    if tokens.iter().any(|t| matches!(t.kind, Kind::Special(b) if b != b'.' && b != b'@')) {
        repairs.push(Repair::StrayDelimiter);
    }
    if tokens.iter().filter(|t| t.kind == Kind::Special(b'@')).count() > 1 {
        repairs.push(Repair::ExtraAt);
    }
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
    /// A quoted string that held a quoted pair (`\\x`).
    escaped: bool,
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
/// end (and count as repairs, as do stray closing brackets and backslashes).
fn tokenize(value: &[u8], repairs: &mut Vec<Repair>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut space_before = false;
    while let Some(&b) = value.get(i) {
        let mut escaped = false;
        let (kind, text, next) = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                space_before = true;
                i += 1;
                continue;
            }
            b'"' => {
                let (text, next, closed, pairs) = quoted(value, i + 1);
                escaped = pairs;
                if !closed {
                    repairs.push(Repair::Unterminated);
                }
                (Kind::Quoted, text, next)
            }
            b'(' => {
                let (text, next, closed) = comment(value, i + 1);
                if !closed {
                    repairs.push(Repair::Unterminated);
                }
                (Kind::Comment, text, next)
            }
            b'[' => {
                let close = memchr::memchr(b']', &value[i..]);
                if close.is_none() {
                    repairs.push(Repair::Unterminated);
                }
                let next = close.map_or(value.len(), |p| i + p + 1);
                (Kind::Literal, value[i..next].to_vec(), next)
            }
            b'<' | b'>' | b'@' | b',' | b';' | b':' | b'.' | b'\\' | b']' | b')' => (Kind::Special(b), vec![b], i + 1),
            _ => {
                let len =
                    value[i..].iter().position(|c| b" \t\r\n\"()[]<>@,;:.\\".contains(c)).unwrap_or(value.len() - i);
                (Kind::Atom, value[i..i + len].to_vec(), i + len)
            }
        };
        if matches!(kind, Kind::Special(b')' | b']' | b'\\')) {
            repairs.push(Repair::StrayDelimiter);
        } else {
            tokens.push(Token { kind, text, space_before, escaped });
        }
        space_before = false;
        i = next;
    }
    tokens
}

/// The content of a quoted string starting after its `"`, escapes undone; where it ends,
/// whether its closing quote was there, and whether it held a quoted pair.
fn quoted(value: &[u8], mut i: usize) -> (Vec<u8>, usize, bool, bool) {
    let mut text = Vec::new();
    let (mut closed, mut escaped) = (false, false);
    while let Some(&b) = value.get(i) {
        i += 1;
        match b {
            b'"' => {
                closed = true;
                break;
            }
            b'\\' => {
                escaped = true;
                text.extend(value.get(i));
                i += 1;
            }
            b'\r' | b'\n' => {}
            _ => text.push(b),
        }
    }
    (text, i.min(value.len()), closed, escaped)
}

/// The content of a (nested) comment starting after its `(`, trimmed; where it ends, and
/// whether its closing parenthesis was there.
fn comment(value: &[u8], mut i: usize) -> (Vec<u8>, usize, bool) {
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
                    return (text, i, true);
                }
            }
            _ => {}
        }
    }
    (crate::headers::trim(value.get(start..).unwrap_or_default()).to_vec(), value.len(), false)
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
