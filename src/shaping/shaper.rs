//! The rules at work: each reply an attempt gets is shown to the rules that cover its site,
//! their windows count it, and those whose trigger is met fire, once per site until their
//! action's time is up.

use std::collections::HashMap;

use super::Rate;
use super::reply::Reply;
use super::rule::{Action, Rule, RuleSet, Trigger};
use super::window::Window;

/// Windows kept before stale ones are forgotten.
const PRUNE_AT: usize = 10_000;

/// A rule that fired: what the server is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// The rule's name.
    pub rule: String,
    /// The site it fired at.
    pub site: String,
    /// The source address it is about (`suspend-source`), if any.
    pub source: Option<String>,
    /// What to do.
    pub action: Action,
    /// Until when (Unix seconds; the firing time for `count`).
    pub until: u64,
    /// The reply that made it fire.
    pub reply: String,
}

/// An action another node's rule fired, to hold here too: the nodes of a cluster share what
/// their rules do, by rule name, for the same sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// The rule's name (the nodes share their rules).
    pub rule: String,
    /// The site it fired at.
    pub site: String,
    /// The source address it is about (`suspend-source`), if any.
    pub source: Option<String>,
    /// Until when (Unix seconds).
    pub until: u64,
    /// The reply that made it fire.
    pub reply: String,
}

/// An action in force, for `ringmail shaping list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    /// What fired it.
    pub fired: Fired,
    /// When (Unix seconds).
    pub since: u64,
}

/// The rules and what they have counted and done.
#[derive(Debug, Default)]
pub struct Shaper {
    rules: RuleSet,
    /// Per rule (index) and site.
    windows: HashMap<(usize, String), Window>,
    /// Per rule (index), site and source address, for actions that last.
    active: HashMap<(usize, String, Option<String>), Active>,
}

impl Shaper {
    /// A shaper with `rules` and nothing counted.
    pub fn new(rules: RuleSet) -> Shaper {
        Shaper { rules, ..Shaper::default() }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules.rules
    }

    /// Counts a reply (`text`, as the delivery code words it) from the host `mx` of `site`,
    /// which the attempt made from `source`, and says which rules fire at `now`.
    pub fn observe(&mut self, now: u64, site: &str, mx: &str, source: Option<&str>, text: &str) -> Vec<Fired> {
        let reply = Reply::find(text);
        let mut fired = Vec::new();
        if self.windows.len() >= PRUNE_AT {
            self.windows.retain(|_, w| !w.is_stale(now));
        }
        self.active.retain(|_, a| a.fired.until > now);
        for (index, rule) in self.rules.rules.iter().enumerate() {
            if !rule.covers(mx) {
                continue;
            }
            let matched = rule.matches(&reply);
            if !matched && matches!(rule.trigger, Trigger::Matches { .. }) {
                continue;
            }
            let width = match rule.trigger {
                Trigger::Matches { window_secs, .. } | Trigger::Share { window_secs, .. } => window_secs,
            };
            let window = self.windows.entry((index, site.to_string())).or_insert_with(|| Window::new(width));
            window.record(now, matched);
            let (replies, matches) = window.counts(now);
            let due = match rule.trigger {
                Trigger::Matches { count, .. } => matches >= count,
                Trigger::Share { share, min_replies, .. } => {
                    matched && replies >= min_replies && f64::from(matches) > share * f64::from(replies)
                }
            };
            if !due {
                continue;
            }
            window.clear();
            let source = (rule.action == Action::SuspendSource).then(|| source.unwrap_or_default().to_string());
            let key = (index, site.to_string(), source.clone());
            if self.active.contains_key(&key) {
                continue;
            }
            let until = now.saturating_add(rule.duration_secs);
            let one = Fired {
                rule: rule.name.clone(),
                site: site.to_string(),
                source,
                action: rule.action.clone(),
                until,
                reply: text.to_string(),
            };
            if rule.action != Action::Count {
                self.active.insert(key, Active { fired: one.clone(), since: now });
            }
            fired.push(one);
        }
        fired
    }

    /// Holds what another node's rule fired, with this node's rule of that name, from `now`:
    /// what it holds, None when the rule is unknown here, only counts, is over, or the same
    /// action already holds as long.
    pub fn adopt(&mut self, shared: Shared, now: u64) -> Option<Fired> {
        let index = self.rules.rules.iter().position(|r| r.name == shared.rule)?;
        let rule = &self.rules.rules[index];
        if rule.action == Action::Count || shared.until <= now {
            return None;
        }
        let source = shared.source.filter(|_| rule.action == Action::SuspendSource);
        let key = (index, shared.site.clone(), source.clone());
        if self.active.get(&key).is_some_and(|a| a.fired.until >= shared.until) {
            return None;
        }
        let fired = Fired {
            rule: rule.name.clone(),
            site: shared.site,
            source,
            action: rule.action.clone(),
            until: shared.until,
            reply: shared.reply,
        };
        self.active.insert(key, Active { fired: fired.clone(), since: now });
        Some(fired)
    }

    /// The actions in force at `now`, soonest to end first.
    pub fn active(&self, now: u64) -> Vec<Active> {
        let mut active: Vec<Active> = self.active.values().filter(|a| a.fired.until > now).cloned().collect();
        active.sort_by(|a, b| (a.fired.until, &a.fired.site).cmp(&(b.fired.until, &b.fired.site)));
        active
    }

    /// The tightest limits rules put on `site` at `now`: connections and rate.
    pub fn limits(&self, site: &str, now: u64) -> (Option<usize>, Option<Rate>) {
        let mut limits: (Option<usize>, Option<Rate>) = (None, None);
        for active in self.active.values().filter(|a| a.holds(site, now)) {
            if let Action::Limit { connections, rate } = &active.fired.action {
                limits.0 = match (limits.0, connections) {
                    (Some(a), Some(b)) => Some(a.min(*b)),
                    (a, b) => a.or(*b),
                };
                limits.1 = match (limits.1, rate) {
                    (Some(a), Some(b)) => Some(if b.is_below(&a) { *b } else { a }),
                    (a, b) => a.or(*b),
                };
            }
        }
        limits
    }

    /// The rule bouncing `site`'s mail at `now`, if one is.
    pub fn bouncing(&self, site: &str, now: u64) -> Option<&Active> {
        self.active.values().find(|a| a.holds(site, now) && a.fired.action == Action::Bounce)
    }

    /// The rule keeping `source` from `site` at `now`, if one is.
    pub fn source_suspended(&self, site: &str, source: &str, now: u64) -> Option<&Active> {
        self.active.values().find(|a| {
            a.holds(site, now) && a.fired.action == Action::SuspendSource && a.fired.source.as_deref() == Some(source)
        })
    }
}

impl Active {
    /// Whether it is about `site` and in force at `now`.
    fn holds(&self, site: &str, now: u64) -> bool {
        self.fired.site == site && self.fired.until > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaper(rules: &str) -> Shaper {
        Shaper::new(RuleSet::parse(rules).unwrap())
    }

    const GMAIL: &str = r#"
        [[rule]]
        name = "gmail"
        mx = ["google.com"]
        code = 421
        status = "4.7.28"
        action = "suspend"
        duration = "1h""#;

    #[test]
    fn a_matching_reply_fires_once_until_the_action_ends() {
        let mut s = shaper(GMAIL);
        let reply = "aspmx.l.google.com: 421 4.7.28 unusual rate";
        let fired = s.observe(1000, "*.google.com", "aspmx.l.google.com", None, reply);
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].action.clone(), fired[0].until), (Action::Suspend, 4600));
        assert!(s.observe(1001, "*.google.com", "aspmx.l.google.com", None, reply).is_empty(), "in force");
        assert_eq!(s.active(1001).len(), 1);
        assert!(s.active(4600).is_empty(), "over");
        assert_eq!(s.observe(4600, "*.google.com", "aspmx.l.google.com", None, reply).len(), 1, "again after");
        assert!(s.observe(1000, "mx.example:25", "mx.example", None, reply).is_empty(), "another provider");
        assert!(s.observe(1000, "s", "aspmx.l.google.com", None, "mx: 421 4.7.0 later").is_empty(), "another code");
    }

    #[test]
    fn another_nodes_action_is_held_by_rule_name() {
        let mut s = shaper(GMAIL);
        let shared = |rule: &str, until| Shared {
            rule: rule.into(),
            site: "*.google.com".into(),
            source: None,
            until,
            reply: "421 4.7.28 unusual rate".into(),
        };
        let fired = s.adopt(shared("gmail", 5000), 1000).expect("held");
        assert_eq!((fired.action, fired.until), (Action::Suspend, 5000));
        assert_eq!(s.active(1001).len(), 1);
        assert!(s.adopt(shared("gmail", 4000), 1000).is_none(), "already held as long");
        assert!(s.adopt(shared("gmail", 6000), 1000).is_some(), "held longer");
        assert!(s.adopt(shared("nope", 6000), 1000).is_none(), "a rule this node does not have");
        assert!(s.adopt(shared("gmail", 900), 1000).is_none(), "over already");
        let reply = "aspmx.l.google.com: 421 4.7.28 unusual rate";
        assert!(s.observe(1001, "*.google.com", "aspmx.l.google.com", None, reply).is_empty(), "in force here");
    }

    #[test]
    fn a_count_of_matches_within_the_window() {
        let mut s = shaper(
            "[[rule]]\nname = \"r\"\ntext = \"TS02\"\nafter = 3\nwindow = \"10m\"\naction = \"limit\"\n\
             connections = 1\nrate = \"1/min\"\nduration = \"30m\"",
        );
        let hit = |s: &mut Shaper, t| s.observe(t, "site", "mx", None, "mx: 421 [TS02] slow down").len();
        assert_eq!(hit(&mut s, 0) + hit(&mut s, 300), 0);
        assert_eq!(hit(&mut s, 650), 0, "the first fell out of the window");
        assert_eq!(hit(&mut s, 700), 1, "three within ten minutes");
        let (connections, rate) = s.limits("site", 750);
        assert_eq!((connections, rate.map(|r| r.messages)), (Some(1), Some(1)));
        assert_eq!(s.limits("site", 700 + 1800), (None, None), "over");
        assert_eq!(s.limits("other", 750), (None, None));
    }

    #[test]
    fn a_share_of_deferrals() {
        let mut s = shaper(
            "[[rule]]\nname = \"r\"\nshare = 0.2\nwindow = \"5m\"\nmin_replies = 10\naction = \"bounce\"\nduration = \"1h\"",
        );
        let mut fired = 0;
        for t in 0..9 {
            fired += s.observe(t, "site", "mx", None, "mx: 250 2.0.0 ok").len();
        }
        fired += s.observe(9, "site", "mx", None, "mx: 451 4.3.0 try later").len();
        assert_eq!(fired, 0, "10% deferred");
        fired += s.observe(10, "site", "mx", None, "mx: 451 4.3.0 try later").len();
        fired += s.observe(11, "site", "mx", None, "mx: 451 4.3.0 try later").len();
        assert_eq!(fired, 1, "3 of 12 is over 20%");
        assert!(s.bouncing("site", 12).is_some());
        assert!(s.bouncing("site", 3612).is_none());
    }

    #[test]
    fn a_source_address_is_suspended_alone() {
        let mut s = shaper("[[rule]]\nname = \"r\"\ncode = 421\naction = \"suspend-source\"\nduration = \"1h\"");
        let fired = s.observe(0, "site", "mx", Some("192.0.2.1"), "mx: 421 4.7.0 go away");
        assert_eq!(fired[0].source.as_deref(), Some("192.0.2.1"));
        assert!(s.source_suspended("site", "192.0.2.1", 1).is_some());
        assert!(s.source_suspended("site", "192.0.2.2", 1).is_none());
        assert_eq!(s.observe(1, "site", "mx", Some("192.0.2.2"), "mx: 421 4.7.0 go away").len(), 1, "another one");
    }

    #[test]
    fn counting_rules_fire_every_time_and_hold_nothing() {
        let mut s = shaper("[[rule]]\nname = \"c\"\ncode = 550\naction = \"count\"");
        assert_eq!(s.observe(0, "site", "mx", None, "mx: 550 5.7.1 spam").len(), 1);
        assert_eq!(s.observe(1, "site", "mx", None, "mx: 550 5.7.1 spam").len(), 1);
        assert!(s.active(1).is_empty());
    }
}
