//! The roles an SMTP listener plays, and starting a session on an accepted connection.

use std::net::SocketAddr;
use std::rc::Rc;

use super::services::Services;
use super::session::Session;
use crate::net::Connection;
use crate::tls::ServerStream;

/// What a listener is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Port 25: mail from the world for local domains; STARTTLS offered, AUTH if configured.
    Inbound,
    /// Port 587: STARTTLS, then AUTH before any mail (RFC 6409).
    Submission,
    /// Port 465: TLS from the first byte, then AUTH before any mail (RFC 8314).
    Submissions,
}

impl Role {
    /// True when the connection starts with a TLS handshake.
    pub fn implicit_tls(self) -> bool {
        self == Role::Submissions
    }

    /// True when MAIL needs a logged-in user.
    pub fn requires_auth(self) -> bool {
        self != Role::Inbound
    }
}

/// Runs an SMTP session in `role` on an accepted connection.
pub async fn serve(ctx: Rc<Services>, conn: Connection<ServerStream>, peer: SocketAddr, role: Role) {
    Session::new(conn, ctx, peer, role).run().await
}

/// What a client over the connection limits gets before the connection is closed.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"421 4.7.0 Too many connections, try again later\r\n";
