//! DKIM signing of the mail we send: mail from a logged-in user or from `relay_networks` that
//! goes to other servers gets one `DKIM-Signature:` per key of its `From:` domain.

use super::session::{Session, Transaction};
use crate::mailauth::author::author_domain;
use crate::store::unix_now;

impl Session {
    /// Whether this message is ours to sign: we originate it and it leaves this server.
    pub(super) fn signs_mail(&self, transaction: &Transaction) -> bool {
        !transaction.remote.is_empty() && (self.user.is_some() || self.client_in_relay_networks())
    }

    /// The `DKIM-Signature:` headers for `content`, one per key of its `From:` domain.
    pub(super) fn dkim_signatures(&self, content: &[u8]) -> Vec<String> {
        let Some(domain) = author_domain(content) else { return Vec::new() };
        let signers = self.ctx.signers.for_domain(&domain);
        let now = unix_now();
        signers
            .iter()
            .filter_map(|signer| match signer.sign(content, now) {
                Ok(header) => Some(header),
                Err(e) => {
                    tracing::warn!(domain, selector = %signer.selector, "DKIM signing failed: {e}");
                    None
                }
            })
            .collect()
    }
}
