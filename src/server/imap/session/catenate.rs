//! CATENATE (RFC 4469): an APPEND message made of TEXT literals and IMAP URLs of messages (or
//! their parts) this account already has, so that a client forwards or edits a draft without
//! downloading it. Each URL is read from the store (mailbox, UIDVALIDITY, UID, section,
//! partial); one that names nothing is `NO [BADURL url]`, and nothing is appended.

use std::borrow::Cow;

use imap_proto::command::{AppendData, CatPart, parse_section};
use imap_proto::{imap_url, mutf7};
use message::mime;
use store::MessageId;

use super::{Done, Session, store_failure};

/// Why a URL gave no octets.
enum Unresolved {
    /// It names nothing this account has.
    Bad(&'static str),
    /// The store failed.
    Failed(store::StoreError),
}

impl Session {
    /// The octets of an APPEND message: its literal, or its CATENATE parts joined; `selected`
    /// is the mailbox relative URLs (`;UID=n`) name.
    pub(super) async fn append_octets(
        &self,
        account: &str,
        selected: Option<&str>,
        data: AppendData,
    ) -> Result<Vec<u8>, Done> {
        let parts = match data {
            AppendData::Literal(message) => return Ok(message),
            AppendData::Catenate(parts) => parts,
        };
        let limit = self.ctx.config.limits.max_message_size.get();
        let mut message = Vec::new();
        for part in parts {
            let octets = match part {
                CatPart::Text(text) => text,
                CatPart::Url(url) => match self.resolve(account, selected, &url).await {
                    Ok(octets) => octets,
                    Err(Unresolved::Bad(why)) => {
                        let shown = url.replace(['\r', '\n', ']'], "");
                        return Err(Done::no(format!("[BADURL {shown}] {why}")));
                    }
                    Err(Unresolved::Failed(e)) => return Err(store_failure(e)),
                },
            };
            if (message.len() + octets.len()) as u64 > limit {
                return Err(Done::no("[TOOBIG] The message would be over the size limit"));
            }
            message.extend_from_slice(&octets);
        }
        Ok(message)
    }

    /// The octets `url` names in `account`'s mailboxes.
    async fn resolve(&self, account: &str, selected: Option<&str>, url: &str) -> Result<Vec<u8>, Unresolved> {
        let url = imap_url::parse(url).ok_or(Unresolved::Bad("Not an IMAP URL of a message"))?;
        // URLs name mailboxes in UTF-8 (RFC 5092); the store keeps modified UTF-7.
        let mailbox = match &url.mailbox {
            Some(name) if name.eq_ignore_ascii_case("INBOX") => "INBOX".to_string(),
            Some(name) if !name.is_ascii() => mutf7::encode(name),
            Some(name) => name.clone(),
            None => selected.ok_or(Unresolved::Bad("A relative URL needs a selected mailbox"))?.to_string(),
        };
        let section = match &url.section {
            Some(spec) => Some(parse_section(spec.as_bytes()).ok_or(Unresolved::Bad("No such section"))?),
            None => None,
        };
        let (account, uid) = (account.to_string(), url.uid);
        let found = self
            .blocking(move |store| {
                let Some(meta) = store.mailbox_meta(&account, &mailbox)? else { return Ok(None) };
                let Some(entry) = store.mail_entry(&account, &mailbox, uid)? else { return Ok(None) };
                Ok(store.blob(MessageId(entry.message_id))?.map(|blob| (meta.uid_validity, blob)))
            })
            .await
            .map_err(Unresolved::Failed)?;
        let (uid_validity, blob) = found.ok_or(Unresolved::Bad("No such message"))?;
        if url.uid_validity.is_some_and(|v| v != uid_validity) {
            return Err(Unresolved::Bad("The mailbox's UIDVALIDITY differs"));
        }
        let octets: Cow<'_, [u8]> = match &section {
            Some(section) => {
                let root = mime::parse(&blob);
                imap_proto::mime::section(&blob, &root, section).ok_or(Unresolved::Bad("No such section"))?
            }
            None => Cow::Borrowed(&blob),
        };
        let octets = match url.partial {
            Some((offset, length)) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(octets.len());
                let end = length.map_or(octets.len(), |l| start.saturating_add(l as usize).min(octets.len()));
                octets[start..end].to_vec()
            }
            None => octets.into_owned(),
        };
        Ok(octets)
    }
}
