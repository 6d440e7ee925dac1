//! The SMTP wire protocol without any I/O: command lines in, typed values out.
//!
//! Nothing here touches a socket, the runtime or the store, so every parser can be fed bytes in
//! any fragmentation by unit tests, benchmarks and fuzz targets alike. The server session owns the
//! socket and calls into these types.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod command;
pub mod data;
pub mod dsn;
pub mod reply;
pub mod reply_reader;

pub use address::{AddressError, Mailbox};
pub use command::{Body, Command, CommandError, MailParams, RcptParams};
pub use data::{DataReader, DataStep, MessageBody};
pub use reply::{Reply, Status};
