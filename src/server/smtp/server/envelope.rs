//! MAIL and RCPT: opening a transaction and accepting recipients.

use super::delivered::SuccessWanted;
use super::replies;
use super::session::{Session, Transaction, insufficient_resources};
use crate::config::SuppressedRecipients;
use crate::routing::{Destinations, RouteError, Router};
use smtp_proto::{Body, MailParams, Mailbox, RcptParams, Reply, Status};
use store::journal::RemoteRecipient;

impl Session {
    /// MAIL FROM: checks order, parameters and size, then opens a transaction.
    pub(super) async fn mail(&mut self, from: Option<Mailbox>, params: MailParams) {
        let Some(hello) = &self.hello else {
            return self.error(replies::bad_sequence("Send EHLO or HELO first"));
        };
        if self.transaction.is_some() {
            return self.error(replies::bad_sequence("Nested MAIL command"));
        }
        let has_params = params != MailParams::default();
        if has_params && !hello.extended {
            return self.error(Reply::new(555, Status(5, 5, 4), "ESMTP parameters require EHLO"));
        }
        if params.body == Body::BinaryMime {
            return self.error(Reply::new(555, Status(5, 5, 4), "BINARYMIME is not supported"));
        }
        if from.as_ref().is_some_and(Mailbox::is_utf8) && !params.smtputf8 {
            return self.error(replies::needs_smtputf8());
        }
        if params.size.is_some_and(|size| size > self.ctx.config.limits.max_message_size.get()) {
            return self.error(replies::too_large());
        }
        if self.role.requires_auth() && self.user.is_none() {
            return self.error(Reply::new(530, Status(5, 7, 0), "Authentication required"));
        }
        if let Some(user) = &self.user {
            let router = Router::new(&self.ctx.store, self.ctx.config.hostname.as_str());
            match router.may_send_as(user, from.as_ref()) {
                Ok(true) => {}
                Ok(false) => {
                    let from = from.map(|f| f.to_string()).unwrap_or_default();
                    let text = format!("<{from}>: Sender address rejected: not owned by user {user}");
                    return self.error(Reply::new(553, Status(5, 7, 1), text));
                }
                Err(e) => {
                    tracing::warn!("sender lookup failed: {e}");
                    return self.reply(Reply::new(451, Status(4, 3, 0), "Temporary lookup failure, try again later"));
                }
            }
        }
        if let (Some(network), Some(sender)) = (self.relay_restriction(), &from)
            && !network.allows(&sender.domain)
        {
            let text = format!("<{sender}>: Sender address rejected: not a sender domain of your network");
            return self.error(Reply::new(553, Status(5, 7, 1), text));
        }
        if let Some(refusal) = self.sender_refusal(from.as_ref()) {
            return self.error(refusal);
        }
        // The server holds no more message content now (RFC 1870: 452 for a SIZE that does
        // not fit); the client tries again later.
        if !self.ctx.message_memory.admits(params.size) {
            return self.reply(insufficient_resources());
        }
        let spf = match self.check_spf(from.as_ref()).await {
            Ok(spf) => spf,
            Err(refusal) => return self.error(refusal),
        };
        self.transaction = Some(Transaction {
            from,
            params,
            spf,
            recipients: Vec::new(),
            local: Vec::new(),
            remote: Vec::new(),
            reports: Vec::new(),
            success_wanted: Vec::new(),
            chunks: None,
            parts: None,
            memory: self.ctx.message_memory.reservation(),
        });
        self.reply(Reply::new(250, Status(2, 1, 0), "OK"));
    }

    /// RCPT TO: routes the recipient and adds it to the transaction.
    pub(super) fn rcpt(&mut self, to: Mailbox, params: RcptParams) {
        let Some(transaction) = &self.transaction else {
            return self.error(replies::bad_sequence("Need MAIL command"));
        };
        if transaction.recipients.len() >= self.ctx.config.limits.max_recipients.get() {
            return self.reply(replies::too_many_recipients());
        }
        if to.is_utf8() && !transaction.params.smtputf8 {
            return self.error(replies::needs_smtputf8());
        }
        let address = to.to_string();
        if self.ctx.unsubscribe.is_mailto(&address) || self.ctx.unsubscribe.is_feedback(&address) {
            let transaction = self.transaction.as_mut().expect("checked above");
            if !transaction.reports.contains(&address) {
                transaction.reports.push(address);
            }
            transaction.recipients.push(to);
            return self.reply(Reply::new(250, Status(2, 1, 5), "OK"));
        }
        let may_relay = self.user.is_some() || self.client_in_relay_networks();
        let router = Router::new(&self.ctx.store, self.ctx.config.hostname.as_str());
        let bounce_suppressed = self.ctx.config.delivery.suppressed == SuppressedRecipients::Bounce;
        let (found, suppressed) = match router.resolve(&to, may_relay) {
            Ok(found) => (found, None),
            // Accepted, to come back at once as a bounce report rather than a refusal.
            Err(RouteError::Suppressed(reason)) if bounce_suppressed => {
                (Destinations { local: Vec::new(), remote: vec![to.to_string()] }, Some(reason))
            }
            Err(e) => {
                let reply = replies::for_route_error(&to, &e);
                return if reply.code >= 500 { self.error(reply) } else { self.reply(reply) };
            }
        };
        if let Some(refusal) = self.unsubscribed(&found, &to) {
            return self.error(refusal);
        }
        // Accounts over their storage quota (with the declared size) take nothing more.
        let size = transaction.params.size.unwrap_or(0);
        let mut found = found;
        let mut full = Vec::new();
        for account in &found.local {
            match self.ctx.store.room_for(account, size) {
                Ok(Ok(())) => {}
                Ok(Err((used, limit))) => {
                    tracing::info!(%account, used, limit, "over quota: refusing mail for it");
                    full.push(account.clone());
                }
                Err(e) => {
                    tracing::error!("reading the quota of {account}: {e}");
                    return self.reply(replies::storage_failure());
                }
            }
        }
        if !full.is_empty() {
            found.local.retain(|a| !full.contains(a));
            if found.local.is_empty() && found.remote.is_empty() {
                return self.error(replies::mailbox_full(&to));
            }
        }
        let transaction = self.transaction.as_mut().expect("checked above");
        if !found.local.is_empty() && params.notify.success() {
            transaction.success_wanted.push(SuccessWanted { recipient: to.to_string(), orcpt: params.orcpt.clone() });
        }
        for account in found.local {
            if !transaction.local.contains(&account) {
                transaction.local.push(account);
            }
        }
        for address in found.remote {
            if !transaction.remote.iter().any(|r| r.address == address) {
                let (notify, orcpt, suppressed) = (params.notify, params.orcpt.clone(), suppressed.clone());
                transaction.remote.push(RemoteRecipient { address, notify, orcpt, suppressed });
            }
        }
        transaction.recipients.push(to);
        self.reply(Reply::new(250, Status(2, 1, 5), "OK"));
    }

    /// The refusal of a remote recipient that unsubscribed from, or complained about, the mail
    /// of the sender's bulk domain.
    fn unsubscribed(&self, found: &Destinations, to: &Mailbox) -> Option<Reply> {
        if found.remote.is_empty() {
            return None;
        }
        let sender = self.transaction.as_ref()?.from.as_ref()?.to_string();
        let domain = self.ctx.unsubscribe.bulk_domain(&sender)?;
        match self.ctx.store.sender_suppression(domain, &to.to_string()) {
            Ok(Some(suppression)) => Some(Reply::new(550, Status(5, 7, 1), format!("<{to}>: {}", suppression.reason))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!("reading the suppressions of {domain}: {e}");
                Some(replies::storage_failure())
            }
        }
    }
}
