//! Reading mboxrd files (training corpora, exported folders): messages follow `From ` lines,
//! and a body line that began with `>*From ` had one more `>` put in front when written.

use memchr::memchr;

/// One message of an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage<'a> {
    /// The separator line before it, without its line end (`From sender date`).
    pub separator: &'a [u8],
    /// The message with `>From ` quoting undone.
    pub message: Vec<u8>,
}

/// Splits an mboxrd file into its messages. Text before the first `From ` line is skipped.
pub fn split_mbox(data: &[u8]) -> Vec<MboxMessage<'_>> {
    let mut out: Vec<MboxMessage<'_>> = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = memchr(b'\n', &data[pos..]).map_or(data.len(), |e| pos + e + 1);
        let line = &data[pos..end];
        pos = end;
        if line.starts_with(b"From ") {
            let separator = line.strip_suffix(b"\n").unwrap_or(line);
            out.push(MboxMessage {
                separator: separator.strip_suffix(b"\r").unwrap_or(separator),
                message: Vec::new(),
            });
        } else if let Some(current) = out.last_mut() {
            let quoted = line.iter().take_while(|&&b| b == b'>').count();
            let unquote = quoted > 0 && line[quoted..].starts_with(b"From ");
            current.message.extend_from_slice(if unquote { &line[1..] } else { line });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unquotes() {
        let mbox = b"junk\nFrom a@b Mon\nSubject: x\n\n>From here\n>>From there\n>Fromage\nFrom c@d Tue\r\nbody\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].separator, b"From a@b Mon");
        assert_eq!(messages[0].message, b"Subject: x\n\nFrom here\n>From there\n>Fromage\n");
        assert_eq!(messages[1].separator, b"From c@d Tue");
        assert_eq!(messages[1].message, b"body\n");
        assert!(split_mbox(b"").is_empty());
    }
}
