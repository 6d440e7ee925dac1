//! SMTP: the wire protocol ([`proto`], no I/O) and the receiving server ([`server`]).

pub mod proto;
pub mod server;
