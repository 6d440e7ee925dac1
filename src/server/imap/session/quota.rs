//! QUOTA (RFC 9208) with the STORAGE resource: every account is its own quota root `""`,
//! limited by `ringmail user quota`. GETQUOTA and GETQUOTAROOT report usage and limit in KiB;
//! SETQUOTA is the administrator's (`NO [NOPERM]`). APPEND and COPY that would go over answer
//! `NO [OVERQUOTA]`.

use bytes::BytesMut;

use super::{Done, Session, store_failure};
use imap_proto::wire;

impl Session {
    pub(super) async fn get_quota(&mut self, account: &str, root: &str) -> Done {
        if !root.is_empty() {
            return Done::no("[NONEXISTENT] No such quota root");
        }
        match self.quota_line(account).await {
            Ok(Some(line)) => {
                self.untagged(&line);
                Done::ok("GETQUOTA completed")
            }
            Ok(None) => Done::no("[NONEXISTENT] No quota is set"),
            Err(done) => done,
        }
    }

    pub(super) async fn get_quota_root(&mut self, account: &str, mailbox: &str) -> Done {
        let (owner, name) = (account.to_string(), mailbox.to_string());
        let exists = self.blocking(move |store| store.mailbox_meta(&owner, &name)).await;
        match exists {
            Ok(Some(_)) => {}
            Ok(None) => return Done::no(format!("[NONEXISTENT] Mailbox {mailbox} does not exist")),
            Err(e) => return store_failure(e),
        }
        let line = match self.quota_line(account).await {
            Ok(line) => line,
            Err(done) => return done,
        };
        let mut out = BytesMut::from(&b"* QUOTAROOT "[..]);
        wire::astring(&mut out, self.shown_name(mailbox).as_bytes());
        if line.is_some() {
            out.extend_from_slice(b" \"\"");
        }
        out.extend_from_slice(b"\r\n");
        self.conn.send(&out);
        if let Some(line) = line {
            self.untagged(&line);
        }
        Done::ok("GETQUOTAROOT completed")
    }

    /// `QUOTA "" (STORAGE used limit)` in KiB, when the account has a quota.
    async fn quota_line(&self, account: &str) -> Result<Option<String>, Done> {
        let account = account.to_string();
        let read = self.blocking(move |store| Ok((store.quota(&account)?, store.usage(&account)?)));
        match read.await {
            Ok((Some(limit), used)) => {
                Ok(Some(format!("QUOTA \"\" (STORAGE {} {})", used.div_ceil(1024), limit / 1024)))
            }
            Ok((None, _)) => Ok(None),
            Err(e) => Err(store_failure(e)),
        }
    }

    /// `NO [OVERQUOTA]` when `account` has no room for `more` octets.
    pub(super) async fn over_quota(&self, account: &str, more: u64) -> Option<Done> {
        let account = account.to_string();
        match self.blocking(move |store| store.room_for(&account, more)).await {
            Ok(Ok(())) => None,
            Ok(Err(_)) => Some(Done::no("[OVERQUOTA] The mailbox is over its storage quota")),
            Err(e) => Some(store_failure(e)),
        }
    }
}
