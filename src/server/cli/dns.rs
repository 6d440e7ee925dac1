//! `ringmail dns lookup`: asks ringmail's own resolver, with the configured nameservers, what
//! delivery will see. Runs the resolver on a one-off glommio executor, as a shard would.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{anyhow, bail};
use glommio::{LocalExecutorBuilder, Placement};
use hickory_proto::rr::RecordType;

use crate::config::outbound::TlsPolicy;
use crate::config::{Config, DeliveryConfig};
use crate::dns::tlsa::ServerTlsa;
use crate::dns::{Answer, MailExchangers, Resolver};
use crate::tls::client::Connectors;
use crate::tls::policy_fetch;
use mailauth::mta_sts::{Policy, policy_id};
use mailauth::tlsrpt::{ReportUri, report_uris};

/// Looks `name` up as type `rtype` and prints the answer; `MX` also shows the delivery order,
/// each host's DANE records, the domain's MTA-STS policy as delivery would fetch it, and
/// where its TLS reports go.
pub fn lookup(config: &Config, name: String, rtype: &str) -> anyhow::Result<()> {
    let rtype =
        RecordType::from_str(&rtype.to_ascii_uppercase()).map_err(|_| anyhow!("unknown record type {rtype}"))?;
    let (dns, delivery) = (config.dns.clone(), config.delivery.clone());
    let lines = LocalExecutorBuilder::new(Placement::Unbound)
        .name("dns-lookup")
        .io_memory(config.io_memory_kib.get() * 1024)
        .spawn(move || async move {
            let resolver = Resolver::new(&dns)?;
            let mut lines = match resolver.lookup(&name, rtype).await? {
                Answer::Records(records) => records.iter().map(|r| format!("{rtype}\t{r}")).collect(),
                Answer::NoSuchName => vec![format!("{name}: no such domain (NXDOMAIN)")],
                Answer::NoData => vec![format!("{name}: no {rtype} records")],
            };
            if rtype == RecordType::MX {
                let (exchangers, secure) = resolver.mail_exchangers_secured(&name).await?;
                lines.push(match &exchangers {
                    MailExchangers::Hosts(hosts) => format!("delivery order: {}", hosts.join(" ")),
                    MailExchangers::Implicit => "delivery: to the domain's own addresses (implicit MX)".into(),
                    MailExchangers::NullMx => "delivery: none, the domain accepts no mail (null MX)".into(),
                    MailExchangers::NoSuchDomain => "delivery: none, the domain does not exist".into(),
                });
                let hosts = match exchangers {
                    MailExchangers::Hosts(hosts) => Some(hosts),
                    MailExchangers::Implicit => Some(vec![name.clone()]),
                    MailExchangers::NullMx | MailExchangers::NoSuchDomain => None,
                };
                if let Some(hosts) = hosts {
                    lines.extend(dane(&resolver, dns.dnssec, secure, &hosts, delivery.port).await);
                    lines.extend(tls_policy(&resolver, &delivery, &name, &hosts).await);
                }
            }
            Ok::<_, crate::dns::DnsError>(lines)
        })
        .map_err(|e| anyhow!("starting an executor for the lookup: {e}"))?
        .join()
        .map_err(|e| anyhow!("lookup executor: {e}"))?;
    match lines {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Err(e) => bail!("{e}"),
    }
}

/// What delivery would make of the hosts' TLSA records (RFC 7672): DANE applies to a host
/// when its MX, address and TLSA records all validated.
async fn dane(resolver: &Resolver, dnssec: bool, mx_secure: bool, hosts: &[String], port: u16) -> Vec<String> {
    if !dnssec {
        return vec!["DANE: off (the nameservers are not trusted to validate: [dns] dnssec = false)".into()];
    }
    if !mx_secure {
        return vec!["DANE: not used (the MX records are not DNSSEC-validated)".into()];
    }
    let mut lines = Vec::new();
    for host in hosts {
        let secure = resolver.addresses_secured(host).await.map(|(_, secure)| secure).unwrap_or(false);
        if !secure {
            lines.push(format!("DANE: {host}: not used (its address records are not DNSSEC-validated)"));
            continue;
        }
        lines.push(match resolver.tlsa(host, port).await {
            Ok(ServerTlsa::None) => format!("DANE: {host}: no validated TLSA records (not used)"),
            Ok(ServerTlsa::Unusable) => {
                format!("DANE: {host}: only unusable TLSA records: TLS required, unauthenticated")
            }
            Ok(ServerTlsa::Usable(records)) => {
                let records: Vec<String> = records.iter().map(ToString::to_string).collect();
                format!("DANE: {host}: TLSA {}", records.join(", "))
            }
            Err(e) => format!("DANE: {host}: the TLSA lookup failed, the host will not be used: {e}"),
        });
    }
    lines
}

/// What delivery to `domain` would make of its MTA-STS policy (fetched now, as for a new id)
/// and of its TLS reporting record.
async fn tls_policy(resolver: &Resolver, delivery: &DeliveryConfig, domain: &str, hosts: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let records = resolver.txt(&format!("_mta-sts.{domain}")).await.unwrap_or_default();
    match policy_id(&records) {
        None => lines.push("MTA-STS: no policy (no valid _mta-sts record)".to_string()),
        Some(id) => {
            let connectors = Connectors::new(&delivery.tls_ca_file);
            let timeout = Duration::from_secs(delivery.mta_sts_timeout_secs.get());
            let fetched = match connectors.for_policy(TlsPolicy::Verify) {
                Ok(verified) => policy_fetch::fetch(resolver, verified, domain, delivery.mta_sts_port, timeout)
                    .await
                    .map_err(|(kind, e)| format!("{e} ({kind})")),
                Err(e) => Err(e),
            };
            match fetched.and_then(|text| Policy::parse(&text).map_err(|e| e.to_string())) {
                Ok(policy) => {
                    lines.push(format!(
                        "MTA-STS: policy {id}: mode {}, max_age {}, mx {}",
                        policy.mode,
                        policy.max_age,
                        policy.mx.join(" ")
                    ));
                    for host in hosts {
                        let verdict = if policy.allows(host) { "allowed" } else { "NOT in the policy" };
                        lines.push(format!("MTA-STS: {host} {verdict}"));
                    }
                }
                Err(e) => lines.push(format!("MTA-STS: policy {id} announced, but it cannot be had: {e}")),
            }
        }
    }
    let records = resolver.txt(&format!("_smtp._tls.{domain}")).await.unwrap_or_default();
    lines.push(match report_uris(&records) {
        Some(uris) => {
            let uris: Vec<String> = uris
                .iter()
                .map(|uri| match uri {
                    ReportUri::Mailto(address) => format!("mailto:{address}"),
                    ReportUri::Https(url) => url.clone(),
                })
                .collect();
            format!("TLS reports to: {}", uris.join(" "))
        }
        None => "TLS reports: not asked for (no valid _smtp._tls record)".to_string(),
    });
    lines
}
