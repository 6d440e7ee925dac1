//! Messages to Bayes tokens, SpamBayes style: lower-cased body words of 3 to 12 characters,
//! longer ones reduced to summary tokens (`skip:c 20`, e-mail domains), selected header tokens
//! prefixed by their header, MIME structure, HTML tag features and URL pieces. Each token is a
//! stable 64-bit hash; a message's tokens are distinct and sorted.

use message::Parsed;

use super::body::Body;
use super::hash;
use super::{header_tokens, urls};

/// Most tokens taken from one message (before removing repeats).
const MAX_TOKENS: usize = 1 << 16;
/// Shortest and longest words (in characters) kept as they are.
const MIN_WORD: usize = 3;
const MAX_WORD: usize = 12;
/// Most characters of one unspaced CJK run turned into pairs.
const MAX_CJK_CHARS: usize = 256;
/// Most URL path pieces taken per URL.
const MAX_PATH_PIECES: usize = 6;

/// The distinct, sorted Bayes tokens of a raw message (RFC 5322 bytes), which it parses once
/// with [`Parsed::new`]: the tokens [`check`](crate::check) scores.
pub fn tokenize(message: &[u8]) -> Vec<u64> {
    let message = Parsed::new(message);
    tokens(&message, &Body::new(&message), false).0
}

/// Only the tokens of what a message says (body and Subject words, From name and domain, URLs),
/// leaving out those of its form (header names, Received hops, MIME structure, HTML tags),
/// which depend on the site and the era more than on spamminess. The default model is built
/// from these.
pub fn tokenize_content(message: &[u8]) -> Vec<u64> {
    let message = Parsed::new(message);
    tokens(&message, &Body::new(&message), true).0
}

/// The tokens of a parsed message whose body is gathered, and its
/// [shape features](super::shape) (none when only content is wanted).
pub(crate) fn tokens(message: &Parsed<'_>, body: &Body, content_only: bool) -> (Vec<u64>, Vec<u64>) {
    let mut tokens = Tokens { content_only, ..Tokens::default() };
    header_tokens::emit(message, &mut tokens);
    body_tokens(body, &mut tokens);
    let shape = std::mem::take(&mut tokens.shape);
    (tokens.finish(), shape)
}

/// A growing set of token hashes, and the shape features found on the way.
#[derive(Default)]
pub(crate) struct Tokens {
    hashes: Vec<u64>,
    shape: Vec<u64>,
    scratch: String,
    /// Leave out the form tokens and the shape features.
    content_only: bool,
}

impl Tokens {
    /// Adds the token `prefix` + `value`.
    pub fn add(&mut self, prefix: &str, value: &str) {
        if self.hashes.len() < MAX_TOKENS {
            self.hashes.push(hash::token(prefix.as_bytes(), value.as_bytes()));
        }
    }

    /// Adds the form token `prefix` + `value` (unless only content is wanted).
    pub fn add_form(&mut self, prefix: &str, value: &str) {
        if !self.content_only {
            self.add(prefix, value);
        }
    }

    /// Adds shape features (unless only content is wanted).
    pub fn add_shape(&mut self, features: impl IntoIterator<Item = u64>) {
        if !self.content_only {
            self.shape.extend(features);
        }
    }

    /// Adds the words of `text`, each behind `prefix`.
    pub fn words(&mut self, prefix: &str, text: &str) {
        for raw in text.split_ascii_whitespace() {
            if self.hashes.len() >= MAX_TOKENS {
                return;
            }
            self.word(prefix, raw);
        }
    }

    fn word(&mut self, prefix: &str, raw: &str) {
        let word = raw.trim_matches(is_trimmed);
        if word.contains("://") || word.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www.")) {
            return; // URLs get their own tokens.
        }
        if !word.is_ascii() && word.chars().any(is_cjk) {
            self.cjk_pairs(prefix, word);
            return;
        }
        let chars = if word.is_ascii() { word.len() } else { word.chars().count() };
        if chars < MIN_WORD {
            return;
        }
        if chars > MAX_WORD {
            self.long_word(prefix, word, chars);
            return;
        }
        if word.len() >= MIN_WORD && word.bytes().all(|b| b.is_ascii_uppercase()) {
            // Shouting is a sign of its own: "FREE" counts as "free" and as capitals.
            self.add("upper:", word);
        }
        self.scratch.clear();
        if word.is_ascii() {
            self.scratch.push_str(word);
            self.scratch.make_ascii_lowercase();
        } else {
            self.scratch.extend(word.chars().flat_map(char::to_lowercase));
        }
        if self.hashes.len() < MAX_TOKENS {
            self.hashes.push(hash::token(prefix.as_bytes(), self.scratch.as_bytes()));
        }
    }

    /// A word too long to keep: an e-mail address gives its domain, anything else a summary of
    /// its first character and length.
    fn long_word(&mut self, prefix: &str, word: &str, chars: usize) {
        if let Some((_, domain)) = word.rsplit_once('@')
            && domain.contains('.')
        {
            let domain = domain.to_lowercase();
            self.add("email:", urls::registrable(&domain).unwrap_or(&domain));
            return;
        }
        let first = word.chars().next().map(|c| c.to_lowercase().to_string()).unwrap_or_default();
        let summary = format!("skip:{first} {}", chars / 10 * 10);
        self.add(prefix, &summary);
    }

    /// Chinese, Japanese and Korean text (often written without spaces): each pair of
    /// neighbouring CJK characters.
    fn cjk_pairs(&mut self, prefix: &str, word: &str) {
        let mut previous: Option<char> = None;
        let mut pair = String::with_capacity(8);
        for c in word.chars().take(MAX_CJK_CHARS) {
            if let Some(p) = previous.filter(|&p| is_cjk(p) && is_cjk(c)) {
                pair.clear();
                pair.push(p);
                pair.push(c);
                self.add(prefix, &pair);
            }
            previous = Some(c);
        }
    }

    /// The distinct tokens, sorted.
    pub fn finish(mut self) -> Vec<u64> {
        self.hashes.sort_unstable();
        self.hashes.dedup();
        self.hashes
    }
}

/// Chinese, Japanese and Korean characters, written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}')
}

/// Punctuation stripped from both ends of a word.
fn is_trimmed(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '`'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | ','
            | '.'
            | ';'
            | ':'
            | '*'
            | '_'
            | '-'
            | '='
            | '~'
            | '|'
            | '#'
    )
}

/// Body tokens: words, structure, HTML features, URLs.
fn body_tokens(body: &Body, tokens: &mut Tokens) {
    tokens.words("", &body.text);
    for (prefix, value) in &body.structure {
        tokens.add_form(prefix, value);
    }
    for tag in &body.html.tags {
        tokens.add_form("html:", tag);
    }
    if body.html.comments > 0 {
        tokens.add_form("html:", "comment");
    }
    if body.html.hidden {
        tokens.add_form("html:", "hidden");
    }
    if body.html_parts > 0 && body.text_parts == 0 {
        tokens.add_form("body:", "html-only");
    }
    if body.text.trim().is_empty() {
        tokens.add_form("body:", "no-text");
    }
    tokens.add_form("body:urls:", bucket(body.urls.len()));
    for url in &body.urls {
        url_tokens(url, tokens);
    }
}

/// A rough size class for counts.
pub(crate) fn bucket(n: usize) -> &'static str {
    match n {
        0 => "0",
        1 => "1",
        2..=3 => "2-3",
        4..=9 => "4-9",
        10..=29 => "10-29",
        _ => "30+",
    }
}

/// Tokens of one URL: its host and the domains above it, whether the host is numeric or hides
/// behind a user part, and a few path pieces.
fn url_tokens(url: &str, tokens: &mut Tokens) {
    let Some(host) = urls::host(url) else {
        return;
    };
    if urls::is_numeric(&host) {
        tokens.add("url:", "numeric-host");
    } else {
        let labels: Vec<&str> = host.rsplit('.').take(4).collect();
        for n in 2..=labels.len() {
            let suffix: Vec<&str> = labels[..n].iter().rev().copied().collect();
            tokens.add("url:", &suffix.join("."));
        }
    }
    if urls::has_userinfo(url) {
        tokens.add("url:", "userinfo");
    }
    let path = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path = path.find('/').map_or("", |at| &path[at + 1..]);
    let pieces =
        path.split(['/', '?', '=', '&', '.', '-', '_', '%', '#']).filter(|p| (3..=MAX_WORD).contains(&p.len()));
    for piece in pieces.take(MAX_PATH_PIECES) {
        tokens.add("url:path:", &piece.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(tokens: &[u64], prefix: &str, value: &str) -> bool {
        tokens.binary_search(&hash::token(prefix.as_bytes(), value.as_bytes())).is_ok()
    }

    #[test]
    fn words_and_summaries() {
        let raw = b"Subject: Cheap PILLS now\r\nFrom: \"Bob\" <bob@shop.example.com>\r\n\r\n\
            Buy \"Cheap\" pills, NOW!! ok supercalifragilistic mail me: someone@mail.example.org\r\n\
            Visit http://www.shop.example.com/buy/now.html?id=7";
        let tokens = tokenize(raw);
        assert!(tokens.windows(2).all(|w| w[0] < w[1]));
        for word in ["buy", "cheap", "pills", "now!!"] {
            assert!(has(&tokens, "", word), "{word}");
        }
        assert!(!has(&tokens, "", "ok"));
        assert!(has(&tokens, "", "skip:s 20"));
        assert!(has(&tokens, "email:", "example.org"));
        assert!(has(&tokens, "subject:", "pills"));
        assert!(has(&tokens, "url:", "example.com"));
        assert!(has(&tokens, "url:", "shop.example.com"));
        assert!(has(&tokens, "url:path:", "buy"));
    }

    #[test]
    fn cjk_text_gives_pairs_and_capitals_count() {
        let tokens = tokenize("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n免费注册 FREE".as_bytes());
        for pair in ["免费", "费注", "注册"] {
            assert!(has(&tokens, "", pair), "{pair}");
        }
        assert!(has(&tokens, "", "free") && has(&tokens, "upper:", "FREE"));
    }

    #[test]
    fn non_ascii_words_are_lowercased() {
        let tokens = tokenize("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÜBER Größe".as_bytes());
        assert!(has(&tokens, "", "über"));
        assert!(has(&tokens, "", "größe"));
    }
}
