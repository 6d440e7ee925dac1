//! Tests across the module: published vectors (`vectors`), interop with dkimpy (`dkimpy`),
//! sign-then-verify (`roundtrip`) and the key and clock rules (`policy`). The data lives in
//! `tests/data/dkim/` (see its README for sources and licences).

mod dkimpy;
mod policy;
mod roundtrip;
mod vectors;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use super::{DkimResult, Verdict, verify};
use crate::mailauth::lookup::{Lookup, LookupError};

/// An in-memory TXT zone. Names are matched case-insensitively; a missing name is NXDOMAIN.
#[derive(Default, Clone)]
pub(super) struct Zone {
    txt: HashMap<String, Result<Vec<String>, LookupError>>,
}

impl Zone {
    pub fn with(mut self, name: &str, record: &str) -> Self {
        self.add(name, record);
        self
    }

    pub fn add(&mut self, name: &str, record: &str) {
        if let Ok(records) = self.txt.entry(name.to_ascii_lowercase()).or_insert_with(|| Ok(Vec::new())) {
            records.push(record.to_owned());
        }
    }

    pub fn failing(mut self, name: &str) -> Self {
        self.txt.insert(name.to_ascii_lowercase(), Err(LookupError("timeout".into())));
        self
    }

    /// Reads `NAME SP RECORD` lines, skipping blank lines and `#` comments.
    pub fn from_lines(text: &str) -> Self {
        let mut zone = Zone::default();
        for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let (name, record) = line.split_once(' ').expect("NAME RECORD");
            zone.add(name, record);
        }
        zone
    }
}

impl Lookup for Zone {
    async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        self.txt.get(&name.to_ascii_lowercase()).cloned().unwrap_or(Ok(Vec::new()))
    }
    async fn a(&self, _: &str) -> Result<Vec<Ipv4Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn aaaa(&self, _: &str) -> Result<Vec<Ipv6Addr>, LookupError> {
        Ok(Vec::new())
    }
    async fn mx(&self, _: &str) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
    async fn ptr(&self, _: IpAddr) -> Result<Vec<String>, LookupError> {
        Ok(Vec::new())
    }
}

/// A file under `tests/data/dkim/`.
pub(super) fn data(path: &str) -> Vec<u8> {
    let full: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", "dkim", path].iter().collect();
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
