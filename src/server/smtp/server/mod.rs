//! The SMTP server in its three roles (port 25 inbound, 587 submission, 465 submission over
//! TLS): accepts connections on a shard and runs one [`session::Session`] per connection,
//! dispatching each command to its handler.
//!
//! | file | handles |
//! |---|---|
//! | `listener.rs` | the three roles, starting a session |
//! | `session.rs` | the read-dispatch-reply loop, NOOP/RSET/VRFY/HELP/QUIT |
//! | `hello.rs` | EHLO, HELO |
//! | `starttls.rs` | STARTTLS and the implicit-TLS handshake |
//! | `auth.rs` | AUTH PLAIN and LOGIN |
//! | `access.rs` | allow/block lists and DNS blocklists: refusing clients and senders |
//! | `envelope.rs` | MAIL, RCPT |
//! | `message.rs` | DATA, BDAT, storing the message |
//! | `parts.rs` | a large message's parts, written to the store while it arrives |
//! | `checks.rs` | SPF, DKIM and DMARC of mail from other servers, `Authentication-Results:` |
//! | `authorship.rs` | the `From:` and `Sender:` our own users and networks may use |
//! | `signing.rs` | DKIM signatures and ARC seals on the mail we send and forward |
//! | `submitted.rs` | what our own senders' mail goes through over SMTP or HTTP: author, spam, DKIM |
//! | `trace.rs` | `Received:` and `Return-Path:` headers |
//! | `tls_reports.rs` | reading the TLS reports other senders mail us |
//! | `replies.rs` | every reply text and the mapping of errors to replies |

mod access;
mod auth;
mod authorship;
mod checks;
mod delivered;
mod envelope;
mod hello;
mod listener;
mod message;
mod parts;
mod replies;
mod reports;
mod services;
mod session;
mod signing;
mod spam;
mod starttls;
mod submitted;
mod tls_reports;
mod trace;

pub use listener::{Role, TOO_MANY_CONNECTIONS, serve};
pub use services::Services;
pub use submitted::{Claimant, author_refusal, dkim_signatures, outbound_spam_refusal};
pub use trace::{Received, return_path};
