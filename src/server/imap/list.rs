//! LIST patterns (RFC 3501 6.3.8, RFC 9051 6.3.9): `*` matches anything, `%` anything but the
//! hierarchy delimiter; the reference name is prefixed to the pattern.

pub use store::journal::DELIMITER;

/// The pattern a LIST with `reference` and `pattern` matches names against.
pub fn full_pattern(reference: &str, pattern: &str) -> String {
    if pattern.starts_with(DELIMITER) || reference.is_empty() {
        return pattern.to_string();
    }
    format!("{reference}{pattern}")
}

/// Whether mailbox `name` matches `pattern`; `INBOX` matches case-insensitively.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = if name == "INBOX" { "INBOX".chars().collect() } else { name.chars().collect() };
    let pattern: Vec<char> = if pattern.iter().collect::<String>().eq_ignore_ascii_case("inbox") {
        "INBOX".chars().collect()
    } else {
        pattern
    };
    glob(&pattern, &name)
}

/// Iterative wildcard matching with one backtrack point per wildcard kind.
fn glob(pattern: &[char], name: &[char]) -> bool {
    // States: positions reachable in `name` after consuming a prefix of `pattern`.
    let mut reachable = vec![false; name.len() + 1];
    reachable[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            '*' | '%' => {
                let mut on = false;
                for i in 0..=name.len() {
                    on |= reachable[i];
                    next[i] = on;
                    if p == '%' && i < name.len() && name[i] == DELIMITER {
                        on = false;
                    }
                }
            }
            c => {
                for i in 0..name.len() {
                    if reachable[i] && name[i] == c {
                        next[i + 1] = true;
                    }
                }
            }
        }
        reachable = next;
        if !reachable.iter().any(|&r| r) {
            return false;
        }
    }
    reachable[name.len()]
}

/// The names above `name` in the hierarchy, nearest last: `a`, `a/b` for `a/b/c`.
pub fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(DELIMITER).map(move |(i, _)| &name[..i]).filter(|p| !p.is_empty())
}

/// Whether `child` is somewhere below `parent` in the hierarchy.
pub fn is_parent(parent: &str, child: &str) -> bool {
    child.len() > parent.len() + 1 && child.starts_with(parent) && child[parent.len()..].starts_with(DELIMITER)
}

/// The RFC 6154 special use of one of the mailboxes every account gets.
pub fn special_use(name: &str) -> Option<&'static str> {
    match name {
        "Sent" => Some("\\Sent"),
        "Drafts" => Some("\\Drafts"),
        "Junk" => Some("\\Junk"),
        "Trash" => Some("\\Trash"),
        "Archive" => Some("\\Archive"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_delimiters() {
        assert!(matches("*", "a/b/c"));
        assert!(matches("%", "Sent"));
        assert!(!matches("%", "a/b"));
        assert!(matches("a/%", "a/b"));
        assert!(!matches("a/%", "a/b/c"));
        assert!(matches("a/*", "a/b/c"));
        assert!(matches("S*t", "Sent"));
        assert!(!matches("S*x", "Sent"));
        assert!(matches("inbox", "INBOX"));
        assert!(matches("%/%", "a/b"));
        assert!(!matches("", "INBOX"));
        assert_eq!(full_pattern("Archive/", "%"), "Archive/%");
        assert_eq!(full_pattern("Archive/", "/x"), "/x");
    }

    #[test]
    fn parents_and_children() {
        assert_eq!(parents("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(parents("top").count(), 0);
        assert!(is_parent("a", "a/b/c"));
        assert!(!is_parent("a", "ab/c"));
        assert!(!is_parent("a/b", "a/b"));
    }
}
