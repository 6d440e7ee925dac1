//! 8BITMIME downgrade (RFC 6152 section 3): a message with 8-bit bodies, re-encoded so that it
//! can go to a server that does not offer 8BITMIME instead of bouncing. Each leaf body with
//! 8-bit octets gets a 7-bit transfer encoding (quoted-printable for text, base64 for anything
//! else) and a Content-Transfer-Encoding field to match; everything else is copied as it is.
//! The part tree comes from the same one-pass MIME parser that IMAP uses.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::mime::{self, Part};

/// Longest base64 line (RFC 2045 section 6.8).
const BASE64_LINE: usize = 76;

/// The message with every 8-bit leaf body re-encoded, or None when 8-bit octets sit where no
/// transfer encoding can reach them without changing the message: in a header, a multipart
/// preamble or epilogue, or a body that claims to be base64 or quoted-printable already.
pub fn to_seven_bit(message: &[u8]) -> Option<Vec<u8>> {
    let root = mime::parse(message);
    let mut out = Vec::with_capacity(message.len() + message.len() / 3);
    let mut copied = 0;
    reencode(message, &root, true, &mut out, &mut copied)?;
    out.extend_from_slice(&message[copied..]);
    out.is_ascii().then_some(out)
}

/// Re-encodes the 8-bit leaf bodies in `part`, in message order; `copied` is how far `message`
/// has been written to `out`.
fn reencode(message: &[u8], part: &Part, top: bool, out: &mut Vec<u8>, copied: &mut usize) -> Option<()> {
    for child in &part.children {
        reencode(message, child, false, out, copied)?;
    }
    if let Some(inner) = &part.message {
        return reencode(message, inner, false, out, copied);
    }
    let body = &message[part.body.clone()];
    if part.is_multipart() || body.is_ascii() {
        return Some(());
    }
    if !matches!(part.encoding.as_str(), "7bit" | "8bit" | "binary") {
        return None;
    }
    out.extend_from_slice(&message[*copied..part.header.start]);
    let text = part.media_type == "text";
    write_header(&message[part.header.clone()], top, if text { "quoted-printable" } else { "base64" }, out);
    match text {
        true => out.extend_from_slice(&quoted_printable::encode(body)),
        false => {
            let encoded = STANDARD.encode(body);
            for (i, line) in encoded.as_bytes().chunks(BASE64_LINE).enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(line);
            }
            if part.body.end == message.len() {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    *copied = part.body.end;
    Some(())
}

/// Writes a part's header with its Content-Transfer-Encoding field replaced by `encoding` (and,
/// at the top, a MIME-Version field when there is none), then the blank line.
fn write_header(header: &[u8], top: bool, encoding: &str, out: &mut Vec<u8>) {
    let mut has_version = false;
    let mut keep = true;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            let name = line.split(|&b| b == b':').next().unwrap_or_default().trim_ascii();
            keep = !name.eq_ignore_ascii_case(b"Content-Transfer-Encoding");
            has_version |= name.eq_ignore_ascii_case(b"MIME-Version");
        }
        if keep {
            out.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    if top && !has_version {
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    }
    out.extend_from_slice(format!("Content-Transfer-Encoding: {encoding}\r\n\r\n").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Parsed;
    use crate::parsed::Content;

    #[test]
    fn a_single_text_body_becomes_quoted_printable() {
        let message = "From: a@example.net\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\
                       Content-Transfer-Encoding: 8bit\r\n\r\nGr\u{fc}\u{df}e aus K\u{f6}ln\r\n";
        let out = to_seven_bit(message.as_bytes()).expect("downgraded");
        let out = String::from_utf8(out).expect("ASCII");
        assert_eq!(
            out,
            "From: a@example.net\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\
             MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             Gr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n"
        );
        let parsed = Parsed::new(out.as_bytes());
        assert_eq!(parsed.text(&parsed.root), "Gr\u{fc}\u{df}e aus K\u{f6}ln\r\n");
    }

    #[test]
    fn multipart_bodies_keep_their_content() {
        let binary: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let mut message = b"From: a@example.net\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n\
            --b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nna\xefve caf\xe9\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n\
            --b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            .to_vec();
        message.extend_from_slice(&binary);
        message.extend_from_slice(b"\r\n--b--\r\n");
        let out = to_seven_bit(&message).expect("downgraded");
        assert!(out.is_ascii());
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("--b\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n--b"), "7-bit parts as they were");
        assert_eq!(text.matches("MIME-Version").count(), 1);
        let parsed = Parsed::new(&out);
        let texts: Vec<_> =
            parsed.parts().filter(|v| v.content == Content::Text).map(|v| parsed.text(v.part)).collect();
        assert_eq!(texts, ["na\u{ef}ve caf\u{e9}", "plain ascii"]);
        let attachment = parsed.parts().find(|v| v.content == Content::Binary).expect("the attachment").part;
        assert_eq!(attachment.encoding, "base64");
        assert_eq!(parsed.decoded(attachment), &binary[..]);
    }

    #[test]
    fn an_encapsulated_message_is_reached() {
        let message = "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\
                       Content-Type: text/plain; charset=utf-8\r\n\r\n\u{e9}t\u{e9}\r\n";
        let out = to_seven_bit(message.as_bytes()).expect("downgraded");
        let text = String::from_utf8(out).expect("ASCII");
        assert!(text.ends_with("Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9t=C3=A9\r\n"), "{text}");
    }

    #[test]
    fn eight_bit_where_no_encoding_reaches_it_cannot_be_downgraded() {
        assert_eq!(to_seven_bit("Subject: gr\u{fc}\u{df}e\r\n\r\nbody\r\n".as_bytes()), None, "a header");
        let claimed = "Content-Transfer-Encoding: base64\r\n\r\n\u{fc}\u{fc}\r\n";
        assert_eq!(to_seven_bit(claimed.as_bytes()), None, "a body that claims base64");
        let preamble = "Content-Type: multipart/mixed; boundary=b\r\n\r\n\u{fc}\r\n--b\r\n\r\nx\r\n--b--\r\n";
        assert_eq!(to_seven_bit(preamble.as_bytes()), None, "a preamble");
    }

    #[test]
    fn a_seven_bit_message_is_unchanged() {
        let message = b"Subject: x\r\n\r\nonly ascii\r\n";
        assert_eq!(to_seven_bit(message).as_deref(), Some(&message[..]));
    }
}
