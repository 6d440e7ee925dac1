//! SMTP: the wire protocol ([`proto`], no I/O), the receiving server ([`server`]) and the
//! client that delivers outbound mail ([`client`]).

pub mod client;
pub mod server;
