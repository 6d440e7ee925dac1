//! CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with LIST-EXTENDED, SPECIAL-USE and
//! LIST-STATUS), LSUB and STATUS.

use bytes::{BufMut, BytesMut};

use super::{Done, Session, store_failure};
use crate::imap::list::{self, DELIMITER};
use crate::imap::object_ids;
use imap_proto::command::{ListReturn, ListSelect, StatusItem};
use imap_proto::wire;
use store::journal::{JournalOp, MailboxOp};
use store::records::{MailboxMeta, flags};

impl Session {
    async fn mailbox_op(&mut self, op: MailboxOp, done: &str) -> Done {
        match self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            Ok(_) => Done::ok(format!("{done} completed")),
            Err(e) => store_failure(e),
        }
    }

    pub(super) async fn create(&mut self, account: &str, name: String) -> Done {
        if name.eq_ignore_ascii_case("INBOX") {
            return Done::no("[ALREADYEXISTS] INBOX exists already");
        }
        let op = MailboxOp::Create { account: account.into(), name: name.clone() };
        if let Err(e) = self.ctx.journal.submit(JournalOp::Mailbox(op)).await {
            return store_failure(e);
        }
        let account = account.to_string();
        match self.blocking(move |store| store.mailbox_meta(&account, &name)).await {
            Ok(Some(meta)) => Done::ok(format!("[MAILBOXID ({})] CREATE completed", object_ids::mailbox_id(&meta))),
            _ => Done::ok("CREATE completed"),
        }
    }

    pub(super) async fn delete(&mut self, account: &str, name: String) -> Done {
        if name == "INBOX" {
            return Done::no("[CANNOT] INBOX cannot be deleted");
        }
        self.mailbox_op(MailboxOp::Delete { account: account.into(), name }, "DELETE").await
    }

    pub(super) async fn rename(&mut self, account: &str, from: String, to: String) -> Done {
        if to == "INBOX" {
            return Done::no("[ALREADYEXISTS] INBOX exists already");
        }
        self.mailbox_op(MailboxOp::Rename { account: account.into(), from, to }, "RENAME").await
    }

    pub(super) async fn subscribe(&mut self, account: &str, name: String, subscribed: bool) -> Done {
        let op = MailboxOp::Subscribe { account: account.into(), name, subscribed };
        self.mailbox_op(op, if subscribed { "SUBSCRIBE" } else { "UNSUBSCRIBE" }).await
    }

    /// The account's mailbox names (INBOX first) and subscriptions.
    async fn names(&self, account: &str) -> Result<(Vec<String>, Vec<String>), Done> {
        let account = account.to_string();
        let read = self.blocking(move |store| Ok((store.mailboxes(&account)?, store.subscriptions(&account)?)));
        let (mut names, subscriptions) = read.await.map_err(store_failure)?;
        if let Some(i) = names.iter().position(|n| n == "INBOX") {
            let inbox = names.remove(i);
            names.insert(0, inbox);
        }
        Ok((names, subscriptions))
    }

    pub(super) async fn list(
        &mut self,
        account: &str,
        reference: &str,
        patterns: &[String],
        select: ListSelect,
        returns: ListReturn,
    ) -> Done {
        if patterns.iter().all(String::is_empty) && !select.subscribed && !select.special_use {
            self.conn.send(b"* LIST (\\Noselect) \"/\" \"\"\r\n");
            return Done::ok("LIST completed");
        }
        let (names, subscriptions) = match self.names(account).await {
            Ok(found) => found,
            Err(done) => return done,
        };
        let mut candidates = names.clone();
        if select.subscribed {
            candidates.extend(subscriptions.iter().filter(|s| !names.contains(s)).cloned());
        }
        // RFC 5258 3.5: the parents of subscribed mailboxes, for CHILDINFO.
        let recursive = select.subscribed && select.recursive_match;
        if recursive {
            for parent in subscriptions.iter().flat_map(|s| list::parents(s)) {
                if !candidates.iter().any(|c| c == parent) {
                    candidates.push(parent.to_string());
                }
            }
        }
        let show_subscribed = select.subscribed || returns.subscribed;
        let mut out = BytesMut::new();
        let mut statuses = Vec::new();
        for name in &candidates {
            if !patterns.iter().any(|p| list::matches(&list::full_pattern(reference, p), name)) {
                continue;
            }
            let subscribed = subscriptions.contains(name);
            let special = list::special_use(name);
            let child_subscribed = recursive && !subscribed && subscriptions.iter().any(|s| list::is_parent(name, s));
            if (select.special_use && special.is_none()) || (select.subscribed && !subscribed && !child_subscribed) {
                continue;
            }
            let exists = names.contains(name);
            let mut attributes = Vec::new();
            if !exists {
                attributes.push("\\NonExistent");
            } else if names.iter().any(|n| n.len() > name.len() + 1 && n.starts_with(&format!("{name}{DELIMITER}"))) {
                attributes.push("\\HasChildren");
            } else {
                attributes.push("\\HasNoChildren");
            }
            if let Some(special) = special {
                attributes.push(special);
            }
            if show_subscribed && subscribed {
                attributes.push("\\Subscribed");
            }
            out.put_slice(format!("* LIST ({}) \"{DELIMITER}\" ", attributes.join(" ")).as_bytes());
            wire::astring(&mut out, self.shown_name(name).as_bytes());
            if child_subscribed {
                out.put_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }
            out.put_slice(b"\r\n");
            if exists && returns.status.is_some() {
                statuses.push(name.clone());
            }
        }
        self.conn.send(&out);
        if let Some(items) = returns.status {
            for name in statuses {
                if let Err(e) = self.write_status(account, &name, &items).await {
                    return e;
                }
            }
        }
        Done::ok("LIST completed")
    }

    pub(super) async fn lsub(&mut self, account: &str, reference: &str, pattern: &str) -> Done {
        let (names, subscriptions) = match self.names(account).await {
            Ok(found) => found,
            Err(done) => return done,
        };
        let pattern = list::full_pattern(reference, pattern);
        // A subscribed mailbox the pattern does not reach (`%` stops at the delimiter) shows
        // through its unsubscribed parents the pattern matches, as \Noselect (RFC 3501 6.3.9).
        let mut listed: Vec<(&str, bool)> = Vec::new();
        for name in &subscriptions {
            if list::matches(&pattern, name) {
                listed.push((name, !names.contains(name)));
                continue;
            }
            for parent in list::parents(name) {
                let shown = subscriptions.iter().any(|s| s == parent) || listed.iter().any(|(n, _)| *n == parent);
                if !shown && list::matches(&pattern, parent) {
                    listed.push((parent, true));
                }
            }
        }
        let mut out = BytesMut::new();
        for (name, noselect) in listed {
            let attributes = if noselect { "\\Noselect" } else { "" };
            out.put_slice(format!("* LSUB ({attributes}) \"{DELIMITER}\" ").as_bytes());
            wire::astring(&mut out, self.shown_name(name).as_bytes());
            out.put_slice(b"\r\n");
        }
        self.conn.send(&out);
        Done::ok("LSUB completed")
    }

    pub(super) async fn status(&mut self, account: &str, name: &str, items: &[StatusItem]) -> Done {
        match self.write_status(account, name, items).await {
            Ok(()) => Done::ok("STATUS completed"),
            Err(done) => done,
        }
    }

    /// Writes `* STATUS name (...)` for one of the account's mailboxes.
    async fn write_status(&mut self, account: &str, name: &str, items: &[StatusItem]) -> Result<(), Done> {
        let account = account.to_string();
        let mailbox = name.to_string();
        let count = items.iter().any(|i| matches!(i, StatusItem::Deleted | StatusItem::Recent));
        let journal = self.ctx.journal.clone();
        let read = self.blocking(move |store| {
            let Some(meta) = store.mailbox_meta(&account, &mailbox)? else { return Ok(None) };
            let mut counted = Counted::default();
            if count {
                let known = journal.claimed_recent(&account, meta.id);
                for (uid, entry) in store.mail_entries_of(&account, meta.id)? {
                    counted.deleted += usize::from(entry.flags & flags::DELETED != 0);
                    counted.recent += usize::from(uid > known);
                }
            }
            Ok(Some((meta, counted)))
        });
        let (meta, counted) = match read.await {
            Ok(Some(found)) => found,
            Ok(None) => return Err(Done::no(format!("[NONEXISTENT] Mailbox {name} does not exist"))),
            Err(e) => return Err(store_failure(e)),
        };
        let mut out = BytesMut::new();
        out.put_slice(b"* STATUS ");
        wire::astring(&mut out, self.shown_name(name).as_bytes());
        out.put_slice(b" (");
        let values: Vec<String> = items.iter().map(|item| status_item(*item, &meta, &counted)).collect();
        out.put_slice(values.join(" ").as_bytes());
        out.put_slice(b")\r\n");
        self.conn.send(&out);
        if items.contains(&StatusItem::HighestModSeq) {
            self.condstore = true;
        }
        Ok(())
    }
}

/// Counts STATUS needs that the mailbox counters do not keep.
#[derive(Default)]
struct Counted {
    deleted: usize,
    recent: usize,
}

fn status_item(item: StatusItem, meta: &MailboxMeta, counted: &Counted) -> String {
    match item {
        StatusItem::Messages => format!("MESSAGES {}", meta.messages),
        StatusItem::Recent => format!("RECENT {}", counted.recent),
        StatusItem::UidNext => format!("UIDNEXT {}", meta.uid_next),
        StatusItem::UidValidity => format!("UIDVALIDITY {}", meta.uid_validity),
        StatusItem::Unseen => format!("UNSEEN {}", meta.unseen),
        StatusItem::Deleted => format!("DELETED {}", counted.deleted),
        StatusItem::Size => format!("SIZE {}", meta.size),
        StatusItem::HighestModSeq => format!("HIGHESTMODSEQ {}", meta.highest_modseq),
        StatusItem::MailboxId => format!("MAILBOXID ({})", object_ids::mailbox_id(meta)),
    }
}
