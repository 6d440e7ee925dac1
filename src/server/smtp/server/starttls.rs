//! STARTTLS (RFC 3207) and the handshake of implicit-TLS listeners (RFC 8314).

use super::replies;
use super::session::{Flow, Session};
use smtp_proto::{Reply, Status};

impl Session {
    /// STARTTLS: answer 220, forget everything the client pipelined after the command (the
    /// CVE-2011-0411 command-injection class), handshake, and start over as if just connected.
    pub(super) async fn starttls(&mut self) -> Flow {
        if self.tls.is_some() {
            self.error(replies::bad_sequence("TLS is already active"));
            return Flow::Continue;
        }
        if self.transaction.is_some() {
            self.error(replies::bad_sequence("STARTTLS is not allowed during a mail transaction"));
            return Flow::Continue;
        }
        self.reply(Reply::new(220, Status(2, 0, 0), "Ready to start TLS"));
        if self.flush().await.is_err() {
            return Flow::Close;
        }
        self.conn.discard_input();
        if !self.handshake().await {
            return Flow::Close;
        }
        self.hello = None;
        self.transaction = None;
        self.user = None;
        Flow::Continue
    }

    /// Runs the TLS handshake within the command timeout; false when it failed (the
    /// connection is then unusable and the session ends without a reply).
    pub(super) async fn handshake(&mut self) -> bool {
        let timeout = self.command_timeout();
        match self.conn.stream_mut().start_tls_within(self.ctx.tls.acceptor(), timeout).await {
            Ok(()) => {
                self.tls = self.conn.stream().tls_info();
                true
            }
            Err(e) => {
                tracing::debug!(peer = %self.peer, "TLS handshake failed: {e}");
                false
            }
        }
    }
}
