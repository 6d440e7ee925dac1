//! Filtering of mail from other servers: the local allow and block lists and DNS blocklists.
//!
//! | file | what |
//! |---|---|
//! | `access.rs` | list entries: networks, domains, addresses |
//! | `lists.rs` | each shard's cached copy of the lists |
//! | `dnsbl.rs` | DNS blocklist zones and lookups (RFC 5782) |
//! | `uribl.rs` | domain blocklists for the links in a message (spam filter input) |

pub mod access;
pub mod dnsbl;
pub mod lists;
pub mod uribl;
