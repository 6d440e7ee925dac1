//! Email authentication: SPF, DKIM and DMARC checks of received mail, and the
//! `Authentication-Results:` header (RFC 8601) that records them.
//!
//! | file | what |
//! |---|---|
//! | `lookup.rs` | the DNS questions they ask, as a trait (resolver or in-memory zone) |
//! | `resolver.rs` | the shard's resolver answering them |
//! | `dmarc/` | DMARC policy records, alignment and the verdict |
//! | `results.rs` | the `Authentication-Results:` header |

pub mod dmarc;
pub mod lookup;
pub mod resolver;
pub mod results;
