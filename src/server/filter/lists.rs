//! Each shard's copy of the allow and block lists, read from the store at most every few
//! seconds, so that `ringmail allow|block` takes effect without a restart.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::access::{Entry, List};
use store::Store;

/// How long a shard uses its copy before reading the lists again.
const REFRESH: Duration = Duration::from_secs(5);

/// The allow and block lists, parsed.
#[derive(Debug, Default)]
pub struct Lists {
    /// Trusted clients and senders.
    pub allow: Vec<Entry>,
    /// Refused clients and senders.
    pub block: Vec<Entry>,
}

impl Lists {
    /// Whether the client address is on `list`.
    pub fn client_on(&self, list: List, ip: IpAddr) -> bool {
        self.of(list).iter().any(|e| e.covers_client(ip))
    }

    /// Whether the envelope sender (lower case) is on `list`.
    pub fn sender_on(&self, list: List, sender: &str) -> bool {
        self.of(list).iter().any(|e| e.covers_sender(sender))
    }

    fn of(&self, list: List) -> &[Entry] {
        match list {
            List::Allow => &self.allow,
            List::Block => &self.block,
        }
    }
}

/// A shard's cached lists.
pub struct AccessLists {
    store: Store,
    cached: RefCell<Option<(Instant, Rc<Lists>)>>,
}

impl AccessLists {
    /// Lists read from `store` when first needed.
    pub fn new(store: Store) -> AccessLists {
        AccessLists { store, cached: RefCell::new(None) }
    }

    /// The current lists.
    pub fn get(&self) -> Rc<Lists> {
        if let Some((at, lists)) = self.cached.borrow().as_ref()
            && at.elapsed() < REFRESH
        {
            return Rc::clone(lists);
        }
        let lists = Rc::new(Lists { allow: self.read(List::Allow), block: self.read(List::Block) });
        *self.cached.borrow_mut() = Some((Instant::now(), Rc::clone(&lists)));
        lists
    }

    fn read(&self, list: List) -> Vec<Entry> {
        match self.store.access_entries(list.as_str()) {
            Ok(entries) => entries.iter().filter_map(|e| Entry::parse(e).ok()).collect(),
            Err(e) => {
                tracing::warn!(list = list.as_str(), "reading the list failed: {e}");
                Vec::new()
            }
        }
    }
}
