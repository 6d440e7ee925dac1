//! HTML to text: drops tags (keeping word breaks at block tags), decodes common entities, skips
//! comments, scripts and styles, and records what the tags say: their names, links with their
//! visible text, image sources, and hidden-text tricks.

use memchr::{memchr, memchr2, memmem};

/// Most tag names and links kept from one message.
const MAX_ITEMS: usize = 256;
/// Most anchor-text bytes kept per link.
const MAX_LINK_TEXT: usize = 256;

/// A link: where `<a href>` points and the text it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// The `href` value.
    pub href: String,
    /// The visible text inside the anchor.
    pub text: String,
}

/// What the HTML parts of a message contained besides text.
#[derive(Debug, Default)]
pub(crate) struct HtmlFacts {
    /// Lower-cased names of the tags seen (repeats allowed; capped).
    pub tags: Vec<String>,
    /// `<a href>` links with their text.
    pub links: Vec<Link>,
    /// `src` and `background` URLs (images, frames).
    pub sources: Vec<String>,
    /// `<!-- -->` comments seen.
    pub comments: usize,
    /// A style hid text (`display:none`, `visibility:hidden`) or set a tiny font.
    pub hidden: bool,
}

/// Appends the visible text of `html` to `out` (stopping at `limit` bytes) and records the tag
/// facts in `facts`.
pub(crate) fn strip(html: &str, out: &mut String, limit: usize, facts: &mut HtmlFacts) {
    let bytes = html.as_bytes();
    let mut pos = 0;
    let mut open_link: Option<(String, usize)> = None;
    while pos < bytes.len() && out.len() < limit {
        let Some(next) = memchr2(b'<', b'&', &bytes[pos..]) else {
            push_capped(out, &html[pos..], limit);
            break;
        };
        push_capped(out, &html[pos..pos + next], limit);
        pos += next;
        if bytes[pos] == b'&' {
            pos = entity(html, pos, out);
            continue;
        }
        if bytes[pos..].starts_with(b"<!--") {
            facts.comments += 1;
            pos = match memmem::find(&bytes[pos + 4..], b"-->") {
                Some(end) => pos + 4 + end + 3,
                None => bytes.len(),
            };
            continue;
        }
        let inner_start = pos + 1;
        let closing = bytes.get(inner_start) == Some(&b'/');
        let name = tag_name(&html[inner_start + usize::from(closing)..]);
        if name.is_empty() {
            // Not a tag ("a < b"): keep the character.
            out.push('<');
            pos += 1;
            continue;
        }
        let end = memchr(b'>', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        let inner = &html[inner_start..end];
        pos = (end + 1).min(bytes.len());
        if facts.tags.len() < MAX_ITEMS {
            facts.tags.push(name.clone());
        }
        if is_block(&name) && !out.ends_with(' ') {
            out.push(' ');
        }
        match (name.as_str(), closing) {
            ("script" | "style", false) => pos = skip_until_close(bytes, pos, name.as_bytes()),
            ("a", false) => {
                close_link(&mut open_link, out, facts);
                if let Some(href) = attribute(inner, "href") {
                    open_link = Some((href, out.len()));
                }
            }
            ("a", true) => close_link(&mut open_link, out, facts),
            _ => {}
        }
        if !closing {
            for attr in ["src", "background"] {
                if let Some(src) = attribute(inner, attr)
                    && facts.sources.len() < MAX_ITEMS
                {
                    facts.sources.push(src);
                }
            }
            if let Some(style) = attribute(inner, "style") {
                facts.hidden |= hides_text(&style);
            }
            if name == "font" && attribute(inner, "size").is_some_and(|s| s.trim() == "1" || s.trim() == "0") {
                facts.hidden = true;
            }
        }
    }
    close_link(&mut open_link, out, facts);
}

/// Ends the open link, if any, taking the text written since it opened.
fn close_link(open: &mut Option<(String, usize)>, out: &str, facts: &mut HtmlFacts) {
    if let Some((href, start)) = open.take()
        && facts.links.len() < MAX_ITEMS
    {
        let text = out.get(start..).unwrap_or("").trim();
        let cut = floor_boundary(text, MAX_LINK_TEXT);
        facts.links.push(Link { href, text: text[..cut].to_string() });
    }
}

/// Appends `text` to `out` without growing past `limit` bytes (cut on a char boundary).
pub(crate) fn push_capped(out: &mut String, text: &str, limit: usize) {
    let room = limit.saturating_sub(out.len());
    out.push_str(&text[..floor_boundary(text, room)]);
}

/// The largest char boundary of `text` at or below `at`.
pub(crate) fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The lower-cased tag name at the start of a tag's inside (empty when it is not a tag).
fn tag_name(inner: &str) -> String {
    let end = inner.bytes().take(17).position(|b| !b.is_ascii_alphanumeric()).unwrap_or(inner.len().min(17));
    let name = &inner[..end.min(16)];
    if name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) { name.to_ascii_lowercase() } else { String::new() }
}

/// Tags after which words must not run together.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "tr"
            | "td"
            | "th"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "title"
            | "blockquote"
            | "center"
            | "pre"
            | "img"
            | "option"
    )
}

/// Skips to just past `</name ...>` (case-insensitive), or to the end.
fn skip_until_close(bytes: &[u8], mut pos: usize, name: &[u8]) -> usize {
    while let Some(found) = memmem::find(&bytes[pos..], b"</") {
        let start = pos + found + 2;
        let candidate = bytes.get(start..start + name.len());
        pos = start;
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            return memchr(b'>', &bytes[pos..]).map_or(bytes.len(), |e| pos + e + 1);
        }
    }
    bytes.len()
}

/// The value of attribute `name` inside a tag (quoted or not), entity `&amp;` decoded.
fn attribute(inner: &str, name: &str) -> Option<String> {
    let bytes = inner.as_bytes();
    let mut from = 0;
    while let Some(found) = find_ascii_ci(&bytes[from..], name.as_bytes()) {
        let start = from + found;
        from = start + name.len();
        let before_ok = start > 0 && (bytes[start - 1].is_ascii_whitespace() || bytes[start - 1] == b'"');
        let mut i = from;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if !before_ok || bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let rest = &inner[i + 1..];
                &rest[..memchr(q, rest.as_bytes()).unwrap_or(rest.len())]
            }
            Some(_) => {
                let rest = &inner[i..];
                &rest[..rest.bytes().position(|b| b.is_ascii_whitespace()).unwrap_or(rest.len())]
            }
            None => "",
        };
        return Some(value.trim().replace("&amp;", "&"));
    }
    None
}

/// Finds `needle` (lower-case ASCII) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Whether a `style` value hides text or makes it unreadably small.
fn hides_text(style: &str) -> bool {
    let compact: String = style.chars().filter(|c| !c.is_whitespace()).take(512).collect::<String>().to_lowercase();
    compact.contains("display:none")
        || compact.contains("visibility:hidden")
        || compact.contains("font-size:0")
        || compact.contains("font-size:1px")
}

/// Decodes the entity at `pos` (which holds `&`) into `out`; returns the position after it.
fn entity(html: &str, pos: usize, out: &mut String) -> usize {
    let rest = &html.as_bytes()[pos + 1..];
    let Some(semi) = rest.iter().take(10).position(|&b| b == b';') else {
        out.push('&');
        return pos + 1;
    };
    let name = &html[pos + 1..pos + 1 + semi];
    let decoded = match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => Some(' '),
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "copy" => Some('©'),
        "reg" => Some('®'),
        _ => numeric_entity(name),
    };
    match decoded {
        Some(c) => {
            out.push(c);
            pos + 2 + semi
        }
        None => {
            out.push('&');
            pos + 1
        }
    }
}

/// `#65` or `#x41` to its character.
fn numeric_entity(name: &str) -> Option<char> {
    let digits = name.strip_prefix('#')?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> (String, HtmlFacts) {
        let mut out = String::new();
        let mut facts = HtmlFacts::default();
        strip(html, &mut out, 1 << 20, &mut facts);
        (out, facts)
    }

    #[test]
    fn strips_tags_and_keeps_links() {
        let (text, facts) = run("<html><style>p{}</style><p>Hello&nbsp;W<b></b>orld &amp; co</p><!-- x -->\
             <a HREF=\"http://a.example/x?a=1&amp;b=2\">Click <i>here</i></a><img src='http://i.example/p.gif'>");
        assert_eq!(text.split_whitespace().collect::<Vec<_>>(), ["Hello", "World", "&", "co", "Click", "here"]);
        assert_eq!(facts.links, [Link { href: "http://a.example/x?a=1&b=2".into(), text: "Click here".into() }]);
        assert_eq!(facts.sources, ["http://i.example/p.gif"]);
        assert_eq!(facts.comments, 1);
        assert!(facts.tags.contains(&"img".to_string()));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for html in ["<", "&", "&#xFFFFFFFF;", "<a href=", "<a href='x", "a < b é", "<script>never closed", "<é>"] {
            run(html);
        }
        let (text, _) = run("a < b");
        assert_eq!(text, "a < b");
    }

    #[test]
    fn hidden_text_is_noticed() {
        assert!(run("<span style=\"DISPLAY: none\">x</span>").1.hidden);
        assert!(!run("<span style=\"color:red\">x</span>").1.hidden);
    }
}
