//! A delivery attempt under its destination's TLS policy (MTA-STS, kept by `mta_sts.rs`; DANE,
//! from each MX host's TLSA records): the MX hosts it may use, how each host's certificate is
//! checked, and the TLS report (RFC 8460) rows its sessions count for.

use std::net::IpAddr;

use mailauth::mta_sts::Mode;
use mailauth::tlsrpt::ResultType;
use store::journal::{JournalOp, TlsReportOp};
use store::tls_reports::TlsReportRow;
use store::unix_now;

use super::mta_sts::{Applied, Found};
use super::{Outbound, Services};
use crate::config::outbound::TlsPolicy;
use crate::dns::Resolver;
use crate::dns::tlsa::ServerTlsa;
use crate::tls::dane::DaneHost;

/// The policy that mail to `domain` follows, when `[delivery] mta_sts` is on and a verifying
/// TLS client can be made.
pub(super) async fn policy(ctx: &Services, outbound: &Outbound, domain: &str) -> Found {
    match outbound.tls.for_policy(TlsPolicy::Verify) {
        Ok(verified) if ctx.config.delivery.mta_sts => {
            outbound.mta_sts.policy(ctx, &outbound.resolver, verified, domain).await
        }
        _ => Found::default(),
    }
}

/// The MX hosts mail may go to under `sts`: those it names, and in `testing` mode the others
/// after them. An enforced policy that names none defers the mail: the reason, and the first
/// host it refused.
pub(super) fn allowed_hosts(domain: &str, sts: &Applied, hosts: Vec<String>) -> Result<Vec<String>, (String, String)> {
    let (allowed, refused): (Vec<String>, Vec<String>) = hosts.into_iter().partition(|h| sts.policy.allows(h));
    if !refused.is_empty() {
        tracing::info!(domain, mode = %sts.policy.mode, ?refused, "MX hosts not in the MTA-STS policy");
    }
    match sts.policy.mode {
        Mode::Enforce if allowed.is_empty() => Err((
            format!("MTA-STS: the policy of {domain} allows none of its MX hosts ({})", refused.join(", ")),
            refused.first().cloned().unwrap_or_default(),
        )),
        Mode::Enforce => Ok(allowed),
        _ => Ok(allowed.into_iter().chain(refused).collect()),
    }
}

/// How one MX host's certificate is checked (RFC 7672 2.2), once its MX and address records
/// validated.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum HostTls {
    /// No validated TLSA records: the domain's policy applies (MTA-STS, or the route's).
    Domain,
    /// DANE: TLS is required and the certificate must match the host's records.
    Dane(DaneHost),
    /// Validated TLSA records, none of them usable: TLS is required, unauthenticated.
    Encrypt,
}

impl HostTls {
    /// The STARTTLS policy of sessions to the host, where the domain's is `domain`.
    pub(super) fn tls(&self, domain: TlsPolicy) -> TlsPolicy {
        match self {
            HostTls::Domain => domain,
            HostTls::Dane(_) | HostTls::Encrypt => TlsPolicy::Required,
        }
    }

    /// What the certificate must match, under DANE.
    pub(super) fn dane(&self) -> Option<&DaneHost> {
        match self {
            HostTls::Dane(host) => Some(host),
            _ => None,
        }
    }

    /// The policy as events name it, where the domain's is `domain`.
    pub(super) fn name(&self, domain: &'static str) -> &'static str {
        match self {
            HostTls::Domain => domain,
            HostTls::Dane(_) => "dane",
            HostTls::Encrypt => "dane-tls-only",
        }
    }
}

/// The DANE policy of MX `host` of `domain` on `port`, from its TLSA records; an error when
/// the lookup failed (a bogus DNSSEC answer fails too): the host must then not be used.
pub(super) async fn host_tls(resolver: &Resolver, domain: &str, host: &str, port: u16) -> Result<HostTls, String> {
    let found = resolver.tlsa(host, port).await.map_err(|e| format!("DANE: the TLSA lookup of {host} failed: {e}"))?;
    Ok(match found {
        ServerTlsa::None => HostTls::Domain,
        ServerTlsa::Unusable => HostTls::Encrypt,
        ServerTlsa::Usable(records) => HostTls::Dane(DaneHost { records, names: vec![host.into(), domain.into()] }),
    })
}

/// The TLS report an attempt's sessions count for: this period's, of its domain.
pub(super) struct Reporting {
    period: u64,
    domain: String,
    source: Option<IpAddr>,
}

impl Reporting {
    /// The report of mail to `domain` sent from `source` now; none when reports are off.
    pub fn new(ctx: &Services, domain: &str, source: Option<IpAddr>) -> Option<Reporting> {
        let interval = ctx.config.delivery.tls_report_interval_secs;
        let now = unix_now();
        (interval > 0).then(|| Reporting { period: now - now % interval, domain: domain.to_string(), source })
    }

    /// The row of one session (`result` `None`: it succeeded) with `host` at `ip`; a success
    /// is counted without the addresses.
    pub fn row(&self, result: Option<ResultType>, host: &str, ip: Option<IpAddr>) -> TlsReportRow {
        let failed = result.is_some();
        let address = |ip: Option<IpAddr>| ip.filter(|_| failed).map(|ip| ip.to_string()).unwrap_or_default();
        TlsReportRow {
            period: self.period,
            policy_domain: self.domain.clone(),
            result,
            sending_ip: address(self.source),
            receiving_mx: if failed { host.to_string() } else { String::new() },
            receiving_ip: address(ip),
        }
    }
}

/// Counts `rows` in the background: the attempt does not wait for the write (a count lost
/// to a crash only makes a report one session short).
pub(super) fn count(ctx: &Services, rows: Vec<TlsReportRow>) {
    let journal = ctx.journal.clone();
    glommio::spawn_local(async move {
        if let Err(e) = journal.submit(JournalOp::TlsReport(TlsReportOp::Count(rows))).await {
            tracing::warn!("counting TLS sessions for the TLS report failed: {e}");
        }
    })
    .detach();
}
