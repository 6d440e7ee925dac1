//! Whether a command line announces a literal, so the session knows to read its octets.

/// How a command line ends: whether a literal follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// The command ends with this line.
    Complete,
    /// A literal of `length` octets follows the CRLF.
    Literal {
        /// The announced octet count.
        length: u64,
        /// `{N}` (the client waits for a continuation) rather than `{N+}`.
        synchronizing: bool,
    },
}

/// For one line WITHOUT its CRLF: does it end with `{N}` (sync), `{N+}` (LITERAL+/non-sync) or
/// `~{N}` / `~{N+}` (RFC 3516 binary literal in APPEND)? Overlong digits => Complete (the
/// parser then reports BAD).
pub fn line_end(line: &[u8]) -> LineEnd {
    let Some(rest) = line.strip_suffix(b"}") else {
        return LineEnd::Complete;
    };
    let (rest, synchronizing) = match rest.strip_suffix(b"+") {
        Some(rest) => (rest, false),
        None => (rest, true),
    };
    let start = rest.iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    let (head, digits) = rest.split_at(start);
    if digits.is_empty() || head.last() != Some(&b'{') {
        return LineEnd::Complete;
    }
    let length = digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
    length.map_or(LineEnd::Complete, |length| LineEnd::Literal { length, synchronizing })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(length: u64, synchronizing: bool) -> LineEnd {
        LineEnd::Literal { length, synchronizing }
    }

    #[test]
    fn finds_literal_announcements() {
        assert_eq!(line_end(b"A003 APPEND saved-messages (\\Seen) {310}"), literal(310, true));
        assert_eq!(line_end(b"a LOGIN {5+}"), literal(5, false));
        assert_eq!(line_end(b"a APPEND x ~{12}"), literal(12, true));
        assert_eq!(line_end(b"a APPEND x ~{0+}"), literal(0, false));
        assert_eq!(line_end(b"{18446744073709551615}"), literal(u64::MAX, true));
    }

    #[test]
    fn everything_else_is_complete() {
        for line in [
            &b""[..],
            b"a NOOP",
            b"}",
            b"{}",
            b"{+}",
            b"a x {12",
            b"a x 12}",
            b"a x {1 2}",
            b"a x {12}+",
            b"a x {-1}",
            b"a x {18446744073709551616}",
            b"a x {99999999999999999999999999}",
            b"a x {12++}",
        ] {
            assert_eq!(line_end(line), LineEnd::Complete, "{:?}", String::from_utf8_lossy(line));
        }
    }
}
