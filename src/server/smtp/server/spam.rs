//! The spam filter at the end of DATA: mail from other servers is scored and filed in Junk or
//! refused by its score; mail from logged-in users is scored too, and refused above its own
//! threshold (a compromised account). Mail from `relay_networks` (a site's own injectors) is
//! trusted and not scored.

use message::Parsed;

use super::checks::Checked;
use super::listener::Role;
use super::session::Session;
use super::submitted::{listed_link_domains, outbound_spam_refusal};
use crate::filter::learned::{GLOBAL, Learned};
use crate::metrics::{self, SpamVerdict};
use smtp_proto::{Reply, Status};
use spam::{self, Verdict};

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
        if let Some(user) = &self.user {
            return match outbound_spam_refusal(&self.ctx, message, user).await {
                Some(reply) => SpamOutcome::Refused(reply),
                None => SpamOutcome::Skipped,
            };
        }
        if self.role != Role::Inbound || self.client_in_relay_networks() {
            return SpamOutcome::Skipped;
        }
        let mut inputs = checked.map(|c| c.spam_inputs.clone()).unwrap_or_default();
        inputs.uribl = listed_link_domains(&self.ctx, message.raw).await;
        let scopes = match local {
            [only] => vec![GLOBAL, only.as_str()],
            _ => vec![GLOBAL],
        };
        let counts = Learned { base: model, store: &self.ctx.store, scopes };
        let verdict = spam::check(message, &inputs, &counts);
        let top = top_symbols(&verdict);
        if verdict.score >= config.reject_score {
            tracing::info!(peer = %self.peer, score = verdict.score, symbols = %top, "message refused as spam");
            let text = format!("Message refused as spam (score {:.1})", verdict.score);
            metrics::spam_verdict(SpamVerdict::Refused);
            return SpamOutcome::Refused(Reply::new(550, Status(5, 7, 1), text));
        }
        let junk = verdict.score >= config.junk_score;
        metrics::spam_verdict(if junk { SpamVerdict::Junk } else { SpamVerdict::Ham });
        SpamOutcome::Scored { headers: verdict.headers(config.junk_score), junk }
    }
}

/// The three heaviest symbols, for the log.
pub(super) fn top_symbols(verdict: &Verdict) -> String {
    let top: Vec<String> = verdict.heaviest(3).iter().map(|s| format!("{}({:.1})", s.name, s.score)).collect();
    top.join(",")
}
