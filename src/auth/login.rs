//! Checking a user name and password against the directory. Blocking (argon2 is memory-hard
//! on purpose): protocol sessions run it on a blocking thread, never on a shard's executor.

use std::sync::OnceLock;

use super::password;
use super::sasl::Credentials;
use crate::store::{Store, StoreError};

/// The account a login names, lower-cased.
pub fn account_name(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The account address when `credentials` are right; `None` otherwise. An unknown user costs
/// as much time as a wrong password, so answers do not reveal which accounts exist.
pub fn verify(store: &Store, credentials: &Credentials) -> Result<Option<String>, StoreError> {
    let address = account_name(&credentials.username);
    match store.account(&address)? {
        Some(account) if password::verify(&credentials.password, &account.password_hash) => Ok(Some(address)),
        Some(_) => Ok(None),
        None => {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let dummy = DUMMY.get_or_init(|| password::hash("ringmail timing equaliser"));
            let _ = password::verify(&credentials.password, dummy);
            Ok(None)
        }
    }
}
