//! Canonicalization (RFC 6376 section 3.4): the `simple` and `relaxed` forms of header fields,
//! and [`BodyHasher`], which canonicalizes and hashes a body fed to it in chunks.
//!
//! The body hasher is streaming so that SMTP DATA can feed it segment by segment: a CRLF split
//! across two chunks, whitespace at a chunk's end and empty lines at the body's end are all
//! held back until the next byte decides what they become. Lines are ended by CRLF only; a bare
//! CR or LF is content (the SMTP layer has already turned them into CRLF).

use memchr::memmem;
use ring::digest;

use super::algorithm::HashAlgorithm;

/// A canonicalization algorithm, for the header or for the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Canonicalization {
    /// `simple`: nearly byte for byte; only empty lines at the body's end are dropped.
    #[default]
    Simple,
    /// `relaxed`: whitespace runs become one space, trailing whitespace goes, header field
    /// names are lower-cased and folding is undone.
    Relaxed,
}

impl Canonicalization {
    /// The name used in `c=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Canonicalization::Simple => "simple",
            Canonicalization::Relaxed => "relaxed",
        }
    }

    fn parse_one(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("simple") {
            Some(Canonicalization::Simple)
        } else if s.eq_ignore_ascii_case("relaxed") {
            Some(Canonicalization::Relaxed)
        } else {
            None
        }
    }

    /// Reads a `c=` value: `header[/body]`, the body defaulting to `simple`.
    pub fn parse_pair(s: &str) -> Option<(Self, Self)> {
        match s.split_once('/') {
            Some((h, b)) => Some((Self::parse_one(h)?, Self::parse_one(b)?)),
            None => Some((Self::parse_one(s)?, Canonicalization::Simple)),
        }
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Appends the canonical form of one header field, given as `name:value` without its final
/// CRLF; the caller appends CRLF after every field but the DKIM-Signature being verified.
pub fn canonicalize_header(canon: Canonicalization, field: &[u8], out: &mut Vec<u8>) {
    match canon {
        Canonicalization::Simple => out.extend_from_slice(field),
        Canonicalization::Relaxed => relaxed_header(field, out),
    }
}

fn relaxed_header(field: &[u8], out: &mut Vec<u8>) {
    let Some(colon) = memchr::memchr(b':', field) else {
        // Not a header field; nothing selects one, but keep the bytes rather than panic.
        out.extend_from_slice(field);
        return;
    };
    let name = field[..colon].trim_ascii();
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let value = &field[colon + 1..];
    let mut pending_space = false;
    let mut started = false;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'\r' && value.get(i + 1) == Some(&b'\n') {
            i += 2; // unfold: the CRLF goes, the WSP after it is handled below
            continue;
        }
        if is_wsp(b) {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
            started = true;
        }
        i += 1;
    }
}

/// The result of hashing a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyHash {
    /// The digest of the canonical body, cut at the length limit if there was one.
    pub digest: Vec<u8>,
    /// The length of the whole canonical body, limit or not; with `l=`, what lies beyond the
    /// limit is `length - l` bytes, and a body shorter than `l=` fails.
    pub length: u64,
}

/// Canonicalizes and hashes a message body fed in chunks, in order.
///
/// ```
/// use mailauth::dkim::{BodyHasher, Canonicalization, HashAlgorithm};
/// let mut hasher = BodyHasher::new(Canonicalization::Relaxed, HashAlgorithm::Sha256, None);
/// hasher.update(b"Hi.\r\n\r\nWe lost the game.  Are");
/// hasher.update(b" you hungry yet?\r\n\r\nJoe.\r\n\r\n\r\n");
/// let hash = hasher.finish();
/// assert_eq!(hash.length, 54);
/// ```
pub struct BodyHasher {
    canon: Canonicalization,
    context: digest::Context,
    limit: Option<u64>,
    /// Bytes of canonical body produced so far (past the limit too).
    length: u64,
    /// CRLFs read but not yet produced: they vanish if only empty lines follow.
    pending_crlf: u64,
    /// A CR ended the last chunk; the next byte tells whether it ends a line.
    pending_cr: bool,
    /// Relaxed only: whitespace read since the last content byte of this line.
    pending_wsp: bool,
    /// Finds doubled spaces, the only spaces relaxed canonicalization changes mid-line.
    double_space: memmem::Finder<'static>,
}

const CRLFS: &[u8] = b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

impl BodyHasher {
    /// A hasher for `canon` and `hash`; `limit` is the `l=` tag, the number of canonical body
    /// bytes that are hashed.
    pub fn new(canon: Canonicalization, hash: HashAlgorithm, limit: Option<u64>) -> Self {
        BodyHasher {
            canon,
            context: digest::Context::new(hash.ring()),
            limit,
            length: 0,
            pending_crlf: 0,
            pending_cr: false,
            pending_wsp: false,
            double_space: memmem::Finder::new(b"  "),
        }
    }

    /// Feeds the next chunk of the body (the bytes after the blank line that ends the header).
    pub fn update(&mut self, data: &[u8]) {
        match self.canon {
            Canonicalization::Simple => self.update_simple(data),
            Canonicalization::Relaxed => self.update_relaxed(data),
        }
    }

    /// Ends the body and returns its hash.
    pub fn finish(mut self) -> BodyHash {
        if self.pending_cr {
            self.pending_cr = false;
            self.content(b"\r");
        }
        // Trailing empty lines are dropped; one CRLF ends the last line. A simple body that is
        // empty becomes one CRLF, a relaxed one stays empty.
        if self.length > 0 || self.canon == Canonicalization::Simple {
            self.emit(b"\r\n");
        }
        BodyHash { digest: self.context.finish().as_ref().to_vec(), length: self.length }
    }

    fn update_simple(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.pending_cr {
                self.pending_cr = false;
                if data[0] == b'\n' {
                    self.pending_crlf += 1;
                    data = &data[1..];
                    continue;
                }
                self.content(b"\r");
            }
            let Some(cr) = memchr::memchr(b'\r', data) else {
                self.content(data);
                return;
            };
            if cr > 0 {
                self.content(&data[..cr]);
            }
            self.pending_cr = true;
            data = &data[cr + 1..];
        }
    }

    fn update_relaxed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.pending_cr {
                self.pending_cr = false;
                if data[0] == b'\n' {
                    self.pending_wsp = false; // whitespace at a line's end goes
                    self.pending_crlf += 1;
                    data = &data[1..];
                    continue;
                }
                self.content(b"\r");
            }
            let stop = memchr::memchr2(b'\r', b'\t', data).unwrap_or(data.len());
            self.relaxed_run(&data[..stop]);
            match data.get(stop) {
                Some(b'\r') => self.pending_cr = true,
                Some(_) => self.pending_wsp = true,
                None => return,
            }
            data = &data[stop + 1..];
        }
    }

    /// A run of bytes holding neither CR nor HTAB: content and spaces.
    fn relaxed_run(&mut self, mut run: &[u8]) {
        while !run.is_empty() {
            let lead = run.iter().take_while(|&&b| b == b' ').count();
            if lead > 0 {
                self.pending_wsp = true;
                run = &run[lead..];
                if run.is_empty() {
                    return;
                }
            }
            // Up to the next doubled space, single spaces stay as they are; spaces at the end
            // of the run wait, since a CRLF may follow.
            let end = self.double_space.find(run).unwrap_or(run.len());
            let piece = &run[..end];
            let spaces = piece.iter().rev().take_while(|&&b| b == b' ').count();
            let content = &piece[..piece.len() - spaces];
            if !content.is_empty() {
                self.content(content);
            }
            if spaces > 0 {
                self.pending_wsp = true;
            }
            run = &run[end..];
        }
    }

    /// Produces content bytes, after whatever line ends and whitespace were held back.
    fn content(&mut self, bytes: &[u8]) {
        while self.pending_crlf > 0 {
            let n = self.pending_crlf.min((CRLFS.len() / 2) as u64);
            self.emit(&CRLFS[..2 * n as usize]);
            self.pending_crlf -= n;
        }
        if self.pending_wsp {
            self.pending_wsp = false;
            self.emit(b" ");
        }
        self.emit(bytes);
    }

    fn emit(&mut self, bytes: &[u8]) {
        let hashed = match self.limit {
            Some(limit) => {
                let room = limit.saturating_sub(self.length);
                &bytes[..bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX))]
            }
            None => bytes,
        };
        self.context.update(hashed);
        self.length += bytes.len() as u64;
    }
}

/// The canonical body in one piece, for tests: what the hasher hashes.
#[cfg(test)]
pub(crate) fn canonical_body(canon: Canonicalization, body: &[u8]) -> Vec<u8> {
    // A reference implementation, written as plainly as the RFC reads.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    while let Some(i) = memmem::find(rest, b"\r\n") {
        lines.push(rest[..i].to_vec());
        rest = &rest[i + 2..];
    }
    let unterminated = !rest.is_empty();
    if unterminated {
        lines.push(rest.to_vec());
    }
    if canon == Canonicalization::Relaxed {
        for line in &mut lines {
            let mut out = Vec::new();
            let mut ws = false;
            for &b in line.iter() {
                if is_wsp(b) {
                    ws = true;
                } else {
                    if ws {
                        out.push(b' ');
                    }
                    ws = false;
                    out.push(b);
                }
            }
            *line = out;
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = Vec::new();
    for line in &lines {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    if lines.is_empty() && canon == Canonicalization::Simple {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn relaxed(field: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        canonicalize_header(Canonicalization::Relaxed, field, &mut out);
        out
    }

    fn hash_at_once(canon: Canonicalization, body: &[u8], limit: Option<u64>) -> BodyHash {
        let mut h = BodyHasher::new(canon, HashAlgorithm::Sha256, limit);
        h.update(body);
        h.finish()
    }

    /// RFC 6376 section 3.4.6, both examples.
    #[test]
    fn rfc6376_example_headers() {
        assert_eq!(relaxed(b"A: X"), b"a:X");
        assert_eq!(relaxed(b"B : Y\t\r\n\tZ  "), b"b:Y Z");
        let mut simple = Vec::new();
        canonicalize_header(Canonicalization::Simple, b"B : Y\t\r\n\tZ  ", &mut simple);
        assert_eq!(simple, b"B : Y\t\r\n\tZ  ");
    }

    #[test]
    fn rfc6376_example_bodies() {
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(canonical_body(Canonicalization::Relaxed, body), b" C\r\nD E\r\n");
        assert_eq!(canonical_body(Canonicalization::Simple, body), b" C \r\nD \t E\r\n");
        for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
            let expected = digest::digest(&digest::SHA256, &canonical_body(canon, body));
            assert_eq!(hash_at_once(canon, body, None).digest, expected.as_ref());
        }
    }

    #[test]
    fn empty_bodies() {
        // Well-known values: SHA-256 of CRLF (simple) and of nothing (relaxed).
        let simple = hash_at_once(Canonicalization::Simple, b"", None);
        assert_eq!(STANDARD.encode(simple.digest), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
        let relaxed = hash_at_once(Canonicalization::Relaxed, b"\r\n \r\n\t\r\n", None);
        assert_eq!(STANDARD.encode(relaxed.digest), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        assert_eq!(relaxed.length, 0);
    }

    #[test]
    fn missing_final_crlf_is_added_and_bare_cr_lf_are_content() {
        assert_eq!(canonical_body(Canonicalization::Simple, b"abc"), b"abc\r\n");
        let body = b"a\rb\nc \r";
        for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
            let expected = canonical_body(canon, body);
            let got = hash_at_once(canon, body, None);
            assert_eq!(got.digest, digest::digest(&digest::SHA256, &expected).as_ref(), "{canon:?}");
            assert_eq!(got.length, expected.len() as u64);
        }
    }

    #[test]
    fn length_limit_hashes_a_prefix() {
        // Crymap's hand-made case: `foo \t\r\nbar` is `foo\r\nbar\r\n`, of which 7 bytes count.
        let got = hash_at_once(Canonicalization::Relaxed, b"foo \t\r\nbar", Some(7));
        assert_eq!(got.digest, digest::digest(&digest::SHA256, b"foo\r\nba").as_ref());
        assert_eq!(got.length, 10);
        let all = hash_at_once(Canonicalization::Relaxed, b"foo \t\r\nbar", Some(100));
        assert_eq!(all.digest, digest::digest(&digest::SHA256, b"foo\r\nbar\r\n").as_ref());
    }

    const SAMPLE: &[u8] = b"\r\n  Hello \t world  \r\n\r\nline\twith  tabs\t \r\n \r\nx\ry\nz  \r\n\r\n\r\n \t\r\n";

    /// Every split point, for both canonicalizations, with and without a limit.
    #[test]
    fn streaming_equals_one_shot_at_every_split() {
        for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
            let expected = canonical_body(canon, SAMPLE);
            for limit in [None, Some(5), Some(expected.len() as u64)] {
                let whole = hash_at_once(canon, SAMPLE, limit);
                let cut = limit.map_or(expected.len(), |l| l as usize);
                assert_eq!(whole.digest, digest::digest(&digest::SHA256, &expected[..cut]).as_ref());
                for i in 0..=SAMPLE.len() {
                    for j in i..=SAMPLE.len() {
                        let mut h = BodyHasher::new(canon, HashAlgorithm::Sha256, limit);
                        h.update(&SAMPLE[..i]);
                        h.update(&SAMPLE[i..j]);
                        h.update(&SAMPLE[j..]);
                        assert_eq!(h.finish(), whole, "{canon:?} split at {i},{j}");
                    }
                }
            }
        }
    }

    #[test]
    fn one_byte_at_a_time_equals_one_shot() {
        for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
            let mut h = BodyHasher::new(canon, HashAlgorithm::Sha1, None);
            for b in SAMPLE.chunks(1) {
                h.update(b);
            }
            let mut whole = BodyHasher::new(canon, HashAlgorithm::Sha1, None);
            whole.update(SAMPLE);
            assert_eq!(h.finish(), whole.finish());
        }
    }

    #[test]
    fn many_trailing_empty_lines_in_the_middle_are_kept() {
        let mut body = b"a".to_vec();
        body.extend(std::iter::repeat_n(b"\r\n".as_slice(), 100).flatten());
        body.extend_from_slice(b"b\r\n");
        let got = hash_at_once(Canonicalization::Simple, &body, None);
        assert_eq!(got.digest, digest::digest(&digest::SHA256, &body).as_ref());
    }

    #[test]
    fn c_tag_values() {
        use Canonicalization::*;
        assert_eq!(Canonicalization::parse_pair("relaxed"), Some((Relaxed, Simple)));
        assert_eq!(Canonicalization::parse_pair("simple/relaxed"), Some((Simple, Relaxed)));
        assert_eq!(Canonicalization::parse_pair("relaxed/"), None);
        assert_eq!(Canonicalization::parse_pair("nowsp"), None);
    }
}
