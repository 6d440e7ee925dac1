//! Header tokens: Subject words, the From name and domain, recipients, header names, mailer,
//! Message-ID shape, the first Received hops, and priority-style headers; the Received path's
//! shape features.

use std::net::IpAddr;

use message::Parsed;
use message::parsed::Mailbox;

use super::shape::Path;
use super::tokenize::{Tokens, bucket};
use super::urls;

/// Received headers (from the top) whose hosts become tokens.
const RECEIVED_HOPS: usize = 3;
/// Headers (from the top) looked at for tokens.
const MAX_HEADERS: usize = 256;
/// Header names longer than this are not tokens.
const MAX_NAME: usize = 40;

/// Adds the header tokens of `message`.
pub(crate) fn emit(message: &Parsed<'_>, tokens: &mut Tokens) {
    if let Some(subject) = message.header_text("subject") {
        tokens.words("subject:", &subject);
    }
    let from = message.mailboxes("from").into_iter().next();
    sender(from.as_ref(), message, tokens);
    recipients(message, tokens);
    for field in message.fields().take(MAX_HEADERS).filter(|f| !f.name.is_empty()) {
        let name = String::from_utf8_lossy(field.name).to_ascii_lowercase();
        if name.len() <= MAX_NAME && !name.starts_with("x-spam") {
            tokens.add_form("hdr:", &name);
        }
        let prefix = match name.as_str() {
            "x-mailer" | "user-agent" => "mailer:",
            "precedence" => "precedence:",
            "x-priority" | "x-msmail-priority" | "importance" | "priority" => "priority:",
            _ => continue,
        };
        for word in String::from_utf8_lossy(field.value).split_ascii_whitespace().take(3) {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            if (1..=20).contains(&word.len()) {
                tokens.add_form(prefix, &word.to_lowercase());
            }
        }
    }
    message_id(message, from.as_ref(), tokens);
    received(message, tokens);
}

/// From: name words (or their absence) and the address's domain; Reply-To's domain relation.
fn sender(from: Option<&Mailbox>, message: &Parsed<'_>, tokens: &mut Tokens) {
    let Some(from) = from else {
        tokens.add_form("from:", "missing");
        return;
    };
    match &from.name {
        Some(name) if !name.trim().is_empty() => tokens.words("from:name:", name),
        _ => tokens.add_form("from:", "no-name"),
    }
    let from_domain = from.address.as_deref().and_then(domain_of);
    match &from_domain {
        Some(domain) => tokens.add("from:domain:", domain),
        None => tokens.add_form("from:", "no-domain"),
    }
    if let Some(reply) = message.mailboxes("reply-to").first() {
        let same = reply.address.as_deref().and_then(domain_of) == from_domain;
        tokens.add_form("reply-to:", if same { "same-domain" } else { "other-domain" });
    }
}

/// The registrable domain of an address (the host itself when the suffix list has no answer).
pub(crate) fn domain_of(address: &str) -> Option<String> {
    let host = address.rsplit_once('@')?.1.trim().trim_end_matches('>').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(urls::registrable(&host).map_or_else(|| host.clone(), str::to_string))
}

/// How many recipients, and whether they are hidden.
fn recipients(message: &Parsed<'_>, tokens: &mut Tokens) {
    let count = message.mailboxes("to").len() + message.mailboxes("cc").len();
    tokens.add_form("rcpt:", bucket(count));
    if undisclosed(message) {
        tokens.add_form("to:", "undisclosed");
    }
    if message.field("to").is_none_or(|to| to.value.trim_ascii().is_empty()) {
        tokens.add_form("to:", "missing");
    }
}

/// Whether the To field says the recipients are undisclosed.
pub(crate) fn undisclosed(message: &Parsed<'_>) -> bool {
    message.field("to").is_some_and(|to| String::from_utf8_lossy(to.value).to_ascii_lowercase().contains("undisclosed"))
}

/// Whether the Message-ID names the sender's domain, another one, or none.
fn message_id(message: &Parsed<'_>, from: Option<&Mailbox>, tokens: &mut Tokens) {
    let shape = match message.message_id() {
        None => "missing",
        Some(id) => match (id.rsplit_once('@'), from.and_then(|f| f.address.as_deref()).and_then(domain_of)) {
            (None, _) => "no-domain",
            (Some((_, host)), Some(from)) if domain_of(&format!("x@{host}")).as_deref() == Some(&from) => "from-domain",
            _ => "other-domain",
        },
    };
    tokens.add_form("mid:", shape);
}

/// The number of hops, and the sending hosts' domains and /16 networks of the top few; the
/// path's shape features.
fn received(message: &Parsed<'_>, tokens: &mut Tokens) {
    let mut hops = 0;
    let mut path = Path::default();
    for hop in message.received() {
        hops += 1;
        path.hop(hop.from_ip);
        if hops > RECEIVED_HOPS {
            continue;
        }
        if let Some(name) = &hop.from
            && let Some(domain) = domain_of(&format!("x@{name}"))
        {
            tokens.add_form("rcvd:from:", &domain);
        }
        if let Some(IpAddr::V4(ip)) = hop.from_ip {
            let [a, b, ..] = ip.octets();
            tokens.add_form("rcvd:ip16:", &format!("{a}.{b}"));
        }
    }
    tokens.add_form("rcvd:hops:", bucket(hops));
    tokens.add_shape(path.features());
}
