//! EHLO and HELO (RFC 5321 section 4.1.1.1) and the extensions we offer.

use super::session::{Hello, Session};
use smtp_proto::Reply;

impl Session {
    /// Answers EHLO/HELO; a new greeting also abandons any transaction.
    pub(super) fn hello(&mut self, name: String, extended: bool) {
        self.transaction = None;
        let host = &self.ctx.config.hostname;
        let text = if extended {
            let size = self.ctx.config.limits.max_message_size;
            let mut text = format!(
                "{host} greets {name}\nPIPELINING\nSIZE {size}\n8BITMIME\nENHANCEDSTATUSCODES\nCHUNKING\nSMTPUTF8\nDSN"
            );
            if self.tls.is_none() {
                text.push_str("\nSTARTTLS");
            }
            if self.auth_offered() && self.user.is_none() {
                text.push_str(&format!("\nAUTH {}", sasl::OFFERED));
            }
            text
        } else {
            format!("{host} greets {name}")
        };
        self.hello = Some(Hello { name, extended });
        self.reply(Reply::plain(250, text));
    }
}
