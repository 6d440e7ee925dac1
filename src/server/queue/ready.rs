//! The groups waiting to start, kept by destination: a pass over them costs one look per
//! destination however many groups wait, destinations take turns, and each destination's
//! groups start oldest first.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::Group;
use store::MessageId;
use store::directory::domain_of;
use store::queue::DueRecipient;

/// Waiting groups by destination domain, and the order in which destinations take turns.
#[derive(Default)]
pub struct Ready {
    waiting: HashMap<String, VecDeque<Group>>,
    turns: VecDeque<String>,
    recipients: usize,
}

/// What became of a group offered by [`Ready::start_each`].
pub enum Start {
    /// It started, or there was nothing left in it to start.
    Taken,
    /// Its destination is at a limit: it waits, and so do the destination's later groups.
    Full(Group),
    /// The shard is at its limit: it waits, and the pass ends.
    Stop(Group),
}

impl Ready {
    /// Replaces whatever waits with `due`, grouped.
    pub fn replace(&mut self, due: impl Iterator<Item = DueRecipient>) {
        *self = Ready::default();
        self.extend(due);
    }

    /// Adds `due`, grouped, behind the groups already waiting.
    pub fn extend(&mut self, due: impl Iterator<Item = DueRecipient>) {
        for group in group(due) {
            self.recipients += group.recipients.len();
            match self.waiting.get_mut(&group.domain) {
                Some(groups) => groups.push_back(group),
                None => {
                    self.turns.push_back(group.domain.clone());
                    self.waiting.insert(group.domain.clone(), VecDeque::from([group]));
                }
            }
        }
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    /// Recipients waiting.
    pub fn recipients(&self) -> usize {
        self.recipients
    }

    /// Offers `start` each destination's groups in turn, oldest first, until it answers
    /// [`Start::Full`] for that destination or [`Start::Stop`] for all of them.
    pub fn start_each(&mut self, mut start: impl FnMut(Group) -> Start) {
        for _ in 0..self.turns.len() {
            let Some(domain) = self.turns.pop_front() else { break };
            let Some(groups) = self.waiting.get_mut(&domain) else { continue };
            let mut stopped = false;
            while let Some(group) = groups.pop_front() {
                let offered = group.recipients.len();
                let back = match start(group) {
                    Start::Taken => None,
                    Start::Full(group) => Some(group),
                    Start::Stop(group) => {
                        stopped = true;
                        Some(group)
                    }
                };
                self.recipients -= offered - back.as_ref().map_or(0, |g| g.recipients.len());
                if let Some(group) = back {
                    groups.push_front(group);
                    break;
                }
            }
            match groups.is_empty() {
                true => drop(self.waiting.remove(&domain)),
                false => self.turns.push_back(domain),
            }
            if stopped {
                break;
            }
        }
    }
}

/// Due recipients grouped by message and domain, oldest message first.
fn group(due: impl Iterator<Item = DueRecipient>) -> Vec<Group> {
    let mut by_key: BTreeMap<(MessageId, String), Vec<DueRecipient>> = BTreeMap::new();
    for recipient in due {
        let domain = domain_of(&recipient.entry.recipient).to_ascii_lowercase();
        by_key.entry((recipient.id, domain)).or_default().push(recipient);
    }
    by_key.into_iter().map(|((id, domain), recipients)| Group { id, domain, recipients }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(id: u128, recipient: &str) -> DueRecipient {
        DueRecipient::for_test(id, 0, recipient)
    }

    /// Runs a pass that starts up to `per_domain` groups of each destination and `total` in
    /// all; returns (message id, domain) of the started groups, in order.
    fn pass(ready: &mut Ready, per_domain: usize, total: usize) -> Vec<(u128, String)> {
        let mut started: Vec<(u128, String)> = Vec::new();
        ready.start_each(|group| {
            if started.len() == total {
                return Start::Stop(group);
            }
            if started.iter().filter(|(_, d)| *d == group.domain).count() == per_domain {
                return Start::Full(group);
            }
            started.push((group.id.0, group.domain.clone()));
            Start::Taken
        });
        started
    }

    #[test]
    fn recipients_of_one_message_and_domain_make_one_group() {
        let mut ready = Ready::default();
        ready.extend([due(1, "a@x.example"), due(1, "b@X.example"), due(1, "c@y.example")].into_iter());
        assert_eq!(ready.recipients(), 3);
        let mut sizes = Vec::new();
        ready.start_each(|group| {
            sizes.push((group.domain.clone(), group.recipients.len()));
            Start::Taken
        });
        assert_eq!(sizes, [("x.example".to_string(), 2), ("y.example".to_string(), 1)]);
        assert!(ready.is_empty() && ready.recipients() == 0);
    }

    #[test]
    fn destinations_take_turns_and_keep_their_order() {
        let mut ready = Ready::default();
        ready.extend((1..=3).map(|id| due(id, "a@busy.example")));
        ready.extend([due(4, "a@quiet.example")].into_iter());
        assert_eq!(pass(&mut ready, 1, 10), [(1, "busy.example".into()), (4, "quiet.example".into())]);
        assert_eq!(ready.recipients(), 2);
        assert_eq!(pass(&mut ready, 1, 10), [(2, "busy.example".into())], "oldest first");
        ready.extend([due(5, "a@quiet.example"), due(6, "a@other.example")].into_iter());
        assert_eq!(pass(&mut ready, 5, 1), [(3, "busy.example".into())], "the shard's limit ends the pass");
        // quiet.example was offered when the pass ended, so it had its turn.
        assert_eq!(pass(&mut ready, 5, 10), [(6, "other.example".into()), (5, "quiet.example".into())]);
        assert!(ready.is_empty());
    }

    #[test]
    fn a_busy_destination_cannot_starve_the_others_at_the_shard_limit() {
        let mut ready = Ready::default();
        ready.extend((1..=5).map(|id| due(id, "a@big.example")));
        ready.extend([due(6, "a@small.example")].into_iter());
        assert_eq!(pass(&mut ready, 5, 1), [(1, "big.example".into())]);
        assert_eq!(pass(&mut ready, 5, 1), [(6, "small.example".into())], "its turn came");
        assert_eq!(pass(&mut ready, 5, 1), [(2, "big.example".into())]);
    }

    #[test]
    fn replace_forgets_what_waited() {
        let mut ready = Ready::default();
        ready.extend([due(1, "a@one.example")].into_iter());
        ready.replace([due(2, "a@two.example")].into_iter());
        assert_eq!(pass(&mut ready, 5, 5), [(2, "two.example".into())]);
    }
}
