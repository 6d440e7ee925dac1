//! APPEND, STORE, COPY and MOVE: the commands that change messages, each one durable journal
//! write answered with UIDPLUS codes (RFC 4315) and CONDSTORE's MODIFIED (RFC 7162).

use bytes::{BufMut, Bytes, BytesMut};

use super::{Done, MAX_APPEND_MESSAGES, Selected, Session, store_failure};
use crate::filter::learned;
use crate::imap::flags::{self, GivenFlags};
use crate::imap::view::View;
use imap_proto::command::{AppendMessage, Flag, SequenceSet, StoreAction};
use imap_proto::wire;
use store::journal::{Committed, FlagAction, JournalOp, MailboxOp, NewMessage};
use store::unix_now;
use store::{MessageId, StoreError};

/// The folder spam goes to, and whose moves train the filter.
const JUNK: &str = "Junk";

impl Session {
    /// APPEND, MULTIAPPEND (RFC 3502) and CATENATE (RFC 4469, relative URLs against
    /// `selected`): every message is stored, in one write, or none.
    pub(super) async fn append(
        &mut self,
        account: &str,
        selected: Option<&str>,
        mailbox: String,
        messages: Vec<AppendMessage>,
    ) -> Done {
        let mut prepared = Vec::with_capacity(messages.len());
        // CATENATE parts are read from the store: the whole APPEND stays within what the reader
        // lets literals reach (four message sizes).
        let most = self.ctx.config.limits.max_message_size.get().saturating_mul(MAX_APPEND_MESSAGES);
        let mut total = 0u64;
        for AppendMessage { flags, date, data } in messages {
            match self.append_octets(account, selected, data).await {
                Ok(message) if message.is_empty() => return Done::no("An empty message cannot be appended"),
                Ok(message) => {
                    total += message.len() as u64;
                    if total > most {
                        return Done::no("[TOOBIG] The messages are over the size limit together");
                    }
                    prepared.push((flags, date, message));
                }
                Err(done) => return done,
            }
        }
        let size = prepared.iter().map(|(_, _, m)| m.len() as u64).sum();
        if let Some(refused) = self.over_quota(account, size).await {
            return refused;
        }
        let messages = prepared
            .into_iter()
            .map(|(flags, date, message)| {
                let given = GivenFlags::from_flags(&flags);
                NewMessage {
                    id: self.ctx.ids.next_id(),
                    message: Bytes::from(message),
                    flags: given.system,
                    keywords: given.keywords,
                    internal_date: date.map_or_else(unix_now, |d| d.max(0) as u64),
                }
            })
            .collect();
        let op = MailboxOp::Append { account: account.into(), mailbox, messages };
        match self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            Ok(Committed::Appended { uid_validity, uids }) => {
                // UIDs of one write are consecutive: RFC 4315's uid-set for several.
                let set = match (uids.first(), uids.last()) {
                    (Some(first), Some(last)) if first != last => format!("{first}:{last}"),
                    (Some(first), _) => first.to_string(),
                    _ => String::new(),
                };
                Done::ok(format!("[APPENDUID {uid_validity} {set}] APPEND completed"))
            }
            Ok(_) => Done::ok("APPEND completed"),
            Err(StoreError::NotFound(_)) => Done::no("[TRYCREATE] No such mailbox"),
            Err(e) => store_failure(e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn store(
        &mut self,
        selected: &mut Selected,
        uid: bool,
        set: &SequenceSet,
        action: StoreAction,
        silent: bool,
        given: &[Flag],
        unchanged_since: Option<u64>,
    ) -> Done {
        let view = &selected.view;
        if view.read_only {
            return Done::no("[READ-ONLY] The mailbox is open read-only");
        }
        let Ok(indexes) = view.resolve(set, uid) else { return Done::bad("Invalid message number") };
        if unchanged_since.is_some() {
            self.enable_condstore(view);
        }
        let given = GivenFlags::from_flags(given);
        let op = MailboxOp::Store {
            account: selected.account.clone(),
            mailbox: view.name.clone(),
            uids: indexes.iter().map(|&i| view.get(i).uid).collect(),
            action: match action {
                StoreAction::Replace => FlagAction::Replace,
                StoreAction::Add => FlagAction::Add,
                StoreAction::Remove => FlagAction::Remove,
            },
            flags: given.system,
            keywords: given.keywords,
            unchanged_since,
        };
        let (changed, refused) = match self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            Ok(Committed::Stored { changed, refused }) => (changed, refused),
            Ok(_) => (Vec::new(), Vec::new()),
            Err(e) => return store_failure(e),
        };
        let view = &mut selected.view;
        // New keywords must be known before flags using them are shown.
        view.drain();
        for &(uid, flags, modseq) in &changed {
            view.update_own(uid, flags, modseq);
        }
        let mut out = BytesMut::new();
        view.report_keywords(&mut out);
        for &i in &indexes {
            let m = view.get(i);
            let was_changed = changed.iter().any(|c| c.0 == m.uid);
            // Silent stores still report MODSEQ when CONDSTORE's UNCHANGEDSINCE was used (RFC 7162 3.2).
            let show = (!silent && !refused.contains(&m.uid)) || (silent && was_changed && unchanged_since.is_some());
            if !show {
                continue;
            }
            out.put_slice(format!("* {} FETCH (", i + 1).as_bytes());
            if !silent {
                out.put_slice(b"FLAGS ");
                flags::write_list(&mut out, m.entry.flags, &view.keywords, m.recent && view.rev1);
            }
            if self.condstore {
                if !silent {
                    out.put_u8(b' ');
                }
                out.put_slice(format!("MODSEQ ({})", m.entry.modseq).as_bytes());
            }
            if uid {
                out.put_slice(format!(" UID {}", m.uid).as_bytes());
            }
            out.put_slice(b")\r\n");
            view.shown(i);
        }
        self.conn.send(&out);
        let done = match refused.is_empty() {
            true => Done::ok("STORE completed"),
            false => {
                let set = refused.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
                let set = if uid { set } else { numbers_of(view, &refused) };
                Done::ok(format!("[MODIFIED {set}] Conditional STORE failed for some messages"))
            }
        };
        self.updated(selected, done, uid)
    }

    /// COPY, or MOVE (RFC 6851) when `remove`.
    pub(super) async fn copy(
        &mut self,
        selected: &mut Selected,
        uid: bool,
        set: &SequenceSet,
        target: String,
        remove: bool,
    ) -> Done {
        let view = &selected.view;
        let training = self.training(&view.name, &target);
        if remove && view.read_only {
            return Done::no("[READ-ONLY] The mailbox is open read-only");
        }
        let Ok(indexes) = view.resolve(set, uid) else { return Done::bad("Invalid message number") };
        let name = if remove { "MOVE" } else { "COPY" };
        if indexes.is_empty() {
            return self.updated(selected, Done::ok(format!("{name} completed")), uid || !remove);
        }
        // A MOVE within the account changes no usage; a COPY adds its messages' sizes.
        let adds: u64 = if remove { 0 } else { indexes.iter().map(|&i| view.get(i).entry.size).sum() };
        if adds > 0
            && let Some(refused) = self.over_quota(&selected.account, adds).await
        {
            return refused;
        }
        let op = MailboxOp::Copy {
            account: selected.account.clone(),
            from: view.name.clone(),
            to: target,
            uids: indexes.iter().map(|&i| view.get(i).uid).collect(),
            remove,
        };
        let (uid_validity, pairs) = match self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            Ok(Committed::Copied { uid_validity, pairs }) => (uid_validity, pairs),
            Ok(_) => return self.updated(selected, Done::ok(format!("{name} completed")), true),
            Err(StoreError::NotFound(_)) => return Done::no("[TRYCREATE] No such mailbox"),
            Err(e) => return store_failure(e),
        };
        if let Some(spam) = training {
            let view = &selected.view;
            let copied = indexes.iter().map(|&i| view.get(i)).filter(|m| pairs.iter().any(|p| p.0 == m.uid));
            let ids: Vec<u128> = copied.map(|m| m.entry.message_id).collect();
            self.learn(&selected.account, ids, spam).await;
        }
        let sources = wire::compact(pairs.iter().map(|p| p.0));
        let copies = wire::compact(pairs.iter().map(|p| p.1));
        let code =
            if pairs.is_empty() { String::new() } else { format!("[COPYUID {uid_validity} {sources} {copies}] ") };
        if !remove {
            return self.updated(selected, Done::ok(format!("{code}COPY completed")), uid);
        }
        self.untagged(&format!("OK {code}Moved"));
        let moved: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        selected.view.expunged_own(self.conn.output(), &moved);
        self.updated(selected, Done::ok("MOVE completed"), true)
    }
}

impl Session {
    /// What moving mail from `from` to `to` teaches the spam filter: into Junk is spam, out
    /// of Junk (anywhere but Trash) is ham.
    fn training(&self, from: &str, to: &str) -> Option<bool> {
        self.ctx.spam_model.as_ref()?;
        match (from == JUNK, to == JUNK) {
            (false, true) => Some(true),
            (true, false) if to != "Trash" => Some(false),
            _ => None,
        }
    }

    /// Teaches the filter the stored messages `ids` as spam or ham, for everyone and for
    /// `account`.
    async fn learn(&self, account: &str, ids: Vec<u128>, spam: bool) {
        let account = account.to_string();
        let lesson = self.blocking(move |store| {
            let mut messages = Vec::new();
            for id in ids {
                if let Some(message) = store.blob(MessageId(id))? {
                    messages.push(spam::tokenize(&message));
                }
            }
            Ok(learned::lesson(Some(&account), messages, spam))
        });
        let learned = match lesson.await {
            Ok(lesson) => self.ctx.journal.submit(lesson).await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(e) = learned {
            tracing::warn!("spam training failed: {e}");
        }
    }
}

/// Message numbers of `uids` in the selected mailbox, as a set.
fn numbers_of(view: &View, uids: &[u32]) -> String {
    let numbers = (0..view.len()).filter(|&i| uids.contains(&view.get(i).uid)).map(|i| (i + 1).to_string());
    numbers.collect::<Vec<_>>().join(",")
}
