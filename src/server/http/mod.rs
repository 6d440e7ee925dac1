//! The HTTP API, the dashboard and the metrics (`[http]`): hyper's HTTP/1.1 server on the
//! shard executors, beside SMTP and IMAP, so that an injected message takes the same path
//! to the journal as one submitted over SMTP, on the same shard, without a hop between
//! threads. Every request but the dashboard's files and the unsubscribe links carries a
//! bearer token (`ringmail api-token add`) whose scope covers it.
//!
//! | file | holds |
//! |---|---|
//! | `io.rs` | hyper's I/O traits over glommio's streams |
//! | `routes.rs` | the table of endpoints, authentication, reading bodies |
//! | `respond.rs` | JSON answers and errors |
//! | `inject.rs` | `POST /api/v1/messages` |
//! | `admin.rs` | domains, users, aliases, DKIM keys, suppressions and tokens |
//! | `queue.rs` | the queue, its destinations and their suspension |
//! | `dashboard.rs` | the dashboard's page and the figures it shows |
//! | `unsubscribe.rs` | the one-click unsubscribe links of bulk mail (RFC 8058) |

mod admin;
mod dashboard;
mod inject;
mod io;
mod queue;
mod respond;
mod routes;
mod unsubscribe;

use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::future::or;
use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::admin::AdminContext;
use crate::net::Connection;
use crate::net::shutdown::Shutdown;
use crate::queue::sites::Sites;
use crate::queue::suspensions::Suspensions;
use crate::tls::ServerStream;
pub use dashboard::sample_stats;
use io::HyperIo;

/// Requests answered after shutdown begins, before the connection closes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Longest header section hyper buffers for one request.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The answer to a connection over the connection limits.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
Content-Length: 32\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}";

/// What the HTTP listeners of one shard share.
pub struct Services {
    /// The SMTP services of the shard: injected mail goes through the same checks.
    pub smtp: Rc<crate::smtp::server::Services>,
    /// Destination sites, for the queue's figures.
    pub sites: Arc<Sites>,
    /// Suspended destinations, shared with the schedulers.
    pub suspensions: Arc<Suspensions>,
    /// What the administration endpoints run (on a thread of their own: it blocks).
    pub admin: AdminContext,
    /// Fires when the server stops.
    pub shutdown: Shutdown,
    /// What `GET /metrics` reads.
    pub scrape: crate::metrics::Scrape,
}

/// Which requests a listener answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// `[http] listen`: the API, the dashboard and `/metrics`, with tokens.
    Api,
    /// `[http] metrics_listen`: only `GET /metrics`, without a token.
    Metrics,
}

/// Serves HTTP/1.1 on an accepted connection until the client closes it, it stays silent
/// for `idle_timeout_secs`, or the server stops.
pub async fn serve(services: Rc<Services>, conn: Connection<ServerStream>, peer: SocketAddr, listener: Listener) {
    let config = &services.smtp.config.http;
    let idle = Duration::from_secs(config.idle_timeout_secs.get());
    let mut stream = conn.into_stream();
    if let ServerStream::Plain(tcp) = &stream {
        // Every read and write must make progress within the idle time: a client that sends
        // half a request, or never reads its answer, is dropped (hyper has no timer here).
        let _ = tcp.set_read_timeout(Some(idle)).and_then(|()| tcp.set_write_timeout(Some(idle)));
    }
    if listener == Listener::Api
        && config.tls
        && let Err(e) = stream.start_tls_within(services.smtp.tls.acceptor(), idle).await
    {
        tracing::debug!(%peer, "HTTPS handshake failed: {e}");
        return;
    }
    let service = {
        let services = Rc::clone(&services);
        service_fn(move |request| routes::handle(Rc::clone(&services), peer, listener, request))
    };
    let mut builder = http1::Builder::new();
    builder.max_buf_size(MAX_HEADER_BYTES).header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(HyperIo(stream), service));
    let stopped = or(
        async {
            if let Err(e) = connection.as_mut().await {
                tracing::debug!(%peer, "HTTP connection ended: {e}");
            }
            false
        },
        async {
            services.shutdown.wait().await;
            true
        },
    )
    .await;
    if stopped {
        connection.as_mut().graceful_shutdown();
        let grace = async {
            glommio::timer::sleep(SHUTDOWN_GRACE).await;
            Ok(())
        };
        let _ = or(connection, grace).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_answer_is_well_formed() {
        let text = std::str::from_utf8(TOO_MANY_CONNECTIONS).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).unwrap().parse().unwrap();
        assert_eq!(length, body.len());
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
