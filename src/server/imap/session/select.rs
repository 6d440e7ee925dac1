//! SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE and IDLE.

use bytes::BytesMut;
use futures_lite::future::or;

use super::{Done, Selected, Session, State, store_failure};
use crate::imap::view::View;
use crate::imap::{flags, object_ids};
use crate::net::{Line, ReadError};
use imap_proto::command::{SelectParams, SequenceSet};
use imap_proto::wire;
use store::journal::{Committed, JournalOp};
use store::records::flags::DELETED;

/// What ended the wait inside IDLE.
enum Woken {
    /// The mailbox changed (true: the watch overflowed).
    Changed(bool),
    /// The client sent something, or the read ended (closed, timed out, server stopping).
    Input(Result<usize, ReadError>),
}

impl Session {
    /// SELECT, or EXAMINE when `read_only`, from a logged-in `state` of `account`: closes the
    /// selected mailbox, if any, and selects `name`; the session is authenticated after a failure.
    pub(super) async fn select(
        &mut self,
        state: &mut State,
        account: String,
        name: String,
        params: SelectParams,
        read_only: bool,
    ) -> Done {
        if params.qresync.is_some() && !self.qresync {
            // RFC 7162 3.2.5: the parameter needs ENABLE QRESYNC first.
            return Done::bad("QRESYNC needs ENABLE QRESYNC first");
        }
        if state.unselect() {
            self.untagged("OK [CLOSED] Previous mailbox closed");
        }
        if params.condstore || params.qresync.is_some() {
            self.condstore = true;
        }
        let Ok(Some(meta)) = self.ctx.store.mailbox_meta(&account, &name) else {
            return Done::no(format!("[NONEXISTENT] Mailbox {name} does not exist"));
        };
        // Watch first, read second: a change in between arrives as a notice and is idempotent.
        let watch = self.ctx.journal.watch(&account, meta.id);
        let id = meta.id;
        let reading = account.clone();
        let mailbox = name.clone();
        let read = self
            .blocking(move |store| Ok((store.mailbox_meta(&reading, &mailbox)?, store.mail_entries_of(&reading, id)?)));
        let (meta, entries) = match read.await {
            Ok((Some(meta), entries)) if meta.id == id => (meta, entries),
            Ok(_) => return Done::no("[NONEXISTENT] The mailbox was just deleted"),
            Err(e) => return store_failure(e),
        };
        let mut view = View::new(name, &meta, entries, watch, read_only);
        view.rev1 = !self.rev2;
        view.vanished = self.qresync;
        view.drain();
        // Changes that raced the read are folded in silently: the responses below describe
        // the mailbox as it is now.
        let mut out = BytesMut::new();
        view.report(&mut out, true, false);
        out.clear();
        flags::write_mailbox_flags(&mut out, &view.keywords, read_only);
        out.extend_from_slice(format!("* {} EXISTS\r\n", view.len()).as_bytes());
        if !self.rev2 {
            out.extend_from_slice(format!("* {} RECENT\r\n", view.recent()).as_bytes());
            if let (_, Some(first)) = view.unseen() {
                out.extend_from_slice(format!("* OK [UNSEEN {first}] First unseen\r\n").as_bytes());
            }
        }
        out.extend_from_slice(format!("* OK [UIDVALIDITY {}] UIDs valid\r\n", view.uid_validity).as_bytes());
        out.extend_from_slice(
            format!("* OK [UIDNEXT {}] Predicted next UID\r\n", view.uid_next(meta.uid_next)).as_bytes(),
        );
        out.extend_from_slice(format!("* OK [HIGHESTMODSEQ {}] Highest\r\n", view.highest_modseq).as_bytes());
        let id = object_ids::mailbox_id_of(view.id, view.uid_validity);
        out.extend_from_slice(format!("* OK [MAILBOXID ({id})] Ok\r\n").as_bytes());
        if self.rev2 {
            out.extend_from_slice(b"* LIST () \"/\" ");
            wire::astring(&mut out, view.name.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        self.conn.send(&out);
        if let Some(qresync) = &params.qresync
            && let done @ (Done::No(_) | Done::Bad(_) | Done::Close) =
                self.resync(&account, &mut view, qresync, meta.uid_next).await
        {
            return done;
        }
        *state = State::Selected(Box::new(Selected { account, view }));
        let mode = if read_only { "READ-ONLY" } else { "READ-WRITE" };
        Done::ok(format!("[{mode}] {} completed", if read_only { "EXAMINE" } else { "SELECT" }))
    }

    /// CLOSE (expunging `\Deleted` messages silently when `expunge` and writable) or UNSELECT;
    /// the caller leaves the selected state after, whatever the outcome.
    pub(super) async fn close(&mut self, selected: &Selected, expunge: bool) -> Done {
        let view = &selected.view;
        if expunge && !view.read_only {
            let uids = deleted_uids(view, None);
            if !uids.is_empty() {
                let op = JournalOp::Expunge { account: selected.account.clone(), mailbox: view.name.clone(), uids };
                if let Err(e) = self.ctx.journal.submit(op).await {
                    return store_failure(e);
                }
            }
        }
        Done::ok(if expunge { "CLOSE completed" } else { "UNSELECT completed" })
    }

    /// EXPUNGE, or UID EXPUNGE of the messages in `set`.
    pub(super) async fn expunge(&mut self, selected: &mut Selected, set: Option<SequenceSet>) -> Done {
        let view = &selected.view;
        if view.read_only {
            return Done::no("[READ-ONLY] The mailbox is open read-only");
        }
        let uids = match &set {
            Some(set) => match view.resolve(set, true) {
                Ok(indexes) => deleted_uids(view, Some(&indexes)),
                Err(_) => return Done::bad("Invalid UID set"),
            },
            None => deleted_uids(view, None),
        };
        if !uids.is_empty() {
            let op = JournalOp::Expunge { account: selected.account.clone(), mailbox: view.name.clone(), uids };
            match self.ctx.journal.submit(op).await {
                Ok(Committed::Expunged(removed)) => selected.view.expunged_own(self.conn.output(), &removed),
                Ok(_) => {}
                Err(e) => return store_failure(e),
            }
        }
        if let Done::Close = self.updated(selected, Done::Answered, true) {
            return Done::Close;
        }
        match self.qresync {
            // RFC 7162 3.2.10: the client cannot work out the new HIGHESTMODSEQ from VANISHED.
            true => Done::ok(format!("[HIGHESTMODSEQ {}] EXPUNGE completed", selected.view.highest_modseq)),
            false => Done::ok("EXPUNGE completed"),
        }
    }

    /// IDLE (RFC 2177): changes are pushed as they commit until the client sends `DONE`.
    pub(super) async fn idle(&mut self, selected: &mut Selected, _tag: &str) -> Done {
        self.conn.send(b"+ idling\r\n");
        if let Done::Close = self.updated(selected, Done::Answered, true) {
            return Done::Close;
        }
        loop {
            if self.conn.flush(self.timeout).await.is_err() {
                return Done::Close;
            }
            match self.conn.take_line(64) {
                Line::Complete(line) if line.eq_ignore_ascii_case(b"DONE") => {
                    return self.updated(selected, Done::ok("IDLE terminated"), true);
                }
                Line::Complete(_) | Line::TooLong => {
                    self.errors += 1;
                    return Done::bad("Expected DONE");
                }
                Line::Incomplete => {}
            }
            let (conn, view, timeout) = (&mut self.conn, &mut selected.view, self.timeout);
            let changed = async { Woken::Changed(view.wait().await) };
            let input = async { Woken::Input(conn.read_more(timeout).await) };
            match or(input, changed).await {
                Woken::Input(Ok(_)) => {}
                Woken::Input(Err(ReadError::Shutdown)) => {
                    self.conn.send(b"* BYE [UNAVAILABLE] Server shutting down\r\n");
                    return Done::Close;
                }
                Woken::Input(Err(ReadError::TimedOut)) => {
                    self.conn.send(b"* BYE Autologout; idle for too long\r\n");
                    return Done::Close;
                }
                Woken::Input(Err(_)) => return Done::Close,
                Woken::Changed(overflowed) => {
                    if overflowed {
                        // `updated` resyncs when it finds the overflow flag; set it again for it.
                        if let Ok(entries) = self.ctx.store.mail_entries_of(&selected.account, selected.view.id) {
                            selected.view.resync(entries);
                        }
                    }
                    if let Done::Close = self.updated(selected, Done::Answered, true) {
                        return Done::Close;
                    }
                }
            }
        }
    }
}

/// UIDs of messages flagged `\Deleted`, all or those at `indexes`.
fn deleted_uids(view: &View, indexes: Option<&[usize]>) -> Vec<u32> {
    let deleted = |i: &usize| view.get(*i).entry.flags & DELETED != 0 && !view.get(*i).expunged;
    match indexes {
        Some(indexes) => indexes.iter().filter(|i| deleted(i)).map(|&i| view.get(i).uid).collect(),
        None => (0..view.len()).filter(deleted).map(|i| view.get(i).uid).collect(),
    }
}
