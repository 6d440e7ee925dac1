//! Reading the MTA-STS policies kept for destination domains (`mta_sts`), written through the
//! journal (`journal/mta_sts.rs`).

use super::records::MtaStsPolicy;
use super::{Store, StoreError, cf};

impl Store {
    /// The policy kept for `domain` (lower-case), expired or not.
    pub fn mta_sts_policy(&self, domain: &str) -> Result<Option<MtaStsPolicy>, StoreError> {
        self.get(cf::MTA_STS, domain.as_bytes())
    }

    /// Every policy kept, as `(domain, policy)`, by domain.
    pub fn mta_sts_policies(&self) -> Result<Vec<(String, MtaStsPolicy)>, StoreError> {
        self.scan(cf::MTA_STS)
    }
}
