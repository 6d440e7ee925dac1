//! Checking a user name and password against the directory. Blocking (argon2 is memory-hard
//! on purpose): protocol sessions run it on a blocking thread, never on a shard's executor.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::cache::LoginCache;
use super::password;
use super::throttle::{LoginThrottle, Verdict, client_key};
use crate::cluster::Cluster;
use crate::config::AuthConfig;
use sasl::Credentials;
use store::{Store, StoreError};

/// What every protocol's logins share: the brute-force counters and the cache of recent
/// successes. One per server.
pub struct Logins {
    /// Failed-login counters.
    pub throttle: LoginThrottle,
    /// Recently verified logins.
    pub cache: LoginCache,
    /// The cluster whose failure counts apply too, if any.
    pub cluster: Option<Arc<Cluster>>,
}

impl Logins {
    /// Counters and cache as `[auth]` configures them, counting with `cluster` when given.
    pub fn new(config: &AuthConfig, cluster: Option<Arc<Cluster>>) -> Logins {
        Logins {
            throttle: LoginThrottle::new(config.clone()),
            cache: LoginCache::new(Duration::from_secs(config.login_cache_secs)),
            cluster,
        }
    }
}

/// The account a login names, lower-cased.
pub fn account_name(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The account address when `credentials` are right; `None` otherwise. An unknown user costs
/// as much time as a wrong password, so answers do not reveal which accounts exist; a login
/// verified recently with the same password and stored hash is answered from `cache`.
pub fn verify(store: &Store, cache: &LoginCache, credentials: &Credentials) -> Result<Option<String>, StoreError> {
    let address = account_name(&credentials.username);
    match store.account(&address)? {
        Some(account) if cache.contains(&address, &credentials.password, &account.password_hash) => Ok(Some(address)),
        Some(account) if password::verify(&credentials.password, &account.password_hash) => {
            cache.insert(&address, &credentials.password, &account.password_hash);
            Ok(Some(address))
        }
        Some(_) => Ok(None),
        None => {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let dummy = DUMMY.get_or_init(|| password::hash("ringmail timing equaliser"));
            let _ = password::verify(&credentials.password, dummy);
            Ok(None)
        }
    }
}

/// How a login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// The credentials are right: the account address.
    Success(String),
    /// Wrong user name or password.
    Invalid,
    /// The client's address failed too often; it gets no answer on the password.
    Blocked,
    /// The directory could not be read.
    Unavailable,
}

/// A full login as every protocol does it: the brute-force verdict (with its delay), the
/// password check on the shard's blocking thread, and the bookkeeping of the outcome (the
/// throttle's counts, and `ringmail_login_failures_total` labelled with `protocol`).
pub async fn authenticate(
    protocol: &'static str,
    store: &Store,
    logins: &Arc<Logins>,
    peer: IpAddr,
    credentials: Credentials,
) -> LoginOutcome {
    let throttle = &logins.throttle;
    let account = account_name(&credentials.username);
    let client = client_key(peer);
    let cluster = match &logins.cluster {
        Some(cluster) => cluster.login_failures(client, &account).await,
        None => None,
    };
    match throttle.check_with(peer, &account, cluster) {
        Verdict::Refuse => {
            crate::metrics::login_blocked(protocol);
            return LoginOutcome::Blocked;
        }
        Verdict::Delay(pause) => glommio::timer::sleep(pause).await,
        Verdict::Allow => {}
    }
    let (store, shared) = (store.clone(), Arc::clone(logins));
    match glommio::executor().spawn_blocking(move || verify(&store, &shared.cache, &credentials)).await {
        Ok(Some(address)) => {
            throttle.succeeded(&address);
            if let Some(cluster) = &logins.cluster {
                cluster.login_succeeded(&account);
            }
            tracing::info!(%peer, user = %address, "authenticated");
            LoginOutcome::Success(address)
        }
        Ok(None) => {
            throttle.failed(peer, &account);
            if let Some(cluster) = &logins.cluster {
                cluster.login_failed(client, &account, throttle.window().as_secs());
            }
            crate::metrics::login_failed(protocol);
            tracing::info!(%peer, user = %account, "authentication failed");
            LoginOutcome::Invalid
        }
        Err(e) => {
            tracing::warn!("account lookup failed: {e}");
            LoginOutcome::Unavailable
        }
    }
}
