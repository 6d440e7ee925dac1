//! Fetching an MTA-STS policy file (RFC 8461 3.3): `GET /.well-known/mta-sts.txt` from
//! `mta-sts.<domain>` over HTTPS, the certificate verified for that name; the response read
//! into at most [`MAX_RESPONSE_HEAD`] and [`MAX_POLICY_SIZE`] octets, and judged by
//! [`policy_from_response`] (a `200` with `text/plain`, no redirects followed).

use std::net::SocketAddr;
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use mailauth::mta_sts::{MAX_POLICY_SIZE, MAX_RESPONSE_HEAD, policy_from_response};
use mailauth::tlsrpt::ResultType;
use rustls::pki_types::ServerName;

use crate::dns::Resolver;
use crate::smtp::client::tcp;

/// The policy file of `domain` from `mta-sts.<domain>` on `port`, within `timeout`; or why
/// not, with the TLS report's name for it (`sts-webpki-invalid` when the server's certificate
/// did not verify, else `sts-policy-fetch-error`).
pub async fn fetch(
    resolver: &Resolver,
    connector: &TlsConnector,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<u8>, (ResultType, String)> {
    let host = format!("mta-sts.{domain}");
    let expire = async {
        glommio::timer::sleep(timeout).await;
        Err(fetch_error(format!("fetching the policy from {host} timed out")))
    };
    or(fetch_from(resolver, connector, &host, port), expire).await
}

/// A failure other than the certificate's.
fn fetch_error(text: String) -> (ResultType, String) {
    (ResultType::StsPolicyFetchError, text)
}

async fn fetch_from(
    resolver: &Resolver,
    connector: &TlsConnector,
    host: &str,
    port: u16,
) -> Result<Vec<u8>, (ResultType, String)> {
    let addresses = resolver.addresses(host).await.map_err(|e| fetch_error(format!("{host}: {e}")))?;
    let name = ServerName::try_from(host.to_string()).map_err(|_| fetch_error(format!("{host} is not a host name")))?;
    let mut last_error = format!("{host} has no address");
    for ip in addresses {
        let tcp = match tcp::connect(SocketAddr::new(ip, port), None, Duration::from_secs(30)).await {
            Ok(tcp) => tcp,
            Err(e) => {
                last_error = format!("{host} ({ip}): {e}");
                continue;
            }
        };
        let mut tls = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|e| (ResultType::StsWebpkiInvalid, format!("{host} ({ip}): TLS: {e}")))?;
        let request = format!(
            "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: {host}\r\nUser-Agent: ringmail/{}\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let failed = |e: std::io::Error| fetch_error(format!("{host}: {e}"));
        tls.write_all(request.as_bytes()).await.map_err(failed)?;
        tls.flush().await.map_err(failed)?;
        let mut response = Vec::new();
        let limit = (MAX_RESPONSE_HEAD + MAX_POLICY_SIZE + 1) as u64;
        // A server that closes without close_notify still sent what it sent.
        if let Err(e) = (&mut tls).take(limit).read_to_end(&mut response).await
            && e.kind() != std::io::ErrorKind::UnexpectedEof
        {
            return Err(failed(e));
        }
        return policy_from_response(&response).map_err(|e| fetch_error(format!("{host}: {e}")));
    }
    Err(fetch_error(last_error))
}
