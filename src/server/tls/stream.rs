//! A TCP stream that starts in clear text and may become TLS (STARTTLS), or starts as TLS
//! (implicit TLS ports): [`ServerStream`] for the connections we accept, [`ClientStream`] for
//! the ones we open.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use futures_rustls::server::TlsStream;
use futures_rustls::{TlsAcceptor, TlsConnector, client};
use glommio::net::TcpStream;
use rustls::ProtocolVersion;
use rustls_pki_types::ServerName;

use crate::net::deflate::Deflated;

/// What a TLS handshake settled on, for `Received:` headers and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: &'static str,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The DNS names of the certificate the peer presented, space-separated (empty when it
    /// names none, or sent none: our clients never do).
    pub peer_names: String,
}

/// A connection in clear text or TLS; `T` is rustls' server or client stream.
pub enum MaybeTls<T> {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<T>),
    /// Either, compressed both ways (IMAP's COMPRESS=DEFLATE).
    Deflate(Box<Deflated<MaybeTls<T>>>),
    /// During a handshake, and after one failed: every operation fails.
    Gone,
}

/// A connection a client opened to us.
pub type ServerStream = MaybeTls<TlsStream<TcpStream>>;

/// A connection we opened to another server.
pub type ClientStream = MaybeTls<client::TlsStream<TcpStream>>;

impl<T> MaybeTls<T> {
    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        match self {
            MaybeTls::Tls(_) => true,
            MaybeTls::Deflate(inner) => inner.get_ref().is_tls(),
            MaybeTls::Plain(_) | MaybeTls::Gone => false,
        }
    }

    /// True once compression is active.
    pub fn is_deflated(&self) -> bool {
        matches!(self, MaybeTls::Deflate(_))
    }

    /// Compresses the stream both ways from now on; `pending` is input already read from it
    /// (compressed, since it came after the command that started compression).
    pub fn start_deflate(&mut self, pending: &[u8]) {
        let inner = std::mem::replace(self, MaybeTls::Gone);
        *self = MaybeTls::Deflate(Box::new(Deflated::new(inner, pending)));
    }
}

impl ClientStream {
    /// Runs the client side of a TLS handshake on a plain stream and switches to TLS.
    pub async fn start_tls(&mut self, connector: &TlsConnector, name: ServerName<'static>) -> io::Result<()> {
        let MaybeTls::Plain(tcp) = std::mem::replace(self, MaybeTls::Gone) else {
            return Err(io::Error::other("TLS is already active"));
        };
        let tls = connector.connect(name, tcp).await?;
        *self = MaybeTls::Tls(Box::new(tls));
        Ok(())
    }

    /// The negotiated TLS parameters, when this is a TLS stream.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        let MaybeTls::Tls(tls) = self else { return None };
        info(tls.get_ref().1)
    }
}

impl ServerStream {
    /// Runs the server side of a TLS handshake on a plain stream and switches to TLS.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let MaybeTls::Plain(tcp) = std::mem::replace(self, MaybeTls::Gone) else {
            return Err(io::Error::other("TLS is already active"));
        };
        let tls = acceptor.accept(tcp).await?;
        *self = MaybeTls::Tls(Box::new(tls));
        Ok(())
    }

    /// [`ServerStream::start_tls`] within `timeout`.
    pub async fn start_tls_within(&mut self, acceptor: &TlsAcceptor, timeout: Duration) -> io::Result<()> {
        let expire = async {
            glommio::timer::sleep(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))
        };
        futures_lite::future::or(self.start_tls(acceptor), expire).await
    }

    /// The negotiated TLS parameters, when this is a TLS stream.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        match self {
            MaybeTls::Tls(tls) => info(tls.get_ref().1),
            MaybeTls::Deflate(inner) => inner.get_ref().tls_info(),
            MaybeTls::Plain(_) | MaybeTls::Gone => None,
        }
    }
}

/// What a connection's handshake settled on, and the names in the peer's certificate.
fn info(connection: &rustls::CommonState) -> Option<TlsInfo> {
    let version = match connection.protocol_version()? {
        ProtocolVersion::TLSv1_3 => "TLSv1.3",
        ProtocolVersion::TLSv1_2 => "TLSv1.2",
        _ => "TLS",
    };
    let cipher = connection.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
    let peer_names = match connection.peer_certificates().and_then(|chain| chain.first()) {
        Some(cert) => webpki::EndEntityCert::try_from(cert)
            .map(|parsed| parsed.valid_dns_names().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        None => String::new(),
    };
    Some(TlsInfo { version, cipher, peer_names })
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the TLS handshake failed")
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTls<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            MaybeTls::Deflate(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTls<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            MaybeTls::Deflate(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            MaybeTls::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            MaybeTls::Deflate(s) => Pin::new(s.as_mut()).poll_flush(cx),
            MaybeTls::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_close(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
            MaybeTls::Deflate(s) => Pin::new(s.as_mut()).poll_close(cx),
            MaybeTls::Gone => Poll::Ready(Ok(())),
        }
    }
}
