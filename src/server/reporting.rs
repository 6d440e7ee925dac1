//! Sending DMARC aggregate reports: once a report period is over, the results counted for each
//! domain go to the `rua=` addresses its record names today, as a gzipped XML report, through
//! the normal delivery path; in a cluster, one node sends the report of all of them. Runs on
//! shard 0.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::cluster::Cluster;
use crate::dns::Resolver;
use crate::queue::Services;
use crate::routing::Router;
use mailauth::dmarc::report::ReportRow;
use mailauth::dmarc::report::{self, Reporter};
use mailauth::dmarc::{find_record, organizational_domain};
use mailauth::lookup::Lookup;
use smtp_proto::Mailbox;
use store::journal::{Delivery, DmarcOp, JournalOp, RemoteRecipient};
use store::records::QueueOptions;
use store::{MessageId, unix_now};

/// Sends the reports of finished periods until shutdown; in a cluster, through its shared
/// counts (`cluster/dmarc.rs`).
pub async fn run(ctx: Rc<Services>, resolver: Rc<Resolver>, cluster: Option<Arc<Cluster>>) {
    let interval = ctx.config.mailauth.dmarc_report_interval_secs;
    if interval == 0 {
        return;
    }
    let pause = Duration::from_secs((interval / 4).clamp(1, 300));
    loop {
        if ctx.shutdown.sleep(pause).await {
            return;
        }
        if let Err(e) = send_finished(&ctx, &resolver, cluster.as_deref(), interval).await {
            tracing::warn!("sending DMARC reports failed (will retry): {e}");
        }
        if let Some(cluster) = &cluster {
            // Every node adds its counts within a pause of the period's end: wait two.
            let settled = unix_now().saturating_sub(2 * pause.as_secs());
            if let Err(e) = send_shared(&ctx, &resolver, cluster, interval, settled).await {
                tracing::warn!("sending the cluster's DMARC reports failed (will retry): {e}");
            }
        }
    }
}

/// How long after its period an aggregate report (DMARC, TLS) that cannot be sent is given up.
pub const GIVE_UP_AFTER_SECS: u64 = 86_400;

/// One report per policy domain and finished period, of this node's counts; in a cluster
/// they go to the shared counts instead, unless Redis cannot take them.
async fn send_finished(
    ctx: &Services,
    resolver: &Resolver,
    cluster: Option<&Cluster>,
    interval: u64,
) -> Result<(), String> {
    let now = unix_now();
    let store = ctx.store.clone();
    let rows = glommio::executor()
        .spawn_blocking(move || store.dmarc_results_before(now - now % interval))
        .await
        .map_err(|e| e.to_string())?;
    let mut reports: BTreeMap<(u64, String), Vec<(ReportRow, u64)>> = BTreeMap::new();
    for (row, count) in rows {
        reports.entry((row.period, row.policy_domain.clone())).or_default().push((row, count));
    }
    for ((period, domain), rows) in reports {
        let shared = match cluster {
            Some(cluster) => cluster
                .add_dmarc_rows(&rows)
                .await
                .map_err(|e| {
                    tracing::warn!("cluster: DMARC counts for {domain} stay here, reported by this node alone: {e}")
                })
                .is_ok(),
            None => false,
        };
        if !shared && let Err(e) = send_one(ctx, resolver, &domain, period, period + interval, &rows).await {
            // One domain that cannot be reported to holds up no other.
            if now < period + interval + GIVE_UP_AFTER_SECS {
                tracing::info!(domain, "the DMARC report could not be sent (will retry): {e}");
                continue;
            }
            tracing::warn!(domain, "giving up the DMARC report of a period that ended a day ago: {e}");
        }
        let done: Vec<ReportRow> = rows.into_iter().map(|(row, _)| row).collect();
        ctx.journal.submit(JournalOp::Dmarc(DmarcOp::Forget(done))).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Sends the cluster's reports of periods that ended before `settled`, those this node claims.
async fn send_shared(
    ctx: &Services,
    resolver: &Resolver,
    cluster: &Cluster,
    interval: u64,
    settled: u64,
) -> Result<(), String> {
    for (period, domain) in cluster.dmarc_reports().await.map_err(|e| e.to_string())? {
        if period + interval > settled {
            continue;
        }
        let Some(rows) = cluster.claim_dmarc_report(period, &domain).await.map_err(|e| e.to_string())? else {
            continue;
        };
        if !rows.is_empty() {
            send_one(ctx, resolver, &domain, period, period + interval, &rows).await?;
        }
        cluster.forget_dmarc_report(period, &domain).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Builds and queues the report for `domain`; a domain that no longer asks for reports, or
/// whose addresses are not authorized, gets none.
async fn send_one(
    ctx: &Services,
    resolver: &Resolver,
    domain: &str,
    begin: u64,
    end: u64,
    rows: &[(ReportRow, u64)],
) -> Result<(), String> {
    let record = match find_record(resolver, domain).await {
        Ok(Some((record, _))) => record,
        Ok(None) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let mut to = Vec::new();
    for address in &record.aggregate_reports {
        if authorized(resolver, domain, address).await {
            to.push(address.clone());
        }
    }
    if to.is_empty() {
        return Ok(());
    }
    let hostname = ctx.config.hostname.as_str();
    let from = match ctx.config.mailauth.report_from.as_str() {
        "" => format!("dmarc-noreply@{hostname}"),
        address => address.to_string(),
    };
    let id = ctx.ids.next_id();
    let report_id = id.to_string();
    let reporter = Reporter { org_name: hostname, email: &from, report_id: &report_id, begin, end };
    let xml = report::xml(&reporter, domain, &record, rows);
    let message = report::message(&reporter, domain, &to, &xml);
    queue_report(ctx, id, &from, &to, message).await?;
    tracing::info!(domain, rows = rows.len(), "DMARC aggregate report queued");
    Ok(())
}

/// Queues report `message` (its id `id`) from `from` to the addresses `to` through the normal
/// delivery: local addresses get it in their mailboxes, the others through the queue.
pub(crate) async fn queue_report(
    ctx: &Services,
    id: MessageId,
    from: &str,
    to: &[String],
    message: Vec<u8>,
) -> Result<(), String> {
    let router = Router::new(&ctx.store, ctx.config.hostname.as_str());
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for address in to {
        let Ok(mailbox) = Mailbox::parse(address) else { continue };
        match router.resolve(&mailbox, true) {
            Ok(found) => {
                local.extend(found.local);
                remote.extend(found.remote.into_iter().map(RemoteRecipient::plain));
            }
            Err(e) => tracing::warn!(address, "a report address cannot be used: {e}"),
        }
    }
    let delivery = Delivery {
        id,
        local_prefix: Bytes::from(format!("Return-Path: <{from}>\r\n")),
        message: vec![Bytes::from(message)],
        staged: None,
        sender: from.to_string(),
        local,
        junk: false,
        remote,
        options: QueueOptions::default(),
        dmarc: Vec::new(),
        copies: Vec::new(),
    };
    ctx.journal.submit(JournalOp::Deliver(delivery)).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether `address` may receive reports about `domain`: it is in the same organizational
/// domain, or its domain publishes `<domain>._report._dmarc.<its domain>` (RFC 7489 7.1).
async fn authorized<L: Lookup>(lookup: &L, domain: &str, address: &str) -> bool {
    let Some((_, target)) = address.rsplit_once('@') else { return false };
    let target = target.to_ascii_lowercase();
    if organizational_domain(&target) == organizational_domain(domain) {
        return true;
    }
    let name = format!("{domain}._report._dmarc.{target}");
    match lookup.txt(&name).await {
        Ok(records) => records.iter().any(|r| r.trim_start().starts_with("v=DMARC1")),
        Err(_) => false,
    }
}
