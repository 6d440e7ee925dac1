//! Authentication of accounts.

pub mod password;
