//! Per-destination limits, kept by the shard that owns the destination (so without locks):
//! connections open at once and a message rate (per second, minute or hour), both at the same
//! time, with per-domain overrides. A group that would exceed a limit simply waits for a later
//! look at the queue. The same counts, in one table for the process, keep sites to their limits
//! (`sites.rs`).
//!
//! Adaptive back-off: a destination that says it is overloaded (`421`, or `4xx` with a
//! "too many" reply) gets half the connections it had, down to one; every delivery it accepts
//! after that gives one back, up to the configured limit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::DeliveryConfig;
use crate::config::outbound::{DestinationTarget, Rate};

/// How long an idle destination's counts are kept before they may be forgotten.
const WINDOW: Duration = Duration::from_secs(3600);
/// Destinations tracked before idle ones are forgotten.
const PRUNE_AT: usize = 10_000;

/// Limits for one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    connections: usize,
    /// Message rate; 0 messages is unlimited.
    rate: Rate,
}

/// What is going on with one destination now.
#[derive(Debug)]
struct State {
    connections: usize,
    window_start: Instant,
    sent: u64,
    /// Connections allowed after back-off; `None` is the configured limit.
    reduced: Option<usize>,
}

/// The name of the one site that every site with all its mail exchangers under `mx` makes.
pub fn rolled_up_site(mx: &str) -> String {
    format!("*.{mx}")
}

/// How an attempt went, as far as the destination's load is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// The destination took mail.
    Accepted,
    /// It said it is overloaded.
    Overloaded,
    /// Anything else.
    Neutral,
}

/// The limits and the live counts of this shard's destinations.
#[derive(Debug)]
pub struct Destinations {
    default: Limits,
    overrides: HashMap<String, Limits>,
    state: HashMap<String, State>,
}

impl Destinations {
    /// Limits for recipient domains: the `[delivery]` defaults and the
    /// `[[delivery.destination]]` entries with a `domain`.
    pub fn new(config: &DeliveryConfig) -> Destinations {
        Destinations::with_overrides(config, |target| target.domain().map(str::to_string))
    }

    /// Limits for sites: the `[delivery]` defaults and the `[[delivery.destination]]` entries
    /// with an `mx`, under the site name [`rolled_up_site`] gives them.
    pub fn for_sites(config: &DeliveryConfig) -> Destinations {
        Destinations::with_overrides(config, |target| target.mx().map(rolled_up_site))
    }

    fn with_overrides(config: &DeliveryConfig, name: impl Fn(&DestinationTarget) -> Option<String>) -> Destinations {
        let default =
            Limits { connections: config.max_connections_per_destination.get(), rate: config.max_rate_per_destination };
        let overrides = config
            .destination
            .iter()
            .filter_map(|o| {
                let limits = Limits {
                    connections: o.max_connections.map_or(default.connections, |n| n.get()),
                    rate: o.max_rate.unwrap_or(default.rate),
                };
                Some((name(&o.target)?, limits))
            })
            .collect();
        Destinations { default, overrides, state: HashMap::new() }
    }

    /// The connection limit and the message rate of `name`.
    pub fn limits_of(&self, name: &str) -> (usize, Rate) {
        let limits = self.overrides.get(name).copied().unwrap_or(self.default);
        (limits.connections, limits.rate)
    }

    /// Takes a connection and a message slot for `domain`; false when a limit is reached.
    pub fn try_start(&mut self, domain: &str, now: Instant) -> bool {
        self.try_start_within(domain, now, (None, None))
    }

    /// [`Destinations::try_start`] within the `shaped` connection limit and rate as well,
    /// where they are lower.
    pub fn try_start_within(&mut self, domain: &str, now: Instant, shaped: (Option<usize>, Option<Rate>)) -> bool {
        let mut limits = self.overrides.get(domain).copied().unwrap_or(self.default);
        if let Some(connections) = shaped.0 {
            limits.connections = limits.connections.min(connections);
        }
        if let Some(rate) = shaped.1.filter(|rate| rate.is_below(&limits.rate)) {
            limits.rate = rate;
        }
        if self.state.len() >= PRUNE_AT {
            self.state.retain(|_, s| s.connections > 0 || now.duration_since(s.window_start) < WINDOW);
        }
        if !self.state.contains_key(domain) {
            let fresh = State { connections: 0, window_start: now, sent: 0, reduced: None };
            self.state.insert(domain.to_string(), fresh);
        }
        let Some(state) = self.state.get_mut(domain) else { return false };
        if now.duration_since(state.window_start) >= limits.rate.per {
            state.window_start = now;
            state.sent = 0;
        }
        let connections = state.reduced.unwrap_or(limits.connections).min(limits.connections);
        if state.connections >= connections || (limits.rate.messages > 0 && state.sent >= limits.rate.messages) {
            return false;
        }
        state.connections += 1;
        state.sent += 1;
        true
    }

    /// Gives back the connection taken by [`Destinations::try_start`] and adapts the
    /// destination's connection limit to `feedback`.
    pub fn finish(&mut self, domain: &str, feedback: Feedback) {
        let limit = self.overrides.get(domain).copied().unwrap_or(self.default).connections;
        if let Some(state) = self.state.get_mut(domain) {
            state.connections = state.connections.saturating_sub(1);
            let current = state.reduced.unwrap_or(limit);
            state.reduced = match feedback {
                Feedback::Overloaded => {
                    tracing::info!(%domain, connections = (current / 2).max(1), "destination overloaded: backing off");
                    Some((current / 2).max(1))
                }
                Feedback::Accepted if current + 1 >= limit => None,
                Feedback::Accepted => Some(current + 1),
                Feedback::Neutral => state.reduced,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use super::*;
    use crate::config::outbound::DestinationOverride;

    fn config() -> DeliveryConfig {
        DeliveryConfig {
            max_connections_per_destination: NonZeroUsize::new(2).unwrap(),
            destination: vec![
                DestinationOverride {
                    target: DestinationTarget::Domain("slow.example".to_string().try_into().unwrap()),
                    max_connections: None,
                    max_rate: Some(Rate::try_from("3/min".to_string()).unwrap()),
                },
                DestinationOverride {
                    target: DestinationTarget::Domain("burst.example".to_string().try_into().unwrap()),
                    max_connections: Some(NonZeroUsize::new(100).unwrap()),
                    max_rate: Some(Rate::try_from("5/s".to_string()).unwrap()),
                },
            ],
            ..DeliveryConfig::default()
        }
    }

    #[test]
    fn connections_are_limited_and_given_back() {
        let mut d = Destinations::new(&config());
        let now = Instant::now();
        assert!(d.try_start("a.example", now) && d.try_start("a.example", now));
        assert!(!d.try_start("a.example", now), "two at once");
        assert!(d.try_start("b.example", now), "other destinations are separate");
        d.finish("a.example", Feedback::Neutral);
        assert!(d.try_start("a.example", now));
    }

    #[test]
    fn rate_and_connections_apply_together() {
        let mut d = Destinations::new(&config());
        let now = Instant::now();
        for _ in 0..3 {
            assert!(d.try_start("slow.example", now));
            d.finish("slow.example", Feedback::Neutral);
        }
        assert!(!d.try_start("slow.example", now), "three per minute");
        let minute = Duration::from_secs(60);
        assert!(d.try_start("slow.example", now + minute), "a new minute");
        assert!(d.try_start("slow.example", now + minute));
        assert!(!d.try_start("slow.example", now + minute), "still two connections at most");
    }

    #[test]
    fn rates_per_second() {
        let mut d = Destinations::new(&config());
        let now = Instant::now();
        assert_eq!((0..10).take_while(|_| d.try_start("burst.example", now)).count(), 5);
        assert!(d.try_start("burst.example", now + Duration::from_secs(1)), "the next second");
    }

    #[test]
    fn overload_halves_connections_and_success_restores_them() {
        let mut d = Destinations::new(&DeliveryConfig {
            max_connections_per_destination: NonZeroUsize::new(4).unwrap(),
            ..DeliveryConfig::default()
        });
        let now = Instant::now();
        assert!(d.try_start("busy.example", now));
        d.finish("busy.example", Feedback::Overloaded);
        let open = |d: &mut Destinations| (0..10).take_while(|_| d.try_start("busy.example", now)).count();
        assert_eq!(open(&mut d), 2, "half of four");
        for _ in 0..2 {
            d.finish("busy.example", Feedback::Overloaded);
        }
        assert_eq!(open(&mut d), 1, "never below one");
        d.finish("busy.example", Feedback::Accepted);
        assert_eq!(open(&mut d), 2, "one back per accepted delivery");
        for _ in 0..2 {
            d.finish("busy.example", Feedback::Accepted);
        }
        d.finish("busy.example", Feedback::Accepted);
        assert_eq!(open(&mut d), 4, "back to the configured limit");
    }
}
