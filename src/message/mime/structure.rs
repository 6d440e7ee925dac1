//! The part tree of a message, found in one pass: header lines by memchr, delimiter lines by
//! memmem for `\n--` checked against the stack of open boundaries (as Dovecot does: innermost
//! first, so a boundary reused by a nested multipart works), every part kept as offsets into the
//! message.

use super::content;
use crate::headers::slice;
use memchr::memmem;
use std::ops::Range;

/// Nesting deeper than this (multiparts and encapsulated messages) is not parsed: such parts are
/// reported as opaque `application/octet-stream`.
pub const MAX_DEPTH: usize = 32;

/// Once this many parts are found, no more are split out: the rest of each open multipart is
/// left as its epilogue, and multiparts or messages found later are opaque.
pub const MAX_PARTS: usize = 10_000;

/// One MIME part of a message, found by one pass over its bytes: offsets into the message.
///
/// Broken MIME still gives a valid tree: a `multipart/*` part always has at least one child (an
/// empty `text/plain` one when no boundary line is found), a `message/rfc822` or `message/global`
/// part always has its `message`; a multipart without a boundary is read as `text/plain`, and
/// an encapsulated message with a base64 or quoted-printable encoding, or a part beyond
/// [`MAX_DEPTH`] or [`MAX_PARTS`], as opaque `application/octet-stream`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// The header block, including the blank line that ends it (when there is one).
    pub header: Range<usize>,
    /// The body, up to (not including) the line break before the next boundary line.
    pub body: Range<usize>,
    /// Media type, lower case (`text` by default).
    pub media_type: String,
    /// Media subtype, lower case (`plain` by default).
    pub subtype: String,
    /// Content-Type parameters: lower-case names, values decoded to UTF-8 (RFC 2231 and 2047);
    /// text parts always have a `charset` (`US-ASCII` by default).
    pub params: Vec<(String, String)>,
    /// Content-ID, unfolded.
    pub id: Option<Vec<u8>>,
    /// Content-Description, unfolded (encoded words kept).
    pub description: Option<Vec<u8>>,
    /// Content-Transfer-Encoding, lower case (`7bit` by default).
    pub encoding: String,
    /// Content-MD5, unfolded.
    pub md5: Option<Vec<u8>>,
    /// Content-Disposition.
    pub disposition: Option<Disposition>,
    /// Content-Language tags.
    pub language: Vec<String>,
    /// Content-Location, unfolded.
    pub location: Option<Vec<u8>>,
    /// Line feeds in the body of `text/*` and encapsulated-message parts; 0 for others.
    pub lines: usize,
    /// The parts of a multipart, in order.
    pub children: Vec<Part>,
    /// The encapsulated message of a `message/rfc822` or `message/global` part.
    pub message: Option<Box<Part>>,
}

/// A Content-Disposition: its type (lower case) and parameters (as for Content-Type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disposition {
    /// `inline`, `attachment`, ...
    pub kind: String,
    /// Parameters: lower-case names, decoded values.
    pub params: Vec<(String, String)>,
}

impl Part {
    /// The value of the Content-Type parameter `name` (ASCII case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The file name of an attachment: the Content-Disposition `filename` parameter, else the
    /// Content-Type `name` one (both already decoded); `None` when neither is given or blank.
    pub fn file_name(&self) -> Option<&str> {
        let filename = self.disposition.as_ref().and_then(|d| d.params.iter().find(|(n, _)| n == "filename"));
        filename.map(|(_, v)| v.as_str()).or_else(|| self.param("name")).filter(|n| !n.trim().is_empty())
    }

    /// Whether this is a `multipart/*` part (which then has children).
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    /// Whether this is a `message/rfc822` or `message/global` part (which then has `message`).
    pub fn is_message(&self) -> bool {
        self.media_type == "message" && matches!(self.subtype.as_str(), "rfc822" | "global")
    }
}

/// Parses the structure of `message`; never fails: broken MIME still gives a valid tree (missing
/// boundary => the rest is the last part; no header/body separator => all header, empty body;
/// default content type text/plain; charset us-ascii, or message/rfc822 inside multipart/digest).
pub fn parse(message: &[u8]) -> Part {
    let mut parser = Parser { message, parts: 0, boundaries: Vec::new(), line_dashes: memmem::Finder::new(b"\n--") };
    parser.part(0, 0, false).0
}

/// State of one pass: the message, the parts found so far and the boundaries of the open
/// multiparts, outermost first.
struct Parser<'a> {
    message: &'a [u8],
    parts: usize,
    boundaries: Vec<Vec<u8>>,
    line_dashes: memmem::Finder<'static>,
}

/// A delimiter line of an open multipart.
#[derive(Debug, Clone, Copy)]
struct Delimiter {
    /// Where the line starts (at its `--`).
    start: usize,
    /// Index of its multipart in the stack of open boundaries.
    level: usize,
    /// `--boundary--`.
    closing: bool,
    /// Where the line after it starts.
    next_line: usize,
}

impl Parser<'_> {
    /// The part starting at `start`, at nesting `depth`, a child of a multipart/digest when
    /// `in_digest`. It runs to the next delimiter line of an open multipart (given back) or
    /// to the end of the message.
    fn part(&mut self, start: usize, depth: usize, in_digest: bool) -> (Part, Option<Delimiter>) {
        self.parts += 1;
        let (body_start, header_stop) = self.header_end(start);
        let mut part = content::read(self.message, start..body_start, in_digest);
        let room = depth < MAX_DEPTH && self.parts < MAX_PARTS;
        let stop = if header_stop.is_some() {
            header_stop
        } else if part.is_multipart() {
            let boundary = part.param("boundary").filter(|b| !b.is_empty()).map(|b| b.as_bytes().to_vec());
            match boundary {
                Some(boundary) if room => self.multipart(&mut part, body_start, boundary, depth),
                Some(_) => self.opaque(&mut part, body_start),
                None => {
                    part.make_plain();
                    self.next_delimiter(body_start)
                }
            }
        } else if part.is_message() {
            if room && matches!(part.encoding.as_str(), "7bit" | "8bit" | "binary") {
                let (inner, stop) = self.part(body_start, depth + 1, false);
                part.message = Some(Box::new(inner));
                stop
            } else {
                self.opaque(&mut part, body_start)
            }
        } else {
            self.next_delimiter(body_start)
        };
        let end = stop.map_or(self.message.len(), |d| before_line_break(self.message, body_start, d.start));
        part.body = body_start..end;
        // Keep the tree valid: a multipart has a child, an encapsulated message a message.
        if part.is_multipart() && part.children.is_empty() {
            part.children.push(self.empty_part(end));
        }
        if part.is_message() && part.message.is_none() {
            part.message = Some(Box::new(self.empty_part(end)));
        }
        if part.media_type == "text" || part.message.is_some() {
            part.lines = memchr::memchr_iter(b'\n', slice(self.message, &part.body)).count();
        }
        (part, stop)
    }

    /// An empty `text/plain` part at `at`.
    fn empty_part(&mut self, at: usize) -> Part {
        self.parts += 1;
        Part { body: at..at, ..content::read(self.message, at..at, false) }
    }

    /// Where the header starting at `start` ends: after its blank line, or at a delimiter line
    /// (the part then has no body), or at the end of the message.
    fn header_end(&self, start: usize) -> (usize, Option<Delimiter>) {
        let message = self.message;
        let mut line = start;
        while let Some(rest) = message.get(line..).filter(|r| !r.is_empty()) {
            match rest {
                [b'\n', ..] => return (line + 1, None),
                [b'\r', b'\n', ..] => return (line + 2, None),
                [b'-', b'-', ..] => {
                    if let Some(d) = self.delimiter_at(line) {
                        return (before_line_break(message, start, line), Some(d));
                    }
                }
                _ => {}
            }
            match memchr::memchr(b'\n', rest) {
                Some(nl) => line += nl + 1,
                None => break,
            }
        }
        (message.len(), None)
    }

    /// Reads the children of a multipart whose body starts at `body_start`: the parts between
    /// its delimiter lines. It ends at its closing delimiter (the epilogue then runs to an outer
    /// delimiter), at a delimiter of an outer multipart, or at the end of the message.
    fn multipart(&mut self, part: &mut Part, body_start: usize, boundary: Vec<u8>, depth: usize) -> Option<Delimiter> {
        let digest = part.subtype == "digest";
        self.boundaries.push(boundary);
        let level = self.boundaries.len() - 1;
        let mut next = self.next_delimiter(body_start);
        loop {
            match next {
                Some(d) if d.level == level && !d.closing && self.parts < MAX_PARTS => {
                    let (child, stop) = self.part(d.next_line, depth + 1, digest);
                    part.children.push(child);
                    next = stop;
                }
                // Closed, or out of room for parts: the rest is epilogue.
                Some(d) if d.level == level => {
                    self.boundaries.pop();
                    break self.next_delimiter(d.next_line);
                }
                other => {
                    self.boundaries.pop();
                    break other;
                }
            }
        }
    }

    /// Makes `part` opaque (too deep, too many parts, or an encoded message): its body runs to
    /// the next delimiter.
    fn opaque(&mut self, part: &mut Part, body_start: usize) -> Option<Delimiter> {
        part.make_opaque();
        self.next_delimiter(body_start)
    }

    /// The first delimiter line of an open multipart at or after the line start `from`.
    fn next_delimiter(&self, from: usize) -> Option<Delimiter> {
        if self.boundaries.is_empty() {
            return None;
        }
        let mut line = from;
        loop {
            if let Some(d) = self.delimiter_at(line) {
                return Some(d);
            }
            line += self.line_dashes.find(self.message.get(line..)?)? + 1;
        }
    }

    /// The delimiter line starting at `line`, if it is one: `--` and the boundary of an open
    /// multipart at its start. As RFC 2046 5.1.1 says, the boundary need only begin the line;
    /// like Dovecot, an exact match (only white space after it, or `--` and white space) wins,
    /// else the longest boundary that fits, the innermost on a tie.
    fn delimiter_at(&self, line: usize) -> Option<Delimiter> {
        let rest = self.message.get(line..)?.strip_prefix(b"--")?;
        let line_end = memchr::memchr(b'\n', rest);
        let next_line = line_end.map_or(self.message.len(), |nl| line + 2 + nl + 1);
        let text = &rest[..line_end.unwrap_or(rest.len())];
        let mut best: Option<(usize, usize)> = None;
        for (level, boundary) in self.boundaries.iter().enumerate().rev() {
            let Some(after) = text.strip_prefix(boundary.as_slice()) else { continue };
            let after = after.strip_prefix(b"--").unwrap_or(after);
            if after.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                best = Some((level, boundary.len()));
                break;
            }
            if best.is_none_or(|(_, len)| boundary.len() > len) {
                best = Some((level, boundary.len()));
            }
        }
        let (level, len) = best?;
        let closing = text[len..].starts_with(b"--");
        Some(Delimiter { start: line, level, closing, next_line })
    }
}

/// `at` (a delimiter line's start) moved back over the CRLF or LF that belongs to the delimiter,
/// but not before `start`.
fn before_line_break(message: &[u8], start: usize, at: usize) -> usize {
    let mut end = at;
    if end > start && message.get(end - 1) == Some(&b'\n') {
        end -= 1;
        if end > start && message.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
    }
    end
}

#[cfg(test)]
#[path = "structure_tests.rs"]
mod tests;
