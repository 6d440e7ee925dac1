//! Rules on the message itself: the GTUBE test string, missing or forged headers, odd dates,
//! shouting subjects, HTML-only bodies and suspicious links. Weights are conservative: each
//! rule alone stays far below the Junk threshold, except GTUBE.

use std::time::{SystemTime, UNIX_EPOCH};

use message::Parsed;

use super::body::Body;
use super::header_tokens::{domain_of, undisclosed};
use super::urls;
use super::verdict::Symbol;

/// The Generic Test for Unsolicited Bulk Email string.
const GTUBE: &[u8] = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
/// Seconds a Date may be ahead of the receiving time before it counts as in the future.
const FUTURE_SLACK: i64 = 12 * 3600;
/// Seconds a Date may be behind the first Received time before it counts as far in the past.
const PAST_SLACK: i64 = 365 * 86400;
/// Subjects need this many letters to be judged for capitals.
const CAPS_MIN_LETTERS: usize = 10;

/// Adds the symbols of the message rules. `authenticated` submissions skip the rules on
/// headers that the submission service adds itself (Date, Message-ID).
pub(crate) fn check(message: &Parsed<'_>, body: &Body, authenticated: bool, out: &mut Vec<Symbol>) {
    let mut hit = |name: &'static str, score: f64| out.push(Symbol { name, score });
    if memchr::memmem::find(message.raw, GTUBE).is_some() || memchr::memmem::find(body.text.as_bytes(), GTUBE).is_some()
    {
        hit("GTUBE", 1000.0);
    }
    headers(message, authenticated, &mut hit);
    if body.html_parts > 0 && body.text_parts == 0 {
        hit("MIME_HTML_ONLY", 0.5);
    }
    if body.urls.iter().any(|u| urls::host(u).is_some_and(|h| urls::is_numeric(&h))) {
        hit("HTTP_TO_IP", 1.5);
    }
    if body.html.links.iter().any(|link| misleading(&link.href, &link.text)) {
        hit("PHISHING", 1.5);
    }
}

/// The header rules.
fn headers(message: &Parsed<'_>, authenticated: bool, hit: &mut impl FnMut(&'static str, f64)) {
    let from = message.mailboxes("from").into_iter().next();
    if from.as_ref().and_then(|f| f.address.as_ref()).is_none() {
        hit("MISSING_FROM", 2.0);
    }
    // A blank Subject is as good as none.
    match message.header_text("subject").filter(|s| !s.trim().is_empty()) {
        None => hit("MISSING_SUBJECT", 1.0),
        Some(subject) if shouts(&subject) => hit("SUBJ_ALL_CAPS", 1.5),
        Some(_) => {}
    }
    if undisclosed(message) {
        hit("R_UNDISC_RCPT", 1.0);
    }
    if !authenticated && message.field("date").is_none() {
        hit("MISSING_DATE", 1.0);
    }
    if !authenticated && message.message_id().is_none() {
        hit("MISSING_MID", 1.0);
    }
    if let Some(from) = &from
        && let (Some(name), Some(address)) = (&from.name, &from.address)
        && display_name_forged(name, address)
    {
        hit("FROM_NEQ_DISPLAY_NAME", 2.0);
    }
    if let Some(date) = message.date() {
        // Against the newest Received time when there is one; otherwise only the future is
        // judged (against the clock), as an archived message may be read any time later.
        let reference = message.received().next().and_then(|r| r.date);
        if date > reference.unwrap_or_else(now) + FUTURE_SLACK {
            hit("DATE_IN_FUTURE", 1.5);
        } else if reference.is_some_and(|r| date < r - PAST_SLACK) {
            hit("DATE_IN_PAST", 1.0);
        }
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A subject of mostly capital letters (and enough of them).
fn shouts(subject: &str) -> bool {
    let letters = subject.chars().filter(|c| c.is_alphabetic());
    let (total, upper) = letters.fold((0, 0), |(t, u), c| (t + 1, u + usize::from(c.is_uppercase())));
    total >= CAPS_MIN_LETTERS && upper * 10 >= total * 9
}

/// A display name that is itself an address in another domain than the real sender's
/// (`"paypal.com support@paypal.com" <x@evil.example>`).
fn display_name_forged(name: &str, address: &str) -> bool {
    let Some(shown) = name
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "<>()\"',;[]".contains(c)))
        .find(|w| w.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.')))
    else {
        return false;
    };
    domain_of(shown) != domain_of(address)
}

/// A link whose text shows a web address in another domain than the one it leads to.
fn misleading(href: &str, text: &str) -> bool {
    let text = text.trim();
    if text.contains(char::is_whitespace) || !(text.contains("://") || text.to_ascii_lowercase().starts_with("www.")) {
        return false;
    }
    let shown = urls::host(text).and_then(|h| urls::registrable(&h).map(str::to_string));
    let target = urls::host(href).map(|h| urls::registrable(&h).map_or(h.clone(), str::to_string));
    matches!((shown, target), (Some(shown), Some(target)) if shown != target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &[u8]) -> Vec<&'static str> {
        let message = Parsed::new(raw);
        let mut out = Vec::new();
        check(&message, &Body::new(&message), false, &mut out);
        out.iter().map(|s| s.name).collect()
    }

    const GOOD: &str = "From: Ann <ann@a.example>\r\nTo: bob@b.example\r\nSubject: lunch?\r\n\
        Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@a.example>\r\n\
        Received: from x by y; Mon, 1 Jan 2024 10:00:05 +0000\r\n\r\nSee you at noon.\r\n";

    #[test]
    fn clean_message_hits_nothing() {
        assert!(names(GOOD.as_bytes()).is_empty(), "{:?}", names(GOOD.as_bytes()));
    }

    #[test]
    fn header_rules() {
        assert_eq!(names(b"\r\nbody"), ["MISSING_FROM", "MISSING_SUBJECT", "MISSING_DATE", "MISSING_MID"]);
        let shouting = GOOD.replace("lunch?", "FREE MONEY NOW!!!");
        assert_eq!(names(shouting.as_bytes()), ["SUBJ_ALL_CAPS"]);
        let forged = GOOD.replace("Ann <ann@a.example>", "\"service@paypal.com\" <x@evil.example>");
        assert_eq!(names(forged.as_bytes()), ["FROM_NEQ_DISPLAY_NAME"]);
        let same = GOOD.replace("Ann <ann@a.example>", "\"ann@a.example\" <ann@mail.a.example>");
        assert!(names(same.as_bytes()).is_empty());
        let future = GOOD.replace("1 Jan 2024 10:00:00", "3 Jan 2024 10:00:00");
        assert_eq!(names(future.as_bytes()), ["DATE_IN_FUTURE"]);
        let past = GOOD.replace("1 Jan 2024 10:00:00", "1 Dec 2022 10:00:00");
        assert_eq!(names(past.as_bytes()), ["DATE_IN_PAST"]);
    }

    #[test]
    fn body_rules() {
        let gtube = format!("{GOOD}{}\r\n", std::str::from_utf8(GTUBE).unwrap());
        assert_eq!(names(gtube.as_bytes()), ["GTUBE"]);
        let ip = GOOD.replace("See you", "Go to http://192.0.2.7/login and see you");
        assert_eq!(names(ip.as_bytes()), ["HTTP_TO_IP"]);
        let html = GOOD.replace("\r\n\r\n", "\r\nContent-Type: text/html\r\n\r\n").replace(
            "See you at noon.",
            "<a href=\"http://evil.example/x\">https://www.bank.example/</a> <a href=\"http://t.bank.example/\">www.bank.example</a>",
        );
        assert_eq!(names(html.as_bytes()), ["MIME_HTML_ONLY", "PHISHING"]);
    }
}
