//! The `Authentication-Results:` header (RFC 8601) that records the checks of a message.

use std::fmt::Write;

/// One method's result, e.g. `spf=pass smtp.mailfrom=a@example.org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// `spf`, `dkim`, `dmarc`, `arc`.
    pub method: &'static str,
    /// `pass`, `fail`, `none`, ...
    pub result: &'static str,
    /// A comment, written in parentheses after the result.
    pub comment: Option<String>,
    /// Properties such as `("smtp.mailfrom", "a@example.org")`.
    pub properties: Vec<(&'static str, String)>,
}

impl MethodResult {
    /// A result without comment or properties.
    pub fn new(method: &'static str, result: &'static str) -> MethodResult {
        MethodResult { method, result, comment: None, properties: Vec::new() }
    }

    /// Adds a property.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> MethodResult {
        self.properties.push((name, value.into()));
        self
    }

    /// Sets the comment.
    pub fn comment(mut self, text: impl Into<String>) -> MethodResult {
        self.comment = Some(text.into());
        self
    }
}

/// The header for `results` as checked by `authserv_id` (our host name), folded, CRLF-ended.
pub fn header(authserv_id: &str, results: &[MethodResult]) -> String {
    let mut out = format!("Authentication-Results: {authserv_id}");
    if results.is_empty() {
        out.push_str("; none");
    }
    for r in results {
        let _ = write!(out, ";\r\n\t{}={}", r.method, r.result);
        if let Some(comment) = &r.comment {
            let _ = write!(out, " ({})", clean(comment, &['(', ')', '\\']));
        }
        for (name, value) in &r.properties {
            let _ = write!(out, " {name}={}", value_text(value));
        }
    }
    out.push_str("\r\n");
    out
}

/// `message` without the `Authentication-Results:` fields that claim to come from
/// `authserv_id` (us): only our own checks may say that (RFC 8601 section 5). `None` when
/// there are none.
pub fn without_forged(message: &[u8], authserv_id: &str) -> Option<Vec<u8>> {
    message::headers::without_fields(message, |name, value| {
        let id = value.split(';').next().unwrap_or("").split_whitespace().next().unwrap_or("");
        name.eq_ignore_ascii_case("Authentication-Results") && id.eq_ignore_ascii_case(authserv_id)
    })
}

/// A property value: as is when it is a plain token or address, else quoted.
fn value_text(value: &str) -> String {
    let plain =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"@.-_+=/:!#$%&'*?^`{|}~".contains(&b));
    if plain { value.to_string() } else { format!("\"{}\"", clean(value, &['"', '\\'])) }
}

/// Text without control characters, non-ASCII or the given specials (they become `?`).
fn clean(text: &str, specials: &[char]) -> String {
    text.chars().map(|c| if (c.is_ascii_graphic() || c == ' ') && !specials.contains(&c) { c } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_with_three_methods() {
        let results = [
            MethodResult::new("spf", "pass").with("smtp.mailfrom", "alice@example.org"),
            MethodResult::new("dkim", "fail")
                .comment("body hash did not verify")
                .with("header.d", "example.org")
                .with("header.s", "s1"),
            MethodResult::new("dmarc", "fail").comment("p=reject").with("header.from", "example.org"),
        ];
        assert_eq!(
            header("mx.example.net", &results),
            "Authentication-Results: mx.example.net;\r\n\tspf=pass smtp.mailfrom=alice@example.org;\r\n\
             \tdkim=fail (body hash did not verify) header.d=example.org header.s=s1;\r\n\
             \tdmarc=fail (p=reject) header.from=example.org\r\n"
        );
    }

    #[test]
    fn results_claiming_our_name_are_removed_others_kept() {
        let msg = b"Authentication-Results: MX.example.net;\r\n\tdkim=pass header.d=bank.example\r\n\
Authentication-Results: other.example; spf=fail\r\nSubject: hi\r\n\r\nbody\r\n";
        let clean = without_forged(msg, "mx.example.net").unwrap();
        assert_eq!(clean, b"Authentication-Results: other.example; spf=fail\r\nSubject: hi\r\n\r\nbody\r\n");
        assert_eq!(without_forged(&clean, "mx.example.net"), None);
    }

    #[test]
    fn hostile_values_are_quoted_and_cleaned() {
        let r = [MethodResult::new("spf", "none").comment("x) y\r\nz").with("smtp.helo", "a b\"c")];
        assert_eq!(header("mx", &r), "Authentication-Results: mx;\r\n\tspf=none (x? y??z) smtp.helo=\"a b?c\"\r\n");
        assert_eq!(header("mx", &[]), "Authentication-Results: mx; none\r\n");
    }
}
