//! Filtering of received mail: the local allow and block lists, DNS blocklists, the spam
//! filter's learned counts and the clamd client.
//!
//! | file | what |
//! |---|---|
//! | `access.rs` | list entries: networks, domains, addresses |
//! | `lists.rs` | each shard's cached copy of the lists |
//! | `dnsbl.rs` | DNS blocklist zones and lookups (RFC 5782) |
//! | `uribl.rs` | domain blocklists for the links in a message (spam filter input) |
//! | `learned.rs` | the spam filter's token counts: shipped model plus what was learned here |
//! | `clamd.rs` | the optional second opinion of clamd (INSTREAM) |

pub mod access;
pub mod clamd;
pub mod dnsbl;
pub mod learned;
pub mod lists;
pub mod uribl;
