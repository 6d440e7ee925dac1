//! FETCH (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516, RFC 7162): attributes, sections,
//! partial ranges and the CHANGEDSINCE modifier.

use super::error::Result;
use super::lexer::{Lexer, upper};
use super::types::Command;
use crate::section::{Section, SectionText};

/// A FETCH data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttribute {
    /// `FLAGS`.
    Flags,
    /// `UID`.
    Uid,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `ENVELOPE`.
    Envelope,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `BODY` without a section: the non-extensible body structure.
    Body,
    /// `MODSEQ` (RFC 7162).
    ModSeq,
    /// `PREVIEW`, or `PREVIEW (LAZY)` (RFC 8970).
    Preview,
    /// `EMAILID` (RFC 8474).
    EmailId,
    /// `THREADID` (RFC 8474).
    ThreadId,
    /// `SAVEDATE` (RFC 8514).
    SaveDate,
    /// `RFC822`.
    Rfc822,
    /// `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.TEXT`.
    Rfc822Text,
    /// `BODY[section]<offset.count>` or `BODY.PEEK[...]`.
    BodySection {
        /// Whether `.PEEK` was given (do not set `\Seen`).
        peek: bool,
        /// The section.
        section: Section,
        /// `<offset.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY[part]<offset.count>` or `BINARY.PEEK[...]` (RFC 3516).
    Binary {
        /// Whether `.PEEK` was given.
        peek: bool,
        /// Part numbers; empty for the whole message.
        part: Vec<u32>,
        /// `<offset.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize {
        /// Part numbers; empty for the whole message.
        part: Vec<u32>,
    },
}

use FetchAttribute as A;

/// `FETCH` after its name and SP: `set (ALL|FAST|FULL|att|(att ...)) [(CHANGEDSINCE n [VANISHED])]`.
pub(super) fn fetch(lx: &mut Lexer<'_>, uid: bool) -> Result<Command> {
    let set = lx.sequence_set()?;
    lx.sp()?;
    let attributes = if lx.keyword("ALL") {
        vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope]
    } else if lx.keyword("FAST") {
        vec![A::Flags, A::InternalDate, A::Rfc822Size]
    } else if lx.keyword("FULL") {
        vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope, A::Body]
    } else if lx.peek() == Some(b'(') {
        let mut attributes = Vec::new();
        lx.list(false, |lx| lx.fetch_attribute().map(|a| attributes.push(a)))?;
        attributes
    } else {
        vec![lx.fetch_attribute()?]
    };
    let (mut changed_since, mut vanished) = (None, false);
    if lx.eat(b' ') {
        lx.list(false, |lx| {
            if changed_since.is_none() && lx.keyword("CHANGEDSINCE") {
                lx.sp()?;
                changed_since = Some(lx.mod_sequence()?);
            } else if !vanished && lx.keyword("VANISHED") {
                vanished = true;
            } else {
                return Err("bad FETCH modifier");
            }
            Ok(())
        })?;
    }
    lx.end()?;
    // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
    if vanished && (!uid || changed_since.is_none()) {
        return Err("VANISHED needs UID FETCH and CHANGEDSINCE");
    }
    Ok(Command::Fetch { uid, set, attributes, changed_since, vanished })
}

/// A section spec as it appears between `[` and `]` (`1.2.TEXT`, `HEADER`; empty: the whole
/// message), as IMAP URLs name parts (RFC 5092 `;SECTION=`); None when it is not one.
pub fn parse_section(text: &[u8]) -> Option<Section> {
    let bracketed = [b"[", text, b"]"].concat();
    let mut lx = Lexer::new(&bracketed);
    let section = lx.section().ok()?;
    lx.end().ok()?;
    Some(section)
}

impl<'a> Lexer<'a> {
    /// An attribute or section-text name: letters, digits, dots and dashes.
    fn name(&mut self) -> &'a [u8] {
        self.take_while(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    }

    /// One `fetch-att`.
    fn fetch_attribute(&mut self) -> Result<FetchAttribute> {
        let mut buf = [0; 24];
        let name = upper(self.name(), &mut buf);
        let bracket = self.peek() == Some(b'[');
        let attribute = match (name, bracket) {
            (b"FLAGS", false) => A::Flags,
            (b"UID", false) => A::Uid,
            (b"INTERNALDATE", false) => A::InternalDate,
            (b"RFC822.SIZE", false) => A::Rfc822Size,
            (b"ENVELOPE", false) => A::Envelope,
            (b"BODYSTRUCTURE", false) => A::BodyStructure,
            (b"BODY", false) => A::Body,
            (b"MODSEQ", false) => A::ModSeq,
            (b"EMAILID", false) => A::EmailId,
            (b"THREADID", false) => A::ThreadId,
            (b"SAVEDATE", false) => A::SaveDate,
            (b"PREVIEW", false) => {
                // `(LAZY)` lets a server answer NIL for now; the preview is always at hand.
                if self.input[self.pos..].starts_with(b" (") {
                    self.sp()?;
                    self.list(false, |lx| if lx.keyword("LAZY") { Ok(()) } else { Err("unknown PREVIEW modifier") })?;
                }
                A::Preview
            }
            (b"RFC822", false) => A::Rfc822,
            (b"RFC822.HEADER", false) => A::Rfc822Header,
            (b"RFC822.TEXT", false) => A::Rfc822Text,
            (b"BODY" | b"BODY.PEEK", true) => {
                let section = self.section()?;
                A::BodySection { peek: name.len() > 4, section, partial: self.partial()? }
            }
            (b"BINARY" | b"BINARY.PEEK", true) => {
                let part = self.binary_section()?;
                A::Binary { peek: name.len() > 6, part, partial: self.partial()? }
            }
            (b"BINARY.SIZE", true) => A::BinarySize { part: self.binary_section()? },
            _ => return Err("unknown FETCH attribute"),
        };
        Ok(attribute)
    }

    /// `section-part`: `nz-number *("." nz-number)`, stopping before a `.` not followed by a
    /// digit.
    fn section_part(&mut self) -> Result<Vec<u32>> {
        let mut part = Vec::new();
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            part.push(self.nz_number()?);
            let more = self.peek() == Some(b'.') && self.input.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
            if !more {
                break;
            }
            self.pos += 1;
        }
        Ok(part)
    }

    /// `section`: `"[" [section-spec] "]"`.
    fn section(&mut self) -> Result<Section> {
        self.expect(b'[', "expected '['")?;
        let part = self.section_part()?;
        let text = if self.peek() == Some(b']') {
            None
        } else {
            if !part.is_empty() {
                self.expect(b'.', "bad section")?;
            }
            Some(self.section_text(!part.is_empty())?)
        };
        self.expect(b']', "expected ']'")?;
        Ok(Section { part, text })
    }

    /// `section-text`: `HEADER`, `HEADER.FIELDS[.NOT] (names)`, `TEXT`, or (only after part
    /// numbers) `MIME`.
    fn section_text(&mut self, mime_ok: bool) -> Result<SectionText> {
        let mut buf = [0; 24];
        let not = match upper(self.name(), &mut buf) {
            b"HEADER" => return Ok(SectionText::Header),
            b"TEXT" => return Ok(SectionText::Text),
            b"MIME" if mime_ok => return Ok(SectionText::Mime),
            b"HEADER.FIELDS" => false,
            b"HEADER.FIELDS.NOT" => true,
            _ => return Err("bad section"),
        };
        self.sp()?;
        let mut fields = Vec::new();
        self.list(false, |lx| lx.astring().map(|f| fields.push(f)))?;
        Ok(SectionText::HeaderFields { not, fields })
    }

    /// `section-binary`: `"[" [section-part] "]"`.
    fn binary_section(&mut self) -> Result<Vec<u32>> {
        self.expect(b'[', "expected '['")?;
        let part = self.section_part()?;
        self.expect(b']', "expected ']'")?;
        Ok(part)
    }

    /// `partial`: an optional `"<" number "." nz-number ">"`.
    fn partial(&mut self) -> Result<Option<(u32, u32)>> {
        if !self.eat(b'<') {
            return Ok(None);
        }
        let offset = self.number()?;
        self.expect(b'.', "bad partial")?;
        let count = self.nz_number()?;
        self.expect(b'>', "bad partial")?;
        Ok(Some((offset, count)))
    }
}
