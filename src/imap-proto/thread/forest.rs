use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::mem;

use super::{Thread, ThreadInput, sent_key};
use crate::base_subject::BaseSubject;

/// REFERENCES from step 2 on: the same nodes as [`Links`](super::links::Links), each with its children, and the
/// nodes under the root.
pub(super) struct Forest {
    /// Each node's message index; `None` for a dummy.
    pub(super) message: Vec<Option<usize>>,
    /// Each node's children.
    pub(super) kids: Vec<Vec<usize>>,
    /// The children of the root.
    pub(super) roots: Vec<usize>,
}

impl Forest {
    /// Step 3: dummies go, their children taking their place, except that a dummy under the
    /// root with two or more children stays.
    pub(super) fn prune(&mut self) {
        let mut kids = vec![Vec::new(); self.kids.len()];
        let mut roots = Vec::new();
        let mut pending = Vec::new();
        for &root in &self.roots {
            if self.message[root].is_some() {
                roots.push(root);
                pending.push(root);
                continue;
            }
            let below = self.messages_below(root);
            if let [only] = below[..] {
                roots.push(only);
                pending.push(only);
            } else if !below.is_empty() {
                roots.push(root);
                pending.extend(&below);
                kids[root] = below;
            }
        }
        while let Some(node) = pending.pop() {
            let below = self.messages_below(node);
            pending.extend(&below);
            kids[node] = below;
        }
        self.kids = kids;
        self.roots = roots;
    }

    /// The messages under `node` with only dummies between: its children once dummies are
    /// spliced out.
    fn messages_below(&self, node: usize) -> Vec<usize> {
        let mut below = Vec::new();
        let mut pending: Vec<usize> = self.kids[node].iter().rev().copied().collect();
        while let Some(next) = pending.pop() {
            if self.message[next].is_some() {
                below.push(next);
            } else {
                pending.extend(self.kids[next].iter().rev());
            }
        }
        below
    }

    /// Step 4: the top-level threads in sent order, a dummy's children sorted first.
    pub(super) fn sort_top(&mut self, messages: &[ThreadInput]) {
        for i in 0..self.roots.len() {
            let root = self.roots[i];
            if self.message[root].is_none() {
                self.sort_children(messages, root);
            }
        }
        let roots = mem::take(&mut self.roots);
        self.roots = self.sorted(messages, roots);
    }

    /// Step 5: top-level threads with the same base subject merge.
    pub(super) fn gather_subjects(&mut self, subjects: &[BaseSubject]) {
        let table = self.subject_table(subjects);
        let mut slots: Vec<Option<usize>> = self.roots.iter().copied().map(Some).collect();
        for i in 0..slots.len() {
            let Some(current) = slots[i] else { continue };
            let Some(subject) = self.thread_subject(subjects, current) else { continue };
            let Some(&held_slot) = table.get(subject) else { continue };
            if held_slot == i {
                continue;
            }
            if let Some(held) = slots[held_slot] {
                slots[held_slot] = Some(self.merge(subjects, held, current));
                slots[i] = None;
            }
        }
        self.roots = slots.into_iter().flatten().collect();
    }

    /// Step 5.B: for each thread subject, the slot in `roots` of the thread the others join.
    fn subject_table<'s>(&self, subjects: &'s [BaseSubject]) -> HashMap<&'s str, usize> {
        let mut table = HashMap::new();
        for (slot, &node) in self.roots.iter().enumerate() {
            let Some(subject) = self.thread_subject(subjects, node) else { continue };
            match table.entry(subject) {
                Entry::Vacant(entry) => {
                    entry.insert(slot);
                }
                Entry::Occupied(mut entry) => {
                    let held = self.roots[*entry.get()];
                    let current_is_better = self.message[node].is_none()
                        || (self.is_reply(subjects, held) && !self.is_reply(subjects, node));
                    if self.message[held].is_some() && current_is_better {
                        entry.insert(slot);
                    }
                }
            }
        }
        table
    }

    /// Step 5.C: merges top-level thread `current` into `held`, which has the same subject;
    /// returns the node now holding `held`'s place (a new dummy when neither can hold the other).
    fn merge(&mut self, subjects: &[BaseSubject], held: usize, current: usize) -> usize {
        match (self.message[held], self.message[current]) {
            (None, None) => {
                let moved = mem::take(&mut self.kids[current]);
                self.kids[held].extend(moved);
                held
            }
            (None, Some(_)) => {
                self.kids[held].push(current);
                held
            }
            _ if self.is_reply(subjects, current) && !self.is_reply(subjects, held) => {
                self.kids[held].push(current);
                held
            }
            _ => {
                self.message.push(None);
                self.kids.push(vec![held, current]);
                self.kids.len() - 1
            }
        }
    }

    /// Step 5.B.i: the base subject of the thread at `node` (of its first child for a dummy);
    /// `None` when empty.
    fn thread_subject<'s>(&self, subjects: &'s [BaseSubject], node: usize) -> Option<&'s str> {
        let text = subjects[self.first_message(node)?].text.as_str();
        (!text.is_empty()).then_some(text)
    }

    /// Whether `node` is a message whose subject marks a reply or forward.
    fn is_reply(&self, subjects: &[BaseSubject], node: usize) -> bool {
        self.message[node].is_some_and(|i| subjects[i].reply)
    }

    /// The message at `node`, or for a dummy at its first child.
    fn first_message(&self, mut node: usize) -> Option<usize> {
        loop {
            if let Some(message) = self.message[node] {
                return Some(message);
            }
            node = *self.kids[node].first()?;
        }
    }

    /// Step 6, then the threads: every set of siblings in sent order, the lower ones first.
    pub(super) fn into_threads(mut self, messages: &[ThreadInput]) -> Vec<Thread> {
        let order = self.parents_first();
        for &node in order.iter().rev() {
            self.sort_children(messages, node);
        }
        let roots = mem::take(&mut self.roots);
        let roots = self.sorted(messages, roots);
        let mut built: Vec<Option<Thread>> = (0..self.kids.len()).map(|_| None).collect();
        for &node in order.iter().rev() {
            let children = self.kids[node].iter().filter_map(|&kid| built[kid].take()).collect();
            built[node] = Some(Thread { number: self.message[node].map(|i| messages[i].number), children });
        }
        roots.iter().filter_map(|&root| built[root].take()).collect()
    }

    /// Every node under the root, each before its children.
    fn parents_first(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.kids.len());
        let mut pending: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(node) = pending.pop() {
            order.push(node);
            pending.extend(self.kids[node].iter().rev());
        }
        order
    }

    /// Sorts the children of `node` by sent date.
    fn sort_children(&mut self, messages: &[ThreadInput], node: usize) {
        let kids = mem::take(&mut self.kids[node]);
        self.kids[node] = self.sorted(messages, kids);
    }

    /// `nodes` by sent date, a dummy by its first child's.
    fn sorted(&self, messages: &[ThreadInput], mut nodes: Vec<usize>) -> Vec<usize> {
        nodes.sort_by_cached_key(|&node| self.first_message(node).map(|i| sent_key(messages, i)));
        nodes
    }
}
