//! QRESYNC (RFC 7162 3.2): what changed while the client was away, told on SELECT, and UID
//! FETCH's VANISHED modifier.

use bytes::BufMut;

use super::{Done, Session, store_failure};
use crate::imap::flags;
use crate::imap::vanished::{earlier, ranges_of};
use crate::imap::view::View;
use imap_proto::command::{Qresync, SequenceSet};
use imap_proto::wire;

impl Session {
    /// After SELECT's responses, when the client's UIDVALIDITY is the mailbox's: `* VANISHED
    /// (EARLIER)` of the UIDs gone since its modseq and a FETCH (UID, FLAGS, MODSEQ) of every
    /// message changed since, both only for its known UIDs when it named them.
    pub(super) async fn resync(&mut self, account: &str, view: &mut View, q: &Qresync, uid_next: u32) -> Done {
        if q.uid_validity != view.uid_validity {
            return Done::Answered;
        }
        let largest = uid_next.saturating_sub(1);
        let known = q.known_uids.as_ref().map(|set| ranges_of(set, largest, &view.saved));
        let wanted = known.clone().unwrap_or_else(|| vec![(1, largest.max(1))]);
        if let Err(done) = self.write_vanished(account, view, q.modseq, &wanted, uid_next).await {
            return done;
        }
        let is_known = |uid: u32| known.as_ref().is_none_or(|k| k.iter().any(|&(a, b)| (a..=b).contains(&uid)));
        for i in 0..view.len() {
            let m = *view.get(i);
            if m.entry.modseq <= q.modseq || !is_known(m.uid) {
                continue;
            }
            let out = self.conn.output();
            out.put_slice(format!("* {} FETCH (UID {} FLAGS ", i + 1, m.uid).as_bytes());
            flags::write_list(out, m.entry.flags, &view.keywords, m.recent && view.rev1);
            out.put_slice(format!(" MODSEQ ({}))\r\n", m.entry.modseq).as_bytes());
            view.shown(i);
        }
        Done::Answered
    }

    /// UID FETCH's VANISHED modifier: `* VANISHED (EARLIER)` of the UIDs in `set` gone since
    /// `since`.
    pub(super) async fn vanished_in(&mut self, account: &str, view: &View, set: &SequenceSet, since: u64) -> Done {
        let (name, id) = (view.name.clone(), view.id);
        let reading = account.to_string();
        let meta = match self.blocking(move |store| store.mailbox_meta(&reading, &name)).await {
            Ok(Some(meta)) if meta.id == id => meta,
            Ok(_) => return Done::no("[NONEXISTENT] The mailbox was just deleted"),
            Err(e) => return store_failure(e),
        };
        let uid_next = view.uid_next(meta.uid_next);
        let wanted = ranges_of(set, uid_next.saturating_sub(1), &view.saved);
        match self.write_vanished(account, view, since, &wanted, uid_next).await {
            Ok(()) => Done::Answered,
            Err(done) => done,
        }
    }

    /// Writes `* VANISHED (EARLIER)` of the UIDs within `wanted` gone after `since`, if any.
    async fn write_vanished(
        &mut self,
        account: &str,
        view: &View,
        since: u64,
        wanted: &[(u32, u32)],
        uid_next: u32,
    ) -> Result<(), Done> {
        let (reading, id) = (account.to_string(), view.id);
        let found =
            self.blocking(move |store| store.vanished_since(&reading, id, since)).await.map_err(store_failure)?;
        let present: Vec<u32> = view.messages().iter().map(|m| m.uid).collect();
        let gone = earlier(&found, &present, uid_next, wanted);
        if !gone.is_empty() {
            let set = wire::ranges(&gone);
            self.conn.output().put_slice(format!("* VANISHED (EARLIER) {set}\r\n").as_bytes());
        }
        Ok(())
    }
}
