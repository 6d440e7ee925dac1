//! clamd, ClamAV's daemon, as a second scanner for the full ClamAV engine: the message is
//! streamed to it with `zINSTREAM` over TCP or a unix socket, within a time limit.

use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use glommio::net::{TcpStream, UnixStream};

use crate::config::AntivirusConfig;
use crate::metrics::{self, Scanner};
use smtp_proto::{Reply, Status};
use store::MessageId;

/// Octets sent per INSTREAM chunk.
const CHUNK: usize = 64 * 1024;
/// Longest reply read.
const MAX_REPLY: usize = 4096;

/// What clamd said about a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// A signature matched: its name.
    Infected(String),
}

/// Scans `message` with the clamd at `address` (`host:port`, or a unix socket path starting with
/// `/`). `Err` says why there is no verdict: clamd unreachable, too slow, or reporting an error.
/// Either way the outcome is counted in `ringmail_virus_scans_total`.
pub async fn scan(address: &str, message: &[u8], timeout: Duration) -> Result<Verdict, String> {
    let work = async {
        if address.starts_with('/') {
            let stream = UnixStream::connect(address).await.map_err(|e| format!("{address}: {e}"))?;
            exchange(stream, message).await
        } else {
            let stream = TcpStream::connect(address).await.map_err(|e| format!("{address}: {e}"))?;
            exchange(stream, message).await
        }
    };
    let expire = async {
        glommio::timer::sleep(timeout).await;
        Err(format!("{address}: no answer within {} s", timeout.as_secs()))
    };
    let verdict = or(work, expire).await;
    match &verdict {
        Ok(found) => metrics::virus_scanned(Scanner::Clamd, matches!(found, Verdict::Infected(_))),
        Err(_) => metrics::virus_scan_failed(Scanner::Clamd),
    }
    verdict
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, message: &[u8]) -> Result<Verdict, String> {
    let io = |e: std::io::Error| e.to_string();
    stream.write_all(b"zINSTREAM\0").await.map_err(io)?;
    for chunk in message.chunks(CHUNK) {
        stream.write_all(&(chunk.len() as u32).to_be_bytes()).await.map_err(io)?;
        stream.write_all(chunk).await.map_err(io)?;
    }
    stream.write_all(&[0; 4]).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    while !reply.contains(&0) && reply.len() < MAX_REPLY {
        let n = stream.read(&mut buf).await.map_err(io)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    parse_reply(&reply)
}

/// `stream: OK`, `stream: NAME FOUND`, or an error text.
pub fn parse_reply(reply: &[u8]) -> Result<Verdict, String> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches('\0').trim();
    let text = text.strip_prefix("stream:").map_or(text, str::trim);
    if text == "OK" {
        Ok(Verdict::Clean)
    } else if let Some(name) = text.strip_suffix(" FOUND") {
        Ok(Verdict::Infected(name.trim().to_string()))
    } else {
        Err(format!("clamd: {}", if text.is_empty() { "no answer" } else { text }))
    }
}

/// clamd's verdict on message `id` as an SMTP reply, when `[antivirus]` names a clamd: a
/// refusal for an infected message, or a temporary one when clamd cannot answer and may not
/// be skipped; `None` to go on.
pub async fn refusal(config: &AntivirusConfig, id: MessageId, message: &[u8]) -> Option<Reply> {
    if !config.enabled || config.clamd.is_empty() {
        return None;
    }
    let timeout = Duration::from_secs(config.clamd_timeout_secs.get());
    match scan(&config.clamd, message, timeout).await {
        Ok(Verdict::Clean) => None,
        Ok(Verdict::Infected(name)) => {
            tracing::info!(%id, virus = %name, "infected message refused (clamd)");
            Some(Reply::new(554, Status(5, 7, 1), format!("Message refused: infected with {name}")))
        }
        Err(e) if config.clamd_fail_open => {
            tracing::warn!(%id, "clamd gave no verdict, accepting the message unscanned: {e}");
            None
        }
        Err(e) => {
            tracing::warn!(%id, "clamd gave no verdict, deferring the message: {e}");
            Some(Reply::new(451, Status(4, 7, 1), "Virus scanner unavailable, try again later"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(parse_reply(b"stream: OK\0"), Ok(Verdict::Clean));
        assert_eq!(
            parse_reply(b"stream: Eicar-Test-Signature FOUND\0"),
            Ok(Verdict::Infected("Eicar-Test-Signature".into()))
        );
        assert!(parse_reply(b"INSTREAM size limit exceeded. ERROR\0").is_err());
        assert!(parse_reply(b"").is_err());
    }
}
