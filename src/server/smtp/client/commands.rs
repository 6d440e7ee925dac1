//! The MAIL and RCPT lines of a transaction, with the parameters the server offers: SIZE,
//! BODY=8BITMIME, SMTPUTF8 and the DSN parameters (RFC 3461).

use super::{Envelope, Recipient, SessionError};
use message::headers::header_block;
use smtp_proto::dsn::xtext_encode;
use smtp_proto::reply_reader::ServerReply;

/// The MAIL command with the parameters the server understands, or why the message cannot go
/// to this server: non-ASCII addresses or headers without SMTPUTF8 (RFC 6531). 8-bit content
/// reaches here only for a server that offers 8BITMIME (RFC 6152).
pub(super) fn mail_command(ehlo: &ServerReply, envelope: &Envelope<'_>) -> Result<String, SessionError> {
    let refuse = |text: &str| SessionError::Permanent(ServerReply { code: 554, lines: vec![text.to_string()] });
    let mut mail = format!("MAIL FROM:<{}>", envelope.sender);
    if ehlo.has_extension("SIZE") {
        mail.push_str(&format!(" SIZE={}", envelope.message.len()));
    }
    if !envelope.message.is_ascii() {
        // The transaction downgrades 8-bit mail first for a server without 8BITMIME.
        mail.push_str(" BODY=8BITMIME");
    }
    if envelope.smtputf8 {
        let needs_utf8 = !envelope.sender.is_ascii()
            || envelope.recipients.iter().any(|r| !r.address.is_ascii())
            || !header_block(envelope.message).is_ascii();
        if ehlo.has_extension("SMTPUTF8") {
            mail.push_str(" SMTPUTF8");
        } else if needs_utf8 {
            return Err(refuse("5.6.7 the message needs SMTPUTF8 and the server does not offer it"));
        }
    }
    if ehlo.has_extension("DSN") {
        if let Some(ret) = envelope.ret {
            mail.push_str(&format!(" RET={}", ret.param()));
        }
        if let Some(envid) = envelope.envid {
            mail.push_str(&format!(" ENVID={}", xtext_encode(envid)));
        }
    }
    Ok(mail)
}

/// The RCPT command, with NOTIFY and ORCPT for a server that offers DSN.
pub(super) fn rcpt_command(ehlo: &ServerReply, rcpt: &Recipient) -> String {
    let mut line = format!("RCPT TO:<{}>", rcpt.address);
    if ehlo.has_extension("DSN") {
        if let Some(notify) = rcpt.dsn.notify.param() {
            line.push_str(&format!(" NOTIFY={notify}"));
        }
        if let Some((kind, address)) = rcpt.dsn.orcpt.as_deref().and_then(|o| o.split_once(';')) {
            line.push_str(&format!(" ORCPT={kind};{}", xtext_encode(address)));
        }
    }
    line
}
