//! What every message our own senders submit goes through, whether it came over SMTP (a
//! logged-in user, a relay network) or the HTTP API (a token): the author must be one the
//! sender owns, a logged-in sender's mail must not score as spam, and mail leaving the server
//! is signed with the DKIM keys of its author's domain.

use std::time::Duration;

use super::services::Services;
use super::spam::top_symbols;
use crate::config::domain_within;
use crate::filter::learned::{GLOBAL, Learned};
use crate::filter::uribl;
use crate::metrics::{self, SpamVerdict};
use crate::routing::Router;
use mailauth::author::{self, author_domain};
use message::Parsed;
use smtp_proto::{Reply, Status};
use store::unix_now;

/// Longest wait for the domain blocklists.
const URIBL_TIMEOUT: Duration = Duration::from_secs(5);

/// Who claims the authorship of a submitted message.
#[derive(Debug, Clone, Copy)]
pub enum Claimant<'a> {
    /// A logged-in account (or an API token bound to one): its own addresses, its aliases and
    /// its grants.
    User(&'a str),
    /// A sender limited to addresses of these domains (a `[[relay_network]]`, an API token
    /// bound to domains).
    Domains(&'a [String]),
}

impl Claimant<'_> {
    /// How a refusal names it.
    fn describe(&self) -> String {
        match self {
            Claimant::User(user) => format!("user {user}"),
            Claimant::Domains(domains) => format!("a sender of {}", domains.join(", ")),
        }
    }
}

/// The refusal of a message whose `From:` or `Sender:` holds an address `claimant` may not
/// use, or whose author is ambiguous; `None` when it may be sent.
pub fn author_refusal(ctx: &Services, claimant: Claimant<'_>, parsed: &Parsed<'_>) -> Option<Reply> {
    let refuse = |text: String| Some(Reply::new(550, Status(5, 7, 1), text));
    let author = match author::find(parsed.header()) {
        Ok(author) => author,
        Err(why) => return refuse(format!("Message refused: its author is ambiguous ({why})")),
    };
    let router = Router::new(&ctx.store, ctx.config.hostname.as_str());
    for address in std::iter::once(&author.address).chain(author.sender.as_ref()) {
        let allowed = match claimant {
            Claimant::User(user) => match router.may_send_as_address(user, address) {
                Ok(allowed) => allowed,
                Err(e) => {
                    tracing::warn!("author lookup failed: {e}");
                    return Some(Reply::new(451, Status(4, 3, 0), "Temporary lookup failure, try again later"));
                }
            },
            Claimant::Domains(domains) => domain_within(domains, store::directory::domain_of(address)),
        };
        if !allowed {
            return refuse(format!("Message refused: author <{address}> is not owned by {}", claimant.describe()));
        }
    }
    None
}

/// The refusal of a message from a logged-in sender that scores at or above `[spam]
/// outbound_reject_score` (a compromised account sending spam), if the filter is on.
pub async fn outbound_spam_refusal(ctx: &Services, message: &Parsed<'_>, sender: &str) -> Option<Reply> {
    let config = &ctx.config.spam;
    let model = ctx.spam_model.as_deref()?;
    if config.outbound_reject_score <= 0.0 {
        return None;
    }
    let inputs =
        spam::Inputs { authenticated: true, uribl: listed_link_domains(ctx, message.raw).await, ..Default::default() };
    let counts = Learned { base: model, store: &ctx.store, scopes: vec![GLOBAL] };
    let verdict = spam::check(message, &inputs, &counts);
    if verdict.score < config.outbound_reject_score {
        return None;
    }
    tracing::warn!(sender, score = verdict.score, symbols = %top_symbols(&verdict), "submitted message refused as spam");
    metrics::spam_verdict(SpamVerdict::Spam);
    Some(Reply::new(550, Status(5, 7, 1), "Message refused as spam".to_string()))
}

/// The domains of the message's links that `[spam] uribl_zones` list.
pub async fn listed_link_domains(ctx: &Services, message: &[u8]) -> Vec<String> {
    let zones = &ctx.config.spam.uribl_zones;
    let Some(resolver) = ctx.resolver.as_deref().filter(|_| !zones.is_empty()) else { return Vec::new() };
    let domains = spam::url_domains(message);
    let lookups = uribl::listed(resolver, &domains, zones);
    let expire = async {
        glommio::timer::sleep(URIBL_TIMEOUT).await;
        Vec::new()
    };
    futures_lite::future::or(lookups, expire).await
}

/// The `DKIM-Signature:` headers for `message`, one per key of its `From:` domain.
pub fn dkim_signatures(ctx: &Services, message: &Parsed<'_>) -> Vec<String> {
    let Some(domain) = author_domain(message.header()) else { return Vec::new() };
    let content = message.raw;
    let signers = ctx.signers.for_domain(&domain);
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
