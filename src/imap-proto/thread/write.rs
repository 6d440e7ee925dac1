use std::fmt::Write;

use super::Thread;

/// Writes `threads` as the thread list after `* THREAD ` (RFC 5256 4): `(2)(3 6 (4 23)(44 7 96))`.
/// A run of single replies is written flat, two or more children nest, and a placeholder writes
/// no number; placeholders are expected to have two or more children, as [`references`](super::references) leaves
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
