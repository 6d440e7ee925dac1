//! Connection plumbing shared by every protocol server: buffered line I/O with timeouts,
//! the shutdown signal, and connection limits.

pub mod connection;
pub mod limiter;
pub mod shutdown;

pub use connection::{Connection, Line, ReadError};
pub use limiter::{ConnectionLimiter, ConnectionPermit};
pub use shutdown::{Shutdown, ShutdownTrigger};
