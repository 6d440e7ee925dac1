//! Accepting SMTP connections on one shard.

use std::rc::Rc;
use std::time::Duration;

use futures_lite::future::or;
use glommio::net::TcpListener;
use glommio::sync::Gate;

use super::replies;
use super::session::Session;
use crate::net::Connection;
use crate::runtime::ShardContext;
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

/// Accepts connections for `role` until shutdown, running each session inside `sessions` so
/// that the shard can wait for them to finish.
pub async fn accept_loop(ctx: Rc<ShardContext>, listener: TcpListener, role: Role, sessions: Rc<Gate>) {
    loop {
        let accepted = or(async { Some(listener.accept().await) }, async {
            ctx.shutdown.wait().await;
            None
        })
        .await;
        let stream = match accepted {
            None => return,
            Some(Ok(stream)) => stream,
            Some(Err(e)) => {
                // Typically EMFILE: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                glommio::timer::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else { continue };
        let _ = stream.set_nodelay(true);
        let permit = ctx.limiter.try_acquire(peer.ip());
        let session_ctx = Rc::clone(&ctx);
        let spawned = sessions.spawn(async move {
            let mut conn = Connection::new(ServerStream::Plain(stream), session_ctx.shutdown.clone());
            match permit {
                Some(_permit) => Session::new(conn, session_ctx, peer, role).run().await,
                None => {
                    replies::too_many_connections().write_to(conn.output());
                    let _ = conn.flush(Duration::from_secs(5)).await;
                }
            }
        });
        if let Ok(task) = spawned {
            task.detach();
        }
    }
}
