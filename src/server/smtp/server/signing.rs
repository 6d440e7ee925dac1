//! DKIM signing of the mail we send: mail from a logged-in user or from `relay_networks` that
//! goes to other servers gets one `DKIM-Signature:` per key of its `From:` domain. Mail of
//! other servers that we forward (an alias with remote targets) gets an ARC set instead, sealed
//! with a key of `[mailauth] arc_domain`, so that its authentication survives the forwarding.
//! Mail we sign is made 7-bit first (RFC 6376 section 5.3): a downgrade on the way to a server
//! without 8BITMIME would otherwise change the signed body.

use bytes::Bytes;

use super::session::{Session, Transaction};
use super::submitted::dkim_signatures;
use mailauth::arc::{ArcResult, Sealer};
use mailauth::dmarc::organizational_domain;
use message::{Parsed, headers, seven_bit};
use smtp_proto::MessageBody;
use store::journal::OwnCopy;
use store::unix_now;

impl Session {
    /// Whether this message is ours to sign: we originate it and it leaves this server.
    pub(super) fn signs_mail(&self, transaction: &Transaction) -> bool {
        !transaction.remote.is_empty() && (self.user.is_some() || self.client_in_relay_networks())
    }

    /// Re-encodes the 8-bit bodies of `body`, a message about to be signed and already in one
    /// segment, as 7-bit. Mail whose 8-bit octets no encoding can reach (in a header, say) is
    /// left as it is. Whether it changed the content.
    pub(super) fn seven_bit_before_signing(body: &mut MessageBody) -> bool {
        if let [content] = &body.segments[..]
            && !content.is_ascii()
            && let Some(seven) = seven_bit::to_seven_bit(content)
        {
            body.size = seven.len();
            body.segments = vec![Bytes::from(seven)];
            return true;
        }
        false
    }

    /// The bulk sender domain whose one-click unsubscribe fields (RFC 8058) `content` gets, one
    /// set per remote recipient in front of it before it is signed: mail of a bulk sender that
    /// has no `List-Unsubscribe:` of its own.
    pub(super) fn unsubscribe_domain(&self, transaction: &Transaction, content: &[u8]) -> Option<String> {
        // Local recipients store the same copy as the first remote one: they must not get its link.
        if transaction.remote.is_empty() || !transaction.local.is_empty() {
            return None;
        }
        let domain = self.ctx.unsubscribe.bulk_domain(&transaction.from.as_ref()?.to_string())?;
        if headers::first(headers::header_block(content), "list-unsubscribe").is_some() {
            return None;
        }
        Some(domain.to_string())
    }

    /// Whether a bulk message of `size` octets can have one copy per remote recipient of
    /// `transaction`: the copies after the first hold at most `max_message_size` together. When
    /// they cannot, the message gets no unsubscribe fields at all (one link for everybody
    /// would let each recipient unsubscribe the one it names), and the log says so.
    pub(super) fn bulk_copies_fit(&self, transaction: &Transaction, size: usize) -> bool {
        let others = transaction.remote.len().saturating_sub(1) as u64;
        let fit = (size as u64).saturating_mul(others) <= self.ctx.config.limits.max_message_size.get();
        if !fit {
            tracing::warn!(
                recipients = others + 1,
                size,
                "bulk mail too large to copy per recipient: no unsubscribe links"
            );
        }
        fit
    }

    /// One copy of a bulk sender's message (`plain`, before any unsubscribe fields) for each
    /// remote recipient of `transaction` after the first, who are taken out of it: each with
    /// its own fields and signatures, then the `trace` fields of the first
    /// ([`Session::bulk_copies_fit`] said they fit).
    pub(super) fn bulk_copies(
        &self,
        transaction: &mut Transaction,
        domain: &str,
        plain: &[u8],
        trace: &[Bytes],
    ) -> Vec<OwnCopy> {
        if transaction.remote.len() < 2 {
            return Vec::new();
        }
        let remote = transaction.remote.split_off(1);
        remote
            .into_iter()
            .map(|recipient| {
                let fields = self.ctx.unsubscribe.header_fields(domain, &recipient.address);
                let content = Bytes::from([fields.as_bytes(), plain].concat());
                let mut message: Vec<Bytes> =
                    self.dkim_signatures(&Parsed::new(&content)).into_iter().map(Bytes::from).collect();
                message.extend(trace.iter().cloned());
                message.push(content);
                OwnCopy { id: self.ctx.ids.next_id(), message, remote: vec![recipient] }
            })
            .collect()
    }

    /// The `DKIM-Signature:` headers for `message`, one per key of its `From:` domain.
    pub(super) fn dkim_signatures(&self, message: &Parsed<'_>) -> Vec<String> {
        dkim_signatures(&self.ctx, message)
    }

    /// The ARC set for `content`, which arrived from another server with the chain `chain`
    /// and the results `auth_results`, and is now forwarded: sealed with the first key of the
    /// ARC domain, if it has one.
    pub(super) fn arc_seal(&self, content: &[u8], auth_results: &str, chain: ArcResult) -> Option<String> {
        let config = &self.ctx.config;
        let domain = match config.mailauth.arc_domain.as_str() {
            "" => organizational_domain(config.hostname.as_str()),
            domain => domain.to_ascii_lowercase(),
        };
        let signers = self.ctx.signers.for_domain(&domain);
        let signer = signers.first()?;
        let sealed = Sealer::new(signer).seal(content, config.hostname.as_str(), auth_results, chain, unix_now());
        match sealed {
            Ok(fields) => Some(fields),
            Err(e) => {
                tracing::info!(domain, "not sealing the forwarded message: {e}");
                None
            }
        }
    }
}
