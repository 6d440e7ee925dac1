//! SORT and THREAD (RFC 5256, with RFC 5957's DISPLAYFROM/DISPLAYTO): the messages a search
//! key matches, ordered by their cached sort keys, or grouped into threads.

use std::cmp::Ordering;
use std::sync::Arc;

use super::search::{as_set, supported_charset};
use super::{Done, Selected, Session};
use crate::imap::summary::Summary;
use crate::imap::view::View;
use imap_proto::command::{SearchKey, SearchReturn, SortCriterion, SortKey, ThreadAlgorithm};
use imap_proto::thread::{self, ThreadInput};

/// Summaries looked up (and made, when not cached) in one go.
const SUMMARY_BATCH: usize = 256;

impl Session {
    pub(super) async fn sort(
        &mut self,
        selected: &mut Selected,
        tag: &str,
        uid: bool,
        (criteria, charset): (&[SortCriterion], &str),
        key: SearchKey,
        returns: Option<Vec<SearchReturn>>,
    ) -> Done {
        let found = match self.summarized(selected, charset, key).await {
            Ok(found) => found,
            Err(done) => return done,
        };
        let view = &selected.view;
        let mut found = found;
        found.sort_by(|a, b| {
            criteria.iter().map(|c| compare(view, c, a, b)).find(|o| o.is_ne()).unwrap_or_else(|| a.0.cmp(&b.0))
        });
        if returns.as_ref().is_some_and(|r| r.contains(&SearchReturn::Save)) {
            let mut uids: Vec<u32> = found.iter().map(|(i, _)| view.get(*i).uid).collect();
            uids.sort_unstable();
            selected.view.saved = uids;
        }
        let view = &selected.view;
        let numbers: Vec<u32> = found.iter().map(|(i, _)| number(view, *i, uid)).collect();
        let line = match returns {
            // SAVE alone answers nothing but the tagged OK (RFC 5182 2.4).
            Some(returns) if returns == [SearchReturn::Save] => String::new(),
            Some(returns) => esort(tag, uid, &numbers, &returns),
            None => numbers.iter().fold(String::from("SORT"), |line, n| format!("{line} {n}")),
        };
        if !line.is_empty() {
            self.untagged(&line);
        }
        self.updated(selected, Done::ok("SORT completed"), uid)
    }

    pub(super) async fn thread(
        &mut self,
        selected: &mut Selected,
        uid: bool,
        algorithm: ThreadAlgorithm,
        charset: &str,
        key: SearchKey,
    ) -> Done {
        let found = match self.summarized(selected, charset, key).await {
            Ok(found) => found,
            Err(done) => return done,
        };
        let view = &selected.view;
        let inputs: Vec<ThreadInput> = found
            .iter()
            .map(|(i, summary)| {
                let fields = summary.sort_fields();
                ThreadInput {
                    number: number(view, *i, uid),
                    sent: sent(view, *i, summary),
                    message_id: fields.message_id.as_deref(),
                    references: fields.references.iter().map(AsRef::as_ref).collect(),
                    subject: &fields.full_subject,
                }
            })
            .collect();
        let threads = match algorithm {
            ThreadAlgorithm::OrderedSubject => thread::ordered_subject(&inputs),
            ThreadAlgorithm::References => thread::references(&inputs),
        };
        let mut line = String::from("THREAD ");
        thread::write(&mut line, &threads);
        self.untagged(line.trim_end());
        self.updated(selected, Done::ok("THREAD completed"), uid)
    }

    /// The messages `key` matches, in mailbox order, each with its summary (a message whose
    /// body is gone meanwhile is left out).
    async fn summarized(
        &mut self,
        selected: &Selected,
        charset: &str,
        key: SearchKey,
    ) -> Result<Vec<(usize, Arc<Summary>)>, Done> {
        if !supported_charset(charset) {
            return Err(Done::no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset"));
        }
        let matched = self.matching(selected, key).await?;
        let mut found = Vec::with_capacity(matched.len());
        for chunk in matched.chunks(SUMMARY_BATCH) {
            let summaries = self.summaries(&selected.view, chunk).await?;
            found.extend(chunk.iter().zip(summaries).filter_map(|(&i, s)| Some((i, s?))));
        }
        Ok(found)
    }
}

/// The `ESEARCH` answer to a SORT with return options (RFC 5267 3): MIN and MAX are the first
/// and last in sort order, ALL lists them in sort order.
fn esort(tag: &str, uid: bool, numbers: &[u32], returns: &[SearchReturn]) -> String {
    let mut line = format!("ESEARCH (TAG \"{tag}\")");
    if uid {
        line.push_str(" UID");
    }
    let all = [SearchReturn::All];
    for option in if returns.is_empty() { &all[..] } else { returns } {
        match (option, numbers.first(), numbers.last()) {
            (SearchReturn::Min, Some(first), _) => line.push_str(&format!(" MIN {first}")),
            (SearchReturn::Max, _, Some(last)) => line.push_str(&format!(" MAX {last}")),
            (SearchReturn::Count, ..) => line.push_str(&format!(" COUNT {}", numbers.len())),
            (SearchReturn::All, Some(_), _) => line.push_str(&format!(" ALL {}", as_set(numbers))),
            // SAVE with SORT keeps the result as a set (RFC 5182 2.4): done by the caller.
            _ => {}
        }
    }
    line
}

/// The message's number in the response: its UID, or its sequence number.
fn number(view: &View, index: usize, uid: bool) -> u32 {
    if uid { view.get(index).uid } else { index as u32 + 1 }
}

/// The sent date, or the internal date when the message has none (RFC 5256 3).
fn sent(view: &View, index: usize, summary: &Summary) -> i64 {
    summary.sort_fields().sent.unwrap_or(view.get(index).entry.internal_date as i64)
}

/// One criterion's order of two messages.
fn compare(view: &View, criterion: &SortCriterion, a: &(usize, Arc<Summary>), b: &(usize, Arc<Summary>)) -> Ordering {
    let (fa, fb) = (a.1.sort_fields(), b.1.sort_fields());
    let (ea, eb) = (&view.get(a.0).entry, &view.get(b.0).entry);
    let order = match criterion.key {
        SortKey::Arrival => ea.internal_date.cmp(&eb.internal_date),
        SortKey::Date => sent(view, a.0, &a.1).cmp(&sent(view, b.0, &b.1)),
        SortKey::Size => ea.size.cmp(&eb.size),
        SortKey::Subject => fa.subject.cmp(&fb.subject),
        SortKey::From => fa.from.cmp(&fb.from),
        SortKey::To => fa.to.cmp(&fb.to),
        SortKey::Cc => fa.cc.cmp(&fb.cc),
        SortKey::DisplayFrom => fa.display_from.cmp(&fb.display_from),
        SortKey::DisplayTo => fa.display_to.cmp(&fb.display_to),
    };
    if criterion.reverse { order.reverse() } else { order }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esort_keeps_the_sort_order() {
        let returns = [SearchReturn::Min, SearchReturn::Max, SearchReturn::Count, SearchReturn::All];
        assert_eq!(
            esort("a", false, &[5, 2, 3, 4, 1], &returns),
            "ESEARCH (TAG \"a\") MIN 5 MAX 1 COUNT 5 ALL 5,2:4,1"
        );
        assert_eq!(esort("b", true, &[], &returns), "ESEARCH (TAG \"b\") UID COUNT 0");
        assert_eq!(esort("c", false, &[7], &[]), "ESEARCH (TAG \"c\") ALL 7", "RETURN () means ALL");
    }
}
