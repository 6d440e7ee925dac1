//! `ringmail dns lookup`: asks ringmail's own resolver, with the configured nameservers, what
//! delivery will see. Runs the resolver on a one-off glommio executor, as a shard would.

use std::str::FromStr;

use anyhow::{anyhow, bail};
use glommio::{LocalExecutorBuilder, Placement};
use hickory_proto::rr::RecordType;

use crate::config::Config;
use crate::dns::{Answer, MailExchangers, Resolver};

/// Looks `name` up as type `rtype` (`MX` also shows the delivery order) and prints the answer.
pub fn lookup(config: &Config, name: String, rtype: &str) -> anyhow::Result<()> {
    let rtype =
        RecordType::from_str(&rtype.to_ascii_uppercase()).map_err(|_| anyhow!("unknown record type {rtype}"))?;
    let dns = config.dns.clone();
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
                lines.push(match resolver.mail_exchangers(&name).await? {
                    MailExchangers::Hosts(hosts) => format!("delivery order: {}", hosts.join(" ")),
                    MailExchangers::Implicit => "delivery: to the domain's own addresses (implicit MX)".into(),
                    MailExchangers::NullMx => "delivery: none, the domain accepts no mail (null MX)".into(),
                    MailExchangers::NoSuchDomain => "delivery: none, the domain does not exist".into(),
                });
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
