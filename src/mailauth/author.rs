//! The author of a message (RFC 7489 section 3.1): the one mailbox of the one `From:` field,
//! read by the one RFC 5322 address parser (`message::mime::address`). A message whose author
//! is not exactly one mailbox, written so that every mail client reads the same one, has none:
//! a client could show another address than the one that was checked. The other domains a
//! client may show as the author (an address in the display name, `Sender:`, `Resent-From:`)
//! come with it, so that DMARC can be evaluated for each of them too.

use std::fmt;

use message::headers::{fields, unfold};
use message::mime::address::{self, Address, Repair};
use message::mime::decode_encoded_words;

/// The one author of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The author's address, `local@domain`, its domain in lower case (A-labels).
    pub address: String,
    /// The domain of the address: the RFC5322.From domain.
    pub domain: String,
    /// The one mailbox of `Sender:`, when the message has that field.
    pub sender: Option<String>,
    /// Other domains a mail client may show as the author, each with where it was found.
    pub others: Vec<(String, Place)>,
}

/// Where a domain that a client may show as the author was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// An address written in the display name of `From:`.
    DisplayName,
    /// The `Sender:` field.
    Sender,
    /// A `Resent-From:` field.
    ResentFrom,
}

impl Place {
    /// Where, in a few words.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::DisplayName => "the From display name",
            Place::Sender => "Sender",
            Place::ResentFrom => "Resent-From",
        }
    }
}

/// Why a message has no unambiguous author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// No `From:` field.
    NoFrom,
    /// Several `From:` fields (names with white space before the colon count).
    SeveralFrom,
    /// `From:` holds no mailbox.
    NoMailbox,
    /// `From:` holds several mailboxes.
    SeveralMailboxes,
    /// `From:` holds a group.
    Group,
    /// Several `Sender:` fields, or one that is not exactly one mailbox.
    Sender,
    /// A field reads only with a repair.
    Repaired(&'static str, Repair),
    /// A field's address has no valid domain.
    BadDomain(&'static str),
}

impl fmt::Display for Ambiguity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ambiguity::NoFrom => f.write_str("no From field"),
            Ambiguity::SeveralFrom => f.write_str("several From fields"),
            Ambiguity::NoMailbox => f.write_str("no mailbox in From"),
            Ambiguity::SeveralMailboxes => f.write_str("several mailboxes in From"),
            Ambiguity::Group => f.write_str("a group in From"),
            Ambiguity::Sender => f.write_str("Sender is not exactly one mailbox"),
            Ambiguity::Repaired(field, repair) => write!(f, "{field} has {}", repair.describe()),
            Ambiguity::BadDomain(field) => write!(f, "{field} has no valid domain"),
        }
    }
}

/// The author of the message whose header block is `header`.
pub fn find(header: &[u8]) -> Result<Author, Ambiguity> {
    let mut from = fields(header).filter(|f| f.is("From"));
    let field = match (from.next(), from.next()) {
        (None, _) => return Err(Ambiguity::NoFrom),
        (Some(_), Some(_)) => return Err(Ambiguity::SeveralFrom),
        (Some(field), None) => field,
    };
    let (mailbox, name) = one_mailbox(field.value, "From")?;
    let mut author =
        Author { domain: mailbox.domain.clone(), address: mailbox.address, sender: None, others: Vec::new() };
    if let Some(name) = name {
        for domain in domains_in_text(&decode_encoded_words(&name)) {
            author.add_other(domain, Place::DisplayName);
        }
    }
    let mut senders = fields(header).filter(|f| f.is("Sender"));
    match (senders.next(), senders.next()) {
        (Some(_), Some(_)) => return Err(Ambiguity::Sender),
        (Some(field), None) => {
            let (sender, _) = one_mailbox(field.value, "Sender").map_err(|e| match e {
                Ambiguity::NoMailbox | Ambiguity::SeveralMailboxes | Ambiguity::Group => Ambiguity::Sender,
                other => other,
            })?;
            author.add_other(sender.domain, Place::Sender);
            author.sender = Some(sender.address);
        }
        (None, _) => {}
    }
    for field in fields(header).filter(|f| f.is("Resent-From")) {
        let (entries, repairs) = address::parse_checked(&unfold(field.value));
        if let Some(&repair) = repairs.first() {
            return Err(Ambiguity::Repaired("Resent-From", repair));
        }
        for entry in entries.iter().filter(|a| a.mailbox.is_some() && a.host.is_some()) {
            author.add_other(mailbox_of(entry, "Resent-From")?.domain, Place::ResentFrom);
        }
    }
    Ok(author)
}

/// The lower-case domain of the message's author, when it has one (see [`find`]).
pub fn author_domain(header: &[u8]) -> Option<String> {
    find(header).ok().map(|author| author.domain)
}

impl Author {
    /// Adds `domain` to the others unless it is the author's or there already.
    fn add_other(&mut self, domain: String, place: Place) {
        if domain != self.domain && !self.others.iter().any(|(d, _)| *d == domain) {
            self.others.push((domain, place));
        }
    }
}

/// An address read from a field: `local@domain` and the domain alone.
struct Found {
    address: String,
    domain: String,
}

/// The one mailbox of an address field and its raw display name; any repair, a group, no
/// mailbox or several make it ambiguous. The one repair forgiven is an unquoted `@` in the
/// display name when every address written there is in the mailbox's own domain
/// (`noreply@shop.example <noreply@shop.example>`): nothing else can be read as the author.
fn one_mailbox(value: &[u8], field: &'static str) -> Result<(Found, Option<Vec<u8>>), Ambiguity> {
    let (entries, repairs) = address::parse_checked(&unfold(value));
    let first_repair = |forgiven: Option<Repair>| repairs.iter().find(|&&r| Some(r) != forgiven).copied();
    if let Some(repair) = first_repair(Some(Repair::SpecialInName)) {
        return Err(Ambiguity::Repaired(field, repair));
    }
    // A group's end is the one entry with no field set.
    if entries.contains(&Address::default()) {
        return Err(Ambiguity::Group);
    }
    let one = match entries.as_slice() {
        [] => return Err(Ambiguity::NoMailbox),
        [one] if one.mailbox.is_none() || one.host.is_none() => return Err(Ambiguity::NoMailbox),
        [one] => one,
        _ => return Err(Ambiguity::SeveralMailboxes),
    };
    let found = mailbox_of(one, field)?;
    let name = decode_encoded_words(one.name.as_deref().unwrap_or_default());
    if let Some(repair) = first_repair(None)
        && domains_in_text(&name).iter().any(|d| *d != found.domain)
    {
        return Err(Ambiguity::Repaired(field, repair));
    }
    Ok((found, one.name.clone()))
}

/// `local@domain` of a parsed mailbox, its domain checked and in lower-case A-labels.
fn mailbox_of(entry: &Address, field: &'static str) -> Result<Found, Ambiguity> {
    let host = entry.host.as_deref().unwrap_or_default();
    let domain = std::str::from_utf8(host).ok().and_then(domain_name).ok_or(Ambiguity::BadDomain(field))?;
    let local = String::from_utf8_lossy(entry.mailbox.as_deref().unwrap_or_default());
    Ok(Found { address: format!("{local}@{domain}"), domain })
}

/// `text` as a lower-case domain name in A-labels, without a final dot; `None` unless it is
/// one (LDH labels, at least two of them).
fn domain_name(text: &str) -> Option<String> {
    let text = text.strip_suffix('.').unwrap_or(text);
    let ascii = idna::domain_to_ascii(text).ok()?;
    let labels_ok = ascii.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    (labels_ok && ascii.contains('.') && ascii.len() <= 253).then_some(ascii)
}

/// The domains of what looks like an address (`x@domain.example`) in free text, such as a
/// display name a client shows in place of the real address.
fn domains_in_text(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let rest = &text[at + 1..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.')).unwrap_or(rest.len());
        let has_local = text[..at].chars().next_back().is_some_and(|c| !c.is_whitespace());
        if let Some(domain) = domain_name(rest[..end].trim_end_matches('.')).filter(|_| has_local) {
            out.push(domain);
        }
    }
    out
}

#[cfg(test)]
#[path = "author_tests.rs"]
mod tests;
