//! Failed logins counted for the whole cluster, so that a password guesser spreading its tries
//! over the nodes meets the thresholds as if they were one: a counter per client key (an IPv4
//! address or an IPv6 /64) and per account, each expiring a window after its first failure.

use std::net::IpAddr;

use super::Cluster;
use crate::metrics;

impl Cluster {
    /// The failures counted in the cluster for `client` and `account`; None when Redis cannot
    /// be asked (the node's own counts apply).
    pub async fn login_failures(&self, client: IpAddr, account: &str) -> Option<(usize, usize)> {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(self.login_key("ip", &client.to_string())).arg(self.login_key("account", account));
        let Ok(value) = self.client.call(cmd).await else {
            metrics::cluster_fallback("login");
            return None;
        };
        let counts: Vec<Option<usize>> = redis::from_redis_value(value).ok()?;
        Some((counts.first().copied().flatten().unwrap_or(0), counts.get(1).copied().flatten().unwrap_or(0)))
    }

    /// Counts a failure for `client` and `account`, each counter lasting `window_secs` from
    /// its first failure.
    pub fn login_failed(&self, client: IpAddr, account: &str, window_secs: u64) {
        for key in [self.login_key("ip", &client.to_string()), self.login_key("account", account)] {
            let mut incr = redis::cmd("INCR");
            incr.arg(&key);
            self.client.send(incr);
            let mut expire = redis::cmd("EXPIRE");
            expire.arg(&key).arg(window_secs).arg("NX");
            self.client.send(expire);
        }
    }

    /// A successful login: the account's counter starts again (the address keeps its own).
    pub fn login_succeeded(&self, account: &str) {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.login_key("account", account));
        self.client.send(cmd);
    }

    fn login_key(&self, kind: &str, name: &str) -> String {
        self.key(&["login", kind, &name.to_lowercase()])
    }
}
