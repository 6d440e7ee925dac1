//! SEARCH and UID SEARCH, answered as `* SEARCH` or, with RETURN options or IMAP4rev2,
//! `* ESEARCH` (RFC 4731, RFC 9051). Keys on flags, sizes, dates and UIDs use the session's
//! view; header and text keys read each candidate message once.

use super::{Done, Session, store_failure};
use crate::imap::command::{SearchKey, SearchReturn};
use crate::imap::mime::{self, Part};
use crate::imap::view::Message;
use crate::imap::{flags as imap_flags, view::View};
use crate::store::MessageId;
use crate::store::records::flags;

/// Messages read from the store in one go for header and text keys.
const BATCH: usize = 32;
/// Seconds in a day, for date keys (compared in UTC).
const DAY: i64 = 86_400;

/// A message's content, parsed once for every key that needs it.
struct Content<'a> {
    raw: &'a [u8],
    root: Part,
    text: Option<String>,
}

impl Content<'_> {
    fn body_text(&mut self) -> &str {
        if self.text.is_none() {
            self.text = Some(mime::body_text(self.raw, &self.root));
        }
        self.text.as_deref().unwrap_or_default()
    }
}

/// One message being tested.
struct Candidate<'a, 'c> {
    number: u32,
    message: &'a Message,
    view: &'a View,
    content: Option<&'a mut Content<'c>>,
}

impl Session {
    pub(super) async fn search(
        &mut self,
        tag: &str,
        uid: bool,
        charset: Option<String>,
        key: SearchKey,
        returns: Option<Vec<SearchReturn>>,
    ) -> Done {
        if let Some(charset) = &charset
            && !charset.eq_ignore_ascii_case("UTF-8")
            && !charset.eq_ignore_ascii_case("US-ASCII")
        {
            return Done::no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
        }
        let uses_modseq = mentions_modseq(&key);
        if uses_modseq {
            self.condstore = true;
        }
        let view = self.view.as_ref().expect("checked by the caller");
        let candidates: Vec<usize> = (0..view.len()).filter(|&i| !view.get(i).expunged).collect();
        let mut matched = Vec::new();
        if needs_content(&key) {
            for chunk in candidates.chunks(BATCH) {
                let view = self.view.as_ref().expect("selected");
                let ids: Vec<MessageId> = chunk.iter().map(|&i| MessageId(view.get(i).entry.message_id)).collect();
                let read =
                    self.blocking(move |store| ids.into_iter().map(|id| store.blob(id)).collect::<Result<Vec<_>, _>>());
                let bodies = match read.await {
                    Ok(bodies) => bodies,
                    Err(e) => return store_failure(e),
                };
                let view = self.view.as_ref().expect("selected");
                for (&i, body) in chunk.iter().zip(bodies) {
                    let Some(raw) = body else { continue };
                    let mut content = Content { root: mime::parse(&raw), raw: &raw, text: None };
                    let mut candidate =
                        Candidate { number: i as u32 + 1, message: view.get(i), view, content: Some(&mut content) };
                    if matches(&key, &mut candidate) {
                        matched.push(i);
                    }
                }
            }
        } else {
            for i in candidates {
                let mut candidate = Candidate { number: i as u32 + 1, message: view.get(i), view, content: None };
                if matches(&key, &mut candidate) {
                    matched.push(i);
                }
            }
        }
        let view = self.view.as_ref().expect("selected");
        let values: Vec<u32> = matched.iter().map(|&i| if uid { view.get(i).uid } else { i as u32 + 1 }).collect();
        let highest = matched.iter().map(|&i| view.get(i).entry.modseq).max();
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
            (returns, _) => {
                let all = [SearchReturn::All];
                let returns = match returns.as_deref() {
                    None | Some([]) => &all[..],
                    Some(returns) => returns,
                };
                esearch(tag, uid, &values, returns, uses_modseq.then_some(highest).flatten())
            }
        };
        self.untagged(&line);
        self.updated(Done::ok("SEARCH completed"), uid)
    }
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

/// Sorted numbers as a compact sequence set.
fn as_set(values: &[u32]) -> String {
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

/// Whether the key needs the message's content (headers, body, Date).
fn needs_content(key: &SearchKey) -> bool {
    match key {
        SearchKey::Bcc(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::To(_)
        | SearchKey::Subject(_)
        | SearchKey::Body(_)
        | SearchKey::Text(_)
        | SearchKey::Header(..)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_) => true,
        SearchKey::Not(k) => needs_content(k),
        SearchKey::Or(a, b) => needs_content(a) || needs_content(b),
        SearchKey::And(keys) => keys.iter().any(needs_content),
        _ => false,
    }
}

fn matches(key: &SearchKey, c: &mut Candidate) -> bool {
    let f = c.message.entry.flags;
    let has = |bit: u32| f & bit != 0;
    let day = (c.message.entry.internal_date as i64).div_euclid(DAY);
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
        SearchKey::Larger(n) => c.message.entry.size > *n,
        SearchKey::Smaller(n) => c.message.entry.size < *n,
        SearchKey::Before(d) => day < *d,
        SearchKey::On(d) => day == *d,
        SearchKey::Since(d) => day >= *d,
        SearchKey::ModSeq(m) => c.message.entry.modseq >= *m,
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
        SearchKey::Bcc(s) => header_has(c, "Bcc", s),
        SearchKey::Cc(s) => header_has(c, "Cc", s),
        SearchKey::From(s) => header_has(c, "From", s),
        SearchKey::To(s) => header_has(c, "To", s),
        SearchKey::Subject(s) => header_has(c, "Subject", s),
        SearchKey::Header(name, s) => header_has(c, name, s),
        SearchKey::Body(s) => {
            c.content.as_mut().is_some_and(|content| mime::contains_ignore_case(content.body_text(), s))
        }
        SearchKey::Text(s) => {
            let Some(content) = c.content.as_mut() else { return false };
            let header = &content.raw[content.root.header.clone()];
            mime::contains_ignore_case(&String::from_utf8_lossy(header), s)
                || mime::contains_ignore_case(content.body_text(), s)
        }
    }
}

fn sent_day(c: &Candidate) -> Option<i64> {
    let content = c.content.as_ref()?;
    Some(mime::sent_date(content.raw, &content.root)?.div_euclid(DAY))
}

/// Whether a header field `name` contains `needle`; an empty needle matches any such field.
fn header_has(c: &Candidate, name: &str, needle: &str) -> bool {
    let Some(content) = c.content.as_ref() else { return false };
    let values = mime::header_values(content.raw, &content.root, name);
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
