//! The ENVELOPE of a message or encapsulated message (RFC 3501 7.4.2, RFC 9051 7.5.2).

use crate::wire::nstring;
use bytes::{BufMut, BytesMut};
use message::headers::{fields, slice, unfold};
use message::mime::Part;
use message::mime::address::{self, Address};

/// Writes the ENVELOPE list (RFC 3501 7.4.2 / RFC 9051 7.5.2) of the message (or of an
/// encapsulated message part): date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
/// message-id. sender and reply-to default to from. Address lists with groups
/// `(NIL NIL "group" NIL) ... (NIL NIL NIL NIL)`. Strings as in the header (encoded words NOT
/// decoded, per RFC), unfolded.
pub fn write_envelope(out: &mut BytesMut, message: &[u8], part: &Part) {
    const NAMES: [&str; 10] =
        ["date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id"];
    let mut values: [Option<&[u8]>; 10] = [None; 10];
    for field in fields(slice(message, &part.header)) {
        if let Some(i) = NAMES.iter().position(|n| field.is(n)) {
            values[i] = values[i].or(Some(field.value));
        }
    }
    let [date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id] = values;
    let from = addresses(from);
    let sender = addresses(sender);
    let reply_to = addresses(reply_to);
    out.put_u8(b'(');
    text(out, date);
    out.put_u8(b' ');
    text(out, subject);
    for list in
        [&from, if sender.is_empty() { &from } else { &sender }, if reply_to.is_empty() { &from } else { &reply_to }]
    {
        out.put_u8(b' ');
        write_addresses(out, list);
    }
    for list in [to, cc, bcc] {
        out.put_u8(b' ');
        write_addresses(out, &addresses(list));
    }
    out.put_u8(b' ');
    text(out, in_reply_to);
    out.put_u8(b' ');
    text(out, message_id);
    out.put_u8(b')');
}

/// A field value unfolded as an nstring; NIL when missing or empty.
fn text(out: &mut BytesMut, value: Option<&[u8]>) {
    let value = value.map(unfold);
    nstring(out, value.as_deref().filter(|v| !v.is_empty()));
}

/// The addresses of an optional field value.
fn addresses(value: Option<&[u8]>) -> Vec<Address> {
    value.map(|v| address::parse(&unfold(v))).unwrap_or_default()
}

/// An address list: `((name adl mailbox host)...)`, or NIL when empty.
fn write_addresses(out: &mut BytesMut, list: &[Address]) {
    if list.is_empty() {
        out.put_slice(b"NIL");
        return;
    }
    out.put_u8(b'(');
    for a in list {
        out.put_u8(b'(');
        for (i, field) in [&a.name, &a.adl, &a.mailbox, &a.host].into_iter().enumerate() {
            if i > 0 {
                out.put_u8(b' ');
            }
            nstring(out, field.as_deref());
        }
        out.put_u8(b')');
    }
    out.put_u8(b')');
}

#[cfg(test)]
mod tests {
    use super::*;
    use message::mime::parse;

    fn envelope(message: &str) -> String {
        let mut out = BytesMut::new();
        write_envelope(&mut out, message.as_bytes(), &parse(message.as_bytes()));
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn writes_the_rfc_3501_example() {
        let m = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\n\
                 Subject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\n\
                 cc: minutes@CNRI.Reston.VA.US,\r\n \"John Klensin\" <KLENSIN@MIT.EDU>\r\n\
                 Message-Id: <B27397-0100000@cac.washington.edu>\r\n\r\nbody\r\n";
        assert_eq!(
            envelope(m),
            "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
             ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
             ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
             ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
             \"<B27397-0100000@cac.washington.edu>\")"
        );
    }

    #[test]
    fn handles_missing_empty_and_group_fields() {
        assert_eq!(envelope("Subject:\r\nTo:\r\n\r\n"), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
        assert_eq!(envelope(""), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
        assert_eq!(
            envelope(
                "From: a@b\r\nSender: s@b\r\nReply-To: \r\nBcc: undisclosed-recipients:;\r\nIn-Reply-To: <x@y>\r\n\r\n"
            ),
            "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"s\" \"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL \
             ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) \"<x@y>\" NIL)"
        );
    }

    #[test]
    fn keeps_encoded_words_and_unfolds() {
        assert_eq!(
            envelope("Subject: =?utf-8?q?caf=C3=A9?=\r\n  folded\r\nFrom: =?utf-8?q?J=C3=B6rg?= <j@x>\r\n\r\n"),
            "(NIL \"=?utf-8?q?caf=C3=A9?=  folded\" ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\")) \
             ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\")) ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\")) NIL NIL NIL NIL NIL)"
        );
        assert_eq!(envelope("Subject: caf\u{e9}\r\n\r\n"), "(NIL {5}\r\ncaf\u{e9} NIL NIL NIL NIL NIL NIL NIL NIL)");
    }
}
