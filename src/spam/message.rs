//! One pass over a message: MIME-parse it (mail-parser decodes transfer encodings and charsets
//! to UTF-8), gather the visible text of its text and HTML parts (capped), the HTML facts, the
//! URLs, and the MIME structure. Tokens and rules both read this.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::html::{self, HtmlFacts};
use super::urls;

/// Most raw bytes parsed per message (the rest of a larger one is ignored).
const MAX_MESSAGE: usize = 16 << 20;
/// Most decoded text looked at per message.
pub(crate) const MAX_TEXT: usize = 1 << 20;
/// Most structure facts kept per message.
const MAX_STRUCTURE: usize = 64;
/// How deep attached messages are followed.
const MAX_DEPTH: usize = 3;

/// A parsed message with its body gathered.
pub(crate) struct Scan<'x> {
    /// The parsed message (`None` when mail-parser found no headers at all).
    pub message: Option<Message<'x>>,
    /// The body facts.
    pub body: Body,
}

/// What the body of a message holds.
#[derive(Debug, Default)]
pub(crate) struct Body {
    /// The decoded visible text of all text and HTML parts, at most [`MAX_TEXT`] bytes.
    pub text: String,
    /// Top-level `text/*` parts other than HTML.
    pub text_parts: usize,
    /// Top-level HTML parts.
    pub html_parts: usize,
    /// What the HTML said besides text.
    pub html: HtmlFacts,
    /// Distinct URLs: link targets, image sources, then URLs written in the text.
    pub urls: Vec<String>,
    /// MIME structure facts as (token prefix, lower-cased value): part types, charsets,
    /// transfer encodings, attachment extensions.
    pub structure: Vec<(&'static str, String)>,
}

impl<'x> Scan<'x> {
    /// Parses `raw` (its first 16 MiB) and gathers its body.
    pub fn new(raw: &'x [u8]) -> Self {
        let message = MessageParser::default().parse(&raw[..raw.len().min(MAX_MESSAGE)]);
        let mut body = Body::default();
        if let Some(message) = &message {
            body.walk(message, 0);
        }
        let mut found = Vec::new();
        let links = body.html.links.iter().map(|l| &l.href).chain(&body.html.sources);
        found.extend(links.filter(|u| urls::host(u).is_some()).take(urls::MAX_URLS).cloned());
        urls::find_in_text(&body.text, &mut found);
        for url in found {
            if !body.urls.contains(&url) {
                body.urls.push(url);
            }
        }
        Self { message, body }
    }
}

impl Body {
    /// Gathers the parts of `message` (and, a few levels down, of attached messages).
    fn walk(&mut self, message: &Message<'_>, depth: usize) {
        for part in &message.parts {
            self.describe(part);
            match &part.body {
                PartType::Text(text) => {
                    self.text_parts += usize::from(depth == 0);
                    html::push_capped(&mut self.text, text, MAX_TEXT);
                    html::push_capped(&mut self.text, "\n", MAX_TEXT);
                }
                PartType::Html(markup) => {
                    self.html_parts += usize::from(depth == 0);
                    html::strip(markup, &mut self.text, MAX_TEXT, &mut self.html);
                    html::push_capped(&mut self.text, "\n", MAX_TEXT);
                }
                PartType::Message(inner) if depth < MAX_DEPTH => self.walk(inner, depth + 1),
                _ => {}
            }
        }
    }

    /// Records the type, charset, transfer encoding and attachment extension of a part.
    fn describe(&mut self, part: &mail_parser::MessagePart<'_>) {
        let mut add = |prefix: &'static str, value: &str| {
            if self.structure.len() < MAX_STRUCTURE && !value.is_empty() && value.len() <= 40 {
                self.structure.push((prefix, value.to_ascii_lowercase()));
            }
        };
        match part.content_type() {
            Some(ct) => {
                add("part:", &format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")));
                if let Some(charset) = ct.attribute("charset") {
                    add("charset:", charset);
                }
            }
            None => add("part:", "none"),
        }
        if let Some(encoding) = part.content_transfer_encoding() {
            add("cte:", encoding);
        }
        if let Some(name) = part.attachment_name() {
            match name.rsplit_once('.') {
                Some((_, ext)) if ext.len() <= 8 => add("attach:", ext),
                _ => add("attach:", "no-extension"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Scan;

    #[test]
    fn gathers_text_html_and_urls() {
        let raw = b"From: a@b.example\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n\
            --x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            aGVsbG8gaHR0cDovL3QuZXhhbXBsZS9h\r\n\
            --x\r\nContent-Type: text/html\r\n\r\n<p>Hi <a href=\"http://h.example/\">there</a></p>\r\n--x--\r\n";
        let scan = Scan::new(raw);
        assert!(scan.body.text.contains("hello http://t.example/a"));
        assert!(scan.body.text.contains("there"));
        assert_eq!(scan.body.urls, ["http://h.example/", "http://t.example/a"]);
        assert_eq!((scan.body.text_parts, scan.body.html_parts), (1, 1));
        assert!(scan.body.structure.contains(&("cte:", "base64".to_string())));
    }

    #[test]
    fn empty_and_garbage() {
        for raw in [&b""[..], b"\r\n\r\n", b"garbage", b"\xff\xfe:\x00"] {
            let _ = Scan::new(raw);
        }
    }
}
