//! Trace headers: `Received:` (RFC 5321 section 4.4) and, for local mailboxes, `Return-Path:`.

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;

use crate::tls::TlsInfo;
use message::date::rfc5322;
use smtp_proto::Mailbox;
use store::MessageId;

/// What a `Received:` header records about one transaction.
pub struct Received<'a> {
    /// The client's HELO/EHLO name.
    pub helo: &'a str,
    /// The client's address.
    pub peer: IpAddr,
    /// Our host name.
    pub hostname: &'a str,
    /// `SMTP`, `ESMTP`, `ESMTPSA`, `UTF8SMTPS`, ... (RFC 3848, RFC 6531).
    pub protocol: &'a str,
    /// The TLS version and cipher, when the session used TLS.
    pub tls: Option<&'a TlsInfo>,
    /// The stored message's id.
    pub id: MessageId,
    /// The recipient, when there is exactly one.
    pub single_recipient: Option<&'a Mailbox>,
}

impl Received<'_> {
    /// The header, folded over three lines, CRLF-terminated.
    pub fn to_header(&self, now: SystemTime) -> Bytes {
        let helo = printable(self.helo);
        let mut h = format!("Received: from {helo} ([{}])", self.peer);
        if let Some(tls) = self.tls {
            h.push_str(&format!("\r\n\t(using {} with cipher {})", tls.version, printable(&tls.cipher)));
        }
        h.push_str(&format!("\r\n\tby {} (ringmail) with {} id {}", self.hostname, self.protocol, self.id));
        if let Some(rcpt) = self.single_recipient {
            h.push_str(&format!("\r\n\tfor <{}>", printable(&rcpt.to_string())));
        }
        h.push_str(&format!("; {}\r\n", rfc5322(now)));
        Bytes::from(h)
    }
}

/// `Return-Path: <sender>` for local delivery (empty brackets for the null sender).
pub fn return_path(sender: Option<&Mailbox>) -> Bytes {
    let sender = sender.map(|m| m.to_string()).unwrap_or_default();
    Bytes::from(format!("Return-Path: <{sender}>\r\n"))
}

/// Replaces characters that do not belong in a header (controls, non-ASCII) with `?`.
fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_header_shape() {
        let rcpt = Mailbox::parse("bob@example.com").unwrap();
        let r = Received {
            helo: "client\u{7}.example",
            peer: "192.0.2.7".parse().unwrap(),
            hostname: "mx.example",
            protocol: "ESMTP",
            tls: None,
            id: MessageId(0xAB),
            single_recipient: Some(&rcpt),
        };
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let h = r.to_header(t);
        assert_eq!(
            std::str::from_utf8(&h).unwrap(),
            "Received: from client?.example ([192.0.2.7])\r\n\tby mx.example (ringmail) with ESMTP id \
             000000000000000000000000000000AB\r\n\tfor <bob@example.com>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        );
        let tls = TlsInfo { version: "TLSv1.3", cipher: "TLS13_AES_256_GCM_SHA384".into(), peer_names: String::new() };
        let r = Received { protocol: "ESMTPSA", tls: Some(&tls), single_recipient: None, ..r };
        assert_eq!(
            std::str::from_utf8(&r.to_header(t)).unwrap(),
            "Received: from client?.example ([192.0.2.7])\r\n\t(using TLSv1.3 with cipher TLS13_AES_256_GCM_SHA384)\
             \r\n\tby mx.example (ringmail) with ESMTPSA id 000000000000000000000000000000AB; \
             Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        );
        assert_eq!(&return_path(None)[..], b"Return-Path: <>\r\n");
    }
}
