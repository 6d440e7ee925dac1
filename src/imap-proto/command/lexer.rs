//! The cursor over a command's octets: character classes, atoms, numbers and separators
//! (RFC 3501 9 / RFC 9051 9). Strings live in `string.rs`.

use super::error::Result;

/// ATOM-CHAR: any CHAR except atom-specials (`(){ %*"\]`, CTL).
const ATOM: u8 = 1;
/// ASTRING-CHAR: ATOM-CHAR or `]`.
const ASTRING: u8 = 2;
/// list-char: ATOM-CHAR, `%`, `*` or `]`.
const LIST: u8 = 4;

/// Character classes of every octet, as bit sets of the constants above.
static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b: u8 = 0x21;
    while b < 0x7f {
        let class = match b {
            b'(' | b')' | b'{' | b'"' | b'\\' => 0,
            b'%' | b'*' => LIST,
            b']' => ASTRING | LIST,
            _ => ATOM | ASTRING | LIST,
        };
        table[b as usize] = class;
        b += 1;
    }
    table
}

/// Whether `b` is an ATOM-CHAR.
pub(super) fn is_atom_char(b: u8) -> bool {
    CLASSES[usize::from(b)] & ATOM != 0
}

/// Whether `b` is an ASTRING-CHAR.
pub(super) fn is_astring_char(b: u8) -> bool {
    CLASSES[usize::from(b)] & ASTRING != 0
}

/// Whether `b` may appear in an unquoted LIST pattern.
pub(super) fn is_list_char(b: u8) -> bool {
    CLASSES[usize::from(b)] & LIST != 0
}

/// `word` upper-cased into `buf`; empty when it does not fit (so it matches no name).
pub(super) fn upper<'b>(word: &[u8], buf: &'b mut [u8; 24]) -> &'b [u8] {
    let Some(out) = buf.get_mut(..word.len()) else {
        return &[];
    };
    out.copy_from_slice(word);
    out.make_ascii_uppercase();
    out
}

/// Largest mod-sequence value (RFC 7162: 63-bit).
const MAX_MODSEQ: u64 = i64::MAX as u64;

/// A position in the octets of one whole command.
pub(super) struct Lexer<'a> {
    /// The command: lines joined with CRLF, literals inline.
    pub(super) input: &'a [u8],
    /// Offset of the next unread octet.
    pub(super) pos: usize,
}

impl<'a> Lexer<'a> {
    /// A cursor at the start of `input`.
    pub(super) fn new(input: &'a [u8]) -> Self {
        Lexer { input, pos: 0 }
    }

    /// The next octet, if any.
    pub(super) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    pub(super) fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.pos += usize::from(found);
        found
    }

    /// Consumes `b`, or fails with `message`.
    pub(super) fn expect(&mut self, b: u8, message: &'static str) -> Result<()> {
        if self.eat(b) { Ok(()) } else { Err(message) }
    }

    /// Consumes exactly one SP.
    pub(super) fn sp(&mut self) -> Result<()> {
        self.expect(b' ', "expected a space")
    }

    /// Consumes the longest run (possibly empty) of octets for which `keep` holds.
    pub(super) fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        let rest = &self.input[start..];
        let len = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// An atom: one or more ATOM-CHARs.
    pub(super) fn atom(&mut self) -> Result<&'a [u8]> {
        let atom = self.take_while(is_atom_char);
        if atom.is_empty() { Err("expected an atom") } else { Ok(atom) }
    }

    /// An atom as a `String`.
    pub(super) fn atom_string(&mut self) -> Result<String> {
        self.atom().map(|a| a.iter().map(|&b| char::from(b)).collect())
    }

    /// Consumes `word` (ASCII, compared case-insensitively) when it is next and is not followed
    /// by another ATOM-CHAR.
    pub(super) fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = self.input.get(self.pos..end).is_some_and(|s| s.eq_ignore_ascii_case(word.as_bytes()))
            && !self.input.get(end).is_some_and(|&b| is_atom_char(b));
        if matches {
            self.pos = end;
        }
        matches
    }

    /// Whether the command ends here: nothing, or only the final CRLF, is left.
    pub(super) fn at_end(&self) -> bool {
        matches!(&self.input[self.pos..], b"" | b"\r\n")
    }

    /// Fails unless the command ends here.
    pub(super) fn end(&self) -> Result<()> {
        if self.at_end() { Ok(()) } else { Err("unexpected text after the command") }
    }

    /// One or more digits as a `u64`, failing when the value is above `max`.
    pub(super) fn digits(&mut self, max: u64) -> Result<u64> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err("expected a number");
        }
        let mut value: u64 = 0;
        for &d in digits {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .filter(|&v| v <= max)
                .ok_or("number too large")?;
        }
        Ok(value)
    }

    /// `number`: a 32-bit unsigned value.
    pub(super) fn number(&mut self) -> Result<u32> {
        self.digits(u64::from(u32::MAX)).map(|n| n as u32)
    }

    /// `nz-number`: a nonzero 32-bit value without leading zeros.
    pub(super) fn nz_number(&mut self) -> Result<u32> {
        if self.peek() == Some(b'0') {
            return Err("expected a nonzero number");
        }
        self.number()
    }

    /// `number64`: a 63-bit unsigned value.
    pub(super) fn number64(&mut self) -> Result<u64> {
        self.digits(MAX_MODSEQ)
    }

    /// `mod-sequence-value`: a nonzero 63-bit value.
    pub(super) fn mod_sequence(&mut self) -> Result<u64> {
        match self.number64()? {
            0 => Err("expected a nonzero mod-sequence"),
            n => Ok(n),
        }
    }

    /// Parses `"(" item *(SP item) ")"` (or `"(" ")"` when `empty_ok`), calling `item` for each.
    pub(super) fn list(&mut self, empty_ok: bool, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.expect(b'(', "expected '('")?;
        if self.eat(b')') {
            return if empty_ok { Ok(()) } else { Err("empty list") };
        }
        loop {
            item(self)?;
            if self.eat(b')') {
                return Ok(());
            }
            self.sp()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_grammar() {
        assert!(is_atom_char(b'a') && is_atom_char(b'[') && is_atom_char(b'+'));
        for b in [b'(', b')', b'{', b' ', b'%', b'*', b'"', b'\\', b']', 0, 0x7f, 0x80, b'\r'] {
            assert!(!is_atom_char(b), "{b}");
        }
        assert!(is_astring_char(b']') && !is_astring_char(b'%'));
        assert!(is_list_char(b'%') && is_list_char(b'*') && is_list_char(b']') && !is_list_char(b'('));
    }

    #[test]
    fn numbers() {
        assert_eq!(Lexer::new(b"4294967295").number(), Ok(u32::MAX));
        assert!(Lexer::new(b"4294967296").number().is_err());
        assert!(Lexer::new(b"0").nz_number().is_err());
        assert!(Lexer::new(b"012").nz_number().is_err());
        assert_eq!(Lexer::new(b"9223372036854775807").number64(), Ok(i64::MAX as u64));
        assert!(Lexer::new(b"9223372036854775808").number64().is_err());
        assert!(Lexer::new(b"99999999999999999999999").number64().is_err());
        assert!(Lexer::new(b"0").mod_sequence().is_err());
    }

    #[test]
    fn keywords_need_a_word_boundary() {
        let mut lx = Lexer::new(b"FLAGSX");
        assert!(!lx.keyword("FLAGS"));
        let mut lx = Lexer::new(b"flags)");
        assert!(lx.keyword("FLAGS") && lx.peek() == Some(b')'));
    }
}
