//! Lookups in the per-shard DNS answer cache (`dns_proto::cache::Cache`), which every
//! outbound attempt consults before it asks a nameserver: MX for the recipient domain, then the
//! addresses of each MX host. The cache holds 10,000 answers (the default `[dns] cache_entries`).
//!
//! - `hit_mx`: a cached MX answer with two hosts (the key is lower-cased and the answer cloned);
//! - `hit_mx_mixed_case`: the same name written `Example`-style, found through lower-casing;
//! - `hit_a`: a cached address answer;
//! - `miss`: a name that is not cached (what precedes every real query).
//!
//! Run with `cargo bench --bench dns_cache`; criterion reports the time per lookup.

use std::net::Ipv4Addr;
use std::str::FromStr;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use dns_proto::cache::Cache;
use dns_proto::{Answer, Secured};
use hickory_proto::rr::rdata::{A, MX};
use hickory_proto::rr::{Name, RData, RecordType};

/// Answers in the cache, as many as `[dns] cache_entries` allows by default.
const ENTRIES: usize = 10_000;

fn name(s: &str) -> Name {
    Name::from_str(s).expect("valid name")
}

/// A cache of `ENTRIES` answers: half MX answers for `d{i}.example.`, half A answers for their
/// hosts `mx{i}.d{i}.example.`.
fn filled() -> Cache {
    let mut cache = Cache::new(ENTRIES);
    for i in 0..ENTRIES / 2 {
        let domain = format!("d{i}.example.");
        let mx = Answer::Records(vec![
            RData::MX(MX::new(10, name(&format!("mx1.{domain}")))),
            RData::MX(MX::new(20, name(&format!("mx2.{domain}")))),
        ]);
        cache.insert(&name(&domain), RecordType::MX, Secured { answer: mx, secure: false }, 3600);
        let a = Answer::Records(vec![RData::A(A(Ipv4Addr::new(192, 0, 2, (i % 250) as u8)))]);
        cache.insert(&name(&format!("mx1.{domain}")), RecordType::A, Secured { answer: a, secure: false }, 3600);
    }
    cache
}

fn lookups(c: &mut Criterion) {
    let cache = filled();
    let hit = name("d1234.example.");
    let mixed = name("D1234.Example.");
    let host = name("mx1.d1234.example.");
    let absent = name("nowhere.example.");
    assert!(cache.get(&hit, RecordType::MX).is_some() && cache.get(&mixed, RecordType::MX).is_some());
    assert!(cache.get(&host, RecordType::A).is_some() && cache.get(&absent, RecordType::MX).is_none());

    let mut group = c.benchmark_group("dns_cache_10k");
    group.bench_function("hit_mx", |b| b.iter(|| black_box(cache.get(black_box(&hit), RecordType::MX))));
    group.bench_function("hit_mx_mixed_case", |b| b.iter(|| black_box(cache.get(black_box(&mixed), RecordType::MX))));
    group.bench_function("hit_a", |b| b.iter(|| black_box(cache.get(black_box(&host), RecordType::A))));
    group.bench_function("miss", |b| b.iter(|| black_box(cache.get(black_box(&absent), RecordType::MX))));
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
