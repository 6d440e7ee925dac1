//! DKIM signing of outbound mail: the keys of a domain from the store, parsed once and kept
//! for a minute per shard, so that `ringmail dkim generate|del` takes effect without a restart.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mailauth::dkim::{Signer, SigningKey};
use store::Store;

/// How long a domain's signers are kept before the store is read again.
const REFRESH: Duration = Duration::from_secs(60);

/// Most domains whose signers a shard keeps.
const MAX_DOMAINS: usize = 10_000;

/// A domain's signers and when they were read.
type Cached = (Instant, Rc<Vec<Signer>>);

/// The signers of each domain, per shard.
pub struct Signers {
    store: Store,
    cache: RefCell<HashMap<String, Cached>>,
}

impl Signers {
    /// An empty cache over `store`.
    pub fn new(store: Store) -> Signers {
        Signers { store, cache: RefCell::new(HashMap::new()) }
    }

    /// One signer per key of `domain` (lower case); empty when it has none.
    pub fn for_domain(&self, domain: &str) -> Rc<Vec<Signer>> {
        if let Some((at, signers)) = self.cache.borrow().get(domain)
            && at.elapsed() < REFRESH
        {
            return Rc::clone(signers);
        }
        let signers = Rc::new(self.load(domain));
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= MAX_DOMAINS {
            cache.clear();
        }
        cache.insert(domain.to_string(), (Instant::now(), Rc::clone(&signers)));
        signers
    }

    fn load(&self, domain: &str) -> Vec<Signer> {
        let keys = match self.store.dkim_keys(domain) {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(domain, "reading DKIM keys failed: {e}");
                return Vec::new();
            }
        };
        keys.into_iter()
            .filter_map(|(selector, key)| match SigningKey::from_pkcs8_der(&key.pkcs8) {
                Ok(signing_key) => Some(Signer::new(domain, selector, signing_key)),
                Err(e) => {
                    tracing::warn!(domain, selector, "unusable DKIM key: {e}");
                    None
                }
            })
            .collect()
    }
}
