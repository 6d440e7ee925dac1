//! Every part of a message in order (depth first, a part before its children, an attached
//! message's parts right after it), each with what it holds for a reader of its content.

use super::Parsed;
use crate::mime::Part;

/// What a part holds, for a filter reading message content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A `multipart/*` part: its parts come next in the walk.
    Multipart,
    /// An attached `message/rfc822` or `message/global`: its parts come next in the walk.
    Message,
    /// Text other than HTML: `text/*`, and a multipart whose boundary never appears (read as
    /// text, as mail readers do).
    Text,
    /// `text/html`.
    Html,
    /// Anything else: images, applications, attached messages sent encoded (see
    /// [`Parsed::encapsulated`]).
    Binary,
}

impl Content {
    /// What `part` holds.
    pub fn of(part: &Part) -> Content {
        if part.is_multipart() {
            return if unsplit(part) { Content::Text } else { Content::Multipart };
        }
        match (part.media_type.as_str(), part.subtype.as_str()) {
            _ if part.message.is_some() => Content::Message,
            ("text", "html") => Content::Html,
            ("text", _) => Content::Text,
            _ => Content::Binary,
        }
    }
}

/// A multipart in which no part was found: its only child is the empty stand-in the parser
/// adds to keep the tree valid.
fn unsplit(part: &Part) -> bool {
    matches!(part.children.as_slice(), [only] if only.header.is_empty() && only.body.is_empty())
}

/// One part met by [`Parts`].
#[derive(Debug, Clone, Copy)]
pub struct Visit<'p> {
    /// The part.
    pub part: &'p Part,
    /// How many attached messages it lies in (0 for the parts of the message itself).
    pub depth: usize,
    /// What it holds.
    pub content: Content,
}

/// The parts of a message in order, from [`Parsed::parts`].
#[derive(Debug, Clone)]
pub struct Parts<'p> {
    /// Parts still to visit, the next one last, with their depth.
    stack: Vec<(&'p Part, usize)>,
}

impl<'p> Iterator for Parts<'p> {
    type Item = Visit<'p>;

    fn next(&mut self) -> Option<Visit<'p>> {
        let (part, depth) = self.stack.pop()?;
        let content = Content::of(part);
        match content {
            Content::Multipart => self.stack.extend(part.children.iter().rev().map(|c| (c, depth))),
            Content::Message => self.stack.extend(part.message.as_deref().map(|m| (m, depth + 1))),
            _ => {}
        }
        Some(Visit { part, depth, content })
    }
}

impl Parsed<'_> {
    /// Every part of the message, the root first (see [`Parts`]); at most
    /// [`crate::mime::MAX_PARTS`] and a few stand-ins, as the parser found them.
    pub fn parts(&self) -> Parts<'_> {
        Parts { stack: vec![(&self.root, 0)] }
    }
}
