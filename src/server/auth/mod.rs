//! Authentication of accounts: password hashing, SASL decoding, the brute-force defence, and
//! checking a login against the directory.

pub mod cache;
pub mod login;
pub mod password;
pub mod throttle;
