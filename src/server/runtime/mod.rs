//! The shard-per-core runtime: one glommio executor per shard, pinned to a CPU, each with its
//! own SO_REUSEPORT listeners; the shared journal, admin socket and signal thread beside them.

mod accept;
mod preflight;
mod signals;

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::{Context, anyhow};
use futures_lite::future::or;
use glommio::net::TcpListener;
use glommio::sync::Gate;
use glommio::{CpuSet, LocalExecutorBuilder, Placement};

use crate::admin::{self, AdminContext};
use crate::auth::login::Logins;
use crate::cluster::{Cluster, Suppressions};
use crate::config::Config;
use crate::dkim_signers::Signers;
use crate::dns::Resolver;
use crate::events::EventLog;
use crate::events::retention::Retention;
use crate::events::webhook::Webhooks;
use crate::filter::lists::AccessLists;
use crate::imap::summary::SummaryCache;
use crate::net::shutdown::{self, Shutdown};
use crate::net::{ConnectionLimiter, MessageMemory};
use crate::pop3::MaildropLocks;
use crate::queue::shaping::Shaping;
use crate::queue::sites::Sites;
use crate::queue::suspensions::Suspensions;
use crate::queue::transfers::Transfers;
use crate::queue::warmup::Warmup;
use crate::smtp::server::Role;
use crate::tls::Tls;
use crate::unsubscribe::Unsubscribe;
use crate::{http, imap, pop3, queue, smtp};
use store::{Journal, JournalHandle, MessageIdGenerator, Store};

/// How long a stopping shard waits for its sessions before it exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What one shard's listeners and tasks are handed: each protocol's services, and what the
/// accept loops need.
struct ShardServices {
    smtp: Rc<smtp::server::Services>,
    http: Rc<http::Services>,
    imap: Rc<imap::Services>,
    pop3: Rc<pop3::Services>,
    queue: Rc<queue::Services>,
    limiter: Arc<ConnectionLimiter>,
    shutdown: Shutdown,
}

/// What a listener serves.
#[derive(Debug, Clone, Copy)]
enum Service {
    /// SMTP in one of its roles.
    Smtp(Role),
    /// POP3, with STLS or over implicit TLS.
    Pop3 { implicit_tls: bool },
    /// IMAP, with STARTTLS or over implicit TLS.
    Imap { implicit_tls: bool },
    /// The HTTP API and dashboard, or the metrics alone.
    Http(http::Listener),
}

impl Service {
    /// Runs the accept loop for this service on `listener`.
    async fn accept(self, shard: Rc<ShardServices>, listener: TcpListener, sessions: Rc<Gate>) {
        let accepting = accept::Accepting {
            listener,
            limiter: Arc::clone(&shard.limiter),
            shutdown: shard.shutdown.clone(),
            sessions,
        };
        match self {
            Service::Smtp(role) => {
                let services = Rc::clone(&shard.smtp);
                let serve = move |conn, peer| smtp::server::serve(Rc::clone(&services), conn, peer, role);
                accepting.run("smtp", smtp::server::TOO_MANY_CONNECTIONS, serve).await
            }
            Service::Pop3 { implicit_tls } => {
                let services = Rc::clone(&shard.pop3);
                let serve = move |conn, peer| pop3::serve(Rc::clone(&services), conn, peer, implicit_tls);
                accepting.run("pop3", pop3::TOO_MANY_CONNECTIONS, serve).await
            }
            Service::Imap { implicit_tls } => {
                let services = Rc::clone(&shard.imap);
                let serve = move |conn, peer| imap::serve(Rc::clone(&services), conn, peer, implicit_tls);
                accepting.run("imap", imap::TOO_MANY_CONNECTIONS, serve).await
            }
            Service::Http(listener) => {
                let services = Rc::clone(&shard.http);
                let serve = move |conn, peer| http::serve(Rc::clone(&services), conn, peer, listener);
                accepting.run("http", http::TOO_MANY_CONNECTIONS, serve).await
            }
        }
    }
}

/// What every shard shares.
struct Shared {
    config: Arc<Config>,
    store: Store,
    journal: JournalHandle,
    limiter: Arc<ConnectionLimiter>,
    shutdown: Shutdown,
    tls: Tls,
    logins: Arc<Logins>,
    maildrop_locks: Arc<MaildropLocks>,
    events: EventLog,
    antivirus: Option<Arc<antivirus::Database>>,
    spam_model: Option<Arc<spam::Model>>,
    imap_summaries: Arc<SummaryCache>,
    sites: Arc<Sites>,
    suspensions: Arc<Suspensions>,
    shaping: Arc<Shaping>,
    warmup: Arc<Warmup>,
    unsubscribe: Arc<Unsubscribe>,
    transfers: Arc<Transfers>,
    admin: AdminContext,
    scrape: crate::metrics::Scrape,
    /// Message octets SMTP and IMAP sessions on all shards may hold in memory (`[limits]
    /// message_memory`).
    message_memory: Arc<MessageMemory>,
}

/// Runs the server until SIGTERM or SIGINT, then stops cleanly.
pub fn serve(config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let shards = config.shard_count();
    preflight::check(&config, shards)?;
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let store = Store::open(&config.store_dir()).with_context(|| {
        format!("opening the store in {} (is another ringmail running?)", config.store_dir().display())
    })?;
    // Messages that were arriving in parts when the server last stopped will not be stored.
    match store.drop_unfinished_parts().context("removing unfinished messages")? {
        0 => {}
        dropped => tracing::info!(dropped, "removed the parts of messages still arriving when the server stopped"),
    }
    // Bodies kept for sessions that had not been told of an expunge: there are none now.
    store.sweep_expunged(u64::MAX, usize::MAX).context("deleting the bodies of expunged messages")?;
    let tls = Tls::new(&config).context("loading TLS certificates")?;
    let antivirus = load_signatures(&config)?;
    let spam_model = config.spam.enabled.then(|| match config.spam.shipped_model {
        true => Arc::new(spam::default_model()),
        false => Arc::new(spam::Model::new()),
    });
    let events_file = config.data_dir.join(&config.events.file);
    let events_file = if config.events.file.as_os_str().is_empty() { PathBuf::new() } else { events_file };
    let max_bytes = config.events.max_size_mib.get() * 1024 * 1024;
    let (events, events_writer) = EventLog::start(events_file, max_bytes, config.events.keep)
        .with_context(|| format!("opening the event log {}", config.events.file.display()))?;
    // Before the journal starts, so that its first commits are measured too.
    let scrape = crate::metrics::Scrape::new(store.clone());
    let journal = Journal::start(store.clone());
    crate::routing::ensure_postmaster(&store, &journal.handle(), config.hostname.as_str())
        .context("creating the postmaster account")?;
    let (trigger, shutdown) = shutdown::channel();
    signals::on_stop_signal(trigger.clone())?;
    signals::on_reload_signal(tls.clone())?;
    let suspensions = Suspensions::load(&store).context("reading the suspended destinations")?;
    let shaping = Arc::new(Shaping::load(&config.delivery).map_err(|e| anyhow::anyhow!("shaping rules: {e}"))?);
    let warmup = Arc::new(Warmup::load(&config.warmup, &store).context("reading the warm-up progress")?);
    let transfers = Arc::new(Transfers::default());
    let cluster = match config.cluster.enabled() {
        true => Some(Cluster::start(&config.cluster, config.hostname.as_str())?),
        false => None,
    };
    let admin_ctx = AdminContext {
        config: Arc::clone(&config),
        store: store.clone(),
        journal: journal.handle(),
        suspensions: Arc::clone(&suspensions),
        shaping: Some(Arc::clone(&shaping)),
        warmup: Some(Arc::clone(&warmup)),
        transfers: Some(Arc::clone(&transfers)),
        events: events.clone(),
        cluster: cluster.clone(),
    };
    let admin_socket = admin::socket::serve(admin_ctx.clone())?;
    let webhooks = Webhooks::start(&store, &journal.handle(), &config.webhook).context("starting the webhooks")?;
    let mut readers: Vec<String> = config.webhook.iter().map(|w| w.cursor_name().to_string()).collect();
    let cluster_threads = match &cluster {
        Some(cluster) => {
            readers.push(crate::cluster::suppressions::CURSOR.to_string());
            let figures = scrape.clone();
            let heartbeat = cluster.start_heartbeat(move || figures.queued_recipients())?;
            let (held, suspended, handle) = (Arc::clone(&shaping), Arc::clone(&suspensions), journal.handle());
            let adopt = Box::new(move |shared| {
                held.adopt(&suspended, &handle, shared);
            });
            let suppressions = Suppressions::start(cluster, &config.cluster, &store, &journal.handle(), adopt)
                .context("starting the cluster's suppression list")?;
            tracing::info!(node = cluster.node(), "cluster: sharing limits and lists through Redis");
            Some((heartbeat, suppressions))
        }
        None => None,
    };
    let retention = Retention::start(store.clone(), journal.handle(), &config.events, readers)?;

    let shared = Arc::new(Shared {
        limiter: ConnectionLimiter::new(
            config.limits.max_connections.get(),
            config.limits.max_connections_per_ip.get(),
        ),
        config: Arc::clone(&config),
        store,
        journal: journal.handle(),
        shutdown,
        tls,
        logins: Arc::new(Logins::new(&config.auth, cluster.clone())),
        maildrop_locks: Arc::default(),
        events,
        antivirus,
        spam_model,
        imap_summaries: Arc::new(SummaryCache::new(config.imap.summary_cache_mib << 20)),
        sites: Arc::new(match &cluster {
            Some(cluster) => Sites::clustered(&config.delivery, Arc::clone(cluster), Arc::clone(&shaping)),
            None => Sites::new(&config.delivery, Arc::clone(&shaping)),
        }),
        shaping,
        warmup,
        unsubscribe: Arc::new(Unsubscribe::load(&config)?),
        suspensions,
        transfers,
        admin: admin_ctx,
        scrape,
        message_memory: MessageMemory::new(usize::try_from(config.limits.message_memory.get()).unwrap_or(usize::MAX)),
    });
    let cpus: Vec<usize> = CpuSet::online().map(|set| set.into_iter().map(|c| c.cpu).collect()).unwrap_or_default();
    let (ready_tx, ready_rx) = mpsc::channel();
    let mut handles = Vec::with_capacity(shards);
    for shard in 0..shards {
        let placement = match cpus.get(shard % cpus.len().max(1)) {
            Some(&cpu) => Placement::Fixed(cpu),
            None => Placement::Unbound,
        };
        let (shared, ready) = (Arc::clone(&shared), ready_tx.clone());
        let handle = LocalExecutorBuilder::new(placement)
            .name(&format!("shard{shard}"))
            .io_memory(config.io_memory_kib.get() * 1024)
            .spawn(move || run_shard(shard, shared, ready))
            .map_err(|e| anyhow!("starting shard {shard}: {e}"))?;
        handles.push(handle);
    }
    drop(ready_tx);
    let mut failure = None;
    for _ in 0..shards {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failure = Some(e),
            Err(_) => failure = Some("a shard stopped while starting".into()),
        }
    }
    if failure.is_none() {
        let show = |addrs: &[std::net::SocketAddr]| addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        tracing::info!(
            shards,
            smtp = %show(&config.smtp.listen),
            submission = %show(&config.submission.listen),
            submissions = %show(&config.submissions.listen),
            pop3 = %show(&config.pop3.listen),
            pop3s = %show(&config.pop3s.listen),
            imap = %show(&config.imap.listen),
            imaps = %show(&config.imaps.listen),
            http = %show(&config.http.listen),
            data_dir = %config.data_dir.display(),
            "ringmail ready"
        );
    } else {
        trigger.fire();
    }
    for handle in handles {
        if let Err(e) = handle.join() {
            tracing::error!("shard failed: {e}");
        }
    }
    webhooks.stop();
    if let Some((heartbeat, suppressions)) = cluster_threads {
        suppressions.stop();
        heartbeat.stop();
    }
    retention.stop();
    journal.stop();
    admin_socket.stop();
    drop(shared);
    if let Some(writer) = events_writer {
        writer.stop();
    }
    match failure {
        Some(e) => Err(anyhow!(e)),
        None => {
            tracing::info!("ringmail stopped");
            Ok(())
        }
    }
}

/// The virus signatures `[antivirus]` names (and the built-in ones), when scanning is on.
fn load_signatures(config: &Config) -> anyhow::Result<Option<Arc<antivirus::Database>>> {
    if !config.antivirus.enabled {
        return Ok(None);
    }
    let database = antivirus::Database::load(&config.antivirus.databases).map_err(|e| anyhow!(e))?;
    tracing::info!(loaded = database.loaded, skipped = database.skipped, "virus signatures loaded");
    Ok(Some(Arc::new(database)))
}

/// One shard: bind the listeners, report readiness, serve until shutdown, drain sessions.
async fn run_shard(shard: usize, shared: Arc<Shared>, ready: mpsc::Sender<Result<(), String>>) {
    let resolver = match Resolver::new(&shared.config.dns) {
        Ok(resolver) => Some(Rc::new(resolver)),
        Err(e) => {
            tracing::error!(shard, "no DNS on this shard (no outbound delivery, no SPF/DKIM/DMARC checks): {e}");
            None
        }
    };
    let ids = Rc::new(MessageIdGenerator::new(shard as u16));
    let smtp = Rc::new(smtp::server::Services {
        config: Arc::clone(&shared.config),
        store: shared.store.clone(),
        journal: shared.journal.clone(),
        ids: Rc::clone(&ids),
        tls: shared.tls.clone(),
        logins: Arc::clone(&shared.logins),
        events: shared.events.clone(),
        resolver: resolver.clone(),
        signers: Signers::new(shared.store.clone()),
        access: AccessLists::new(shared.store.clone()),
        antivirus: shared.antivirus.clone(),
        spam_model: shared.spam_model.clone(),
        imap_summaries: Arc::clone(&shared.imap_summaries),
        message_memory: Arc::clone(&shared.message_memory),
        unsubscribe: Arc::clone(&shared.unsubscribe),
    });
    let imap = Rc::new(imap::Services {
        config: Arc::clone(&shared.config),
        store: shared.store.clone(),
        journal: shared.journal.clone(),
        ids: Rc::clone(&ids),
        tls: shared.tls.clone(),
        logins: Arc::clone(&shared.logins),
        spam_model: shared.spam_model.clone(),
        imap_summaries: Arc::clone(&shared.imap_summaries),
        message_memory: Arc::clone(&shared.message_memory),
    });
    let pop3 = Rc::new(pop3::Services {
        config: Arc::clone(&shared.config),
        store: shared.store.clone(),
        journal: shared.journal.clone(),
        tls: shared.tls.clone(),
        logins: Arc::clone(&shared.logins),
        maildrop_locks: Arc::clone(&shared.maildrop_locks),
    });
    let queue = Rc::new(queue::Services {
        shard,
        config: Arc::clone(&shared.config),
        store: shared.store.clone(),
        journal: shared.journal.clone(),
        ids,
        events: shared.events.clone(),
        shutdown: shared.shutdown.clone(),
        sites: Arc::clone(&shared.sites),
        suspensions: Arc::clone(&shared.suspensions),
        shaping: Arc::clone(&shared.shaping),
        warmup: Arc::clone(&shared.warmup),
        transfers: Arc::clone(&shared.transfers),
        unsubscribe: Arc::clone(&shared.unsubscribe),
    });
    let http = Rc::new(http::Services {
        smtp: Rc::clone(&smtp),
        sites: Arc::clone(&shared.sites),
        suspensions: Arc::clone(&shared.suspensions),
        admin: shared.admin.clone(),
        shutdown: shared.shutdown.clone(),
        scrape: shared.scrape.clone(),
    });
    let ctx = Rc::new(ShardServices {
        smtp,
        http,
        imap,
        pop3,
        queue,
        limiter: Arc::clone(&shared.limiter),
        shutdown: shared.shutdown.clone(),
    });
    let config = &shared.config;
    let services = [
        (Service::Smtp(Role::Inbound), &config.smtp.listen),
        (Service::Smtp(Role::Submission), &config.submission.listen),
        (Service::Smtp(Role::Submissions), &config.submissions.listen),
        (Service::Pop3 { implicit_tls: false }, &config.pop3.listen),
        (Service::Pop3 { implicit_tls: true }, &config.pop3s.listen),
        (Service::Imap { implicit_tls: false }, &config.imap.listen),
        (Service::Imap { implicit_tls: true }, &config.imaps.listen),
        (Service::Http(http::Listener::Api), &config.http.listen),
        (Service::Http(http::Listener::Metrics), &config.http.metrics_listen),
    ];
    let mut listeners = Vec::new();
    for (role, addrs) in services {
        for addr in addrs {
            match TcpListener::bind(*addr) {
                Ok(listener) => listeners.push((role, listener)),
                Err(e) => {
                    let _ = ready.send(Err(format!("shard {shard}: cannot listen on {addr}: {e}")));
                    return;
                }
            }
        }
    }
    let _ = ready.send(Ok(()));
    let delivery = resolver.clone().map(|resolver| glommio::spawn_local(queue::run(Rc::clone(&ctx.queue), resolver)));
    let reports = resolver.filter(|_| shard == 0).map(|resolver| {
        let tls = glommio::spawn_local(crate::tls_reporting::run(Rc::clone(&ctx.queue), Rc::clone(&resolver)));
        let dmarc =
            glommio::spawn_local(crate::reporting::run(Rc::clone(&ctx.queue), resolver, shared.admin.cluster.clone()));
        (dmarc, tls)
    });
    // The dashboard's per-second history is process-wide: one sampler, on shard 0.
    let stats = (shard == 0).then(|| glommio::spawn_local(http::sample_stats(shared.shutdown.clone())));
    let sweeper = (shard == 0).then(|| {
        let imap = &shared.config.imap;
        let keep = crate::imap::expunged::Keep {
            bodies_secs: imap.keep_expunged_secs,
            vanished_secs: imap.keep_vanished_days.saturating_mul(86_400),
        };
        glommio::spawn_local(crate::imap::expunged::run(shared.store.clone(), keep, shared.shutdown.clone()))
    });
    let sessions = Rc::new(Gate::new());
    let loops: Vec<_> = listeners
        .into_iter()
        .map(|(service, l)| glommio::spawn_local(service.accept(Rc::clone(&ctx), l, Rc::clone(&sessions))))
        .collect();
    for accept in loops {
        accept.await;
    }
    if let Some(delivery) = delivery {
        delivery.await;
    }
    if let Some((dmarc, tls)) = reports {
        dmarc.await;
        tls.await;
    }
    if let Some(stats) = stats {
        stats.await;
    }
    if let Some(sweeper) = sweeper {
        sweeper.await;
    }
    let drained = or(
        async {
            let _ = sessions.close().await;
            true
        },
        async {
            glommio::timer::sleep(SHUTDOWN_GRACE).await;
            false
        },
    )
    .await;
    if !drained {
        tracing::warn!(shard, "sessions still open after the shutdown grace period");
    }
}
