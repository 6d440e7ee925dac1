//! Sending TLS reports (RFC 8460): once a period is over, the TLS session outcomes counted for
//! each policy domain (`queue/attempt.rs`) go, as a gzipped JSON report, to the addresses its
//! `_smtp._tls` TXT record names today: `mailto:` as mail through the normal delivery,
//! `https:` as a POST. Runs on shard 0.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use mailauth::report_mail::{self, ReportMail};
use mailauth::tlsrpt::{ReportUri, ReportedPolicy, Reporter, ResultType, file_name, json_report, report_uris};
use store::journal::{JournalOp, TlsReportOp};
use store::records::MtaStsPolicy;
use store::tls_reports::TlsReportRow;
use store::unix_now;

use crate::dns::Resolver;
use crate::dns::tlsa::ServerTlsa;
use crate::queue::Services;
use crate::reporting::{GIVE_UP_AFTER_SECS, queue_report};
use crate::tls::https_agent;

/// How long a report POST may take.
const POST_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends the reports of finished periods until shutdown.
pub async fn run(ctx: Rc<Services>, resolver: Rc<Resolver>) {
    let interval = ctx.config.delivery.tls_report_interval_secs;
    if interval == 0 {
        return;
    }
    let agent = https_agent::agent(https_agent::roots(&ctx.config.delivery.tls_ca_file), POST_TIMEOUT);
    let pause = Duration::from_secs((interval / 4).clamp(1, 300));
    loop {
        if ctx.shutdown.sleep(pause).await {
            return;
        }
        if let Err(e) = send_finished(&ctx, &resolver, &agent, interval).await {
            tracing::warn!("sending TLS reports failed (will retry): {e}");
        }
    }
}

/// One report per policy domain and finished period; its counters are forgotten once sent
/// (or given up).
async fn send_finished(ctx: &Services, resolver: &Resolver, agent: &ureq::Agent, interval: u64) -> Result<(), String> {
    let now = unix_now();
    let store = ctx.store.clone();
    let rows = glommio::executor()
        .spawn_blocking(move || store.tls_results_before(now - now % interval))
        .await
        .map_err(|e| e.to_string())?;
    let mut reports: BTreeMap<(u64, String), Vec<(TlsReportRow, u64)>> = BTreeMap::new();
    for (row, count) in rows {
        reports.entry((row.period, row.policy_domain.clone())).or_default().push((row, count));
    }
    for ((period, domain), rows) in reports {
        // One domain that cannot be reported to (its record does not resolve, say) holds up no
        // other; its report is tried again until a day after its period.
        if let Err(e) = send_one(ctx, resolver, agent, &domain, (period, period + interval), &rows).await {
            if now < period + interval + GIVE_UP_AFTER_SECS {
                tracing::info!(domain, "the TLS report could not be sent (will retry): {e}");
                continue;
            }
            tracing::warn!(domain, "giving up the TLS report of a period that ended a day ago: {e}");
        }
        let done = rows.into_iter().map(|(row, _)| row).collect();
        ctx.journal.submit(JournalOp::TlsReport(TlsReportOp::Forget(done))).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Builds and sends the report for `domain` about `(begin, end)`; a domain that does not ask
/// for reports gets none.
async fn send_one(
    ctx: &Services,
    resolver: &Resolver,
    agent: &ureq::Agent,
    domain: &str,
    (begin, end): (u64, u64),
    rows: &[(TlsReportRow, u64)],
) -> Result<(), String> {
    let records = resolver.txt(&format!("_smtp._tls.{domain}")).await.map_err(|e| e.to_string())?;
    let Some(uris) = report_uris(&records) else { return Ok(()) };
    let hostname = ctx.config.hostname.as_str();
    let from = match ctx.config.mailauth.report_from.as_str() {
        "" => format!("tlsrpt-noreply@{hostname}"),
        address => address.to_string(),
    };
    let id = ctx.ids.next_id();
    let report_id = id.to_string();
    let reporter = Reporter { org_name: hostname, contact: &from, report_id: &report_id, begin, end };
    let policy = match dane_policy(ctx, resolver, domain, rows).await {
        Some(policy) => policy,
        None => sts_policy(ctx.store.mta_sts_policy(domain).map_err(|e| e.to_string())?.as_ref()),
    };
    let gzipped = report_mail::gzip(json_report(&reporter, domain, &policy, rows).as_bytes());
    let to: Vec<String> = uris
        .iter()
        .filter_map(|uri| match uri {
            ReportUri::Mailto(address) => Some(address.clone()),
            ReportUri::Https(_) => None,
        })
        .collect();
    if !to.is_empty() {
        let name = file_name(&reporter, domain);
        let text = format!("TLS report for {domain} from {hostname}.");
        let headers = format!("TLS-Report-Domain: {domain}\r\nTLS-Report-Submitter: {hostname}\r\n");
        let mail = ReportMail {
            from: &from,
            to: &to,
            submitter: hostname,
            report_id: &report_id,
            domain,
            end,
            extra_headers: &headers,
            multipart: "multipart/report; report-type=\"tlsrpt\"",
            text: &text,
            attachment_type: "application/tlsrpt+gzip",
            file_name: &name,
        };
        queue_report(ctx, id, &from, &to, report_mail::message(&mail, &gzipped)).await?;
    }
    for uri in &uris {
        if let ReportUri::Https(url) = uri {
            let (agent, url, body) = (agent.clone(), url.clone(), gzipped.clone());
            let posted = glommio::executor().spawn_blocking(move || post(&agent, &url, &body)).await;
            if let Err(e) = posted {
                // RFC 8460 5.4 leaves retrying to the sender; the next period reports anew.
                tracing::warn!(domain, "TLS report POST failed: {e}");
            }
        }
    }
    tracing::info!(domain, rows = rows.len(), "TLS report sent");
    Ok(())
}

/// The DANE policy of `domain` as an MX host (its TLSA base domain, RFC 8460 3), when it has
/// validated TLSA records now, or its sessions failed for want of them.
async fn dane_policy(
    ctx: &Services,
    resolver: &Resolver,
    domain: &str,
    rows: &[(TlsReportRow, u64)],
) -> Option<ReportedPolicy> {
    if !ctx.config.dns.dnssec {
        return None;
    }
    let tlsa = |policy_string| ReportedPolicy { policy_type: "tlsa", policy_string, mx_host: Vec::new() };
    match resolver.tlsa(domain, ctx.config.delivery.port).await {
        Ok(ServerTlsa::Usable(records)) => Some(tlsa(records.iter().map(ToString::to_string).collect())),
        Ok(ServerTlsa::Unusable) => Some(tlsa(Vec::new())),
        Ok(ServerTlsa::None) => None,
        Err(_) => rows.iter().any(|(row, _)| row.result == Some(ResultType::DnssecInvalid)).then(|| tlsa(Vec::new())),
    }
}

/// The policy as the report names it: the kept MTA-STS policy's lines, or none found.
fn sts_policy(kept: Option<&MtaStsPolicy>) -> ReportedPolicy {
    let Some(policy) = kept else {
        return ReportedPolicy { policy_type: "no-policy-found", policy_string: Vec::new(), mx_host: Vec::new() };
    };
    let mut lines = vec!["version: STSv1".to_string(), format!("mode: {}", policy.mode)];
    lines.extend(policy.mx.iter().map(|mx| format!("mx: {mx}")));
    lines.push(format!("max_age: {}", policy.max_age));
    ReportedPolicy { policy_type: "sts", policy_string: lines, mx_host: policy.mx.clone() }
}

/// POSTs a gzipped report (RFC 8460 5.4); any `2xx` is success.
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<(), String> {
    let response =
        agent.post(url).header("Content-Type", "application/tlsrpt+gzip").send(body).map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}
