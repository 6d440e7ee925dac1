//! The corpus in time order, split into an older part to train on and a newer one to test on,
//! with the bulk ham (newsletters, commercial and announcement mail) marked apart.

use message::Parsed;

use super::spam_corpus::Corpus;

/// Share of each class, oldest first, that training sees.
pub const TRAIN_SHARE: f64 = 0.7;

/// One labelled message.
pub struct Labelled {
    /// The raw message.
    pub raw: Vec<u8>,
    /// Spam (true) or ham.
    pub spam: bool,
    /// Ham sent in bulk by machine (see [`is_bulk`]).
    pub bulk: bool,
}

/// The corpus labelled, each class in arrival order (see [`when`]): ham, then spam.
pub fn in_time_order(corpus: Corpus) -> Vec<Labelled> {
    let mut out = Vec::new();
    for (messages, spam) in [(corpus.ham, false), (corpus.spam, true)] {
        let mut dated: Vec<(i64, usize, Vec<u8>)> =
            messages.into_iter().enumerate().map(|(i, raw)| (when(&raw), i, raw)).collect();
        dated.sort_unstable_by_key(|&(time, i, _)| (time, i));
        out.extend(dated.into_iter().map(|(_, _, raw)| Labelled { bulk: !spam && is_bulk(&raw), raw, spam }));
    }
    out
}

/// Splits messages in time order by class: the oldest [`TRAIN_SHARE`] of each class, and the
/// rest.
pub fn older_newer<'a>(messages: &[&'a Labelled]) -> (Vec<&'a Labelled>, Vec<&'a Labelled>) {
    let (mut older, mut newer) = (Vec::new(), Vec::new());
    for spam in [false, true] {
        let class: Vec<&Labelled> = messages.iter().copied().filter(|m| m.spam == spam).collect();
        let cut = (class.len() as f64 * TRAIN_SHARE).round() as usize;
        older.extend_from_slice(&class[..cut]);
        newer.extend_from_slice(&class[cut..]);
    }
    (older, newer)
}

/// The messages of each class, in time order, from share `from` of the class to share `to`
/// (`window(m, 0.5, 0.6)`: each class's sixth tenth).
pub fn window<'a>(messages: &[&'a Labelled], from: f64, to: f64) -> Vec<&'a Labelled> {
    let mut out = Vec::new();
    for spam in [false, true] {
        let class: Vec<&Labelled> = messages.iter().copied().filter(|m| m.spam == spam).collect();
        let at = |share: f64| (class.len() as f64 * share).round() as usize;
        out.extend_from_slice(&class[at(from)..at(to)]);
    }
    out
}

/// When a message arrived: the time its receiving server wrote in the newest `Received`
/// field, else its `Date` (which spam often forges), else the epoch.
pub fn when(raw: &[u8]) -> i64 {
    let message = Parsed::new(raw);
    message.received().find_map(|r| r.date).or_else(|| message.date()).unwrap_or(0)
}

/// Ham that a machine sent to many (the "hard ham" of the issue): marketing HTML, a bulk
/// mailer, or bulk/list precedence and unsubscribe links without the marks of a discussion
/// list (a posting address, a list manager's headers).
pub fn is_bulk(raw: &[u8]) -> bool {
    let message = Parsed::new(raw);
    let has = |name: &str| message.field(name).is_some();
    let value = |name: &str| message.header_text(name).unwrap_or_default().to_ascii_lowercase();
    let html = memchr::memmem::find(&raw.to_ascii_lowercase(), b"content-type: text/html").is_some();
    let mailer = value("x-mailer");
    let bulk_mailer =
        has("x-bulkmail") || ["bulk", "lyris", "listserv", "campaign", "newsletter"].iter().any(|t| mailer.contains(t));
    let discussion =
        ["list-post", "mailing-list", "x-mailman-version", "x-beenthere", "list-id"].iter().any(|n| has(n))
            || ["sender", "errors-to"]
                .iter()
                .any(|n| ["-admin@", "-owner@", "-request@"].iter().any(|t| value(n).contains(t)));
    let precedence = value("precedence");
    let bulk_precedence = ["bulk", "list", "junk"].iter().any(|t| precedence.contains(t));
    html || bulk_mailer || !discussion && (bulk_precedence || has("list-unsubscribe"))
}
