//! The POP3 server (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595), AUTH PLAIN (RFC 5034) and
//! response codes (RFC 3206), over INBOX.
//!
//! | file | what |
//! |---|---|
//! | `maildrop.rs` | the snapshot of INBOX a session works on, and the one-session-per-account lock |
//! | `retr.rs` | RETR and TOP stuffed a piece at a time, so large messages stream |
//! | `services.rs` | what the sessions of a shard share |
//! | `session.rs` | the AUTHORIZATION / TRANSACTION / UPDATE state machine |
//!
//! Command lines and multi-line responses (byte-stuffing, TOP) are `pop3-proto`'s: pure code,
//! fuzzed.

pub mod maildrop;
mod retr;
mod services;
mod session;

use std::net::SocketAddr;
use std::rc::Rc;

pub use maildrop::MaildropLocks;

use crate::net::Connection;
use crate::tls::ServerStream;
pub use services::Services;

/// What a client over the connection limits gets before the connection is closed.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"-ERR [SYS/TEMP] Too many connections, try again later\r\n";

/// Runs a POP3 session on an accepted connection; `implicit_tls` for the POP3S port.
pub async fn serve(ctx: Rc<Services>, conn: Connection<ServerStream>, peer: SocketAddr, implicit_tls: bool) {
    session::Session::new(conn, ctx, peer).run(implicit_tls).await
}
