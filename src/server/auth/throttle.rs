//! The brute-force defence: failed logins counted per client IP and per account, within a
//! window. Past the thresholds an attempt is answered slowly, and an IP address with too many
//! failures is refused until its window passes. Shared by every shard and protocol.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AuthConfig;

/// Entries kept per map before expired ones are dropped.
const PRUNE_AT: usize = 65_536;

/// What to do with a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer at once.
    Allow,
    /// Answer after this long.
    Delay(Duration),
    /// Refuse without checking the password.
    Refuse,
}

/// Failures seen for one key within the current window.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: usize,
    first: Instant,
}

/// Failure counters; see the module documentation.
#[derive(Debug)]
pub struct LoginThrottle {
    policy: AuthConfig,
    by_ip: Mutex<HashMap<IpAddr, Failures>>,
    by_account: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    /// Counters with the thresholds of `[auth]`.
    pub fn new(policy: AuthConfig) -> LoginThrottle {
        LoginThrottle { policy, by_ip: Mutex::default(), by_account: Mutex::default() }
    }

    /// Whether `ip` may try at all.
    pub fn check_ip(&self, ip: IpAddr) -> Verdict {
        self.judge(self.count(&self.by_ip, &client_key(ip)), 0)
    }

    /// Whether an attempt from `ip` on `account` is answered at once, slowly, or refused.
    pub fn check(&self, ip: IpAddr, account: &str) -> Verdict {
        self.check_with(ip, account, None)
    }

    /// [`LoginThrottle::check`] with the counts of the whole cluster for the client and the
    /// account, when known: the larger of those and this node's own apply.
    pub fn check_with(&self, ip: IpAddr, account: &str, cluster: Option<(usize, usize)>) -> Verdict {
        let (by_ip, by_account) = cluster.unwrap_or_default();
        let ip_failures = self.count(&self.by_ip, &client_key(ip)).max(by_ip);
        let account_failures = self.count(&self.by_account, &account.to_lowercase()).max(by_account);
        self.judge(ip_failures, account_failures)
    }

    fn judge(&self, ip_failures: usize, account_failures: usize) -> Verdict {
        let policy = &self.policy;
        if ip_failures >= policy.ip_failures_before_block.get() {
            Verdict::Refuse
        } else if ip_failures >= policy.ip_failures_before_delay.get()
            || account_failures >= policy.account_failures_before_delay.get()
        {
            Verdict::Delay(self.delay())
        } else {
            Verdict::Allow
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, ip: IpAddr, account: &str) {
        self.add(&self.by_ip, client_key(ip));
        self.add(&self.by_account, account.to_lowercase());
    }

    /// Records a successful login: the account's own counter starts again. The address keeps
    /// its count, so one valid login cannot reset a guessing run against other accounts.
    pub fn succeeded(&self, account: &str) {
        lock(&self.by_account).remove(&account.to_lowercase());
    }

    fn delay(&self) -> Duration {
        Duration::from_secs(self.policy.delay_secs)
    }

    /// How long a failure counts.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.policy.failure_window_secs.get())
    }

    fn count<K: Eq + Hash>(&self, map: &Mutex<HashMap<K, Failures>>, key: &K) -> usize {
        lock(map).get(key).filter(|f| f.first.elapsed() < self.window()).map_or(0, |f| f.count)
    }

    fn add<K: Eq + Hash>(&self, map: &Mutex<HashMap<K, Failures>>, key: K) {
        let now = Instant::now();
        let window = self.window();
        let mut map = lock(map);
        if map.len() >= PRUNE_AT {
            map.retain(|_, f| now.duration_since(f.first) < window);
        }
        let entry = map.entry(key).or_insert(Failures { count: 0, first: now });
        if now.duration_since(entry.first) >= window {
            *entry = Failures { count: 0, first: now };
        }
        entry.count += 1;
    }
}

/// Failures are counted per IPv4 address and per IPv6 /64: one customer usually holds a whole
/// /64 and could otherwise rotate through it.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use super::*;

    fn throttle() -> LoginThrottle {
        let nz = |n| NonZeroUsize::new(n).unwrap();
        LoginThrottle::new(AuthConfig {
            ip_failures_before_delay: nz(2),
            ip_failures_before_block: nz(4),
            account_failures_before_delay: nz(3),
            delay_secs: 1,
            ..AuthConfig::default()
        })
    }

    #[test]
    fn an_address_is_delayed_then_refused() {
        let t = throttle();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(t.check(ip, "a@x"), Verdict::Allow);
        t.failed(ip, "a@x");
        t.failed(ip, "b@x");
        assert_eq!(t.check(ip, "c@x"), Verdict::Delay(Duration::from_secs(1)));
        t.failed(ip, "c@x");
        t.failed(ip, "d@x");
        assert_eq!(t.check(ip, "e@x"), Verdict::Refuse);
        t.succeeded("e@x");
        assert_eq!(t.check_ip(ip), Verdict::Refuse, "a success does not clear the address");
        assert_eq!(t.check("192.0.2.2".parse().unwrap(), "e@x"), Verdict::Allow, "other addresses are unaffected");
    }

    #[test]
    fn an_ipv6_64_counts_as_one_client() {
        let t = throttle();
        for i in 1..=4u16 {
            t.failed(IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, i]), &format!("user{i}@x"));
        }
        assert_eq!(t.check_ip("2001:db8:0:1::ffff".parse().unwrap()), Verdict::Refuse);
        assert_eq!(t.check_ip("2001:db8:0:2::1".parse().unwrap()), Verdict::Allow, "another /64");
    }

    #[test]
    fn the_clusters_counts_apply_when_larger() {
        let t = throttle();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        t.failed(ip, "a@x");
        assert_eq!(t.check_with(ip, "a@x", Some((0, 0))), Verdict::Allow, "this node's one failure");
        assert_eq!(t.check_with(ip, "a@x", Some((4, 0))), Verdict::Refuse, "four in the cluster");
        assert_eq!(t.check_with(ip, "a@x", Some((1, 3))), Verdict::Delay(Duration::from_secs(1)));
        assert_eq!(t.check_with(ip, "a@x", None), Verdict::Allow);
    }

    #[test]
    fn an_account_attacked_from_many_addresses_is_slowed_not_locked() {
        let t = throttle();
        for i in 0..3 {
            t.failed(IpAddr::from([198, 51, 100, i]), "Victim@X");
        }
        let fresh: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(t.check(fresh, "victim@x"), Verdict::Delay(Duration::from_secs(1)));
        t.succeeded("victim@x");
        assert_eq!(t.check(fresh, "victim@x"), Verdict::Allow);
    }
}
