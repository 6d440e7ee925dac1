//! The durable store: one RocksDB with a column family per kind of record.
//!
//! Reads (directory lookups, listing mail) go straight to RocksDB from any thread. Every write
//! goes through the [`journal`], a single commit thread that groups many sessions' writes into
//! one fsynced `WriteBatch` and checks what each write depends on in the same step. [`keys`]
//! has every key layout, [`records`] every value's encoding.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod bayes;
pub mod changes;
mod counters;
pub mod directory;
pub mod dkim_keys;
pub mod dmarc_reports;
pub mod events;
pub mod expunged;
pub mod journal;
pub mod keys;
pub mod mail;
pub mod message_id;
pub mod mta_sts;
pub mod operator;
pub mod parts;
pub mod queue;
pub mod queue_feed;
pub mod quota;
pub mod records;
pub mod sender_stats;
pub mod suppression;
pub mod tls_reports;
pub mod vanished;
pub mod warmup;

use std::path::Path;
use std::sync::Arc;

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, MergeOperands, Options};

pub use journal::{Delivery, Journal, JournalHandle};
pub use message_id::{MessageId, MessageIdGenerator};

/// Column family names.
pub mod cf {
    /// Local mail domains.
    pub const DOMAIN: &str = "domain";
    /// Accounts and their password hashes.
    pub const ACCOUNT: &str = "account";
    /// Aliases and catch-alls.
    pub const ALIAS: &str = "alias";
    /// Mailbox counters.
    pub const MAILBOX: &str = "mailbox";
    /// Per-mailbox message entries.
    pub const MAIL: &str = "mail";
    /// Raw messages, stored once however many recipients.
    pub const BLOB: &str = "blob";
    /// Reference counts of blobs.
    pub const REFS: &str = "refs";
    /// Messages stored in parts, and whether each is complete.
    pub const PARTS: &str = "parts";
    /// MTA-STS policies of destination domains, as last fetched.
    pub const MTA_STS: &str = "mta_sts";
    /// TLS session outcomes counted for TLS reports (RFC 8460).
    pub const TLS_REPORT: &str = "tls_report";
    /// TLS reports other senders mailed us.
    pub const TLS_REPORT_IN: &str = "tls_report_in";
    /// Outbound delivery queue.
    pub const QUEUE: &str = "queue";
    /// Recipients that hard-bounced.
    pub const SUPPRESSION: &str = "suppression";
    /// DKIM signing keys by domain and selector.
    pub const DKIM_KEY: &str = "dkim_key";
    /// DMARC results counted for aggregate reports.
    pub const DMARC_REPORT: &str = "dmarc_report";
    /// The local allow and block lists.
    pub const ACCESS: &str = "access";
    /// IMAP mailbox subscriptions.
    pub const SUBSCRIPTION: &str = "subscription";
    /// Token counts the spam filter learned.
    pub const BAYES: &str = "bayes";
    /// HTTP API tokens by name.
    pub const API_TOKEN: &str = "api_token";
    /// Destinations whose delivery the operator suspended.
    pub const SUSPENSION: &str = "suspension";
    /// The event log: receptions, delivery outcomes, suppressions, by sequence number.
    pub const EVENTS: &str = "events";
    /// How far each webhook has read the event log.
    pub const EVENT_CURSOR: &str = "event_cursor";
    /// Bodies of expunged messages, kept readable for a while, by when and message id.
    pub const EXPUNGED: &str = "expunged";
    /// Storage quotas of accounts, in octets.
    pub const QUOTA: &str = "quota";
    /// Expunge tombstones (the UIDs each expunge removed) for QRESYNC, by mailbox and modseq.
    pub const VANISHED: &str = "vanished";
    /// Recipients suppressed for one sender domain (unsubscribed, complained), by domain.
    pub const SENDER_SUPPRESSION: &str = "sender_suppression";
    /// IP warm-up: each source address's step, and its messages per site and day.
    pub const WARMUP: &str = "warmup";
    /// Per sender domain and hour: recipients delivered and complaints about its mail.
    pub const SENDER_STATS: &str = "sender_stats";
    /// All of them, in creation order.
    pub const ALL: [&str; 28] = [
        DOMAIN,
        ACCOUNT,
        ALIAS,
        MAILBOX,
        MAIL,
        BLOB,
        REFS,
        QUEUE,
        SUPPRESSION,
        DKIM_KEY,
        DMARC_REPORT,
        ACCESS,
        SUBSCRIPTION,
        BAYES,
        API_TOKEN,
        SUSPENSION,
        EVENTS,
        EVENT_CURSOR,
        PARTS,
        MTA_STS,
        TLS_REPORT,
        TLS_REPORT_IN,
        EXPUNGED,
        QUOTA,
        VANISHED,
        SENDER_SUPPRESSION,
        WARMUP,
        SENDER_STATS,
    ];
}

/// Messages at least this large go to BlobDB files, so compaction never rewrites bodies.
const MIN_BLOB_SIZE: u64 = 4096;

/// Memtable size of the message bodies (RocksDB's default is 64 MiB, two of them): bodies wait
/// in memory only until this much has arrived, so a burst of large messages does not hold
/// twice 64 MiB of them on top of what the sessions hold.
const BLOB_WRITE_BUFFER: usize = 16 << 20;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB reported an error (I/O, disk full, corruption, lock held).
    #[error("database: {0}")]
    Db(#[from] rocksdb::Error),
    /// A stored record could not be decoded.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The named thing does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The named thing exists already.
    #[error("{0} exists already")]
    Exists(String),
    /// The request is not allowed; the text says why.
    #[error("{0}")]
    Refused(String),
    /// The journal thread has stopped.
    #[error("the store is shutting down")]
    Closed,
}

/// A handle to the open database; cheap to clone and shared by every thread.
#[derive(Clone)]
pub struct Store {
    db: Arc<DB>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.set_max_background_jobs(2);
        db_opts.set_bytes_per_sync(1 << 20);
        // In-place updates of mail entries (below) need memtable writes from one thread at a
        // time; the journal is the main writer anyway (besides it, sessions write the parts of
        // large messages as they arrive, `parts.rs`).
        db_opts.set_allow_concurrent_memtable_write(false);
        let descriptors = cf::ALL.iter().map(|&name| ColumnFamilyDescriptor::new(name, cf_options(name)));
        let db = DB::open_cf_descriptors(&db_opts, path, descriptors)?;
        Ok(Store { db: Arc::new(db) })
    }

    /// The RocksDB handle.
    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    /// A column family handle; every name in [`cf::ALL`] exists once the store is open.
    pub(crate) fn cf(&self, name: &str) -> &ColumnFamily {
        self.db.cf_handle(name).expect("column family created at open")
    }

    /// Reads and decodes one record.
    pub(crate) fn get<T: records::Record>(&self, cf_name: &str, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.db.get_pinned_cf(self.cf(cf_name), key)? {
            Some(bytes) => records::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }
}

fn cf_options(name: &str) -> Options {
    let mut opts = Options::default();
    opts.set_compression_type(DBCompressionType::Lz4);
    match name {
        cf::BLOB => {
            opts.set_enable_blob_files(true);
            opts.set_min_blob_size(MIN_BLOB_SIZE);
            opts.set_write_buffer_size(BLOB_WRITE_BUFFER);
            opts.set_blob_compression_type(DBCompressionType::Lz4);
            // Deleted bodies are reclaimed when compaction moves live blobs out of old files.
            opts.set_enable_blob_gc(true);
        }
        // Every flag change rewrites a mail entry: updated in place in the memtable, so that
        // listing a mailbox (SELECT) does not step over thousands of superseded versions.
        cf::MAIL => opts.set_inplace_update_support(true),
        cf::REFS | cf::DMARC_REPORT | cf::TLS_REPORT | cf::WARMUP | cf::SENDER_STATS => {
            opts.set_merge_operator_associative("add_i64", add_i64)
        }
        cf::BAYES => opts.set_merge_operator_associative("add_pairs", bayes::add_pairs),
        // Every delivery and deferral deletes a queue key: files thick with deletion markers
        // are compacted early, so reads do not wade through them.
        cf::QUEUE => opts.add_compact_on_deletion_collector_factory(10_000, 5_000, 0.5),
        _ => {}
    }
    opts
}

/// Merge operator for reference counts: sums little-endian i64 operands.
fn add_i64(_key: &[u8], existing: Option<&[u8]>, operands: &MergeOperands) -> Option<Vec<u8>> {
    let read = |b: &[u8]| b.try_into().map(i64::from_le_bytes).unwrap_or(0);
    let total = operands.iter().fold(existing.map_or(0, read), |sum, op| sum + read(op));
    Some(total.to_le_bytes().to_vec())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
