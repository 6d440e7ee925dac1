//! Tests across the module: the ValiMail ARC test suite, its validation half (`suite`) and its
//! signing half as seal-then-validate (`sign`), and hostile inputs (`hostile`). The data lives
//! in `tests/data/arc/` (see its README for the source and licence).

mod hostile;
mod sign;
mod suite;

use std::path::PathBuf;

use yaml_rust2::{Yaml, YamlLoader};

use super::{ArcOutput, validate};

pub(super) use crate::lookup::TxtZone as Zone;

/// A scenario's `txt-records`: a map of names to records.
pub(super) fn zone_from_yaml(records: &Yaml) -> Zone {
    let mut zone = Zone::default();
    for (name, record) in records.as_hash().into_iter().flatten() {
        zone.add(text(name), text(record));
    }
    zone
}

/// A string node, or "" for anything else.
pub(super) fn text(node: &Yaml) -> &str {
    node.as_str().unwrap_or_default()
}

/// A file under `tests/data/`.
pub(super) fn read(path: &str) -> String {
    let full: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "tests", "data", path].iter().collect();
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Loads a suite file. The validation file repeats four test names within a scenario, which
/// PyYAML (the suite's own loader) resolves by keeping the last and yaml-rust2 refuses; each
/// repeat is renamed `NAME#2` here, so that every case written in the file runs.
pub(super) fn load_suite(path: &str) -> (Vec<Yaml>, Vec<String>) {
    let mut renamed = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    for line in read(path).lines() {
        if line == "---" {
            seen.clear();
        }
        let is_test_name = line.len() > 3
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && line.trim_end().ends_with(':')
            && line.trim().trim_end_matches(':').bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if is_test_name {
            let name = line.trim().trim_end_matches(':').to_owned();
            if seen.contains(&name) {
                renamed.push(name.clone());
                out.push_str(&format!("  {name}#2:\n"));
                continue;
            }
            seen.push(name);
        }
        out.push_str(line);
        out.push('\n');
    }
    match YamlLoader::load_from_str(&out) {
        Ok(docs) => (docs, renamed),
        Err(e) => panic!("{path}: bad YAML: {e}"),
    }
}

/// Line ends made CRLF, as on the wire (the suite's messages have LF).
pub(super) fn crlf(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    for (i, &b) in message.as_bytes().iter().enumerate() {
        if b == b'\n' && (i == 0 || message.as_bytes()[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

pub(super) fn run(zone: &Zone, message: &[u8], now: u64) -> ArcOutput {
    futures_lite::future::block_on(validate(zone, message, now))
}
