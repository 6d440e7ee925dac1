//! Queued mail being handed to another node (`ringmail queue transfer`): while a transfer is
//! on, every attempt for a recipient domain it covers goes to that node instead of the mail
//! exchangers, through the usual delivery, so a recipient leaves this queue only once the
//! other node has answered `250` for it (its journal commit, as for any delivery). A refusal
//! there returns nothing to the sender: the recipient stays queued for the next try.

use std::sync::{Arc, PoisonError, RwLock};

use crate::config::outbound::RelayHost;

/// The transfers on, shared by every shard.
#[derive(Debug, Default)]
pub struct Transfers {
    active: RwLock<Vec<(u64, Option<String>, RelayHost)>>,
}

/// A transfer on until dropped.
pub struct Transfer {
    transfers: Arc<Transfers>,
    number: u64,
}

impl Transfers {
    /// Turns on handing mail for `domain` (None: all mail) to the node at `to`.
    pub fn begin(self: &Arc<Self>, domain: Option<String>, to: RelayHost) -> Transfer {
        let mut active = self.active.write().unwrap_or_else(PoisonError::into_inner);
        let number = active.iter().map(|(n, ..)| n + 1).max().unwrap_or(0);
        active.push((number, domain.map(|d| d.to_ascii_lowercase()), to));
        Transfer { transfers: Arc::clone(self), number }
    }

    /// The node mail for `domain` (lower case) goes to now, if a transfer covers it; the one
    /// begun last wins.
    pub fn to(&self, domain: &str) -> Option<RelayHost> {
        let active = self.active.read().unwrap_or_else(PoisonError::into_inner);
        active.iter().rev().find(|(_, d, _)| d.as_deref().is_none_or(|d| d == domain)).map(|(.., to)| to.clone())
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        let mut active = self.transfers.active.write().unwrap_or_else(PoisonError::into_inner);
        active.retain(|(n, ..)| *n != self.number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(port: u16) -> RelayHost {
        RelayHost { name: "127.0.0.1".into(), port }
    }

    #[test]
    fn a_transfer_covers_its_domain_until_dropped() {
        let transfers = Arc::new(Transfers::default());
        assert_eq!(transfers.to("far.example"), None, "control: nothing is transferred at first");
        let all = transfers.begin(None, host(1));
        let one = transfers.begin(Some("Near.Example".into()), host(2));
        assert_eq!(transfers.to("near.example"), Some(host(2)));
        assert_eq!(transfers.to("far.example"), Some(host(1)));
        drop(all);
        assert_eq!(transfers.to("far.example"), None);
        assert_eq!(transfers.to("near.example"), Some(host(2)));
        drop(one);
        assert_eq!(transfers.to("near.example"), None);
    }
}
