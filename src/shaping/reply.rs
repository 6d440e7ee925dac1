//! The reply a rule looks at, found in the words the delivery code keeps for a recipient
//! (`"mx.example.net: 421 4.7.28 ..."`, `"1.2.3.4:25 answered MAIL with 451 ..."`).

/// A remote server's reply: its code, enhanced status (RFC 3463) and whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<'a> {
    /// The three-digit code; 0 when the words hold none (a connection that failed).
    pub code: u16,
    /// The enhanced status code right after it, as written (`"4.7.28"`).
    pub status: Option<&'a str>,
    /// Everything, for the rules' regexes.
    pub text: &'a str,
}

impl<'a> Reply<'a> {
    /// The first reply code in `text` (a 2xx-5xx word) and the enhanced status after it.
    pub fn find(text: &'a str) -> Reply<'a> {
        let mut words = text.split([' ', '-', '\t']).filter(|w| !w.is_empty()).peekable();
        while let Some(word) = words.next() {
            let word = word.trim_start_matches(':');
            if let Some(code) = reply_code(word) {
                let status = words.peek().copied().filter(|w| is_status(w, code));
                return Reply { code, status, text };
            }
        }
        Reply { code: 0, status: None, text }
    }

    /// Whether it is a temporary failure (4xx, or no reply at all).
    pub fn is_temporary(&self) -> bool {
        self.code == 0 || (400..500).contains(&self.code)
    }
}

/// `word` as a reply code: three digits, 2 to 5 first.
fn reply_code(word: &str) -> Option<u16> {
    let bytes = word.as_bytes();
    let digits = bytes.len() == 3 && bytes.iter().all(u8::is_ascii_digit) && (b'2'..=b'5').contains(&bytes[0]);
    digits.then(|| word.parse().ok()).flatten()
}

/// Whether `word` is an enhanced status code of the class of `code` (`4.7.28` after `421`).
fn is_status(word: &str, code: u16) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0] == (code / 100).to_string()
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn code_and_status_after_a_host_name() {
        let text = "gmail-smtp-in.l.google.com: 421 4.7.28 Our system has detected an unusual rate";
        let reply = Reply::find(text);
        assert_eq!((reply.code, reply.status), (421, Some("4.7.28")));
        assert!(reply.is_temporary());
    }

    #[test]
    fn a_reply_to_a_command_and_multi_line_continuations() {
        let reply = Reply::find("127.0.0.1:25 answered MAIL with 451 4.7.650 The mail server has been rate limited");
        assert_eq!((reply.code, reply.status), (451, Some("4.7.650")));
        let reply = Reply::find("mx: 421-4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred");
        assert_eq!((reply.code, reply.status), (421, Some("4.7.0")));
    }

    #[test]
    fn no_status_or_no_reply() {
        let reply = Reply::find("mx.example: 450 mailbox busy");
        assert_eq!((reply.code, reply.status), (450, None));
        let reply = Reply::find("mx.example: 550 4.1.1 mixed classes");
        assert_eq!((reply.code, reply.status), (550, None), "a status of another class is not taken");
        let reply = Reply::find("127.0.0.1:25: connection refused");
        assert_eq!(reply.code, 0, "the port is not a code");
        assert!(reply.is_temporary());
        assert_eq!(Reply::find("mx: 250 2.0.0 ok").code, 250);
        assert!(!Reply::find("mx: 554 5.7.1 no").is_temporary());
    }
}
