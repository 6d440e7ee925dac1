//! One pass over the parts of a parsed message: the visible text of its text and HTML parts
//! (capped), the HTML facts, the URLs, and the MIME structure, attached messages followed a
//! few levels down. Tokens and rules both read this.

use message::Parsed;
use message::headers;
use message::mime::Part;
use message::parsed::Content;

use super::html::{self, HtmlFacts};
use super::urls;

/// Parts starting beyond this many octets of a message are not looked at.
const MAX_MESSAGE: usize = 16 << 20;
/// Most decoded text looked at per message.
pub(crate) const MAX_TEXT: usize = 1 << 20;
/// Most HTML read from one part (markup included).
const MAX_MARKUP: usize = 4 * MAX_TEXT;
/// Most structure facts kept per message.
const MAX_STRUCTURE: usize = 64;
/// How deep attached messages are followed.
const MAX_DEPTH: usize = 3;

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

impl Body {
    /// Gathers the body of `message`.
    pub fn new(message: &Parsed<'_>) -> Body {
        let mut body = Body::default();
        body.walk(message, 0);
        let mut found = Vec::new();
        let links = body.html.links.iter().map(|l| &l.href).chain(&body.html.sources);
        found.extend(links.filter(|u| urls::host(u).is_some()).take(urls::MAX_URLS).cloned());
        urls::find_in_text(&body.text, &mut found);
        for url in found {
            if !body.urls.contains(&url) {
                body.urls.push(url);
            }
        }
        body
    }

    /// Gathers the parts of `message`, itself attached `depth` levels down (and, down to
    /// [`MAX_DEPTH`], of the messages attached to it, encoded ones too).
    fn walk(&mut self, message: &Parsed<'_>, depth: usize) {
        for visit in message.parts() {
            let (part, depth) = (visit.part, depth + visit.depth);
            if depth > MAX_DEPTH || part.header.start >= MAX_MESSAGE {
                continue;
            }
            self.describe(message, part);
            match visit.content {
                Content::Text => {
                    self.text_parts += usize::from(depth == 0);
                    let room = MAX_TEXT.saturating_sub(self.text.len());
                    if room > 0 {
                        html::push_capped(&mut self.text, &message.text_capped(part, room), MAX_TEXT);
                        html::push_capped(&mut self.text, "\n", MAX_TEXT);
                    }
                }
                Content::Html => {
                    self.html_parts += usize::from(depth == 0);
                    if self.text.len() < MAX_TEXT {
                        html::strip(&message.text_capped(part, MAX_MARKUP), &mut self.text, MAX_TEXT, &mut self.html);
                        html::push_capped(&mut self.text, "\n", MAX_TEXT);
                    }
                }
                Content::Binary if depth < MAX_DEPTH => {
                    if let Some(inner) = message.encapsulated(part) {
                        self.walk(&Parsed::new(&inner), depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    /// Records the type, charset, transfer encoding and attachment extension of a part, as its
    /// header declares them.
    fn describe(&mut self, message: &Parsed<'_>, part: &Part) {
        let mut add = |prefix: &'static str, value: &str| {
            if self.structure.len() < MAX_STRUCTURE && !value.is_empty() && value.len() <= 40 {
                self.structure.push((prefix, value.to_ascii_lowercase()));
            }
        };
        let header = message.header_of(part);
        match headers::first(header, "content-type") {
            Some(field) => {
                add("part:", &format!("{}/{}", part.media_type, part.subtype));
                // Only a declared charset: the parser supplies US-ASCII for text.
                let declared = String::from_utf8_lossy(field.value).to_ascii_lowercase().contains("charset");
                if let Some(charset) = part.param("charset").filter(|_| declared) {
                    add("charset:", charset);
                }
            }
            None => add("part:", "none"),
        }
        if headers::first(header, "content-transfer-encoding").is_some() {
            add("cte:", &part.encoding);
        }
        if let Some(name) = part.file_name() {
            match name.rsplit_once('.') {
                Some((_, ext)) if ext.len() <= 8 => add("attach:", ext),
                _ => add("attach:", "no-extension"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_text_html_and_urls() {
        let raw = b"From: a@b.example\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n\
            --x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            aGVsbG8gaHR0cDovL3QuZXhhbXBsZS9h\r\n\
            --x\r\nContent-Type: text/html\r\n\r\n<p>Hi <a href=\"http://h.example/\">there</a></p>\r\n--x--\r\n";
        let body = Body::new(&Parsed::new(raw));
        assert!(body.text.contains("hello http://t.example/a"));
        assert!(body.text.contains("there"));
        assert_eq!(body.urls, ["http://h.example/", "http://t.example/a"]);
        assert_eq!((body.text_parts, body.html_parts), (1, 1));
        assert!(body.structure.contains(&("cte:", "base64".to_string())));
        assert!(body.structure.contains(&("charset:", "utf-8".to_string())));
        assert!(!body.structure.contains(&("charset:", "us-ascii".to_string())), "not declared");
    }

    #[test]
    fn follows_attached_messages_encoded_or_not() {
        let raw = b"Subject: fwd\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
            --o\r\nContent-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\nplain inner\r\n\
            --o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            U3ViamVjdDogZW5jb2RlZA0KDQpoaWRkZW4gdGV4dA0K\r\n--o--\r\n";
        let body = Body::new(&Parsed::new(raw));
        assert!(body.text.contains("plain inner") && body.text.contains("hidden text"), "{}", body.text);
        assert_eq!(body.text_parts, 0, "only top-level parts count");
        assert!(body.structure.contains(&("part:", "none".to_string())));
    }

    #[test]
    fn stops_at_the_depth_limit() {
        let mut raw = "Subject: deepest\r\n\r\nburied words\r\n".to_string();
        for _ in 0..=MAX_DEPTH {
            raw = format!("Content-Type: message/rfc822\r\n\r\n{raw}");
        }
        assert!(!Body::new(&Parsed::new(raw.as_bytes())).text.contains("buried"));
        let shallow = raw.replacen("Content-Type: message/rfc822\r\n\r\n", "", 1);
        assert!(Body::new(&Parsed::new(shallow.as_bytes())).text.contains("buried"));
    }

    #[test]
    fn empty_and_garbage() {
        for raw in [&b""[..], b"\r\n\r\n", b"garbage", b"\xff\xfe:\x00"] {
            let _ = Body::new(&Parsed::new(raw));
        }
    }
}
