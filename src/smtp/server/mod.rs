//! The SMTP receiver (the port-25 role): accepts connections on a shard and runs one
//! [`session::Session`] per connection, dispatching each command to its handler.
//!
//! | file | handles |
//! |---|---|
//! | `listener.rs` | accepting, connection limits |
//! | `session.rs` | the read-dispatch-reply loop, NOOP/RSET/VRFY/HELP/QUIT |
//! | `hello.rs` | EHLO, HELO |
//! | `envelope.rs` | MAIL, RCPT |
//! | `message.rs` | DATA, BDAT, storing the message |
//! | `trace.rs` | `Received:` and `Return-Path:` headers |
//! | `replies.rs` | every reply text and the mapping of errors to replies |

mod envelope;
mod hello;
mod listener;
mod message;
mod replies;
mod session;
mod trace;

pub use listener::accept_loop;
