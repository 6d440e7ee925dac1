//! SEARCH and UID SEARCH, answered as `* SEARCH` or, with RETURN options or IMAP4rev2,
//! `* ESEARCH` (RFC 4731, RFC 9051). Keys on flags, sizes, dates and UIDs use the session's
//! view; From/To/Cc/Bcc/Subject and sent-date keys use the shared message summaries; other
//! header, body and text keys read each candidate message once.

use super::{Done, Selected, Session, store_failure};
use crate::imap::object_ids;
use crate::imap::summary::{SearchField, Summary};
use crate::imap::view::Message;
use crate::imap::{flags as imap_flags, view::View};
use imap_proto::command::{SearchKey, SearchReturn};
use message::mime::{self, Part};
use store::records::flags;
use store::{MessageId, unix_now};

/// Summaries looked up (and made, when not cached) in one go.
const SUMMARY_BATCH: usize = 256;
/// Seconds in a day, for date keys (compared in UTC).
const DAY: i64 = 86_400;

/// A message parsed once for every key that needs it.
struct Parsed<'a> {
    raw: &'a [u8],
    root: Part,
    text: Option<String>,
}

impl Parsed<'_> {
    fn body_text(&mut self) -> &str {
        if self.text.is_none() {
            self.text = Some(mime::body_text(self.raw, &self.root));
        }
        self.text.as_deref().unwrap_or_default()
    }
}

/// What the keys beyond flags, sizes and dates are tested against.
enum Content<'a, 'c> {
    /// The cached summary, when every such key is on a summarized field.
    Summary(&'a Summary),
    /// The message itself.
    Message(&'a mut Parsed<'c>),
}

/// One message being tested.
struct Candidate<'a, 'c> {
    number: u32,
    message: &'a Message,
    view: &'a View,
    content: Option<Content<'a, 'c>>,
}

/// What a search key needs besides the session's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// Nothing: flags, sizes, internal dates, UIDs, numbers.
    View,
    /// Message summaries: the From/To/Cc/Bcc/Subject fields and the sent date.
    Summary,
    /// The message: other header fields, body or text.
    Message,
}

impl Session {
    pub(super) async fn search(
        &mut self,
        selected: &mut Selected,
        tag: &str,
        uid: bool,
        charset: Option<String>,
        key: SearchKey,
        returns: Option<Vec<SearchReturn>>,
    ) -> Done {
        let saves = returns.as_ref().is_some_and(|r| r.contains(&SearchReturn::Save));
        if saves {
            // A search that fails leaves `$` empty (RFC 5182 2.1).
            selected.view.saved.clear();
        }
        if let Some(charset) = &charset
            && !supported_charset(charset)
        {
            return Done::no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
        }
        let uses_modseq = mentions_modseq(&key);
        if uses_modseq {
            self.enable_condstore(&selected.view);
        }
        let matched = match self.matching(selected, key).await {
            Ok(matched) => matched,
            Err(done) => return done,
        };
        if saves {
            selected.view.saved = matched.iter().map(|&i| selected.view.get(i).uid).collect();
        }
        let view = &selected.view;
        let values: Vec<u32> = matched.iter().map(|&i| if uid { view.get(i).uid } else { i as u32 + 1 }).collect();
        let highest = reported_modseq(view, &matched, returns.as_deref());
        let line = match (&returns, self.rev2) {
            (None, false) => {
                let mut line = String::from("SEARCH");
                for value in &values {
                    line.push(' ');
                    line.push_str(&value.to_string());
                }
                if let (true, Some(highest)) = (uses_modseq, highest) {
                    line.push_str(&format!(" (MODSEQ {highest})"));
                }
                line
            }
            // SAVE alone answers nothing but the tagged OK (RFC 5182 2.1).
            (Some(returns), _) if saves && returns.len() == 1 => String::new(),
            (returns, _) => {
                let all = [SearchReturn::All];
                let returns = match returns.as_deref() {
                    None | Some([]) => &all[..],
                    Some(returns) => returns,
                };
                esearch(tag, uid, &values, returns, uses_modseq.then_some(highest).flatten())
            }
        };
        if !line.is_empty() {
            self.untagged(&line);
        }
        self.updated(selected, Done::ok("SEARCH completed"), uid)
    }

    /// The indexes in the view of the messages that match `key`, in order; those expunged but
    /// not yet reported are left out (RFC 2180 4.3).
    pub(super) async fn matching(&mut self, selected: &Selected, key: SearchKey) -> Result<Vec<usize>, Done> {
        let mut key = key;
        lower_needles(&mut key);
        let view = &selected.view;
        let candidates: Vec<usize> = (0..view.len()).filter(|&i| !view.get(i).expunged).collect();
        let mut matched = Vec::new();
        match need(&key) {
            Need::View => {
                for i in candidates {
                    let mut candidate = Candidate { number: i as u32 + 1, message: view.get(i), view, content: None };
                    if matches(&key, &mut candidate) {
                        matched.push(i);
                    }
                }
            }
            Need::Summary => {
                for chunk in candidates.chunks(SUMMARY_BATCH) {
                    let summaries = match self.summaries(view, chunk).await {
                        Ok(summaries) => summaries,
                        Err(done) => return Err(done),
                    };
                    for (&i, summary) in chunk.iter().zip(summaries) {
                        let Some(summary) = summary else { continue };
                        let content = Some(Content::Summary(&summary));
                        let mut candidate = Candidate { number: i as u32 + 1, message: view.get(i), view, content };
                        if matches(&key, &mut candidate) {
                            matched.push(i);
                        }
                    }
                }
            }
            Need::Message => {
                // Read in batches bounded in count and octets, as FETCH reads them.
                for chunk in super::fetch::batches(&candidates, |i| view.get(i).entry.size) {
                    let ids: Vec<MessageId> = chunk.iter().map(|&i| MessageId(view.get(i).entry.message_id)).collect();
                    let read = self
                        .blocking(move |store| ids.into_iter().map(|id| store.blob(id)).collect::<Result<Vec<_>, _>>());
                    let bodies = match read.await {
                        Ok(bodies) => bodies,
                        Err(e) => return Err(store_failure(e)),
                    };
                    for (&i, body) in chunk.iter().zip(bodies) {
                        let Some(raw) = body else { continue };
                        let mut parsed = Parsed { root: mime::parse(&raw), raw: &raw, text: None };
                        let content = Some(Content::Message(&mut parsed));
                        let mut candidate = Candidate { number: i as u32 + 1, message: view.get(i), view, content };
                        if matches(&key, &mut candidate) {
                            matched.push(i);
                        }
                    }
                }
            }
        }
        Ok(matched)
    }
}

/// Whether search strings may come in `charset` (UTF-8, and its subset US-ASCII).
pub(super) fn supported_charset(charset: &str) -> bool {
    charset.eq_ignore_ascii_case("UTF-8") || charset.eq_ignore_ascii_case("US-ASCII")
}

/// The `ESEARCH` response (RFC 4731).
fn esearch(tag: &str, uid: bool, values: &[u32], returns: &[SearchReturn], modseq: Option<u64>) -> String {
    let mut line = format!("ESEARCH (TAG \"{tag}\")");
    if uid {
        line.push_str(" UID");
    }
    for r in returns {
        match r {
            SearchReturn::Min => {
                if let Some(min) = values.iter().min() {
                    line.push_str(&format!(" MIN {min}"));
                }
            }
            SearchReturn::Max => {
                if let Some(max) = values.iter().max() {
                    line.push_str(&format!(" MAX {max}"));
                }
            }
            SearchReturn::Count => line.push_str(&format!(" COUNT {}", values.len())),
            SearchReturn::Save => {}
            SearchReturn::All => {
                if !values.is_empty() {
                    line.push_str(" ALL ");
                    line.push_str(&as_set(values));
                }
            }
        }
    }
    if let Some(modseq) = modseq {
        line.push_str(&format!(" MODSEQ {modseq}"));
    }
    line
}

/// The MODSEQ a search with a MODSEQ key reports (RFC 7162 3.1.5): the highest of the matched
/// messages; when the only RETURN options are MIN and/or MAX, of those messages alone.
fn reported_modseq(view: &View, matched: &[usize], returns: Option<&[SearchReturn]>) -> Option<u64> {
    let modseq = |i: &usize| view.get(*i).entry.modseq;
    let shown = |r: &&SearchReturn| **r != SearchReturn::Save;
    match returns {
        Some(returns)
            if returns.iter().any(|r| shown(&r))
                && returns.iter().filter(shown).all(|r| matches!(r, SearchReturn::Min | SearchReturn::Max)) =>
        {
            returns
                .iter()
                .filter_map(|r| if *r == SearchReturn::Min { matched.first() } else { matched.last() })
                .map(modseq)
                .max()
        }
        _ => matched.iter().map(modseq).max(),
    }
}

/// Numbers as a compact sequence set: ascending runs become ranges, the order is kept.
pub(super) fn as_set(values: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &v in values {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == v => *end = v,
            _ => runs.push((v, v)),
        }
    }
    let parts: Vec<String> =
        runs.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}:{b}") }).collect();
    parts.join(",")
}

fn mentions_modseq(key: &SearchKey) -> bool {
    match key {
        SearchKey::ModSeq(_) => true,
        SearchKey::Not(k) => mentions_modseq(k),
        SearchKey::Or(a, b) => mentions_modseq(a) || mentions_modseq(b),
        SearchKey::And(keys) => keys.iter().any(mentions_modseq),
        _ => false,
    }
}

/// What the key needs besides the view.
fn need(key: &SearchKey) -> Need {
    match key {
        SearchKey::Bcc(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::To(_)
        | SearchKey::Subject(_)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_) => Need::Summary,
        SearchKey::Header(name, _) if SearchField::named(name).is_some() => Need::Summary,
        SearchKey::Body(_) | SearchKey::Text(_) | SearchKey::Header(..) => Need::Message,
        SearchKey::Not(k) => need(k),
        SearchKey::Or(a, b) => need(a).max(need(b)),
        SearchKey::And(keys) => keys.iter().map(need).max().unwrap_or(Need::View),
        _ => Need::View,
    }
}

/// Lower-cases the strings of text keys once, so that summaries match them as they are.
fn lower_needles(key: &mut SearchKey) {
    match key {
        SearchKey::Bcc(s)
        | SearchKey::Cc(s)
        | SearchKey::From(s)
        | SearchKey::To(s)
        | SearchKey::Subject(s)
        | SearchKey::Body(s)
        | SearchKey::Text(s)
        | SearchKey::Header(_, s) => *s = s.to_lowercase(),
        SearchKey::Not(k) => lower_needles(k),
        SearchKey::Or(a, b) => {
            lower_needles(a);
            lower_needles(b);
        }
        SearchKey::And(keys) => keys.iter_mut().for_each(lower_needles),
        _ => {}
    }
}

fn matches(key: &SearchKey, c: &mut Candidate) -> bool {
    let f = c.message.entry.flags;
    let has = |bit: u32| f & bit != 0;
    let day = (c.message.entry.internal_date as i64).div_euclid(DAY);
    let saved_day = (c.message.entry.saved != 0).then(|| i64::from(c.message.entry.saved).div_euclid(DAY));
    match key {
        SearchKey::All => true,
        SearchKey::Old => !c.message.recent,
        SearchKey::Recent => c.message.recent,
        SearchKey::New => c.message.recent && !has(flags::SEEN),
        SearchKey::Answered => has(flags::ANSWERED),
        SearchKey::Deleted => has(flags::DELETED),
        SearchKey::Draft => has(flags::DRAFT),
        SearchKey::Flagged => has(flags::FLAGGED),
        SearchKey::Seen => has(flags::SEEN),
        SearchKey::Unanswered => !has(flags::ANSWERED),
        SearchKey::Undeleted => !has(flags::DELETED),
        SearchKey::Undraft => !has(flags::DRAFT),
        SearchKey::Unflagged => !has(flags::FLAGGED),
        SearchKey::Unseen => !has(flags::SEEN),
        SearchKey::Keyword(k) => imap_flags::keyword_bit(&c.view.keywords, k).is_some_and(has),
        SearchKey::Unkeyword(k) => !imap_flags::keyword_bit(&c.view.keywords, k).is_some_and(has),
        SearchKey::EmailId(id) => *id == object_ids::email_id(c.message.entry.message_id),
        SearchKey::ThreadId(_) => false,
        SearchKey::Older(n) => c.message.entry.internal_date + u64::from(*n) < unix_now(),
        SearchKey::Younger(n) => c.message.entry.internal_date + u64::from(*n) >= unix_now(),
        SearchKey::Larger(n) => c.message.entry.size > *n,
        SearchKey::Smaller(n) => c.message.entry.size < *n,
        SearchKey::Before(d) => day < *d,
        SearchKey::On(d) => day == *d,
        SearchKey::Since(d) => day >= *d,
        // A message whose save date is unknown (stored before they were kept) matches none.
        SearchKey::SavedBefore(d) => saved_day.is_some_and(|s| s < *d),
        SearchKey::SavedOn(d) => saved_day == Some(*d),
        SearchKey::SavedSince(d) => saved_day.is_some_and(|s| s >= *d),
        SearchKey::SaveDateSupported => true,
        SearchKey::ModSeq(m) => c.message.entry.modseq >= *m,
        SearchKey::Uid(set) | SearchKey::Sequence(set) if set.is_saved() => c.view.is_saved(c.message.uid),
        SearchKey::Uid(set) => {
            let largest = c.view.messages().last().map_or(0, |m| m.uid);
            set.contains(c.message.uid, largest)
        }
        SearchKey::Sequence(set) => set.contains(c.number, c.view.len() as u32),
        SearchKey::Not(k) => !matches(k, c),
        SearchKey::Or(a, b) => matches(a, c) || matches(b, c),
        SearchKey::And(keys) => keys.iter().all(|k| matches(k, c)),
        SearchKey::SentBefore(d) => sent_day(c).is_some_and(|s| s < *d),
        SearchKey::SentOn(d) => sent_day(c).is_some_and(|s| s == *d),
        SearchKey::SentSince(d) => sent_day(c).is_some_and(|s| s >= *d),
        SearchKey::Bcc(s) => header_has(c, SearchField::Bcc, s),
        SearchKey::Cc(s) => header_has(c, SearchField::Cc, s),
        SearchKey::From(s) => header_has(c, SearchField::From, s),
        SearchKey::To(s) => header_has(c, SearchField::To, s),
        SearchKey::Subject(s) => header_has(c, SearchField::Subject, s),
        SearchKey::Header(name, s) => match (SearchField::named(name), c.content.as_ref()) {
            (Some(field), _) => header_has(c, field, s),
            (None, Some(Content::Message(parsed))) => field_has(parsed, name, s),
            (None, _) => false,
        },
        SearchKey::Body(s) => match c.content.as_mut() {
            Some(Content::Message(parsed)) => mime::contains_ignore_case(parsed.body_text(), s),
            _ => false,
        },
        SearchKey::Text(s) => {
            let Some(Content::Message(parsed)) = c.content.as_mut() else { return false };
            let header = &parsed.raw[parsed.root.header.clone()];
            mime::contains_ignore_case(&String::from_utf8_lossy(header), s)
                || mime::contains_ignore_case(parsed.body_text(), s)
        }
    }
}

/// The day the message's Date field names, as written (RFC 3501 6.4.4: time and zone
/// disregarded).
fn sent_day(c: &Candidate) -> Option<i64> {
    match c.content.as_ref()? {
        Content::Summary(summary) => summary.sent_day(),
        Content::Message(parsed) => mime::sent_day(parsed.raw, &parsed.root),
    }
}

/// Whether a summarized field contains the (lower-cased) `needle`; an empty needle matches any
/// such field.
fn header_has(c: &Candidate, field: SearchField, needle: &str) -> bool {
    match c.content.as_ref() {
        Some(Content::Summary(summary)) => summary.contains(field, needle),
        Some(Content::Message(parsed)) => field
            .values(parsed.raw, &parsed.root)
            .iter()
            .any(|v| needle.is_empty() || mime::contains_ignore_case(v, needle)),
        None => false,
    }
}

/// Whether a header field `name` of the message contains `needle`; an empty needle matches any
/// such field.
fn field_has(parsed: &Parsed, name: &str, needle: &str) -> bool {
    let values = mime::header_values(parsed.raw, &parsed.root, name);
    values.iter().any(|v| needle.is_empty() || mime::contains_ignore_case(v, needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esearch_results() {
        let line =
            esearch("A1", true, &[2, 3, 4, 9], &[SearchReturn::Min, SearchReturn::Count, SearchReturn::All], None);
        assert_eq!(line, "ESEARCH (TAG \"A1\") UID MIN 2 COUNT 4 ALL 2:4,9");
        assert_eq!(
            esearch("b", false, &[], &[SearchReturn::All, SearchReturn::Count], None),
            "ESEARCH (TAG \"b\") COUNT 0"
        );
    }
}
