//! Finding header fields in a raw message with `memchr`, unfolding continuation lines.

use memchr::memmem;

/// The header block: everything before the first empty line (or the whole message).
pub fn header_block(message: &[u8]) -> &[u8] {
    match memmem::find(message, b"\r\n\r\n") {
        Some(end) => &message[..end + 2],
        None => message,
    }
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
}
