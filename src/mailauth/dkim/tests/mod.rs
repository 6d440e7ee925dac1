//! Tests across the module: published vectors (`vectors`), interop with dkimpy (`dkimpy`),
//! sign-then-verify (`roundtrip`) and the key and clock rules (`policy`). The data lives in
//! `tests/data/dkim/` (see its README for sources and licences).

mod dkimpy;
mod policy;
mod roundtrip;
mod vectors;

use std::path::PathBuf;

use super::{DkimResult, Verdict, verify};

pub(super) use crate::lookup::TxtZone as Zone;

/// A zone from `NAME SP RECORD` lines, skipping blank lines and `#` comments.
pub(super) fn zone_from_lines(text: &str) -> Zone {
    let mut zone = Zone::default();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (name, record) = line.split_once(' ').expect("NAME RECORD");
        zone.add(name, record);
    }
    zone
}

/// A file under `tests/data/dkim/`.
pub(super) fn data(path: &str) -> Vec<u8> {
    let full: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "tests", "data", "dkim", path].iter().collect();
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The same as text.
pub(super) fn text(path: &str) -> String {
    String::from_utf8(data(path)).expect("UTF-8 test data")
}

/// Line ends made CRLF, as on the wire (test files are often stored with LF).
pub(super) fn crlf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

pub(super) fn run(zone: &Zone, message: &[u8], now: u64) -> Vec<Verdict> {
    futures_lite::future::block_on(verify(zone, message, now))
}

pub(super) fn results(verdicts: &[Verdict]) -> Vec<DkimResult> {
    verdicts.iter().map(|v| v.result).collect()
}
