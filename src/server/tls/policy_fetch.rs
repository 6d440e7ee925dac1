//! Fetching an MTA-STS policy file (RFC 8461 3.3): `GET /.well-known/mta-sts.txt` from
//! `mta-sts.<domain>` over HTTPS, the certificate verified for that name, at most
//! [`MAX_POLICY_SIZE`] octets, only a `200` with `text/plain`, no redirects followed.

use std::net::SocketAddr;
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use mailauth::mta_sts::MAX_POLICY_SIZE;
use rustls::pki_types::ServerName;

use crate::dns::Resolver;
use crate::smtp::client::tcp;

/// Largest response head read, in octets.
const MAX_HEAD: usize = 16 * 1024;

/// The policy file of `domain` from `mta-sts.<domain>` on `port`, within `timeout`; or why not.
pub async fn fetch(
    resolver: &Resolver,
    connector: &TlsConnector,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let host = format!("mta-sts.{domain}");
    let expire = async {
        glommio::timer::sleep(timeout).await;
        Err(format!("fetching the policy from {host} timed out"))
    };
    or(fetch_from(resolver, connector, &host, port), expire).await
}

async fn fetch_from(resolver: &Resolver, connector: &TlsConnector, host: &str, port: u16) -> Result<Vec<u8>, String> {
    let addresses = resolver.addresses(host).await.map_err(|e| format!("{host}: {e}"))?;
    let name = ServerName::try_from(host.to_string()).map_err(|_| format!("{host} is not a host name"))?;
    let mut last_error = format!("{host} has no address");
    for ip in addresses {
        let tcp = match tcp::connect(SocketAddr::new(ip, port), None, Duration::from_secs(30)).await {
            Ok(tcp) => tcp,
            Err(e) => {
                last_error = format!("{host} ({ip}): {e}");
                continue;
            }
        };
        let mut tls = connector.connect(name.clone(), tcp).await.map_err(|e| format!("{host} ({ip}): TLS: {e}"))?;
        let request = format!(
            "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: {host}\r\nUser-Agent: ringmail/{}\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        tls.write_all(request.as_bytes()).await.map_err(|e| format!("{host}: {e}"))?;
        tls.flush().await.map_err(|e| format!("{host}: {e}"))?;
        let mut response = Vec::new();
        let limit = (MAX_HEAD + MAX_POLICY_SIZE + 1) as u64;
        // A server that closes without close_notify still sent what it sent.
        if let Err(e) = (&mut tls).take(limit).read_to_end(&mut response).await
            && e.kind() != std::io::ErrorKind::UnexpectedEof
        {
            return Err(format!("{host}: {e}"));
        }
        return body(&response).map_err(|e| format!("{host}: {e}"));
    }
    Err(last_error)
}

/// The body of an HTTP/1.x response that is a `200` with `text/plain` content.
fn body(response: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(response) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err("the response ended in its head".into()),
        Err(e) => return Err(format!("not an HTTP response: {e}")),
    };
    if head_len > MAX_HEAD {
        return Err("the response head is too large".into());
    }
    match parsed.code {
        Some(200) => {}
        Some(code) => return Err(format!("the policy server answered {code}")),
        None => return Err("no status".into()),
    }
    let header = |name: &str| {
        parsed.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value))
    };
    let media = header("content-type").unwrap_or_default();
    if !media.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/plain") {
        return Err(format!("the policy is served as `{media}`, not text/plain"));
    }
    if header("transfer-encoding").is_some() {
        return Err("the policy is sent with a transfer coding (HTTP/1.0 was asked)".into());
    }
    let mut body = response[head_len..].to_vec();
    if let Some(length) = header("content-length") {
        let length: usize = length.trim().parse().map_err(|_| "a bad Content-Length".to_string())?;
        if body.len() < length {
            return Err("the policy ended early".into());
        }
        body.truncate(length);
    }
    if body.len() > MAX_POLICY_SIZE {
        return Err(format!("the policy is larger than {MAX_POLICY_SIZE} octets"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_complete_plain_text_200_is_a_policy() {
        let ok =
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello and more";
        assert_eq!(body(ok).unwrap(), b"hello");
        let without_length = b"HTTP/1.1 200 OK\r\ncontent-type: TEXT/PLAIN\r\n\r\nall of it";
        assert_eq!(body(without_length).unwrap(), b"all of it");
        for (response, why) in [
            (&b"HTTP/1.0 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Type: text/plain\r\n\r\n"[..], "301"),
            (b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", "404"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nx", "text/html"),
            (b"HTTP/1.0 200 OK\r\n\r\nx", "no content type"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nshort", "ended early"),
            (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n", "head not ended"),
            (b"SMTP 220 hello\r\n\r\n", "not HTTP"),
        ] {
            assert!(body(response).is_err(), "{why}");
        }
    }
}
