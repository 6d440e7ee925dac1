use std::collections::VecDeque;

use super::MAX_REFERENCES;

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
pub(super) fn keep_ends<'a>(mut ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
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
pub(super) fn normalize_id(id: &str) -> Option<&str> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty()).then_some(id)
}
