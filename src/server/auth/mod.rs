//! Authentication of accounts and API clients: password hashing, SASL decoding, the
//! brute-force defence, checking a login against the directory, and HTTP API tokens.

pub mod api_token;
pub mod cache;
pub mod login;
pub mod password;
pub mod throttle;
