//! Traffic shaping for outbound delivery, without I/O: rules that match what remote servers
//! answer (by the site's mail exchangers, the reply code, the enhanced status and a regex on
//! the text), when they fire (every match, a count of matches in a window, or a share of
//! deferrals in a window), and what they do (suspend the site or one source address there,
//! lower its limits, bounce its mail, or only count). [`Shaper`] keeps the windows and the
//! actions in force; the server applies what it reports.
//!
//! The big mailbox providers' published codes ship as the default rules ([`RuleSet::defaults`],
//! `defaults.toml`); an operator's file adds to them or replaces one by name.

mod duration;
mod rate;
mod reply;
mod rule;
mod shaper;
mod window;

pub use duration::parse_duration;
pub use rate::Rate;
pub use reply::Reply;
pub use rule::{Action, Rule, RuleSet, Trigger};
pub use shaper::{Active, Fired, Shaper, Shared};
