//! Summaries of selected messages for FETCH and SEARCH: from the shared cache, the rest read
//! from the store and parsed on a blocking thread, then cached for every session.

use std::sync::Arc;

use super::{Done, Session, store_failure};
use crate::imap::summary::Summary;
use crate::imap::view::View;
use message::mime;
use store::MessageId;

impl Session {
    /// The summaries of the messages at `view` indexes, in order (None for a message deleted
    /// meanwhile).
    pub(super) async fn summaries(&self, view: &View, indexes: &[usize]) -> Result<Vec<Option<Arc<Summary>>>, Done> {
        let cache = &self.ctx.imap_summaries;
        let ids: Vec<MessageId> = indexes.iter().map(|&i| MessageId(view.get(i).entry.message_id)).collect();
        let mut summaries: Vec<Option<Arc<Summary>>> = ids.iter().map(|&id| cache.get(id)).collect();
        let missing: Vec<(usize, MessageId)> =
            ids.into_iter().enumerate().filter(|&(at, _)| summaries[at].is_none()).collect();
        if missing.is_empty() {
            return Ok(summaries);
        }
        let cache = Arc::clone(cache);
        let read = self.blocking(move |store| {
            let mut made = Vec::with_capacity(missing.len());
            for (at, id) in missing {
                let summary = store.blob(id)?.map(|raw| cache.summarize(id, &raw, &mime::parse(&raw)));
                made.push((at, summary));
            }
            Ok(made)
        });
        for (at, summary) in read.await.map_err(store_failure)? {
            summaries[at] = summary;
        }
        Ok(summaries)
    }
}
