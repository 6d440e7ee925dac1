//! The THREAD command's algorithms (RFC 5256 3): ORDEREDSUBJECT, and REFERENCES (steps 1 to 6,
//! the RFC's version of the JWZ algorithm), over what they need of each message; the msg-ids
//! of References and In-Reply-To fields; and the thread list of the response (RFC 5256 4).
//!
//! Inputs come from the network, so the work is bounded: at most [`MAX_REFERENCES`] msg-ids of
//! a message count, the REFERENCES loop checks share a budget of steps, and nothing recurses, so
//! a deep thread can neither overflow the stack when built, written nor dropped.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::mem;

use crate::base_subject::{BaseSubject, base_subject};

/// At most this many msg-ids of one message's references are kept: the first and the latest.
pub const MAX_REFERENCES: usize = 256;

/// Ancestors the REFERENCES loop checks may visit in all; past it, links are refused as if they
/// made loops. Real mailboxes stay far below it: only links under parents that arrived later
/// than their child need a walk, and only as long as the parent's depth.
const LOOP_CHECK_STEPS: usize = 1 << 26;

/// One message as threading sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInput<'a> {
    /// What the response lists: a sequence number or a UID.
    pub number: u32,
    /// The sent date (Date field) in seconds, or the internal date when it has none or it
    /// cannot be parsed (RFC 5256 2.2).
    pub sent: i64,
    /// The Message-ID, with or without its angle brackets.
    pub message_id: Option<&'a str>,
    /// The msg-ids it refers to, oldest first, with or without angle brackets: see
    /// [`reference_ids`].
    pub references: Vec<&'a str>,
    /// The Subject decoded from RFC 2047 and unfolded.
    pub subject: &'a str,
}

/// A thread: a message and the threads of its replies, or with no number a placeholder for a
/// missing message whose children are siblings (REFERENCES keeps those only at the top, with two
/// or more children).
#[derive(Debug, PartialEq, Eq)]
pub struct Thread {
    /// The message's number from [`ThreadInput::number`]; `None` for a placeholder.
    pub number: Option<u32>,
    /// The replies, oldest first.
    pub children: Vec<Thread>,
}

impl Drop for Thread {
    /// Drops the descendants one by one, as a recursive drop of a deep thread would overflow the
    /// stack.
    fn drop(&mut self) {
        let mut pending = mem::take(&mut self.children);
        while let Some(mut thread) = pending.pop() {
            pending.append(&mut thread.children);
        }
    }
}

/// The `<...>` msg-ids of a References or In-Reply-To field value, in order, without their
/// brackets; of more than [`MAX_REFERENCES`], the first and the latest.
pub fn message_ids(field: &str) -> Vec<&str> {
    let mut rest = field;
    keep_ends(std::iter::from_fn(|| next_msg_id(&mut rest)))
}

/// The references of a message for REFERENCES (RFC 5256 3, step 1.A): the msg-ids of its
/// References field, or when that has none, the first msg-id of In-Reply-To. Absent fields are
/// passed as "".
pub fn reference_ids<'a>(references: &'a str, in_reply_to: &'a str) -> Vec<&'a str> {
    let ids = message_ids(references);
    if !ids.is_empty() {
        return ids;
    }
    let mut rest = in_reply_to;
    next_msg_id(&mut rest).into_iter().collect()
}

/// THREAD=ORDEREDSUBJECT: a thread per base subject, its oldest message on top and the others
/// its children in sent order, the threads in the sent order of their first messages.
pub fn ordered_subject(messages: &[ThreadInput]) -> Vec<Thread> {
    let subjects: Vec<String> = messages.iter().map(|m| base_subject(m.subject).text).collect();
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        subjects[a].cmp(&subjects[b]).then(sent_key(messages, a).cmp(&sent_key(messages, b)))
    });
    let mut threads: Vec<(usize, Thread)> = order
        .chunk_by(|&a, &b| subjects[a] == subjects[b])
        .filter_map(|group| group.split_first())
        .map(|(&first, rest)| {
            let children = rest.iter().map(|&i| leaf(messages[i].number)).collect();
            (first, Thread { number: Some(messages[first].number), children })
        })
        .collect();
    threads.sort_unstable_by_key(|&(first, _)| sent_key(messages, first));
    threads.into_iter().map(|(_, thread)| thread).collect()
}

/// THREAD=REFERENCES (RFC 5256 3): threads from the messages' references, placeholders for
/// missing parents only where they hold top-level siblings, threads with the same base subject
/// gathered, siblings in sent order.
pub fn references(messages: &[ThreadInput]) -> Vec<Thread> {
    let subjects: Vec<BaseSubject> = messages.iter().map(|m| base_subject(m.subject)).collect();
    let mut forest = Links::build(messages).into_forest();
    forest.prune();
    forest.sort_top(messages);
    forest.gather_subjects(&subjects);
    forest.into_threads(messages)
}

/// Writes `threads` as the thread list after `* THREAD ` (RFC 5256 4): `(2)(3 6 (4 23)(44 7 96))`.
/// A run of single replies is written flat, two or more children nest, and a placeholder writes
/// no number; placeholders are expected to have two or more children, as [`references`] leaves
/// them.
pub fn write(out: &mut String, threads: &[Thread]) {
    let mut stack: Vec<Step> = threads.iter().rev().map(Step::List).collect();
    while let Some(step) = stack.pop() {
        match step {
            Step::List(thread) => open_list(out, thread, &mut stack),
            Step::Close => out.push(')'),
        }
    }
}

/// What is left to write of a thread list.
enum Step<'t> {
    /// A thread-list to write.
    List(&'t Thread),
    /// The `)` ending a thread-list.
    Close,
}

/// Writes the start of `thread`'s thread-list: `(`, its run of single replies, and the space
/// before its nested lists, leaving those and the `)` on `stack`.
fn open_list<'t>(out: &mut String, thread: &'t Thread, stack: &mut Vec<Step<'t>>) {
    let mut level = branches(std::slice::from_ref(thread));
    if level.is_empty() {
        return;
    }
    out.push('(');
    stack.push(Step::Close);
    let mut first = true;
    while let [single] = level {
        if let Some(number) = single.number {
            if !first {
                out.push(' ');
            }
            let _ = write!(out, "{number}");
            first = false;
        }
        level = branches(&single.children);
    }
    if !level.is_empty() && !first {
        out.push(' ');
    }
    stack.extend(level.iter().rev().map(Step::List));
}

/// `children`, with a lone placeholder replaced by its children: empty, one numbered thread, or
/// two or more threads.
fn branches(mut children: &[Thread]) -> &[Thread] {
    while let [only] = children {
        if only.number.is_some() {
            break;
        }
        children = &only.children;
    }
    children
}

/// A thread of one message.
fn leaf(number: u32) -> Thread {
    Thread { number: Some(number), children: Vec::new() }
}

/// How messages sort (RFC 5256 2.2, 3): by sent date, then by their order in the input.
fn sent_key(messages: &[ThreadInput], index: usize) -> (i64, usize) {
    (messages[index].sent, index)
}

/// The next msg-id in `rest`, which moves past it; a `<` before the `>` starts over.
fn next_msg_id<'a>(rest: &mut &'a str) -> Option<&'a str> {
    loop {
        let after = &rest[rest.find('<')? + 1..];
        let end = after.find(['<', '>'])?;
        if after[end..].starts_with('<') {
            *rest = &after[end..];
            continue;
        }
        *rest = &after[end + 1..];
        let id = after[..end].trim();
        if !id.is_empty() {
            return Some(id);
        }
    }
}

/// The first of `ids` and the latest after it, [`MAX_REFERENCES`] at most: the first names the
/// thread's start and the last the parent (as RFC 5322 3.6.4 trims References).
fn keep_ends<'a>(mut ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let Some(first) = ids.next() else {
        return Vec::new();
    };
    let mut latest = VecDeque::with_capacity(MAX_REFERENCES - 1);
    for id in ids {
        if latest.len() == MAX_REFERENCES - 1 {
            latest.pop_front();
        }
        latest.push_back(id);
    }
    std::iter::once(first).chain(latest).collect()
}

/// A msg-id without blanks and angle brackets around it; `None` when nothing is left.
fn normalize_id(id: &str) -> Option<&str> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty()).then_some(id)
}

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
struct Links<'a> {
    /// The containers.
    nodes: Vec<Container>,
    /// The container of each msg-id: the first message with it, or a dummy.
    by_id: HashMap<&'a str, usize>,
    /// What is left of [`LOOP_CHECK_STEPS`].
    steps_left: usize,
}

impl<'a> Links<'a> {
    /// Links `messages` by their references, in input order (step 1).
    fn build(messages: &[ThreadInput<'a>]) -> Self {
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
    fn into_forest(self) -> Forest {
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

/// REFERENCES from step 2 on: the same nodes as [`Links`], each with its children, and the
/// nodes under the root.
struct Forest {
    /// Each node's message index; `None` for a dummy.
    message: Vec<Option<usize>>,
    /// Each node's children.
    kids: Vec<Vec<usize>>,
    /// The children of the root.
    roots: Vec<usize>,
}

impl Forest {
    /// Step 3: dummies go, their children taking their place, except that a dummy under the
    /// root with two or more children stays.
    fn prune(&mut self) {
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
    fn sort_top(&mut self, messages: &[ThreadInput]) {
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
    fn gather_subjects(&mut self, subjects: &[BaseSubject]) {
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
    fn into_threads(mut self, messages: &[ThreadInput]) -> Vec<Thread> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(number: u32, sent: i64, id: &'a str, references: &'a str, subject: &'a str) -> ThreadInput<'a> {
        ThreadInput {
            number,
            sent,
            message_id: (!id.is_empty()).then_some(id),
            references: message_ids(references),
            subject,
        }
    }

    fn written(threads: &[Thread]) -> String {
        let mut out = String::new();
        write(&mut out, threads);
        out
    }

    fn node(number: u32, children: Vec<Thread>) -> Thread {
        Thread { number: Some(number), children }
    }

    fn dummy(children: Vec<Thread>) -> Thread {
        Thread { number: None, children }
    }

    #[test]
    fn writes_chains_flat_and_branches_nested() {
        let chain = node(3, vec![node(6, vec![leaf(4)])]);
        assert_eq!(written(&[chain]), "(3 6 4)");
        let rfc =
            [leaf(2), node(3, vec![node(6, vec![node(4, vec![leaf(23)]), node(44, vec![node(7, vec![leaf(96)])])])])];
        assert_eq!(written(&rfc), "(2)(3 6 (4 23)(44 7 96))");
        assert_eq!(written(&[dummy(vec![leaf(1), leaf(2)])]), "((1)(2))");
        assert_eq!(written(&[node(1, vec![leaf(2), leaf(3)])]), "(1 (2)(3))");
        assert_eq!(written(&[dummy(vec![leaf(1), node(2, vec![leaf(3)])]), leaf(4)]), "((1)(2 3))(4)");
        assert_eq!(written(&[]), "");
    }

    #[test]
    fn writes_lone_placeholders_as_their_children() {
        assert_eq!(written(&[dummy(vec![node(1, vec![leaf(2)])])]), "(1 2)");
        assert_eq!(written(&[node(1, vec![dummy(vec![leaf(2), leaf(3)])])]), "(1 (2)(3))");
        assert_eq!(written(&[dummy(vec![])]), "");
    }

    #[test]
    fn msg_ids_of_fields() {
        assert_eq!(message_ids("<a@b> <c@d>"), ["a@b", "c@d"]);
        assert_eq!(message_ids("\t<a@b>\r\n <c@d>(comment)<e@f>"), ["a@b", "c@d", "e@f"]);
        assert_eq!(message_ids("foo <a@b> bar <<c@d> <> < > <x"), ["a@b", "c@d"]);
        assert_eq!(message_ids("no ids here"), Vec::<&str>::new());
        assert_eq!(message_ids(""), Vec::<&str>::new());
    }

    #[test]
    fn msg_ids_are_capped_to_the_first_and_latest() {
        let field: String = (0..100_000).map(|i| format!("<{i}@x> ")).collect();
        let started = std::time::Instant::now();
        let ids = message_ids(&field);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(ids.len(), MAX_REFERENCES);
        assert_eq!(ids[0], "0@x");
        assert_eq!(ids[1], format!("{}@x", 100_000 - MAX_REFERENCES + 1));
        assert_eq!(ids[MAX_REFERENCES - 1], "99999@x");
    }

    #[test]
    fn references_fall_back_to_the_first_in_reply_to() {
        assert_eq!(reference_ids("<a@b> <c@d>", "<e@f>"), ["a@b", "c@d"]);
        assert_eq!(reference_ids("", "<e@f> <g@h>"), ["e@f"]);
        assert_eq!(reference_ids("junk", "junk"), Vec::<&str>::new());
    }

    #[test]
    fn ordered_subject_groups_by_base_subject() {
        let messages = [
            message(1, 10, "", "", "Hello"),
            message(2, 30, "", "", "Re: hello"),
            message(3, 20, "", "", "Other"),
            message(4, 25, "", "", "RE: [list] Hello"),
            message(5, 5, "", "", "Fwd: other"),
            message(6, 40, "", "", "third"),
        ];
        assert_eq!(written(&ordered_subject(&messages)), "(5 3)(1 (4)(2))(6)");
    }

    #[test]
    fn ordered_subject_ties_keep_input_order() {
        let messages = [message(9, 7, "", "", "b"), message(3, 7, "", "", "a"), message(5, 7, "", "", "a")];
        assert_eq!(written(&ordered_subject(&messages)), "(9)(3 5)");
        assert_eq!(written(&ordered_subject(&[])), "");
    }

    #[test]
    fn references_follows_a_reply_chain() {
        let messages = [
            message(1, 1, "<a@x>", "", "Plan"),
            message(2, 2, "<b@x>", "<a@x>", "Re: Plan"),
            message(3, 3, "<c@x>", "<a@x> <b@x>", "Re: Plan"),
        ];
        assert_eq!(written(&references(&messages)), "(1 2 3)");
    }

    #[test]
    fn references_reproduces_the_rfc_example() {
        let messages = [
            message(2, 1, "<2>", "", "alone"),
            message(3, 2, "<3>", "", "topic"),
            message(4, 4, "<4>", "<3> <6>", "Re: topic"),
            message(6, 3, "<6>", "<3>", "Re: topic"),
            message(7, 7, "<7>", "<3> <6> <44>", "Re: topic"),
            message(23, 5, "<23>", "<3> <6> <4>", "Re: topic"),
            message(44, 6, "<44>", "<3> <6>", "Re: topic"),
            message(96, 8, "<96>", "<3> <6> <44> <7>", "Re: topic"),
        ];
        assert_eq!(written(&references(&messages)), "(2)(3 6 (4 23)(44 7 96))");
    }

    #[test]
    fn references_sorts_children_by_date() {
        let messages = [
            message(1, 1, "<a>", "", "s"),
            message(2, 9, "<b>", "<a>", "Re: s"),
            message(3, 5, "<c>", "<a>", "Re: s"),
            message(4, 5, "<d>", "<a>", "Re: s"),
        ];
        assert_eq!(written(&references(&messages)), "(1 (3)(4)(2))");
    }

    #[test]
    fn references_keeps_a_dummy_over_top_level_siblings() {
        let messages = [
            message(3, 1, "<c>", "<missing>", "one"),
            message(5, 2, "<e>", "<missing>", "two"),
            message(7, 0, "<g>", "", "three"),
        ];
        assert_eq!(written(&references(&messages)), "(7)((3)(5))");
    }

    #[test]
    fn references_splices_out_other_dummies() {
        let messages = [
            message(1, 1, "<a>", "", "one"),
            message(2, 2, "<b>", "<a> <gone1> <gone2>", "two"),
            message(3, 3, "<c>", "<a> <gone1>", "three"),
            message(4, 4, "<d>", "<lost>", "four"),
        ];
        assert_eq!(written(&references(&messages)), "(1 (2)(3))(4)");
    }

    #[test]
    fn references_survives_loops() {
        let pair = [message(1, 1, "<a>", "<b>", "one"), message(2, 2, "<b>", "<a>", "two")];
        assert_eq!(written(&references(&pair)), "(2 1)");
        let ring = [
            message(1, 1, "<a>", "<c> <b>", "one"),
            message(2, 2, "<b>", "<a> <c>", "two"),
            message(3, 3, "<c>", "<b> <a>", "three"),
        ];
        let mut out = written(&references(&ring));
        out.retain(|c| c.is_ascii_digit());
        assert_eq!(out.len(), 3);
        let own = [message(1, 1, "<a>", "<a> <a>", "self")];
        assert_eq!(written(&references(&own)), "(1)");
    }

    #[test]
    fn references_gives_duplicate_ids_to_the_first_message() {
        let messages =
            [message(1, 1, "<x>", "", "one"), message(2, 2, "<x>", "", "two"), message(3, 3, "<y>", "<x>", "three")];
        assert_eq!(written(&references(&messages)), "(1 3)(2)");
    }

    #[test]
    fn references_without_message_ids() {
        let messages = [
            message(1, 3, "", "", "one"),
            message(2, 2, "", "<1>", "two"),
            message(3, 1, "  ", "", "three"),
            message(4, 4, "<>", "", "four"),
        ];
        assert_eq!(written(&references(&messages)), "(3)(2)(1)(4)");
    }

    #[test]
    fn references_gathers_by_subject() {
        let reply_joins = [message(1, 1, "<a>", "", "x"), message(2, 2, "<b>", "", "Re: x")];
        assert_eq!(written(&references(&reply_joins)), "(1 2)");
        let older_reply = [message(1, 1, "<a>", "", "Re: x"), message(2, 2, "<b>", "", "X")];
        assert_eq!(written(&references(&older_reply)), "(2 1)");
        let two_originals = [message(1, 1, "<a>", "", "x"), message(2, 2, "<b>", "", "x")];
        assert_eq!(written(&references(&two_originals)), "((1)(2))");
        let two_replies = [message(1, 1, "<a>", "", "Re: x"), message(2, 2, "<b>", "", "Fwd: x")];
        assert_eq!(written(&references(&two_replies)), "((1)(2))");
        let into_dummy = [
            message(1, 1, "<a>", "<m>", "x"),
            message(2, 2, "<b>", "<m>", "Re: x"),
            message(3, 3, "<c>", "", "Re: x"),
            message(4, 4, "<d>", "<n>", "Re: x"),
            message(5, 5, "<e>", "<n>", "Re: x"),
        ];
        assert_eq!(written(&references(&into_dummy)), "((1)(2)(3)(4)(5))");
        let empty_subjects = [message(1, 1, "<a>", "", ""), message(2, 2, "<b>", "", "Re:")];
        assert_eq!(written(&references(&empty_subjects)), "(1)(2)");
    }

    #[test]
    fn references_follows_the_last_reference_over_earlier_links() {
        let messages = [
            message(1, 1, "<a>", "", "one"),
            message(2, 2, "<b>", "", "two"),
            message(3, 3, "<c>", "<a> <d>", "three"),
            message(4, 4, "<d>", "<b>", "four"),
        ];
        assert_eq!(written(&references(&messages)), "(1)(2 4 3)");
    }

    #[test]
    fn deep_threads_do_not_recurse() {
        let ids: Vec<String> = (0..20_000).map(|i| format!("<{i}>")).collect();
        let forward: Vec<ThreadInput> = (0..ids.len())
            .map(|i| ThreadInput {
                number: i as u32 + 1,
                sent: i as i64,
                message_id: Some(&ids[i]),
                references: i.checked_sub(1).map(|p| ids[p].as_str()).into_iter().collect(),
                subject: "deep",
            })
            .collect();
        let threads = references(&forward);
        let chain: Vec<String> = (1..=ids.len()).map(|n| n.to_string()).collect();
        assert_eq!(written(&threads), format!("({})", chain.join(" ")));
        let backward: Vec<ThreadInput> = forward.iter().rev().cloned().collect();
        let started = std::time::Instant::now();
        assert_eq!(written(&references(&backward)), written(&threads));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn huge_reference_lists_are_capped() {
        let ids: Vec<String> = (0..100_000).map(|i| format!("<{i}@x>")).collect();
        let messages = [ThreadInput {
            number: 1,
            sent: 0,
            message_id: Some("<me@x>"),
            references: ids.iter().map(String::as_str).collect(),
            subject: "big",
        }];
        assert_eq!(written(&references(&messages)), "(1)");
    }

    /// A minimal linear congruential generator.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// Checks `threads` against RFC 5256's rules for REFERENCES output and collects the numbers.
    fn check(threads: &[Thread], top: bool, numbers: &mut Vec<u32>) {
        for thread in threads {
            match thread.number {
                Some(n) => numbers.push(n),
                None => assert!(top && thread.children.len() >= 2, "misplaced placeholder"),
            }
            check(&thread.children, false, numbers);
        }
    }

    #[test]
    fn random_inputs_thread_every_message_once() {
        const COUNT: usize = 2_000;
        let mut rng = Lcg(0x5eed);
        let ids: Vec<String> = (0..COUNT + 300).map(|i| format!("<{i}@r>")).collect();
        let subjects = ["a", "Re: a", "b", "Fwd: b", "[l] Re: c", "", "Re:", "c (fwd)"];
        let messages: Vec<ThreadInput> = (0..COUNT)
            .map(|i| ThreadInput {
                number: i as u32 + 1,
                sent: rng.below(500) as i64,
                message_id: (rng.below(10) != 0).then(|| ids[rng.below(COUNT as u64 + 50) as usize].as_str()),
                references: (0..rng.below(6)).map(|_| ids[rng.below(ids.len() as u64) as usize].as_str()).collect(),
                subject: subjects[rng.below(subjects.len() as u64) as usize],
            })
            .collect();
        for threads in [references(&messages), ordered_subject(&messages)] {
            let mut numbers = Vec::new();
            check(&threads, true, &mut numbers);
            numbers.sort_unstable();
            assert_eq!(numbers, (1..=COUNT as u32).collect::<Vec<_>>());
            let out = written(&threads);
            let depth = out.chars().try_fold(0i64, |depth, c| {
                let depth = depth + i64::from(c == '(') - i64::from(c == ')');
                (depth >= 0).then_some(depth)
            });
            assert_eq!(depth, Some(0));
            assert!(!out.contains("()") && !out.contains("( ") && !out.contains(" )"));
        }
    }
}
