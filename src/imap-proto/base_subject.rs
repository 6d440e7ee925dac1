//! The base subject of a message (RFC 5256 2.1): its Subject without `Re:`/`Fwd:` leaders,
//! `[list]` blobs, `(fwd)` trailers and `[fwd: ...]` wrappers, as SORT (SUBJECT) and THREAD
//! compare it. The input is the Subject already decoded from RFC 2047 to UTF-8 and unfolded.
//!
//! The ABNF (RFC 5256 5), whose strings match case-insensitively:
//!
//! ```text
//! subj-refwd   = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
//! subj-blob    = "[" *BLOBCHAR "]" *WSP
//! subj-leader  = (*subj-blob subj-refwd) / WSP
//! subj-trailer = "(fwd)" / WSP
//! subj-fwd     = "[fwd:" subject "]"
//! ```
//!
//! Every step only moves the two ends of the text inward, so the work is linear in its length.

/// A base subject and whether extracting it showed the message to be a reply or forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSubject {
    /// The base subject lowercased with `to_lowercase()`: the form compared and sorted, a simple
    /// stand-in for the i;unicode-casemap collation RFC 5256 names.
    pub text: String,
    /// True when a subj-refwd leader (`Re:`, `Fwd[2]:`...), a `(fwd)` trailer or a `[fwd: ...]`
    /// wrapper was removed: the "reply or forward" of THREAD=REFERENCES step 5.
    pub reply: bool,
}

/// The base subject of `subject` (RFC 5256 2.1 steps 1 to 7).
pub fn base_subject(subject: &str) -> BaseSubject {
    let text = collapse_whitespace(subject);
    let b = text.as_bytes();
    let (mut start, mut end) = (0, b.len());
    let mut reply = false;
    loop {
        end = strip_trailers(b, start, end, &mut reply);
        start = strip_leaders(b, start, end, &mut reply);
        // Step 6: unwrap `[fwd: ...]` and start again from step 2.
        if !is_fwd_wrapped(&b[start..end]) {
            break;
        }
        start += FWD_HDR.len();
        end -= 1;
        reply = true;
    }
    BaseSubject { text: text.get(start..end).unwrap_or_default().to_lowercase(), reply }
}

/// subj-fwd-hdr.
const FWD_HDR: &[u8] = b"[fwd:";

/// Step 1: tabs, continuation line ends and runs of them become one space.
fn collapse_whitespace(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut in_space = false;
    for c in subject.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Step 2: the new end of `b[start..end]` once subj-trailers are removed; sets `reply` when one
/// was `(fwd)`.
fn strip_trailers(b: &[u8], start: usize, mut end: usize, reply: &mut bool) -> usize {
    loop {
        let text = &b[start..end];
        if text.ends_with(b" ") {
            end -= 1;
        } else if text.len() >= 5 && text[text.len() - 5..].eq_ignore_ascii_case(b"(fwd)") {
            end -= 5;
            *reply = true;
        } else {
            return end;
        }
    }
}

/// Steps 3 to 5: the new start of `b[start..end]` once subj-leaders, and subj-blobs that leave
/// something after them, are removed; sets `reply` when a subj-refwd was removed.
fn strip_leaders(b: &[u8], mut start: usize, end: usize, reply: &mut bool) -> usize {
    loop {
        let text = &b[start..end];
        if text.starts_with(b" ") {
            start += 1;
            continue;
        }
        let (blobs, last_blob) = blob_run(text);
        if let Some(n) = refwd(&text[blobs..]) {
            start += blobs + n;
            *reply = true;
            continue;
        }
        // No subj-refwd follows the blobs, so step 4 removes them one at a time, each time
        // coming back here to the same test: all of them go, except the last when nothing
        // follows it.
        return if blobs == text.len() { start + last_blob } else { start + blobs };
    }
}

/// The length of the `*subj-blob` that `text` starts with, and where its last blob starts.
fn blob_run(text: &[u8]) -> (usize, usize) {
    let (mut len, mut last) = (0, 0);
    while let Some(n) = blob(&text[len..]) {
        last = len;
        len += n;
    }
    (len, last)
}

/// The length of the subj-blob (brackets and the spaces after) that `text` starts with.
fn blob(text: &[u8]) -> Option<usize> {
    let inner = text.strip_prefix(b"[")?;
    let close = inner.iter().position(|&c| matches!(c, b'[' | b']' | 0))?;
    if inner[close] != b']' {
        return None;
    }
    Some(1 + close + 1 + spaces(&inner[close + 1..]))
}

/// The length of the subj-refwd (`re`, `fw` or `fwd`, a blob, the colon) that `text` starts with.
fn refwd(text: &[u8]) -> Option<usize> {
    let word = [&b"re"[..], b"fwd", b"fw"].into_iter().find(|w| starts_with_ignore_case(text, w))?;
    let mut n = word.len();
    n += spaces(&text[n..]);
    n += blob(&text[n..]).unwrap_or(0);
    (text.get(n) == Some(&b':')).then_some(n + 1)
}

/// Step 6: whether `text` is subj-fwd-hdr ... subj-fwd-trl.
fn is_fwd_wrapped(text: &[u8]) -> bool {
    text.len() > FWD_HDR.len() && starts_with_ignore_case(text, FWD_HDR) && text.ends_with(b"]")
}

/// The number of spaces `text` starts with.
fn spaces(text: &[u8]) -> usize {
    text.iter().take_while(|&&c| c == b' ').count()
}

/// Whether `text` starts with `prefix`, ASCII letters compared without case.
fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(subject: &str) -> (String, bool) {
        let b = base_subject(subject);
        (b.text, b.reply)
    }

    fn text(subject: &str) -> String {
        base_subject(subject).text
    }

    #[test]
    fn plain_subjects_are_lowercased() {
        assert_eq!(base("Hello World"), ("hello world".into(), false));
        assert_eq!(base("Élan Vital"), ("élan vital".into(), false));
        assert_eq!(base(""), (String::new(), false));
        assert_eq!(base("   "), (String::new(), false));
    }

    #[test]
    fn whitespace_collapses() {
        assert_eq!(base("  a \t\t b  \r\n c "), ("a b c".into(), false));
    }

    #[test]
    fn reply_and_forward_leaders() {
        for s in ["Re: hello", "RE:hello", "re :hello", "Fw: hello", "FWD: hello", "Re[2]: hello", "Re [2] : hello"] {
            assert_eq!(base(s), ("hello".into(), true), "{s}");
        }
        assert_eq!(base("  Fwd:   Re:   x  "), ("x".into(), true));
        assert_eq!(base("Re: Re: Fwd: Re[3]: x"), ("x".into(), true));
    }

    #[test]
    fn words_that_only_look_like_leaders_stay() {
        assert_eq!(base("Reply: x"), ("reply: x".into(), false));
        assert_eq!(base("Re"), ("re".into(), false));
        assert_eq!(base("Fwd"), ("fwd".into(), false));
        assert_eq!(base("Re[2] x"), ("re[2] x".into(), false));
        assert_eq!(base("x Re: y"), ("x re: y".into(), false));
    }

    #[test]
    fn only_a_leader_leaves_nothing() {
        assert_eq!(base("Re:"), (String::new(), true));
        assert_eq!(base("Re: Fwd: "), (String::new(), true));
    }

    #[test]
    fn blobs() {
        assert_eq!(base("[list] hello"), ("hello".into(), false));
        assert_eq!(base("[PATCH] [v2] Fix it"), ("fix it".into(), false));
        assert_eq!(base("[blob]"), ("[blob]".into(), false));
        assert_eq!(base("[a] [b]"), ("[b]".into(), false));
        assert_eq!(base("[list] Re: hello"), ("hello".into(), true));
        assert_eq!(base("Re: [list] Re: hello (fwd)"), ("hello".into(), true));
        assert_eq!(base("Re: [b]"), ("[b]".into(), true));
        assert_eq!(base("[unclosed hello"), ("[unclosed hello".into(), false));
        assert_eq!(base("[a[b] x"), ("[a[b] x".into(), false));
    }

    #[test]
    fn trailers() {
        assert_eq!(base("hello (fwd)"), ("hello".into(), true));
        assert_eq!(base("hello (FWD) (fwd)  "), ("hello".into(), true));
        assert_eq!(base("hello(fwd)"), ("hello".into(), true));
        assert_eq!(base("(fwd)"), (String::new(), true));
        assert_eq!(base("hello (fwd) x"), ("hello (fwd) x".into(), false));
    }

    #[test]
    fn fwd_wrappers() {
        assert_eq!(base("[fwd: Re: x]"), ("x".into(), true));
        assert_eq!(base("[Fwd: hello]"), ("hello".into(), true));
        assert_eq!(base("Re: [fwd: [fwd: hello (fwd)]]"), ("hello".into(), true));
        assert_eq!(base("[fwd: hello] tail"), ("tail".into(), false));
        assert_eq!(base("[fwd:]"), (String::new(), true));
        assert_eq!(base("[fwd: x"), ("[fwd: x".into(), false));
    }

    #[test]
    fn same_thread_same_base() {
        let all = ["Meeting", "Re: meeting", "RE: [team] Meeting", "Fwd: Meeting (fwd)", "[Fwd: Re: MEETING]"];
        for s in all {
            assert_eq!(text(s), "meeting", "{s}");
        }
    }

    #[test]
    fn long_inputs_run_in_linear_time() {
        let started = std::time::Instant::now();
        assert_eq!(base(&format!("{}x", "Re: ".repeat(10_000))), ("x".into(), true));
        assert_eq!(text(&format!("{}x", "[a] ".repeat(10_000))), "x");
        assert_eq!(text(&"[a]".repeat(10_000)), "[a]");
        assert_eq!(text(&format!("{}x{}", "[fwd: ".repeat(10_000), "]".repeat(10_000))), "x");
        assert_eq!(text(&format!("{}x", "[fwd: re[".repeat(10_000))).len(), 10_000 * 9 + 1);
        assert_eq!(text(&format!("x{}", " (fwd)".repeat(10_000))), "x");
        let noise: String = "[Re:[ fwd(fwd) ] [fwd: re[2]:".repeat(5_000);
        let _ = base_subject(&noise);
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    }
}
