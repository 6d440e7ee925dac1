//! Sending one query to one nameserver: UDP from a fresh socket (a new random source port per
//! query), and TCP (RFC 7766 length-prefixed) when the UDP answer was truncated.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpStream, UdpSocket};

use dns_proto::wire::EDNS_PAYLOAD;

/// Largest DNS message over TCP.
const MAX_TCP_MESSAGE: usize = 65_535;

/// Sends `query` over UDP and returns the first datagram that comes back from `server`.
/// Datagrams from anyone else are ignored (the caller checks id and question).
pub async fn udp(server: SocketAddr, query: &[u8], timeout: Duration) -> io::Result<Vec<u8>> {
    let local: SocketAddr = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().expect("literal");
    let socket = UdpSocket::bind(local)?;
    within(timeout, async {
        socket.send_to(query, server).await?;
        let mut buf = vec![0u8; EDNS_PAYLOAD as usize];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await?;
            if from == server {
                buf.truncate(n);
                return Ok(buf);
            }
        }
    })
    .await
}

/// Sends `query` over TCP and reads one length-prefixed response.
pub async fn tcp(server: SocketAddr, query: &[u8], timeout: Duration) -> io::Result<Vec<u8>> {
    within(timeout, async {
        let mut stream = TcpStream::connect(server).await?;
        let len = u16::try_from(query.len()).map_err(|_| io::Error::other("query too long"))?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(query);
        stream.write_all(&framed).await?;
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await?;
        let len = usize::from(u16::from_be_bytes(len)).min(MAX_TCP_MESSAGE);
        let mut buf = vec![0u8; len];
        stream.read_exact(&mut buf).await?;
        Ok(buf)
    })
    .await
}

async fn within<T>(timeout: Duration, work: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    let expire = async {
        glommio::timer::sleep(timeout).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, "no answer from the nameserver"))
    };
    or(work, expire).await
}
