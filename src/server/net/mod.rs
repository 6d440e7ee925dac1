//! Connection plumbing shared by every protocol server: buffered line I/O with timeouts,
//! the shutdown signal, connection limits, the budget of message octets held in memory, and
//! compressed streams.

pub mod connection;
pub mod deflate;
pub mod limiter;
pub mod memory;
pub mod shutdown;

pub use connection::{Connection, Line, ReadError};
pub use limiter::{ConnectionLimiter, ConnectionPermit};
pub use memory::{MessageMemory, Reservation};
pub use shutdown::{Shutdown, ShutdownTrigger};
