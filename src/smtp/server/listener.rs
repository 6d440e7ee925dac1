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

/// Accepts connections until shutdown, running each session inside `sessions` so that the
/// shard can wait for them to finish.
pub async fn accept_loop(ctx: Rc<ShardContext>, listener: TcpListener, sessions: Rc<Gate>) {
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
            let mut conn = Connection::new(stream, session_ctx.shutdown.clone());
            match permit {
                Some(_permit) => Session::new(conn, session_ctx, peer).run().await,
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
