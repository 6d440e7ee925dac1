//! `{{name}}` substitution tags, as SparkPost, Postmark and SendGrid's dynamic templates write
//! them (Mustache / Handlebars syntax, no sections or helpers).

use std::collections::BTreeMap;

/// The longest name a tag may hold, spaces around it included; keeps the scan linear.
const MAX_NAME: usize = 128;

/// `template` with each `{{name}}` tag (white space around the name allowed) replaced by
/// `values[name]`: HTML-escaped (`&<>"'`) when `html_escape`, while a triple-brace tag
/// `{{{name}}}` inserts the value as it is. As in Mustache, Handlebars and SparkPost, a name
/// with no value gives the empty string. A name is ASCII letters, digits, `_`, `-` and `.`,
/// matched exactly (case counts); anything else between braces (`{{#if x}}`, CSS, `{{ }}`) is
/// left as it is. Values are inserted once: tags inside them are not expanded.
pub fn substitute(template: &str, values: &BTreeMap<String, String>, html_escape: bool) -> String {
    let lookup = |name: &str| values.get(name).map(String::as_str);
    substitute_within(template, lookup, html_escape, usize::MAX).unwrap_or_default()
}

/// [`substitute`] with the values of `lookup` (a recipient's own, then defaults, without
/// merging them into one map), giving up with `None` once the result would pass `limit`
/// octets: a short template of many tags and a long value must not make gigabytes.
pub fn substitute_within<'v>(
    template: &str,
    lookup: impl Fn(&str) -> Option<&'v str>,
    html_escape: bool,
    limit: usize,
) -> Option<String> {
    let mut out = String::with_capacity(template.len().min(limit));
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let tag =
            tag(rest, 3).map(|(name, len)| (name, len, false)).or_else(|| tag(rest, 2).map(|(n, l)| (n, l, true)));
        match tag {
            Some((name, len, escape)) => {
                let value = lookup(name).unwrap_or("");
                match escape && html_escape {
                    true => escape_html(value, &mut out),
                    false => out.push_str(value),
                }
                rest = &rest[len..];
            }
            // Not a tag: keep its first brace and look again from the next one.
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
        if out.len() > limit {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= limit).then_some(out)
}

/// The name and length of the tag with `braces` braces on each side at the start of `text`.
fn tag(text: &str, braces: usize) -> Option<(&str, usize)> {
    let inner = text.get(..braces).filter(|open| open.bytes().all(|b| b == b'{')).map(|_| &text[braces..])?;
    let end = inner.bytes().take(MAX_NAME + 1).position(|b| !(b == b' ' || name_char(b)))?;
    let close = &inner[end..];
    if !close.as_bytes().starts_with(&b"}}}"[..braces]) {
        return None;
    }
    let name = inner[..end].trim_matches(' ');
    let valid = !name.is_empty() && name.bytes().all(name_char);
    valid.then_some((name, braces + end + braces))
}

/// Whether `b` may be part of a tag's name.
fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Appends `value` with `&`, `<`, `>`, `"` and `'` as HTML character references.
fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}
