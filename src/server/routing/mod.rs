//! Where mail for a recipient goes: local accounts (through aliases, catch-alls and
//! `user+tag` subaddresses) or the outbound queue, and whether this client may relay at all.

use smtp_proto::Mailbox;
use store::journal::{JournalHandle, JournalOp};
use store::{Store, StoreError, directory::domain_of};

/// Alias levels followed before giving up on a loop.
const MAX_ALIAS_DEPTH: usize = 8;

/// The local part of the mailbox every mail domain must have (RFC 5321 section 4.5.1).
pub const POSTMASTER: &str = "postmaster";

/// Local parts that reach the server's postmaster when their domain gives them no address of
/// their own (RFC 2142 expects `abuse` beside `postmaster`).
pub const ROLE_ADDRESSES: [&str; 2] = [POSTMASTER, "abuse"];

/// The destinations of one recipient.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Destinations {
    /// Local accounts (lower-case addresses).
    pub local: Vec<String>,
    /// Remote addresses for the outbound queue.
    pub remote: Vec<String>,
}

/// Why a recipient cannot be accepted.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// Local domain, but no account or alias has that name.
    #[error("no such user here")]
    UnknownUser,
    /// Non-local domain and the client may not relay.
    #[error("relaying denied")]
    RelayDenied,
    /// Aliases refer to each other too deeply.
    #[error("alias loop")]
    AliasLoop,
    /// The remote recipient hard-bounced before (the reason is the remote server's answer).
    #[error("suppressed after a hard bounce: {0}")]
    Suppressed(String),
    /// The directory could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolves recipients against the directory.
pub struct Router<'a> {
    store: &'a Store,
    hostname: &'a str,
}

impl<'a> Router<'a> {
    /// A router for a server named `hostname` (always a local domain).
    pub fn new(store: &'a Store, hostname: &'a str) -> Router<'a> {
        Router { store, hostname }
    }

    /// True when mail for `domain` is delivered here.
    pub fn is_local_domain(&self, domain: &str) -> Result<bool, StoreError> {
        Ok(domain == self.hostname || self.store.is_domain(domain)?)
    }

    /// Where mail for `rcpt` goes; `may_relay` says whether the client may send to other domains.
    pub fn resolve(&self, rcpt: &Mailbox, may_relay: bool) -> Result<Destinations, RouteError> {
        let domain = if rcpt.domain.is_empty() { self.hostname } else { rcpt.domain.as_str() };
        let mut out = Destinations::default();
        if self.is_local_domain(domain)? {
            let key = format!("{}@{domain}", rcpt.local.to_lowercase());
            self.expand(&key, 0, &mut out)?;
        } else if may_relay {
            if let Some(s) = self.store.suppression(&rcpt.to_string())? {
                return Err(RouteError::Suppressed(s.reason));
            }
            out.remote.push(rcpt.to_string());
        } else {
            return Err(RouteError::RelayDenied);
        }
        Ok(out)
    }

    /// Whether the logged-in account `user` may use `sender` as its envelope sender: the null
    /// sender, or an address it may send as (see [`Router::may_send_as_address`]).
    pub fn may_send_as(&self, user: &str, sender: Option<&Mailbox>) -> Result<bool, StoreError> {
        let Some(sender) = sender else { return Ok(true) };
        self.may_send_as_address(user, &format!("{}@{}", sender.local, sender.domain))
    }

    /// Whether the logged-in account `user` may send as `address`: its own address (with any
    /// `+tag`), an alias or catch-all that delivers to it, an address or domain granted to it
    /// (`user grant`), or anything when it may send as anyone.
    pub fn may_send_as_address(&self, user: &str, address: &str) -> Result<bool, StoreError> {
        let Some(account) = self.store.account(user)? else { return Ok(false) };
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        let address = format!("{}@{}", local.to_lowercase(), domain.to_ascii_lowercase());
        if account.send_as_anyone || account.granted(&address) {
            return Ok(true);
        }
        if !self.is_local_domain(domain_of(&address))? {
            return Ok(false);
        }
        let mut out = Destinations::default();
        match self.expand(&address, 0, &mut out) {
            Ok(()) => Ok(out.local.iter().any(|a| a == user)),
            Err(RouteError::Store(e)) => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// Adds the destinations of a local address to `out`.
    fn expand(&self, address: &str, depth: usize, out: &mut Destinations) -> Result<(), RouteError> {
        if depth > MAX_ALIAS_DEPTH {
            return Err(RouteError::AliasLoop);
        }
        if self.store.account(address)?.is_some() {
            push_unique(&mut out.local, address);
            return Ok(());
        }
        if let Some(alias) = self.store.alias(address)? {
            return self.expand_targets(&alias.targets, depth, out);
        }
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        if let Some((base, _tag)) = local.split_once('+') {
            let base = format!("{base}@{domain}");
            if self.store.account(&base)?.is_some() || self.store.alias(&base)?.is_some() {
                return self.expand(&base, depth + 1, out);
            }
        }
        if let Some(catch_all) = self.store.alias(&format!("@{domain}"))? {
            return self.expand_targets(&catch_all.targets, depth, out);
        }
        // Every domain has a postmaster (RFC 5321 section 4.5.1) and an abuse desk (RFC 2142):
        // without addresses of their own they reach the server's postmaster.
        let server_postmaster = format!("{POSTMASTER}@{}", self.hostname);
        if ROLE_ADDRESSES.iter().any(|role| local.eq_ignore_ascii_case(role)) && address != server_postmaster {
            return self.expand(&server_postmaster, depth + 1, out);
        }
        Err(RouteError::UnknownUser)
    }

    fn expand_targets(&self, targets: &[String], depth: usize, out: &mut Destinations) -> Result<(), RouteError> {
        for target in targets {
            if self.is_local_domain(domain_of(target))? {
                self.expand(target, depth + 1, out)?;
            } else if self.store.suppression(target)?.is_some() {
                tracing::info!(%target, "alias target skipped: it bounced before");
            } else {
                // Forwarding chosen by the administrator needs no relay permission.
                push_unique(&mut out.remote, target);
            }
        }
        Ok(())
    }
}

/// Makes sure the server's own postmaster, `postmaster@<hostname>`, delivers somewhere: in a
/// data folder where no account or alias has that address (a first start), it becomes an
/// account without a password, whose mail can be read once `ringmail user passwd` gives it one.
pub fn ensure_postmaster(store: &Store, journal: &JournalHandle, hostname: &str) -> Result<(), StoreError> {
    let address = format!("{POSTMASTER}@{hostname}");
    if store.account(&address)?.is_some() || store.alias(&address)?.is_some() {
        return Ok(());
    }
    tracing::info!("creating the postmaster account {address}: give it a password with `ringmail user passwd`");
    let op = JournalOp::CreateAccount { address, password_hash: String::new(), send_as_anyone: false };
    match journal.submit_blocking(op) {
        Ok(_) | Err(StoreError::Exists(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::journal::{DirectoryOp, Journal, JournalOp, SendAs};

    fn setup() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        for a in ["bob@example.com", "eve@example.com", "root@mx.local"] {
            let op =
                JournalOp::CreateAccount { address: a.into(), password_hash: String::new(), send_as_anyone: false };
            journal.handle().submit_blocking(op).unwrap();
        }
        let domain = DirectoryOp::DomainAdd { domain: "example.com".into() };
        journal.handle().submit_blocking(JournalOp::Directory(domain)).unwrap();
        journal.stop();
        alias_add(&store, "team@example.com", &["bob@example.com", "eve@example.com", "x@far.example"]);
        alias_add(&store, "loop1@example.com", &["loop2@example.com"]);
        alias_add(&store, "loop2@example.com", &["loop1@example.com"]);
        alias_add(&store, "postmaster@mx.local", &["root@mx.local"]);
        (dir, store)
    }

    /// Adds an alias through a journal of its own.
    fn alias_add(store: &Store, alias: &str, targets: &[&str]) {
        let journal = Journal::start(store.clone());
        let targets = targets.iter().map(|t| t.to_string()).collect();
        let op = DirectoryOp::AliasAdd { alias: alias.into(), targets };
        journal.handle().submit_blocking(JournalOp::Directory(op)).unwrap();
        journal.stop();
    }

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn every_local_domain_has_a_postmaster_and_an_abuse_desk() {
        let (_d, store) = setup();
        let r = Router::new(&store, "mx.local");
        for rcpt in ["postmaster@example.com", "PostMaster@Example.com", "abuse@example.com", "abuse@mx.local"] {
            assert_eq!(r.resolve(&mb(rcpt), false).unwrap().local, vec!["root@mx.local"], "{rcpt}");
        }
        assert!(matches!(r.resolve(&mb("hostmaster@example.com"), false), Err(RouteError::UnknownUser)), "control");
        alias_add(&store, "abuse@example.com", &["eve@example.com"]);
        assert_eq!(r.resolve(&mb("abuse@example.com"), false).unwrap().local, vec!["eve@example.com"], "its own");
    }

    #[test]
    fn a_first_start_gives_the_server_a_postmaster() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        ensure_postmaster(&store, &journal.handle(), "mx.fresh").unwrap();
        ensure_postmaster(&store, &journal.handle(), "mx.fresh").unwrap();
        journal.stop();
        let r = Router::new(&store, "mx.fresh");
        assert_eq!(r.resolve(&Mailbox::postmaster(), false).unwrap().local, vec!["postmaster@mx.fresh"]);
        assert!(store.account("postmaster@mx.fresh").unwrap().unwrap().password_hash.is_empty());
    }

    #[test]
    fn senders_a_user_may_use() {
        let (_dir, store) = setup();
        let router = Router::new(&store, "mx.local");
        let may = |user: &str, sender: &str| router.may_send_as(user, Some(&mb(sender))).unwrap();
        assert!(may("bob@example.com", "bob@example.com"));
        assert!(may("bob@example.com", "Bob+lists@example.com"), "subaddress, any case");
        assert!(may("bob@example.com", "team@example.com"), "an alias that delivers to bob");
        assert!(!may("bob@example.com", "eve@example.com"), "another account");
        assert!(!may("bob@example.com", "nobody@example.com"), "unknown local address");
        assert!(!may("bob@example.com", "bob@far.example"), "a remote domain");
        assert!(router.may_send_as("bob@example.com", None).unwrap(), "null sender");
    }

    #[test]
    fn grants_let_a_user_send_as_another_address_or_domain() {
        let (_dir, store) = setup();
        let journal = Journal::start(store.clone());
        for other in ["eve@example.com", "@far.example"] {
            let grant = SendAs::Address(other.into());
            let op = DirectoryOp::Grant { address: "bob@example.com".into(), grant };
            journal.handle().submit_blocking(JournalOp::Directory(op)).unwrap();
        }
        journal.stop();
        let router = Router::new(&store, "mx.local");
        let may = |user: &str, address: &str| router.may_send_as_address(user, address).unwrap();
        assert!(may("bob@example.com", "Eve@example.com") && may("bob@example.com", "anyone@FAR.example"));
        assert!(!may("eve@example.com", "bob@example.com"), "a grant goes one way");
        assert!(!may("bob@example.com", "root@mx.local"), "control: no grant, not owned");
    }

    #[test]
    fn local_accounts_aliases_and_subaddresses() {
        let (_d, store) = setup();
        let r = Router::new(&store, "mx.local");
        assert_eq!(r.resolve(&mb("Bob@Example.com"), false).unwrap().local, vec!["bob@example.com"]);
        assert_eq!(r.resolve(&mb("bob+lists@example.com"), false).unwrap().local, vec!["bob@example.com"]);
        let team = r.resolve(&mb("team@example.com"), false).unwrap();
        assert_eq!(team.local, vec!["bob@example.com", "eve@example.com"]);
        assert_eq!(team.remote, vec!["x@far.example"]);
        assert_eq!(r.resolve(&Mailbox::postmaster(), false).unwrap().local, vec!["root@mx.local"]);
    }

    #[test]
    fn unknown_users_loops_and_relay() {
        let (_d, store) = setup();
        let r = Router::new(&store, "mx.local");
        assert!(matches!(r.resolve(&mb("nobody@example.com"), true), Err(RouteError::UnknownUser)));
        assert!(matches!(r.resolve(&mb("loop1@example.com"), true), Err(RouteError::AliasLoop)));
        assert!(matches!(r.resolve(&mb("a@elsewhere.example"), false), Err(RouteError::RelayDenied)));
        assert_eq!(r.resolve(&mb("a@elsewhere.example"), true).unwrap().remote, vec!["a@elsewhere.example"]);
        alias_add(&store, "@example.com", &["eve@example.com"]);
        assert_eq!(r.resolve(&mb("nobody@example.com"), false).unwrap().local, vec!["eve@example.com"]);
    }
}
