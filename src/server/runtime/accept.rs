//! The accept loop every protocol shares: take connections until shutdown, apply the
//! connection limits, count connections per protocol (`metrics`), and run one session task
//! per connection inside the shard's gate.

use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::future::or;
use glommio::net::TcpListener;
use glommio::sync::Gate;

use std::sync::Arc;

use crate::net::shutdown::Shutdown;
use crate::net::{Connection, ConnectionLimiter};
use crate::tls::ServerStream;

/// A listener with what its accept loop needs: the connection limits, the shutdown signal and
/// the shard's gate that sessions run in.
pub struct Accepting {
    /// The bound listener.
    pub listener: TcpListener,
    /// Connection limits shared by all shards.
    pub limiter: Arc<ConnectionLimiter>,
    /// Fires when the server stops.
    pub shutdown: Shutdown,
    /// Sessions run inside it, so that shutdown can wait for them.
    pub sessions: Rc<Gate>,
}

impl Accepting {
    /// Accepts connections until shutdown. A connection within the limits gets
    /// `serve(conn, peer)` as its own task; one over the limits gets `refusal` (the protocol's
    /// "too busy" line) and is closed. `protocol` names it in the metrics.
    pub async fn run<F, Fut>(self, protocol: &'static str, refusal: &'static [u8], serve: F)
    where
        F: Fn(Connection<ServerStream>, SocketAddr) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let Accepting { listener, limiter, shutdown, sessions } = self;
        let counters = crate::metrics::listener(protocol);
        loop {
            let accepted = or(async { Some(listener.accept().await) }, async {
                shutdown.wait().await;
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
            let permit = limiter.try_acquire(peer.ip());
            let mut conn = Connection::new(ServerStream::Plain(stream), shutdown.clone());
            let session = match permit {
                Some(permit) => {
                    let open = counters.accepted();
                    let run = serve(conn, peer);
                    sessions.spawn(async move {
                        run.await;
                        drop(permit);
                        drop(open);
                    })
                }
                None => {
                    counters.refused();
                    sessions.spawn(async move {
                        conn.send(refusal);
                        let _ = conn.flush(Duration::from_secs(5)).await;
                    })
                }
            };
            if let Ok(task) = session {
                task.detach();
            }
        }
    }
}
