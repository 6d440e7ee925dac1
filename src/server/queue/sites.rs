//! Sites: destination domains that share their mail exchangers (every domain hosted by one
//! provider, or every domain routed to one relay host). Besides each domain's own limits, an
//! attempt keeps within the limits of its site, named after the hosts it is about to connect
//! to, so that a thousand domains at one provider do not each get their own connections and
//! rate. Domains of one site may be owned by different shards, so the site counts are one
//! table for the whole process behind a mutex, touched once when an attempt starts and once
//! when it ends. A `[[delivery.destination]]` with `mx = "google.com"` rolls every site whose
//! hosts are all under that domain into one site with the entry's limits.
//!
//! In a cluster the limits are the whole cluster's: an attempt waits for a message slot under
//! the site's rate in Redis here, and each connection it opens holds a lease there
//! (`cluster::leases`, taken in `attempt.rs`), instead of the counts of this process.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::destinations::{Destinations, Feedback, rolled_up_site};
use super::shaping::Shaping;
use crate::cluster::Cluster;
use crate::config::DeliveryConfig;
use crate::config::outbound::Rate;
use crate::net::Shutdown;

/// How often an attempt waiting for a slot at its site looks again.
const RETRY: Duration = Duration::from_millis(20);

/// The limits and live counts of every site, shared by all shards.
pub struct Sites {
    /// None when `[delivery] sites = false`.
    limits: Option<Mutex<Destinations>>,
    /// The `mx` domains of `[[delivery.destination]]`, each rolling up the sites under it.
    rollups: Vec<String>,
    /// The cluster whose limits apply instead, with the limits of each site.
    cluster: Option<(Arc<Cluster>, Destinations)>,
    /// Limits that shaping rules set for a while, under either.
    shaping: Arc<Shaping>,
}

/// A connection slot held at a site; given back by [`SiteSlot::finish`], or when dropped
/// (an attempt cancelled by shutdown).
pub struct SiteSlot<'a> {
    sites: &'a Sites,
    name: Option<String>,
}

impl Sites {
    /// Sites with the destination limits of `[delivery]` and its `mx` entries (or none when
    /// turned off), and those `shaping` rules set.
    pub fn new(config: &DeliveryConfig, shaping: Arc<Shaping>) -> Sites {
        let rollups = config.destination.iter().filter_map(|o| o.target.mx().map(str::to_string)).collect();
        let limits = config.sites.then(|| Mutex::new(Destinations::for_sites(config)));
        Sites { limits, rollups, cluster: None, shaping }
    }

    /// Sites whose limits are those of the whole `cluster` (and of this node's `shaping`).
    pub fn clustered(config: &DeliveryConfig, cluster: Arc<Cluster>, shaping: Arc<Shaping>) -> Sites {
        let cluster = Some((cluster, Destinations::for_sites(config)));
        // The process's own counts are not kept: the cluster's leases and rates are the limits.
        Sites { limits: None, cluster, ..Sites::new(config, shaping) }
    }

    /// The cluster, and the connection limit of the site `name`, when the cluster's limits
    /// apply.
    pub fn cluster_limit(&self, name: &str) -> Option<(&Arc<Cluster>, usize)> {
        let shaped = self.shaping.limits(name).0;
        self.cluster.as_ref().map(|(cluster, table)| {
            let limit = table.limits_of(name).0;
            (cluster, shaped.map_or(limit, |shaped| shaped.min(limit)))
        })
    }

    /// Waits for a slot at the site of `hosts` (the MX or relay hosts, on `port`); None when
    /// the server stops first.
    pub async fn enter(&self, hosts: &[String], port: u16, shutdown: &Shutdown) -> Option<SiteSlot<'_>> {
        if let Some((cluster, table)) = &self.cluster {
            let name = site_name(hosts, port, &self.rollups);
            let rate: Rate = table.limits_of(&name).1;
            let rate = self.shaping.limits(&name).1.filter(|shaped| shaped.is_below(&rate)).unwrap_or(rate);
            return cluster.rate_slot(&name, rate, shutdown).await.then_some(SiteSlot { sites: self, name: None });
        }
        if self.limits.is_none() {
            return Some(SiteSlot { sites: self, name: None });
        }
        let name = site_name(hosts, port, &self.rollups);
        loop {
            let shaped = self.shaping.limits(&name);
            if self.locked().is_some_and(|mut limits| limits.try_start_within(&name, Instant::now(), shaped)) {
                return Some(SiteSlot { sites: self, name: Some(name) });
            }
            if shutdown.sleep(RETRY).await {
                return None;
            }
        }
    }

    /// The name of the site of `hosts` on `port`, as the limits, the metrics and the
    /// suspensions know it.
    pub fn name_of(&self, hosts: &[String], port: u16) -> String {
        site_name(hosts, port, &self.rollups)
    }

    fn locked(&self) -> Option<MutexGuard<'_, Destinations>> {
        self.limits.as_ref().map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl SiteSlot<'_> {
    /// Gives the slot back, adapting the site's connections to how the attempt went.
    pub fn finish(mut self, feedback: Feedback) {
        self.release(feedback);
    }

    fn release(&mut self, feedback: Feedback) {
        let Some(name) = self.name.take() else { return };
        if let Some(mut limits) = self.sites.locked() {
            limits.finish(&name, feedback);
        }
    }
}

impl Drop for SiteSlot<'_> {
    fn drop(&mut self) {
        self.release(Feedback::Neutral);
    }
}

/// A site's name: the rolled-up name of the first of `rollups` that all its hosts are under,
/// else its hosts, lower case, sorted and without repeats, and the port.
fn site_name(hosts: &[String], port: u16, rollups: &[String]) -> String {
    let mut names: Vec<String> = hosts.iter().map(|h| h.trim_end_matches('.').to_ascii_lowercase()).collect();
    if let Some(mx) = rollups.iter().find(|mx| names.iter().all(|name| is_under(name, mx))) {
        return rolled_up_site(mx);
    }
    names.sort();
    names.dedup();
    format!("{}:{port}", names.join(","))
}

/// Whether `name` is `domain` or one of its subdomains.
fn is_under(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain).is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::outbound::{DestinationOverride, DestinationTarget};
    use crate::net::shutdown;
    use glommio::{LocalExecutorBuilder, Placement};
    use std::num::NonZeroUsize;

    #[test]
    fn domains_with_the_same_hosts_in_any_order_are_one_site() {
        let a = site_name(&["mx2.example.net".into(), "MX1.example.net.".into()], 25, &[]);
        let b = site_name(&["mx1.example.net".into(), "mx2.example.net".into(), "mx1.example.net".into()], 25, &[]);
        assert_eq!(a, b);
        assert_eq!(a, "mx1.example.net,mx2.example.net:25");
        assert_ne!(a, site_name(&["mx1.example.net".into(), "mx2.example.net".into()], 587, &[]));
    }

    #[test]
    fn sites_whose_hosts_are_all_under_an_mx_entry_are_rolled_up() {
        let rollups = ["google.com".to_string()];
        let gmail = ["gmail-smtp-in.l.google.com".into(), "alt1.gmail-smtp-in.l.google.com".into()];
        let workspace = ["ASPMX.L.GOOGLE.COM.".into(), "alt2.aspmx.l.google.com".into()];
        assert_eq!(site_name(&gmail, 25, &rollups), "*.google.com");
        assert_eq!(site_name(&workspace, 25, &rollups), "*.google.com");
        assert_eq!(site_name(&["google.com".into()], 25, &rollups), "*.google.com", "the domain itself");
        let mixed = ["aspmx.l.google.com".into(), "backup.example.net".into()];
        assert_eq!(site_name(&mixed, 25, &rollups), "aspmx.l.google.com,backup.example.net:25", "not all under it");
        assert_eq!(site_name(&["notgoogle.com".into()], 25, &rollups), "notgoogle.com:25", "a label, not a suffix");
    }

    #[test]
    fn a_rolled_up_site_has_the_limits_of_its_mx_entry() {
        let config = DeliveryConfig {
            max_connections_per_destination: NonZeroUsize::new(5).unwrap(),
            destination: vec![DestinationOverride {
                target: DestinationTarget::Mx("google.com".to_string().try_into().unwrap()),
                max_connections: NonZeroUsize::new(2),
                max_rate: None,
            }],
            ..Default::default()
        };
        let sites = Sites::new(&config, Arc::default());
        let mut limits = sites.locked().expect("sites on");
        let now = Instant::now();
        let open = |limits: &mut Destinations, name: &str| (0..10).take_while(|_| limits.try_start(name, now)).count();
        let google = site_name(&["aspmx.l.google.com".into()], 25, &sites.rollups);
        assert_eq!(open(&mut limits, &google), 2, "the mx entry's limit");
        let other = site_name(&["mx.example.net".into()], 25, &sites.rollups);
        assert_eq!(open(&mut limits, &other), 5, "the default elsewhere");
    }

    #[test]
    fn a_site_keeps_to_its_connections_across_domains() {
        let config =
            DeliveryConfig { max_connections_per_destination: NonZeroUsize::new(1).unwrap(), ..Default::default() };
        let outcome = LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(512 * 1024)
            .spawn(move || async move {
                let sites = Sites::new(&config, Arc::default());
                let (trigger, stop) = shutdown::channel();
                let one = ["mx1.shared.example".to_string(), "mx2.shared.example".to_string()];
                let other = ["MX2.shared.example".to_string(), "mx1.shared.example".to_string()];
                let first = sites.enter(&one, 25, &stop).await.expect("a free site");
                let second = futures_lite::future::or(
                    async { sites.enter(&other, 25, &stop).await.map(|_| "entered") },
                    async {
                        glommio::timer::sleep(Duration::from_millis(100)).await;
                        Some("waited")
                    },
                );
                assert_eq!(second.await, Some("waited"), "another domain on the same hosts waits");
                assert!(sites.enter(&["mx.elsewhere.example".into()], 25, &stop).await.is_some(), "another site");
                first.finish(Feedback::Accepted);
                let held = sites.enter(&other, 25, &stop).await.expect("the slot came back");
                trigger.fire();
                let stopped = sites.enter(&one, 25, &stop).await.is_none();
                drop(held);
                stopped
            })
            .expect("executor")
            .join()
            .expect("ran");
        assert!(outcome, "a wait ends when the server stops");
        let off = DeliveryConfig { sites: false, ..Default::default() };
        assert!(Sites::new(&off, Arc::default()).limits.is_none());
    }
}
