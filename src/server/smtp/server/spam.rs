//! The spam filter at the end of DATA: mail from other servers is scored and filed in Junk or
//! refused by its score; mail from logged-in users is scored too, and refused above its own
//! threshold (a compromised account). Mail from `relay_networks` (a site's own injectors) is
//! trusted and not scored.

use message::Parsed;
use std::time::Duration;

use super::checks::Checked;
use super::listener::Role;
use super::session::Session;
use crate::filter::learned::{GLOBAL, Learned};
use crate::filter::uribl;
use smtp_proto::{Reply, Status};
use spam::{self, Verdict};

/// Longest wait for the domain blocklists.
const URIBL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the filter decided.
pub(super) enum SpamOutcome {
    /// Not scored.
    Skipped,
    /// Scored: headers to add and whether local copies go to Junk.
    Scored { headers: String, junk: bool },
    /// Refused.
    Refused(Reply),
}

impl Session {
    /// Scores `message` for its local recipients `local`.
    pub(super) async fn spam_outcome(
        &self,
        message: &Parsed<'_>,
        checked: Option<&Checked>,
        local: &[String],
    ) -> SpamOutcome {
        let config = &self.ctx.config.spam;
        let Some(model) = self.ctx.spam_model.as_deref() else { return SpamOutcome::Skipped };
        let authenticated = self.user.is_some();
        if !authenticated && (self.role != Role::Inbound || self.client_in_relay_networks()) {
            return SpamOutcome::Skipped;
        }
        let mut inputs = checked.map(|c| c.spam_inputs.clone()).unwrap_or_default();
        inputs.authenticated = authenticated;
        inputs.uribl = self.listed_link_domains(message.raw).await;
        let scopes = match local {
            [only] if !authenticated => vec![GLOBAL, only.as_str()],
            _ => vec![GLOBAL],
        };
        let counts = Learned { base: model, store: &self.ctx.store, scopes };
        let verdict = spam::check(message, &inputs, &counts);
        let top = top_symbols(&verdict);
        if authenticated {
            if config.outbound_reject_score > 0.0 && verdict.score >= config.outbound_reject_score {
                tracing::warn!(peer = %self.peer, user = ?self.user, score = verdict.score, symbols = %top, "submitted message refused as spam");
                return SpamOutcome::Refused(Reply::new(550, Status(5, 7, 1), "Message refused as spam".to_string()));
            }
            return SpamOutcome::Skipped;
        }
        if verdict.score >= config.reject_score {
            tracing::info!(peer = %self.peer, score = verdict.score, symbols = %top, "message refused as spam");
            let text = format!("Message refused as spam (score {:.1})", verdict.score);
            return SpamOutcome::Refused(Reply::new(550, Status(5, 7, 1), text));
        }
        SpamOutcome::Scored { headers: verdict.headers(config.junk_score), junk: verdict.score >= config.junk_score }
    }

    /// The domains of the message's links that `[spam] uribl_zones` list.
    async fn listed_link_domains(&self, message: &[u8]) -> Vec<String> {
        let zones = &self.ctx.config.spam.uribl_zones;
        let Some(resolver) = self.ctx.resolver.as_deref().filter(|_| !zones.is_empty()) else { return Vec::new() };
        let domains = spam::url_domains(message);
        let lookups = uribl::listed(resolver, &domains, zones);
        let expire = async {
            glommio::timer::sleep(URIBL_TIMEOUT).await;
            Vec::new()
        };
        futures_lite::future::or(lookups, expire).await
    }
}

/// The three heaviest symbols, for the log.
fn top_symbols(verdict: &Verdict) -> String {
    let top: Vec<String> = verdict.heaviest(3).iter().map(|s| format!("{}({:.1})", s.name, s.score)).collect();
    top.join(",")
}
