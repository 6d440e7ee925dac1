//! Scheduler pick-next over a large queue: `Store::due_recipients(now, 10_000, filter)`, which
//! every shard's scheduler runs each `poll_interval_ms` (`queue::read_due`) to fetch the due
//! recipients it owns, with 1,000,000 recipients queued (set `RINGMAIL_BENCH_QUEUE_ENTRIES` for
//! another size). The queue is kept in RocksDB and streamed in key (due) order, so the cost of a
//! pick should follow the entries it reads, not the size of the queue; this checks that.
//!
//! `queue_pick/*`: 1M recipients for eight domains (half of them for one unreachable domain),
//! 50,000 due now and the rest deferred up to two hours ahead with an attempt count and error.
//! The `queue` column family is written directly with RocksDB batches of real `queue` keys and
//! records, then compacted: a settled queue, with no deleted keys left in it.
//! - `nothing_due`: a poll between retry waves (nothing is due; one entry is read);
//! - `1_shard`: one shard takes the first 10,000 due entries;
//! - `2_shards`: shard 0 of 2 skips the entries of domains that shard 1 owns;
//! - `2_shards_10k_waiting`: the same while 10,000 picked entries still wait in memory, so the
//!   scan also skips those (the scheduler's `handled` set);
//! - `other_shard_50k_due`, `other_shard_all_due`: a shard that owns none of the due entries
//!   (all mail is for domains another shard owns, e.g. one unreachable domain) reads every due
//!   entry and returns nothing: 50,000 of them, then all 1M (`now` past every due time).
//!
//! `queue_pick_after_defer_wave/*`: the state right after a first delivery wave to an
//! unreachable destination. All 1M entries start due now; the journal then defers all but
//! 50,000 (`JournalOp::QueueDefer`, as attempts do), which leaves a delete tombstone at each old
//! key, in front of every live entry, until RocksDB compacts them away. A pick steps over all of
//! them, whether it finds anything (`1_shard`) or not (`nothing_due`). `1_shard_from_low_water`
//! is the same pick started at the scheduler's low-water mark (`Store::due_recipients_from`),
//! as it runs between its once-a-minute full reads.
//!
//! Run with `cargo bench --bench queue_pick`; setup takes about a minute and prints what it built.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ringmail::queue::owner;
use rocksdb::{DBCompressionType, Options, WriteBatch, WriteOptions};
use store::directory::domain_of;
use store::journal::JournalOp;
use store::keys;
use store::queue::DueRecipient;
use store::records::{QueueEntry, encode};
use store::{Journal, MessageId, Store, cf, unix_now};

/// What the scheduler asks for per poll (`READ_BATCH` in `src/queue/mod.rs`).
const PICK: usize = 10_000;
/// Entries due now; the rest are deferred.
const DUE: usize = 50_000;
/// Recipients per message, spread over the domains.
const RECIPIENTS_PER_MESSAGE: usize = 10;
/// Entries per RocksDB write batch during setup.
const BATCH: usize = 100_000;
/// Threads submitting deferrals to the journal at once (its group commit takes them together).
const SUBMITTERS: usize = 256;
/// One domain that never answers, plus seven healthy ones.
const DOMAINS: [&str; 8] =
    ["unreachable.example", "a.example", "b.example", "c.example", "d.example", "e.example", "f.example", "g.example"];

fn entries() -> usize {
    std::env::var("RINGMAIL_BENCH_QUEUE_ENTRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000)
}

/// Recipient `i`: every other one at the unreachable domain.
fn recipient(i: usize) -> String {
    let domain = if i % 2 == 0 { DOMAINS[0] } else { DOMAINS[1 + (i / 2) % 7] };
    format!("user{i}@{domain}")
}

fn entry(i: usize, created: u64, attempts: u32) -> QueueEntry {
    QueueEntry {
        sender: "newsletter@sender.example".into(),
        recipient: recipient(i),
        body_offset: 0,
        attempts,
        created,
        last_error: (attempts > 0).then(|| "451 4.4.1 connection refused by mx.unreachable.example:25".into()),
        notify: Default::default(),
        orcpt: None,
        options: Default::default(),
        suppressed: None,
        delay_reported: false,
    }
}

fn message_id(i: usize) -> MessageId {
    MessageId(0x0006_2000_0000_0000_0000_0000_0000_0000 + (i / RECIPIENTS_PER_MESSAGE) as u128)
}

/// Writes `queue` entries straight into the store's RocksDB (no WAL, then flushed and compacted):
/// the store must be closed. `due(i)` and `attempts(i)` give entry `i`'s due time and attempts.
fn fill(path: &Path, n: usize, due: impl Fn(usize) -> u64, attempts: impl Fn(usize) -> u32) {
    drop(Store::open(path).expect("create the store"));
    let mut opts = Options::default();
    opts.set_compression_type(DBCompressionType::Lz4);
    let db = rocksdb::DB::open_cf(&opts, path, cf::ALL).expect("open RocksDB");
    let queue = db.cf_handle(cf::QUEUE).expect("queue column family");
    let mut no_wal = WriteOptions::default();
    no_wal.disable_wal(true);
    let created = unix_now() - 3600;
    for start in (0..n).step_by(BATCH) {
        let mut batch = WriteBatch::default();
        for i in start..n.min(start + BATCH) {
            let e = entry(i, created, attempts(i));
            batch.put_cf(queue, keys::queue(due(i), message_id(i), &e.recipient), encode(&e));
        }
        db.write_opt(batch, &no_wal).expect("write batch");
    }
    db.flush_cf(queue).expect("flush");
    db.compact_range_cf(queue, None::<&[u8]>, None::<&[u8]>);
}

/// The scheduler's filter on shard `shard` of `shards`: owned domain, not already handled.
fn wanted(shard: usize, shards: usize, skip: &HashSet<Vec<u8>>) -> impl Fn(&DueRecipient) -> bool + '_ {
    move |r| owner(&domain_of(&r.entry.recipient).to_ascii_lowercase(), shards) == shard && !skip.contains(&r.key)
}

/// Returns how many entries one pick returns and how many it passes to `filter`.
fn measure_pick(store: &Store, now: u64, filter: impl Fn(&DueRecipient) -> bool) -> (usize, usize) {
    let examined = std::cell::Cell::new(0);
    let picked = store
        .due_recipients(now, PICK, |r| {
            examined.set(examined.get() + 1);
            filter(r)
        })
        .expect("pick")
        .len();
    (picked, examined.get())
}

fn queue_pick(c: &mut Criterion) {
    let n = entries();
    let dir = tempfile::tempdir().expect("temporary directory");
    let now = unix_now();
    let started = Instant::now();
    // The first DUE entries came due over the last minute; the rest are due 1 minute to 2 hours
    // from now, as a retry schedule spreads them.
    let due = |i: usize| if i < DUE { now - 60 + (i * 60 / DUE) as u64 } else { now + 60 + (i % 7140) as u64 };
    fill(dir.path(), n, due, |i| if i < DUE { (i % 2) as u32 } else { 1 + (i % 6) as u32 });
    let store = Store::open(dir.path()).expect("open the store");
    eprintln!("queue_pick: {n} entries ({DUE} due) written and compacted in {:.1?}", started.elapsed());

    let none = HashSet::new();
    let waiting: HashSet<Vec<u8>> =
        store.due_recipients(now, PICK, wanted(0, 2, &none)).expect("pick").into_iter().map(|r| r.key).collect();
    // Shard counts 1 and 2 select `wanted`; 0 stands for a shard that owns none of the domains.
    let cases: [(&str, u64, usize, &HashSet<Vec<u8>>); 6] = [
        ("nothing_due", now - 120, 1, &none),
        ("1_shard", now, 1, &none),
        ("2_shards", now, 2, &none),
        ("2_shards_10k_waiting", now, 2, &waiting),
        ("other_shard_50k_due", now, 0, &none),
        ("other_shard_all_due", u64::MAX, 0, &none),
    ];
    let mut group = c.benchmark_group("queue_pick");
    group.sample_size(10);
    for (name, at, shards, skip) in cases {
        let filter = |r: &DueRecipient| shards > 0 && wanted(0, shards, skip)(r);
        let (picked, examined) = measure_pick(&store, at, filter);
        eprintln!("queue_pick/{name}: returns {picked}, passes {examined} of {n} entries to the filter");
        group.throughput(Throughput::Elements(examined.max(1) as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| black_box(store.due_recipients(at, PICK, filter).expect("pick").len()))
        });
    }
    group.finish();
}

fn queue_pick_after_defer_wave(c: &mut Criterion) {
    let n = entries();
    let dir = tempfile::tempdir().expect("temporary directory");
    let now = unix_now();
    let started = Instant::now();
    // Everything arrived over the last minute and is due: no attempt has been made yet.
    fill(dir.path(), n, |i| now - 60 + (i * 60 / n) as u64, |_| 0);
    let store = Store::open(dir.path()).expect("open the store");
    let filled = started.elapsed();

    // The first wave: every entry but the last DUE is tried and deferred by a minute.
    let mut deferrals = Vec::with_capacity(n.saturating_sub(DUE));
    store
        .for_each_queued(|r| {
            if deferrals.len() < n.saturating_sub(DUE) {
                let mut entry = r.entry;
                entry.attempts += 1;
                entry.last_error = Some("451 4.4.1 connection refused by mx.unreachable.example:25".into());
                deferrals.push(JournalOp::QueueDefer { key: r.key, due: now + 60, entry });
            }
        })
        .expect("scan the queue");
    let journal = Journal::start(store.clone());
    let per_thread = deferrals.len().div_ceil(SUBMITTERS).max(1);
    let mut chunks = Vec::new();
    while !deferrals.is_empty() {
        let rest = deferrals.split_off(deferrals.len().saturating_sub(per_thread));
        chunks.push(rest);
    }
    let threads: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let h = journal.handle();
            std::thread::spawn(move || {
                for op in chunk {
                    h.submit_blocking(op).expect("defer");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("submitter");
    }
    journal.stop();
    eprintln!(
        "queue_pick_after_defer_wave: {n} entries written in {filled:.1?}, {} deferred through the journal in {:.1?}",
        n.saturating_sub(DUE),
        started.elapsed() - filled
    );

    let none = HashSet::new();
    let mut group = c.benchmark_group("queue_pick_after_defer_wave");
    group.sample_size(10);
    // `nothing_due` asks before the oldest entry: it returns nothing, but still steps over every
    // tombstone to reach the first live entry.
    for (name, at) in [("nothing_due", now - 120), ("1_shard", now)] {
        let (picked, examined) = measure_pick(&store, at, wanted(0, 1, &none));
        eprintln!("queue_pick_after_defer_wave/{name}: returns {picked}, passes {examined} live entries to the filter");
        group.throughput(Throughput::Elements(examined.max(1) as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(store.due_recipients(at, PICK, wanted(0, 1, &none)).expect("pick").len()))
        });
    }
    // What the scheduler does between full reads: start at its low-water mark (the first entry
    // it found last time), past the tombstones.
    group.bench_function("1_shard_from_low_water", |b| {
        b.iter(|| black_box(store.due_recipients_from(now, now, PICK, wanted(0, 1, &none)).expect("pick").len()))
    });
    group.finish();
}

criterion_group!(benches, queue_pick, queue_pick_after_defer_wave);
criterion_main!(benches);
