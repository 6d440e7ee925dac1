//! Opening the TCP connection, from a chosen local address when an IP pool asks for one.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_lite::future::or;
use glommio::net::TcpStream;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Connects to `addr` within `timeout`, bound to `source` if given.
pub async fn connect(addr: SocketAddr, source: Option<IpAddr>, timeout: Duration) -> io::Result<TcpStream> {
    let Some(source) = source else {
        let expire = async {
            glommio::timer::sleep(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "connection timed out"))
        };
        return or(async { Ok(TcpStream::connect(addr).await?) }, expire).await;
    };
    // glommio cannot bind before connecting, so the socket is made and connected on the
    // blocking thread, then handed to the executor.
    let socket = glommio::executor()
        .spawn_blocking(move || -> io::Result<Socket> {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            socket
                .bind(&SockAddr::from(SocketAddr::new(source, 0)))
                .map_err(|e| io::Error::new(e.kind(), format!("cannot connect from {source}: {e}")))?;
            socket.connect_timeout(&SockAddr::from(addr), timeout)?;
            Ok(socket)
        })
        .await?;
    Ok(TcpStream::from(socket))
}
