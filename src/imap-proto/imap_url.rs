//! IMAP URLs (RFC 5092) as CATENATE (RFC 4469) names a message or part on this server:
//! `imap://[user@]host[:port]/mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]`,
//! the same from the `/` of the path on, or `;UID=n...` for the selected mailbox. Mailbox and
//! section are percent-decoded; URLAUTH and search URLs are not for CATENATE.

/// A message, or part of one, that a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    /// The mailbox, as given (UTF-8); None for the selected one.
    pub mailbox: Option<String>,
    /// The UIDVALIDITY it must have, when given.
    pub uid_validity: Option<u32>,
    /// The message.
    pub uid: u32,
    /// The section spec (`1.2.TEXT`), when given.
    pub section: Option<String>,
    /// Octets from, and how many (the rest when None).
    pub partial: Option<(u64, Option<u64>)>,
}

/// Parses `url`; None when it is not an IMAP URL of a message this way.
pub fn parse(url: &str) -> Option<ImapUrl> {
    let path = match url.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("imap://") => &url[7..][url[7..].find('/')?..],
        _ => url,
    };
    let (mailbox, uid_validity, rest) = match path.strip_prefix('/') {
        Some(path) => {
            let (head, rest) = path.split_once("/;")?;
            let (name, validity) = match split_param(head, "UIDVALIDITY") {
                Some((name, value)) => (name, Some(number(value)?)),
                None => (head, None),
            };
            (Some(decode(name)?).filter(|n| !n.is_empty()), validity, rest)
        }
        None => (None, None, path.strip_prefix(';')?),
    };
    let mut parts = rest.split("/;");
    let uid = number(value_of(parts.next()?, "UID")?)?;
    let mut url = ImapUrl { mailbox, uid_validity, uid, section: None, partial: None };
    for part in parts {
        if let Some(section) = value_of(part, "SECTION") {
            if url.section.is_some() || url.partial.is_some() {
                return None;
            }
            url.section = Some(decode(section)?);
        } else if let Some(partial) = value_of(part, "PARTIAL") {
            if url.partial.is_some() {
                return None;
            }
            let (offset, length) = match partial.split_once('.') {
                Some((offset, length)) => (offset, Some(u64::from(number(length)?))),
                None => (partial, None),
            };
            let digits = !offset.is_empty() && offset.bytes().all(|b| b.is_ascii_digit());
            url.partial = Some((offset.parse().ok().filter(|_| digits)?, length));
        } else {
            return None;
        }
    }
    Some(url)
}

/// `NAME=value` (case-insensitive name): the value.
fn value_of<'a>(part: &'a str, name: &str) -> Option<&'a str> {
    let (key, value) = part.split_once('=')?;
    key.eq_ignore_ascii_case(name).then_some(value)
}

/// `head;NAME=value`: head and value.
fn split_param<'a>(text: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let (head, param) = text.rsplit_once(';')?;
    Some((head, value_of(param, name)?))
}

/// A nonzero number of at most 32 bits, digits only.
fn number(text: &str) -> Option<u32> {
    text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse().ok()).flatten().filter(|&n| n > 0)
}

/// Percent-decodes `text` into UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_4469_examples() {
        let url = parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER").unwrap();
        assert_eq!(
            url,
            ImapUrl {
                mailbox: Some("Drafts".into()),
                uid_validity: Some(385_759_045),
                uid: 20,
                section: Some("HEADER".into()),
                partial: None
            }
        );
        assert_eq!(parse("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME").unwrap().section.unwrap(), "1.MIME");
        let absolute = parse("imap://bob@mail.example.org/INBOX/;UID=7/;PARTIAL=100.50").unwrap();
        assert_eq!(
            (absolute.mailbox.as_deref(), absolute.uid, absolute.partial),
            (Some("INBOX"), 7, Some((100, Some(50))))
        );
    }

    #[test]
    fn relative_encoded_and_bad_urls() {
        let relative = parse(";UID=3").unwrap();
        assert_eq!((relative.mailbox, relative.uid), (None, 3));
        assert_eq!(parse("/Caf%C3%A9/;UID=1").unwrap().mailbox.as_deref(), Some("Caf\u{e9}"));
        assert_eq!(parse("/INBOX/;UID=1/;PARTIAL=5").unwrap().partial, Some((5, None)));
        for bad in [
            "",
            "/INBOX",
            "/INBOX/;UID=0",
            "/INBOX/;UID=x",
            "/INBOX/;UID=1/;SECTION=1/;SECTION=2",
            "/%ZZ/;UID=1",
            "/INBOX/;UID=1/;PARTIAL=1.0",
            "/INBOX/;UID=1/;URLAUTH=anonymous",
            "UID=1",
            "imap://host",
            "/INBOX;UIDVALIDITY=/;UID=1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
