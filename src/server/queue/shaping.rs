//! Traffic shaping at work (the `shaping` crate's rules on this server's attempts): every
//! distinct reply an attempt gets is shown to the rules, and what fires is applied here and
//! logged as a `shaping` event. A suspension of the site is an operator suspension with an
//! end (durable, in `queue suspended`, lifted by `queue resume`); the other actions (limits,
//! bounces, suspended source addresses) are held in memory for their time. In a cluster the
//! other nodes hold them too (`cluster/shaping.rs` brings them, [`Shaping::adopt`] holds them).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use shaping::{Action, Active, Fired, Rate, RuleSet, Shaper, Shared, Trigger};
use store::journal::{EventsOp, JournalOp, OperatorOp};
use store::records::Suspension;
use store::{JournalHandle, unix_now};

use super::Services;
use super::suspensions::Suspensions;
use crate::config::DeliveryConfig;
use crate::events::Event;

/// The rules and what they hold, shared by all shards.
#[derive(Debug, Default)]
pub struct Shaping {
    shaper: Mutex<Shaper>,
}

/// What shaping says of an attempt at a site before it starts.
pub enum Held {
    /// Bounce its mail (the rule and its reply).
    Bounce(String),
    /// Defer it: the source address is suspended there.
    Defer(String),
}

impl Shaping {
    /// The rules of `[delivery]`: the shipped ones (unless turned off) with those of the
    /// `shaping` file.
    pub fn load(config: &DeliveryConfig) -> Result<Shaping, String> {
        let shipped = if config.shaping_defaults { RuleSet::defaults() } else { RuleSet::default() };
        let rules = match config.shaping.as_os_str().is_empty() {
            true => shipped,
            false => {
                let path = config.shaping.display();
                let text = std::fs::read_to_string(&config.shaping).map_err(|e| format!("reading {path}: {e}"))?;
                shipped.with(RuleSet::parse(&text).map_err(|e| format!("{path}: {e}"))?)
            }
        };
        Ok(Shaping { shaper: Mutex::new(Shaper::new(rules)) })
    }

    /// Shows the distinct `replies` of one attempt at `site` (from the host `mx`, made from
    /// `source`) to the rules; the rules that fired.
    pub fn observe(&self, site: &str, mx: &str, source: Option<IpAddr>, replies: &[&str]) -> Vec<Fired> {
        let (now, source) = (unix_now(), source.map(|ip| ip.to_string()));
        let mut shaper = self.locked();
        let mut fired = Vec::new();
        for (i, reply) in replies.iter().enumerate() {
            if !replies[..i].contains(reply) {
                fired.extend(shaper.observe(now, site, mx, source.as_deref(), reply));
            }
        }
        fired
    }

    /// Holds an action another node of the cluster fired (its rule of the same name, at the
    /// same site); a suspension of the site is stored, as where it fired. What it holds now,
    /// None when nothing new.
    pub fn adopt(&self, suspensions: &Suspensions, journal: &JournalHandle, shared: Shared) -> Option<Fired> {
        let fired = self.locked().adopt(shared, unix_now())?;
        tracing::info!(rule = %fired.rule, site = %fired.site, action = fired.action.name(), "shaping action of another node held");
        if fired.action == Action::Suspend {
            let reason = format!("shaping rule {} (on another node): {}", fired.rule, fired.reply);
            let suspension = Suspension { reason, until: Some(fired.until), created: unix_now() };
            suspensions.hold(&fired.site, suspension.clone());
            let op = OperatorOp::Suspend { destination: fired.site.clone(), suspension };
            if let Err(e) = journal.submit_blocking(JournalOp::Operator(op)) {
                tracing::warn!(site = %fired.site, "storing a suspension of another node failed: {e}");
            }
        }
        Some(fired)
    }

    /// The tightest connection limit and rate rules put on `site` now.
    pub fn limits(&self, site: &str) -> (Option<usize>, Option<Rate>) {
        self.locked().limits(site, unix_now())
    }

    /// Whether an attempt at `site` from `source` is to be bounced or deferred.
    pub fn held(&self, site: &str, source: Option<IpAddr>) -> Option<Held> {
        let now = unix_now();
        let shaper = self.locked();
        if let Some(active) = shaper.bouncing(site, now) {
            let f = &active.fired;
            return Some(Held::Bounce(format!("mail to {site} is bounced by shaping rule {}: {}", f.rule, f.reply)));
        }
        let source = source?.to_string();
        let active = shaper.source_suspended(site, &source, now)?;
        let f = &active.fired;
        Some(Held::Defer(format!("{source} is suspended at {site} by shaping rule {}: {}", f.rule, f.reply)))
    }

    /// `ringmail shaping list`: the rules, then the actions in force (`running`: this is the
    /// server's own state, not a copy loaded for the command).
    pub fn listing(&self, running: bool) -> String {
        let shaper = self.locked();
        let mut out = String::new();
        for rule in shaper.rules() {
            let mx = if rule.mx.is_empty() { "*".to_string() } else { rule.mx.join(",") };
            let reply =
                [rule.code.map(|c| c.to_string()), rule.status.clone(), rule.text.as_ref().map(|t| format!("/{t}/"))]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
            let trigger = match rule.trigger {
                Trigger::Matches { count: 1, .. } => "every".to_string(),
                Trigger::Matches { count, window_secs } => format!("after={count}/{window_secs}s"),
                Trigger::Share { share, window_secs, min_replies } => {
                    format!("share>{}%/{window_secs}s(min {min_replies})", share * 100.0)
                }
            };
            let action = describe(&rule.action);
            let reply = if reply.is_empty() { "any 4xx" } else { &reply };
            let _ = writeln!(
                out,
                "rule\t{}\tmx={mx}\treply={reply}\t{trigger}\t{action}\t{}s",
                rule.name, rule.duration_secs
            );
        }
        if !running {
            out.push_str("# the server is not running: no actions are in force (suspensions: `queue suspended`)\n");
            return out;
        }
        for Active { fired, since } in shaper.active(unix_now()) {
            let source = fired.source.as_deref().map(|s| format!(" from {s}")).unwrap_or_default();
            let action = describe(&fired.action);
            let _ = writeln!(
                out,
                "active\t{}{source}\t{action}\trule={}\tsince={since}\tuntil={}\t{}",
                fired.site, fired.rule, fired.until, fired.reply
            );
        }
        out
    }

    fn locked(&self) -> MutexGuard<'_, Shaper> {
        self.shaper.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An action as the listing shows it.
fn describe(action: &Action) -> String {
    match action {
        Action::Limit { connections, rate } => {
            let connections = connections.map(|c| format!(" connections={c}")).unwrap_or_default();
            let rate = rate.map(|r| format!(" rate={}/{}s", r.messages, r.per.as_secs())).unwrap_or_default();
            format!("limit{connections}{rate}")
        }
        other => other.name().to_string(),
    }
}

/// Applies what fired: each gets its event; a suspension of the site is also stored (and
/// shown to every shard) with it.
pub async fn apply(ctx: &Services, fired: Vec<Fired>) {
    for f in fired {
        tracing::info!(rule = %f.rule, site = %f.site, action = f.action.name(), reply = %f.reply, "shaping rule fired");
        let event = Event::Shaping {
            rule: f.rule.clone(),
            site: f.site.clone(),
            action: f.action.name(),
            source: f.source.clone(),
            until: (f.action != Action::Count).then_some(f.until),
            reply: f.reply.clone(),
        };
        let op = match f.action {
            Action::Suspend => {
                let reason = format!("shaping rule {}: {}", f.rule, f.reply);
                let suspension = Suspension { reason, until: Some(f.until), created: unix_now() };
                ctx.suspensions.hold(&f.site, suspension.clone());
                JournalOp::Operator(OperatorOp::Suspend { destination: f.site.clone(), suspension })
            }
            _ => JournalOp::Events(EventsOp::Record),
        };
        if let Err(e) = ctx.events.commit(&ctx.journal, op, vec![event]).await {
            tracing::warn!(rule = %f.rule, "recording a shaping action failed: {e}");
        }
    }
}
