//! Finding header fields in a raw message with `memchr`, unfolding continuation lines.

use memchr::memmem;

/// The header block: everything before the first empty line (or the whole message).
pub fn header_block(message: &[u8]) -> &[u8] {
    match memmem::find(message, b"\r\n\r\n") {
        Some(end) => &message[..end + 2],
        None => message,
    }
}

/// The message without the header fields (with their continuation lines) for which `remove`
/// returns true when given the field's name and unfolded value; `None` when none matched.
pub fn without_fields(message: &[u8], remove: impl Fn(&str, &str) -> bool) -> Option<Vec<u8>> {
    let block = header_block(message);
    let mut kept = Vec::with_capacity(message.len());
    let mut removed = false;
    let mut start = 0;
    while start < block.len() {
        // One field: its first line and every continuation line after it.
        let mut end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
        while end < block.len() && matches!(block[end], b' ' | b'\t') {
            end = memchr::memchr(b'\n', &block[end..]).map_or(block.len(), |i| end + i + 1);
        }
        let field = &block[start..end];
        let text = String::from_utf8_lossy(field);
        let drop = text.split_once(':').is_some_and(|(name, value)| {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            !name.contains(char::is_whitespace) && remove(name, &value)
        });
        if drop {
            removed = true;
        } else {
            kept.extend_from_slice(field);
        }
        start = end;
    }
    kept.extend_from_slice(&message[block.len()..]);
    removed.then_some(kept)
}

/// The unfolded value of the first field called `name` (case-insensitive), trimmed.
pub fn field(message: &[u8], name: &str) -> Option<String> {
    let block = header_block(message);
    let mut start = 0;
    while start < block.len() {
        let line_end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
        let line = &block[start..line_end];
        let matches = line.len() > name.len()
            && line[name.len()] == b':'
            && line[..name.len()].eq_ignore_ascii_case(name.as_bytes());
        if matches {
            let mut value = String::from_utf8_lossy(&line[name.len() + 1..]).trim().to_string();
            // Continuation lines start with white space.
            let mut next = line_end;
            while next < block.len() && matches!(block[next], b' ' | b'\t') {
                let end = memchr::memchr(b'\n', &block[next..]).map_or(block.len(), |i| next + i + 1);
                value.push(' ');
                value.push_str(String::from_utf8_lossy(&block[next..end]).trim());
                next = end;
            }
            return Some(value);
        }
        start = line_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_folded_fields_and_ignores_the_body() {
        let msg = b"From: a@b\r\nsubject: Hello\r\n  world\r\nX: y\r\n\r\nSubject: not me\r\n";
        assert_eq!(field(msg, "Subject").as_deref(), Some("Hello world"));
        assert_eq!(field(msg, "x").as_deref(), Some("y"));
        assert_eq!(field(msg, "Date"), None);
        assert_eq!(field(b"Subject:\r\n\r\n", "Subject").as_deref(), Some(""));
    }

    #[test]
    fn removes_whole_folded_fields_and_keeps_the_body() {
        let msg = b"A: 1\r\nX-Drop: two\r\n\tlines\r\nB: 2\r\n\r\nX-Drop: in the body\r\n";
        let out = without_fields(msg, |name, value| name.eq_ignore_ascii_case("x-drop") && value == "two lines");
        assert_eq!(out.unwrap(), b"A: 1\r\nB: 2\r\n\r\nX-Drop: in the body\r\n");
        assert_eq!(without_fields(msg, |_, _| false), None);
    }
}
