//! SPF evaluation (`mailauth::spf::verify_mail_from`), which every inbound message
//! will run on `MAIL FROM`: a typical record against an in-memory zone, so every DNS answer is
//! "cached" and the time measured is the parsing, macro expansion and matching, not the network.
//!
//! The sender's domain `example.com` publishes
//! `v=spf1 include:_spf.mailer.example ip4:192.0.2.0/24 a mx ~all`; the include holds the
//! ranges of a bulk mailer (`ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all`).
//! - `pass_include`: the client is in the included ranges (first term matches);
//! - `pass_ip4`: the client is in the `ip4:` range, after the include did not match;
//! - `pass_mx`: the client is the second MX host (include, `ip4`, `a`, then `mx`);
//! - `softfail`: the client matches nothing, so every term is evaluated before `~all`.
//!
//! Run with `cargo bench --bench spf_eval`; criterion reports the time per check.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use futures_lite::future::block_on;
use mailauth::lookup::{Lookup, LookupError};
use mailauth::spf::{SpfResult, verify_mail_from};

/// Answers from memory, keyed by lower-case name.
#[derive(Default)]
struct Zone {
    txt: HashMap<&'static str, Vec<String>>,
    a: HashMap<&'static str, Vec<Ipv4Addr>>,
    aaaa: HashMap<&'static str, Vec<Ipv6Addr>>,
    mx: HashMap<&'static str, Vec<String>>,
}

fn answer<T: Clone>(map: &HashMap<&'static str, Vec<T>>, name: &str) -> Result<Vec<T>, LookupError> {
    Ok(map.get(name.to_ascii_lowercase().as_str()).cloned().unwrap_or_default())
}

impl Lookup for Zone {
    async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        answer(&self.txt, name)
    }
    async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
        answer(&self.a, name)
    }
    async fn aaaa(&self, name: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
        answer(&self.aaaa, name)
    }
    async fn mx(&self, name: &str) -> Result<Vec<String>, LookupError> {
        answer(&self.mx, name)
    }
    async fn ptr(&self, _ip: IpAddr) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
}

fn zone() -> Zone {
    let mut z = Zone::default();
    z.txt.insert(
        "example.com",
        vec![
            "google-site-verification=0123456789abcdef".to_string(),
            "v=spf1 include:_spf.mailer.example ip4:192.0.2.0/24 a mx ~all".to_string(),
        ],
    );
    z.txt.insert("_spf.mailer.example", vec!["v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all".to_string()]);
    z.a.insert("example.com", vec![Ipv4Addr::new(203, 0, 113, 10)]);
    z.mx.insert("example.com", vec!["mx1.example.com".to_string(), "mx2.example.com".to_string()]);
    z.a.insert("mx1.example.com", vec![Ipv4Addr::new(203, 0, 113, 25)]);
    z.a.insert("mx2.example.com", vec![Ipv4Addr::new(203, 0, 113, 26)]);
    z.aaaa.insert("mx1.example.com", vec![Ipv6Addr::new(0x2001, 0xdb8, 0x25, 0, 0, 0, 0, 1)]);
    z
}

fn checks(c: &mut Criterion) {
    let zone = zone();
    let cases = [
        ("pass_include", IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)), SpfResult::Pass),
        ("pass_ip4", IpAddr::V4(Ipv4Addr::new(192, 0, 2, 44)), SpfResult::Pass),
        ("pass_mx", IpAddr::V4(Ipv4Addr::new(203, 0, 113, 26)), SpfResult::Pass),
        ("softfail", IpAddr::V4(Ipv4Addr::new(233, 252, 0, 1)), SpfResult::SoftFail),
    ];
    let check = |ip: IpAddr| {
        block_on(verify_mail_from(&zone, ip, "mail.example.com", "alice@example.com", "mx.example.net", 0))
    };
    let mut group = c.benchmark_group("spf_eval");
    for (name, ip, expected) in cases {
        assert_eq!(check(ip).result, expected, "{name}");
        group.bench_function(name, |b| b.iter(|| black_box(check(black_box(ip)))));
    }
    group.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
