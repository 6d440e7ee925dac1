use std::collections::HashMap;

use super::forest::Forest;
use super::message_ids::{keep_ends, normalize_id};
use super::{LOOP_CHECK_STEPS, ThreadInput};

/// A message, or a dummy for a msg-id no message has, while REFERENCES links them (step 1).
struct Container {
    /// The message's index in the input; `None` for a dummy.
    message: Option<usize>,
    /// The container above it.
    parent: Option<usize>,
    /// How many containers it is the parent of.
    children: usize,
}

/// REFERENCES step 1: the containers, by index (messages first, in input order), and the
/// parent links between them.
pub(super) struct Links<'a> {
    /// The containers.
    nodes: Vec<Container>,
    /// The container of each msg-id: the first message with it, or a dummy.
    by_id: HashMap<&'a str, usize>,
    /// What is left of [`LOOP_CHECK_STEPS`].
    steps_left: usize,
}

impl<'a> Links<'a> {
    /// Links `messages` by their references, in input order (step 1).
    pub(super) fn build(messages: &[ThreadInput<'a>]) -> Self {
        let nodes = (0..messages.len()).map(|i| Container { message: Some(i), parent: None, children: 0 }).collect();
        let mut links = Links { nodes, by_id: HashMap::with_capacity(messages.len()), steps_left: LOOP_CHECK_STEPS };
        // A Message-ID an earlier message has counts as none: the message stays on its own.
        for (i, message) in messages.iter().enumerate() {
            if let Some(id) = message.message_id.and_then(normalize_id) {
                links.by_id.entry(id).or_insert(i);
            }
        }
        for (i, message) in messages.iter().enumerate() {
            let references = keep_ends(message.references.iter().filter_map(|&id| normalize_id(id)));
            links.link_message(i, &references);
        }
        links
    }

    /// Step 1.A then 1.B for the message at `index`.
    fn link_message(&mut self, index: usize, references: &[&'a str]) {
        let mut previous = None;
        for &id in references {
            let node = self.node(id);
            if let Some(parent) = previous {
                // A container that has a parent keeps it.
                if self.nodes[node].parent.is_none() && !self.would_loop(parent, node) {
                    self.link(parent, node);
                }
            }
            previous = Some(node);
        }
        // The message's own parent is its last reference, whatever step 1.A made it.
        self.unlink(index);
        if let Some(parent) = previous {
            if !self.would_loop(parent, index) {
                self.link(parent, index);
            }
        }
    }

    /// The container of msg-id `id`, a new dummy when there is none.
    fn node(&mut self, id: &'a str) -> usize {
        let nodes = &mut self.nodes;
        *self.by_id.entry(id).or_insert_with(|| {
            nodes.push(Container { message: None, parent: None, children: 0 });
            nodes.len() - 1
        })
    }

    /// Whether making `child` (which has no parent) a child of `parent` would make a loop:
    /// `child` is `parent` or one of its ancestors. Also true once the budget is spent.
    fn would_loop(&mut self, parent: usize, child: usize) -> bool {
        if self.nodes[child].children == 0 {
            return parent == child;
        }
        let mut ancestor = Some(parent);
        while let Some(node) = ancestor {
            if node == child || self.steps_left == 0 {
                return true;
            }
            self.steps_left -= 1;
            ancestor = self.nodes[node].parent;
        }
        false
    }

    /// Makes `child` a child of `parent`.
    fn link(&mut self, parent: usize, child: usize) {
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children += 1;
    }

    /// Takes `child` from its parent, if it has one.
    fn unlink(&mut self, child: usize) {
        if let Some(parent) = self.nodes[child].parent.take() {
            self.nodes[parent].children -= 1;
        }
    }

    /// Step 2: the containers without a parent go under the root.
    pub(super) fn into_forest(self) -> Forest {
        let mut kids = vec![Vec::new(); self.nodes.len()];
        let mut roots = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            match node.parent {
                Some(parent) => kids[parent].push(i),
                None => roots.push(i),
            }
        }
        Forest { message: self.nodes.iter().map(|node| node.message).collect(), kids, roots }
    }
}
