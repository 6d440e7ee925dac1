//! Traffic-shaping actions for the whole cluster: what a rule does on one node (suspend a
//! site, limit it, bounce its mail) holds on every node, since the remote provider sees the
//! cluster as one sender. The suppression feed (`suppressions.rs`) carries them: its publisher
//! reads this node's `shaping` events from the log into a shared hash (one field per rule,
//! site and source, until the action ends) and onto a channel; its subscriber hands what the
//! other nodes publish, and on each (re)connection the hash's actions still in force, to the
//! node's shaping ([`Adopt`]).

use serde::{Deserialize, Serialize};
use shaping::Shared;
use store::unix_now;

use super::Cluster;

/// What a node does with an action another node shared.
pub type Adopt = Box<dyn Fn(Shared) + Send>;

/// An action as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Published {
    rule: String,
    site: String,
    #[serde(default)]
    source: Option<String>,
    until: u64,
    #[serde(default)]
    reply: String,
    /// The node it fired on.
    #[serde(default)]
    node: String,
}

/// A `shaping` line of the event log.
#[derive(Deserialize)]
struct Logged {
    event: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    until: Option<u64>,
    #[serde(default)]
    reply: String,
}

impl Published {
    /// The action of an event `line` of `node`'s log: a `shaping` event that holds something
    /// and is still in force.
    pub(super) fn from_log(line: &[u8], node: &str) -> Option<Published> {
        let logged = serde_json::from_slice::<Logged>(line).ok()?;
        let until = logged.until?;
        if logged.event != "shaping" || logged.action == "count" || until <= unix_now() {
            return None;
        }
        let Logged { rule, site, source, reply, .. } = logged;
        Some(Published { rule, site, source, until, reply, node: node.to_string() })
    }

    /// Its field in the shared hash.
    pub(super) fn field(&self) -> String {
        format!("{}\0{}\0{}", self.rule, self.site, self.source.as_deref().unwrap_or_default())
    }

    /// Whether it fired on `node`.
    pub(super) fn is_from(&self, node: &str) -> bool {
        self.node == node
    }

    /// Whether its time is up.
    pub(super) fn is_over(&self) -> bool {
        self.until <= unix_now()
    }

    /// What the node's shaping holds of it.
    pub(super) fn into_shared(self) -> Shared {
        Shared { rule: self.rule, site: self.site, source: self.source, until: self.until, reply: self.reply }
    }
}

impl Cluster {
    /// The shared hash and channel of shaping actions.
    pub(super) fn shaping_key(&self) -> String {
        self.key(&["shaping"])
    }

    /// The commands that share `action`: into the hash, onto the channel.
    pub(super) fn share_shaping(&self, action: &Published) -> [redis::Cmd; 2] {
        let json = serde_json::to_string(action).unwrap_or_default();
        let mut hset = redis::cmd("HSET");
        hset.arg(self.shaping_key()).arg(action.field()).arg(&json);
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(self.shaping_key()).arg(json);
        [hset, publish]
    }

    /// The command that forgets `field` of the hash (an action that is over).
    pub(super) fn forget_shaping(&self, field: &str) -> redis::Cmd {
        let mut hdel = redis::cmd("HDEL");
        hdel.arg(self.shaping_key()).arg(field);
        hdel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaping_events_that_hold_something_are_published() {
        let until = unix_now() + 600;
        let line = format!(
            r#"{{"event":"shaping","rule":"gmail-rate-limited","site":"*.google.com","action":"suspend","source":null,"until":{until},"reply":"421 4.7.28"}}"#
        );
        let published = Published::from_log(line.as_bytes(), "a").unwrap();
        assert_eq!(published.field(), "gmail-rate-limited\0*.google.com\0");
        assert!(published.is_from("a") && !published.is_from("b") && !published.is_over());
        assert_eq!(published.clone().into_shared().until, until);
        let count = line.replace("\"suspend\"", "\"count\"");
        assert!(Published::from_log(count.as_bytes(), "a").is_none(), "counting holds nothing");
        let over = line.replace(&until.to_string(), "1");
        assert!(Published::from_log(over.as_bytes(), "a").is_none(), "over already");
        assert!(Published::from_log(br#"{"event":"suppression","address":"x@y"}"#, "a").is_none());
    }
}
