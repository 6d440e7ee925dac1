//! The MIME tree of a draft: text parts in UTF-8, 7bit when they can be, else
//! quoted-printable; attachments in base64 with their content type and file name (written by
//! `params.rs`); multiparts with boundaries derived from the message id and checked against
//! everything they enclose.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use memchr::memmem;

use super::header::{MAX_LINE, field};
use super::params::{content_type, name_param, param};
use super::{Attachment, ComposeError, Draft};

/// Base64 line length (RFC 2045 6.8).
const BASE64_LINE: usize = 76;

/// A MIME entity: its header fields (each with its CRLF, without the blank line) and body.
pub(super) struct Entity {
    /// The Content-* fields.
    pub header: String,
    /// The encoded body, without a line break of its own at the end.
    pub body: Vec<u8>,
}

/// An entity still to write: a leaf, or a multipart of some subtype waiting for its boundary.
enum Node {
    Leaf(Entity),
    Multipart(&'static str, Vec<Node>),
}

/// The MIME tree of `draft` as one entity; `message_id` seeds the boundaries.
pub(super) fn build(draft: &Draft<'_>, message_id: &str) -> Result<Entity, ComposeError> {
    let mut alternatives: Vec<Node> = Vec::new();
    alternatives.extend(draft.text.map(|text| Node::Leaf(text_part("plain", text))));
    alternatives.extend(draft.html.map(|html| Node::Leaf(text_part("html", html))));
    let content = match alternatives.len() {
        0 | 1 => alternatives.pop(),
        _ => Some(Node::Multipart("alternative", alternatives)),
    };
    let mut attachments =
        draft.attachments.iter().enumerate().map(|(i, a)| attachment(i, a)).collect::<Result<Vec<_>, _>>()?;
    let root = match (content, attachments.is_empty()) {
        (None, true) => return Err(ComposeError::Empty),
        (Some(content), true) => content,
        (content, false) => {
            attachments.splice(0..0, content);
            Node::Multipart("mixed", attachments)
        }
    };
    let mut leaves = Vec::new();
    collect_leaves(&root, &mut leaves);
    let boundaries = boundaries(fnv1a(message_id.as_bytes()), multiparts(&root), &leaves);
    render(root, &mut boundaries.into_iter())
}

/// A `text/*` part: line ends made CRLF, 7bit when ASCII without NUL and with no line over 998
/// octets, else quoted-printable.
fn text_part(subtype: &str, text: &str) -> Entity {
    let text = crlf(text.as_bytes());
    let seven_bit = text.iter().all(|&b| b != 0 && b.is_ascii()) && lines_fit(&text);
    let (encoding, body) = match seven_bit {
        true => ("7bit", text),
        false => ("quoted-printable", quoted_printable::encode(&text)),
    };
    let header = format!("Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n");
    Entity { header, body }
}

/// `bytes` with every bare CR and bare LF made CRLF (what SMTP's DATA reader does too).
pub fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                i += if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The attachment at `index`: base64 (an attached message that is 7-bit text with CRLF line
/// ends goes as it is, as RFC 2046 5.2.1 asks), `name=` and `filename=` from its file name.
fn attachment(index: usize, a: &Attachment) -> Result<Node, ComposeError> {
    let wrong = |reason| ComposeError::ContentType {
        index,
        filename: a.filename.clone(),
        content_type: a.content_type.clone(),
        reason,
    };
    let (media, params) = content_type(&a.content_type).map_err(wrong)?;
    let mut content = media.clone();
    for (name, value) in &params {
        content += &format!("; {}", param(name, value));
    }
    let mut disposition = String::from("attachment");
    if !a.filename.is_empty() {
        content += &format!("; {}", name_param(&a.filename));
        disposition += &format!("; {}", param("filename", &a.filename));
    }
    let message = media == "message/rfc822" || media == "message/global";
    let (encoding, body) = match message && seven_bit_lines(&a.data) {
        true => ("7bit", a.data.clone()),
        false => ("base64", base64_lines(&a.data)),
    };
    let mut header = field("Content-Type", &content)?;
    header += &field("Content-Disposition", &disposition)?;
    header += &format!("Content-Transfer-Encoding: {encoding}\r\n");
    Ok(Node::Leaf(Entity { header, body }))
}

/// Whether `data` is ASCII without NUL, every line ended by CRLF (but maybe the last) and no
/// longer than 998 octets.
fn seven_bit_lines(data: &[u8]) -> bool {
    data.iter().all(|&b| b != 0 && b.is_ascii()) && crlf(data) == data && lines_fit(data)
}

/// Whether no line of `text` (CRLF line ends) is longer than 998 octets.
fn lines_fit(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n').all(|line| line.strip_suffix(b"\r").unwrap_or(line).len() <= MAX_LINE)
}

/// `data` in base64, 76 columns, lines joined by CRLF.
fn base64_lines(data: &[u8]) -> Vec<u8> {
    let encoded = STANDARD.encode(data);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / BASE64_LINE * 2);
    for (i, line) in encoded.as_bytes().chunks(BASE64_LINE).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(line);
    }
    out
}

/// The headers and bodies of the leaves under `node`, for the boundary check.
fn collect_leaves<'n>(node: &'n Node, out: &mut Vec<&'n [u8]>) {
    match node {
        Node::Leaf(entity) => out.extend([entity.header.as_bytes(), &entity.body[..]]),
        Node::Multipart(_, children) => children.iter().for_each(|child| collect_leaves(child, out)),
    }
}

/// How many multiparts `node` is or holds.
fn multiparts(node: &Node) -> usize {
    match node {
        Node::Leaf(_) => 0,
        Node::Multipart(_, children) => 1 + children.iter().map(multiparts).sum::<usize>(),
    }
}

/// `count` boundaries for a message whose id hashes to `seed`: the first that occur in none
/// of the `leaves` and differ from each other (all have one length, so none is the start of
/// another either).
fn boundaries(seed: u64, count: usize, leaves: &[&[u8]]) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::with_capacity(count);
    let mut counter = 0;
    while chosen.len() < count {
        let candidate = boundary(seed, counter);
        counter += 1;
        let clear = !leaves.iter().any(|leaf| memmem::find(leaf, candidate.as_bytes()).is_some());
        if clear && !chosen.contains(&candidate) {
            chosen.push(candidate);
        }
    }
    chosen
}

/// The `counter`th boundary for the seed: `=_` (which quoted-printable and base64 never
/// write) and 32 hexadecimal digits.
pub(super) fn boundary(seed: u64, counter: u64) -> String {
    let a = mix(seed ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = mix(a ^ 0xD6E8_FEB8_6659_FD93);
    format!("=_{a:016x}{b:016x}")
}

/// FNV-1a, 64 bits.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `node` written out, its multiparts given the `boundaries` in order (a multipart before the
/// multiparts in it).
fn render(node: Node, boundaries: &mut impl Iterator<Item = String>) -> Result<Entity, ComposeError> {
    let (subtype, children) = match node {
        Node::Leaf(entity) => return Ok(entity),
        Node::Multipart(subtype, children) => (subtype, children),
    };
    let boundary = boundaries.next().unwrap_or_default();
    let header = field("Content-Type", &format!("multipart/{subtype}; boundary=\"{boundary}\""))?;
    let mut body = Vec::new();
    for child in children {
        let child = render(child, boundaries)?;
        body.extend_from_slice(format!("--{boundary}\r\n{}\r\n", child.header).as_bytes());
        body.extend_from_slice(&child.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--").as_bytes());
    Ok(Entity { header, body })
}
