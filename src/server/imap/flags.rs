//! IMAP flags and the flag bits the store keeps: system flags are fixed bits, keywords are
//! bits indexed into the mailbox's keyword table.

use bytes::{BufMut, BytesMut};

use imap_proto::command::Flag;
use store::records::flags;

/// System flag bits and their IMAP names, in the order they are written.
const SYSTEM: [(u32, &str); 5] = [
    (flags::SEEN, "\\Seen"),
    (flags::ANSWERED, "\\Answered"),
    (flags::FLAGGED, "\\Flagged"),
    (flags::DELETED, "\\Deleted"),
    (flags::DRAFT, "\\Draft"),
];

/// Flags given in a command, split into system bits and keywords.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GivenFlags {
    /// System flag bits.
    pub system: u32,
    /// Keywords as given.
    pub keywords: Vec<String>,
}

impl GivenFlags {
    /// Splits parsed flags; `\Recent` cannot be set by clients and is ignored.
    pub fn from_flags(given: &[Flag]) -> GivenFlags {
        let mut out = GivenFlags::default();
        for flag in given {
            match flag {
                Flag::Seen => out.system |= flags::SEEN,
                Flag::Answered => out.system |= flags::ANSWERED,
                Flag::Flagged => out.system |= flags::FLAGGED,
                Flag::Deleted => out.system |= flags::DELETED,
                Flag::Draft => out.system |= flags::DRAFT,
                Flag::Recent => {}
                Flag::Keyword(k) => {
                    if !out.keywords.iter().any(|have| have.eq_ignore_ascii_case(k)) {
                        out.keywords.push(k.clone());
                    }
                }
            }
        }
        out
    }
}

/// Writes `(\Seen $Label1 ...)` for flag `bits` with the mailbox's `keywords`, and
/// `\Recent` when `recent`.
pub fn write_list(out: &mut BytesMut, bits: u32, keywords: &[String], recent: bool) {
    out.put_u8(b'(');
    let mut first = true;
    let mut item = |out: &mut BytesMut, name: &str| {
        if !first {
            out.put_u8(b' ');
        }
        first = false;
        out.put_slice(name.as_bytes());
    };
    for (bit, name) in SYSTEM {
        if bits & bit != 0 {
            item(out, name);
        }
    }
    for (i, keyword) in keywords.iter().enumerate() {
        if bits & (1 << (flags::KEYWORD_SHIFT + i as u32)) != 0 {
            item(out, keyword);
        }
    }
    if recent {
        item(out, "\\Recent");
    }
    out.put_u8(b')');
}

/// The bit of `keyword` in a mailbox with `keywords`, if it has one.
pub fn keyword_bit(keywords: &[String], keyword: &str) -> Option<u32> {
    let index = keywords.iter().position(|k| k.eq_ignore_ascii_case(keyword))?;
    Some(1 << (flags::KEYWORD_SHIFT + index as u32))
}

/// The untagged FLAGS and PERMANENTFLAGS responses for a mailbox with `keywords`.
pub fn write_mailbox_flags(out: &mut BytesMut, keywords: &[String], read_only: bool) {
    out.put_slice(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    for keyword in keywords {
        out.put_u8(b' ');
        out.put_slice(keyword.as_bytes());
    }
    out.put_slice(b")\r\n");
    if read_only {
        out.put_slice(b"* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
        return;
    }
    out.put_slice(b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    for keyword in keywords {
        out.put_u8(b' ');
        out.put_slice(keyword.as_bytes());
    }
    if keywords.len() < flags::MAX_KEYWORDS {
        out.put_slice(b" \\*");
    }
    out.put_slice(b")] Flags permitted\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_through_lists() {
        let given = GivenFlags::from_flags(&[
            Flag::Seen,
            Flag::Keyword("$Junk".into()),
            Flag::Recent,
            Flag::Keyword("$junk".into()),
        ]);
        assert_eq!(given, GivenFlags { system: flags::SEEN, keywords: vec!["$Junk".into()] });
        let keywords = vec!["$Forwarded".to_string(), "$Junk".to_string()];
        let bits = flags::SEEN | flags::DELETED | keyword_bit(&keywords, "$JUNK").unwrap();
        let mut out = BytesMut::new();
        write_list(&mut out, bits, &keywords, false);
        assert_eq!(&out[..], b"(\\Seen \\Deleted $Junk)");
        out.clear();
        write_list(&mut out, 0, &keywords, true);
        assert_eq!(&out[..], b"(\\Recent)");
        out.clear();
        write_list(&mut out, 0, &keywords, false);
        assert_eq!(&out[..], b"()");
    }
}
