//! The THREAD command's algorithms (RFC 5256 3): ORDEREDSUBJECT, and REFERENCES (steps 1 to 6,
//! the RFC's version of the JWZ algorithm), over what they need of each message; the msg-ids
//! of References and In-Reply-To fields; and the thread list of the response (RFC 5256 4).
//!
//! Inputs come from the network, so the work is bounded: at most [`MAX_REFERENCES`] msg-ids of
//! a message count, the REFERENCES loop checks share a budget of steps, and nothing recurses, so
//! a deep thread can neither overflow the stack when built, written nor dropped.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the inputs and threads, ORDEREDSUBJECT, and REFERENCES in its steps |
//! | `message_ids.rs` | the msg-ids of References and In-Reply-To fields |
//! | `links.rs` | REFERENCES steps 1 and 2: containers and their parent links |
//! | `forest.rs` | REFERENCES steps 3 to 6: pruning, subject gathering, sorting |
//! | `write.rs` | the thread list of the response |
//! | `tests.rs` | the tests |

mod forest;
mod links;
mod message_ids;
mod write;

use std::mem;

use crate::base_subject::{BaseSubject, base_subject};
use links::Links;
pub use message_ids::{message_ids, reference_ids};
pub use write::write;

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

/// A thread of one message.
fn leaf(number: u32) -> Thread {
    Thread { number: Some(number), children: Vec::new() }
}

/// How messages sort (RFC 5256 2.2, 3): by sent date, then by their order in the input.
fn sent_key(messages: &[ThreadInput], index: usize) -> (i64, usize) {
    (messages[index].sent, index)
}

#[cfg(test)]
mod tests;
