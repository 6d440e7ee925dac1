//! Shaping rules as written in TOML (`[[rule]]` entries), checked once when they are loaded.

use regex::Regex;
use serde::Deserialize;

use super::duration::parse_duration;
use super::rate::Rate;
use super::reply::Reply;

/// The default rules, from the providers' published codes.
const DEFAULTS: &str = include_str!("defaults.toml");

/// What a rule does to the site (or the source address at the site) when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// No attempts at the site until the rule's time is up; its mail waits in the queue.
    Suspend,
    /// No attempts from the source address that got the reply, at that site.
    SuspendSource,
    /// At most this many connections, and this rate, at the site for the rule's time.
    Limit {
        /// Connections open at once.
        connections: Option<usize>,
        /// Messages per window.
        rate: Option<Rate>,
    },
    /// Bounce the site's mail (what is queued and what comes) for the rule's time.
    Bounce,
    /// Nothing but the event.
    Count,
}

impl Action {
    /// The name rules write it with.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::SuspendSource => "suspend-source",
            Action::Limit { .. } => "limit",
            Action::Bounce => "bounce",
            Action::Count => "count",
        }
    }
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// On the `count`th matching reply at a site within `window_secs` (1: every one).
    Matches {
        /// Matching replies needed.
        count: u32,
        /// The window, in seconds.
        window_secs: u64,
    },
    /// When matching replies are over `share` of all the site's replies within `window_secs`,
    /// once there were at least `min_replies`.
    Share {
        /// The share, above 0 and at most 1.
        share: f64,
        /// The window, in seconds.
        window_secs: u64,
        /// Replies needed before the share counts.
        min_replies: u32,
    },
}

/// One checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name, unique in a set.
    pub name: String,
    /// Mail exchanger suffixes (lower case, no leading dot) of the sites it applies to; empty:
    /// every site.
    pub mx: Vec<String>,
    /// The reply code it matches, if it names one.
    pub code: Option<u16>,
    /// The enhanced status (or its start, `"4.7"`) it matches, if it names one.
    pub status: Option<String>,
    /// A regex the reply's text must match, if it has one.
    pub text: Option<Regex>,
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub action: Action,
    /// For how long, in seconds (0 for `count`).
    pub duration_secs: u64,
}

impl Rule {
    /// Whether the rule applies to a site whose reply came from the host `mx`.
    pub fn covers(&self, mx: &str) -> bool {
        let mx = mx.trim_end_matches('.').to_ascii_lowercase();
        self.mx.is_empty()
            || self.mx.iter().any(|suffix| {
                mx.strip_suffix(suffix.as_str()).is_some_and(|head| head.is_empty() || head.ends_with('.'))
            })
    }

    /// Whether `reply` is one the rule looks for. A rule that names neither code, status nor
    /// text matches every temporary failure.
    pub fn matches(&self, reply: &Reply) -> bool {
        if self.code.is_none() && self.status.is_none() && self.text.is_none() {
            return reply.is_temporary();
        }
        self.code.is_none_or(|code| code == reply.code)
            && self.status.as_deref().is_none_or(|status| reply.status.is_some_and(|s| is_within(s, status)))
            && self.text.as_ref().is_none_or(|text| text.is_match(reply.text))
    }
}

/// Whether the enhanced status `status` is `pattern` or under it (`4.7.28` under `4.7`).
fn is_within(status: &str, pattern: &str) -> bool {
    status.strip_prefix(pattern).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Rules, in the order they are checked.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The rules.
    pub rules: Vec<Rule>,
    /// Names of rules this set takes away from the one it is added to (`action = "none"`).
    pub removed: Vec<String>,
}

impl RuleSet {
    /// The rules shipped with ringmail.
    pub fn defaults() -> RuleSet {
        RuleSet::parse(DEFAULTS).expect("the default shaping rules are valid")
    }

    /// Rules from a TOML text of `[[rule]]` entries.
    pub fn parse(text: &str) -> Result<RuleSet, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut set = RuleSet::default();
        for written in file.rule {
            let name = written.name.clone();
            if set.rules.iter().any(|r| r.name == name) || set.removed.contains(&name) {
                return Err(format!("rule {name:?} is written twice"));
            }
            if written.action == "none" {
                set.removed.push(name);
                continue;
            }
            set.rules.push(written.check().map_err(|e| format!("rule {name:?}: {e}"))?);
        }
        Ok(set)
    }

    /// These rules with `others` applied: its removals, then each of its rules in the place of
    /// the one of the same name, or at the end.
    pub fn with(mut self, others: RuleSet) -> RuleSet {
        self.rules.retain(|r| !others.removed.contains(&r.name));
        for rule in others.rules {
            match self.rules.iter_mut().find(|r| r.name == rule.name) {
                Some(place) => *place = rule,
                None => self.rules.push(rule),
            }
        }
        self
    }
}

/// A rules file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<Written>,
}

/// A `[[rule]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    name: String,
    #[serde(default)]
    mx: Vec<String>,
    code: Option<u16>,
    status: Option<String>,
    text: Option<String>,
    /// Matches needed within `window` (default 1).
    after: Option<u32>,
    window: Option<String>,
    /// A share of the site's replies, 0 to 1, instead of `after`.
    share: Option<f64>,
    min_replies: Option<u32>,
    action: String,
    connections: Option<usize>,
    rate: Option<Rate>,
    duration: Option<String>,
}

impl Written {
    fn check(self) -> Result<Rule, String> {
        if self.name.is_empty() {
            return Err("a rule needs a name".into());
        }
        if let Some(code) = self.code.filter(|c| !(200..600).contains(c)) {
            return Err(format!("{code} is not a reply code"));
        }
        let text = self.text.as_deref().map(Regex::new).transpose().map_err(|e| e.to_string())?;
        let window_secs = self.window.as_deref().map(parse_duration).transpose()?.unwrap_or(3600);
        if window_secs == 0 {
            return Err("the window must be longer than 0".into());
        }
        let trigger = match (self.after, self.share) {
            (Some(_), Some(_)) => return Err("a rule fires `after` some matches or at a `share`, not both".into()),
            (_, Some(share)) if !(share > 0.0 && share <= 1.0) => {
                return Err(format!("share {share} is not above 0 and at most 1"));
            }
            (_, Some(share)) => Trigger::Share { share, window_secs, min_replies: self.min_replies.unwrap_or(10) },
            (Some(0), None) => return Err("`after` must be at least 1".into()),
            (after, None) => Trigger::Matches { count: after.unwrap_or(1), window_secs },
        };
        let action = match self.action.as_str() {
            "suspend" => Action::Suspend,
            "suspend-source" => Action::SuspendSource,
            "limit" if self.connections.is_none() && self.rate.is_none() => {
                return Err("`limit` needs `connections`, `rate` or both".into());
            }
            "limit" if self.connections == Some(0) => return Err("`connections` must be at least 1".into()),
            "limit" => Action::Limit { connections: self.connections, rate: self.rate },
            "bounce" => Action::Bounce,
            "count" => Action::Count,
            other => return Err(format!("unknown action {other:?} (suspend, suspend-source, limit, bounce, count)")),
        };
        let duration_secs = match (&action, self.duration.as_deref()) {
            (Action::Count, _) => 0,
            (_, None) => return Err(format!("`{}` needs a `duration`", action.name())),
            (_, Some(d)) => match parse_duration(d)? {
                0 => return Err("the duration must be longer than 0".into()),
                secs => secs,
            },
        };
        let mx = self.mx.iter().map(|m| m.trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase()).collect();
        Ok(Rule { name: self.name, mx, code: self.code, status: self.status, text, trigger, action, duration_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Rule, String> {
        RuleSet::parse(text).map(|mut set| set.rules.remove(0))
    }

    #[test]
    fn the_defaults_load_and_cover_the_big_providers() {
        let set = RuleSet::defaults();
        let covered = |mx: &str| set.rules.iter().any(|r| !r.mx.is_empty() && r.covers(mx));
        for mx in [
            "gmail-smtp-in.l.google.com",
            "mta5.am0.yahoodns.net",
            "hotmail-com.olc.protection.outlook.com",
            "mx01.mail.icloud.com",
            "mx00.gmx.net",
            "mx-aol.mail.gm0.yahoodns.net",
            "mx1.comcast.net",
        ] {
            assert!(covered(mx), "{mx} has rules");
        }
        assert!(!covered("mx.example.net"));
    }

    #[test]
    fn a_gmail_style_rule_matches_its_reply_only() {
        let rule = one(r#"[[rule]]
               name = "g"
               mx = [".google.com"]
               code = 421
               status = "4.7"
               text = "(?i)unusual rate"
               action = "suspend"
               duration = "1h""#)
        .unwrap();
        assert_eq!(rule.duration_secs, 3600);
        assert!(rule.covers("ALT1.gmail-smtp-in.l.google.com."));
        assert!(!rule.covers("notgoogle.com"));
        let hit = Reply::find("mx: 421 4.7.28 Our system has detected an Unusual Rate of mail");
        assert!(rule.matches(&hit));
        assert!(!rule.matches(&Reply::find("mx: 421 4.7.0 try later")), "text differs");
        assert!(!rule.matches(&Reply::find("mx: 451 4.7.28 unusual rate")), "code differs");
        assert!(!rule.matches(&Reply::find("mx: 421 4.70.1 unusual rate")), "4.70 is not under 4.7");
    }

    #[test]
    fn a_rule_without_filters_matches_temporary_failures() {
        let rule = one("[[rule]]\nname = \"all\"\nshare = 0.2\nwindow = \"5m\"\naction = \"count\"").unwrap();
        assert!(rule.matches(&Reply::find("mx: 450 busy")));
        assert!(rule.matches(&Reply::find("mx: connection timed out")));
        assert!(!rule.matches(&Reply::find("mx: 250 ok")));
        assert_eq!(rule.trigger, Trigger::Share { share: 0.2, window_secs: 300, min_replies: 10 });
    }

    #[test]
    fn mistakes_are_refused_with_the_rule_named() {
        let bad = |body: &str| one(&format!("[[rule]]\nname = \"r\"\n{body}")).unwrap_err();
        assert!(bad("action = \"suspend\"").contains("duration"), "suspend without a duration");
        assert!(bad("action = \"limit\"\nduration = \"1h\"").contains("connections"));
        assert!(bad("action = \"explode\"").contains("unknown action"));
        assert!(bad("action = \"count\"\ntext = \"(\"").starts_with("rule \"r\""));
        assert!(bad("action = \"count\"\nshare = 2.0").contains("share"));
        assert!(bad("action = \"count\"\nafter = 2\nshare = 0.5").contains("not both"));
        assert!(bad("action = \"count\"\ncode = 42").contains("not a reply code"));
        assert!(bad("action = \"count\"\ncolour = \"red\"").contains("unknown field"));
        let twice = "[[rule]]\nname = \"a\"\naction = \"count\"\n[[rule]]\nname = \"a\"\naction = \"count\"";
        assert!(RuleSet::parse(twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn an_operators_rules_replace_add_to_and_remove_defaults() {
        let defaults = RuleSet::defaults();
        let (first, second) = (defaults.rules[0].name.clone(), defaults.rules[1].name.clone());
        let text = format!(
            "[[rule]]\nname = \"{first}\"\naction = \"count\"\n[[rule]]\nname = \"mine\"\naction = \"count\"\n\
             [[rule]]\nname = \"{second}\"\naction = \"none\""
        );
        let set = RuleSet::defaults().with(RuleSet::parse(&text).unwrap());
        assert_eq!((set.rules[0].name.as_str(), &set.rules[0].action), (first.as_str(), &Action::Count), "in place");
        assert!(set.rules.iter().all(|r| r.name != second), "removed");
        assert_eq!(set.rules.last().unwrap().name, "mine", "added at the end");
        assert_eq!(set.rules.len(), defaults.rules.len());
    }
}
