//! The IMAP server: IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) over the RocksDB mailbox
//! store, with STARTTLS/implicit TLS, CONDSTORE, UIDPLUS, MOVE, IDLE, LIST-EXTENDED,
//! SPECIAL-USE, ESEARCH and BINARY.
//!
//! | file | what |
//! |---|---|
//! | `view.rs` | the selected mailbox as the client knows it, and other sessions' changes |
//! | `flags.rs` | flag lists and the store's flag bits |
//! | `list.rs` | LIST patterns and special-use names |
//! | `summary.rs` | ENVELOPE, BODYSTRUCTURE and search fields per message, cached for all shards |
//! | `services.rs` | what the sessions of a shard share |
//! | `session/` | the session: states and one file per group of commands |
//!
//! Command parsing (literals included), `BODY[section]` names, the MIME structure behind
//! ENVELOPE and BODYSTRUCTURE, and the wire forms of responses are `imap-proto`'s: pure code,
//! fuzzed.
//!
//! Sessions on any shard see each other's changes: the journal publishes every committed
//! change of a mailbox to its watchers (`store::changes`), and each session reports them to
//! its client where the protocol allows.

pub mod expunged;
pub mod flags;
pub mod list;
pub mod object_ids;
mod services;
mod session;
pub mod sort_fields;
pub mod summary;
pub mod vanished;
pub mod view;

use std::net::SocketAddr;
use std::rc::Rc;

use crate::net::Connection;
use crate::tls::ServerStream;
pub use services::Services;

/// What a client over the connection limits gets before the connection is closed.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n";

/// Runs an IMAP session on an accepted connection; `implicit_tls` for the IMAPS port.
pub async fn serve(ctx: Rc<Services>, conn: Connection<ServerStream>, peer: SocketAddr, implicit_tls: bool) {
    session::Session::new(conn, ctx, peer).run(implicit_tls).await
}
